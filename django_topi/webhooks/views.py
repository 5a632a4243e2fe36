"""The webhook endpoint topi posts to: ``webhooks.receive`` does the work; this answers it."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from django_topi.webhooks.processing import Outcome
from django_topi.webhooks.reception import receive


def answer(outcome: Outcome) -> HttpResponse:
    """A refusal (4xx) is a bare status: the sender may be anyone, so why it was refused stays
    in the log and in the rejected deliveries. Other answers go to a verified sender."""
    if 400 <= outcome.http_status < 500:
        return HttpResponse(status=outcome.http_status)
    body = {"status": outcome.status, **({"reason": outcome.reason} if outcome.reason else {})}
    return JsonResponse(body, status=outcome.http_status)


# csrf_exempt: topi cannot send a CSRF token; the signature (or the refetch) proves the sender.
@method_decorator(csrf_exempt, name="dispatch")
# non_atomic_requests: the event row must be committed on its own, so it survives a processing
# rollback even when the shop sets ATOMIC_REQUESTS = True.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class WebhookView(View):
    http_method_names = ["post", "head"]

    def head(self, request: HttpRequest) -> HttpResponse:
        """topi (and uptime checks) may probe the URL."""
        return HttpResponse(status=200)

    def post(self, request: HttpRequest) -> HttpResponse:
        return answer(receive(request))
