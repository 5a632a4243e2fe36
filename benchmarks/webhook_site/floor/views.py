"""The floor endpoint: parse the JSON body, ``get_or_create`` one row by svix-id, answer 200.

No verification, no processing: what any webhook endpoint on this stack costs at least.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webhook_site.floor.models import FloorEvent


@csrf_exempt
@require_POST
def floor_webhook(request: HttpRequest) -> HttpResponse:
    payload = json.loads(request.body)
    _, created = FloorEvent.objects.get_or_create(
        event_id=request.headers.get("svix-id", ""),
        defaults={"topi_id": str(payload.get("id", ""))[:64]},
    )
    return JsonResponse({"status": "processed" if created else "duplicate"})
