"""The headless checkout: the same ``start_checkout`` as the button, answered in JSON."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_topi.api.authentication import authentication_classes
from django_topi.api.serializers import CheckoutSerializer, ErrorSerializer, OfferSerializer
from django_topi.checkout import CheckoutFailed, CheckoutPending, owns, start_checkout
from django_topi.conf import topi_settings
from django_topi.models import Offer


def error(code: str, detail: str, status_code: int) -> Response:
    return Response({"code": code, "detail": detail}, status=status_code)


class CheckoutSchema(AutoSchema):
    """The checkout takes no body (the cart comes from the shop) and answers these shapes.

    Described on the schema class rather than with ``@extend_schema``, so the schema is right
    whatever ``DEFAULT_SCHEMA_CLASS`` the shop configured.
    """

    def get_request_serializer(self) -> None:
        return None

    def get_response_serializers(self) -> dict[int, Any]:  # type: ignore[override]
        # drf-spectacular documents a status -> serializer dict here; its annotation is narrower.
        return {
            201: CheckoutSerializer,
            200: OpenApiResponse(CheckoutSerializer, description="An open offer for this cart."),
            202: OpenApiResponse(
                ErrorSerializer,
                description="Another request for this cart is talking to topi right now: POST "
                "again after the seconds in the Retry-After header.",
            ),
            400: ErrorSerializer,
            409: ErrorSerializer,
            422: ErrorSerializer,
            503: ErrorSerializer,
        }


class OfferStatusSchema(AutoSchema):
    def get_response_serializers(self) -> dict[int, Any]:  # type: ignore[override]
        # drf-spectacular documents a status -> serializer dict here; its annotation is narrower.
        return {200: OfferSerializer, 404: ErrorSerializer}


class CheckoutAPIView(APIView):
    """Start a topi checkout for the caller's cart (from ``TOPI["CART_ADAPTER"]``)."""

    permission_classes = [AllowAny]
    schema = CheckoutSchema()

    def get_authenticators(self) -> list[Any]:
        return [cls() for cls in authentication_classes()]

    def post(self, request: Request) -> Response:
        try:
            started = start_checkout(request._request)
        except CheckoutPending as exc:
            # Another request for this cart is talking to topi: POST again after Retry-After.
            response = error(exc.code, exc.message, exc.status)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except CheckoutFailed as exc:
            return error(exc.code, exc.message, exc.status)
        if not started.checkout_url:
            return error("unavailable", "topi answered without a checkout URL.", 503)
        body = {
            "offer": OfferSerializer(started.offer).data,
            "checkout_url": started.checkout_url,
        }
        return Response(
            body, status=status.HTTP_200_OK if started.reused else status.HTTP_201_CREATED
        )


class OfferStatusAPIView(APIView):
    """The status of the caller's newest offer for a cart reference."""

    permission_classes = [AllowAny]
    schema = OfferStatusSchema()

    def get_authenticators(self) -> list[Any]:
        return [cls() for cls in authentication_classes()]

    def get(self, request: Request, reference: str) -> Response:
        offers = (
            Offer.objects.filter(
                seller_offer_reference=reference, environment=topi_settings.ENVIRONMENT
            )
            .prefetch_related("orders")
            .order_by("-created_at", "-pk")
        )
        offer = next((o for o in offers[:20] if owns(request._request, o)), None)
        if offer is None:
            return error("not_found", "No offer of yours has this reference.", 404)
        return Response(OfferSerializer(offer).data)
