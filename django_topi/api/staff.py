"""The staff API: list and read orders and offers, and act on them at topi.

Reads need the model's view permission; each action also needs its own permission
(``django_topi.acknowledge_order``, ``confirm_order``, ``reject_order``, ``ship_order``,
``void_offer``; a re-sync needs only the view permission). The actions are made from the staff
operations registry (``django_topi.fulfilment.registry``) and run with origin "api", so the
timeline shows who did what from where.
Every error is JSON ``{"code": ..., "detail": ...}``, with ``errors`` for invalid input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView, exception_handler

from django_topi import fulfilment
from django_topi.api.authentication import authentication_classes
from django_topi.api.staff_serializers import (
    OfferActionResultSerializer,
    OrderActionResultSerializer,
    RejectSerializer,
    ShipSerializer,
    StaffErrorSerializer,
    StaffOfferDetailSerializer,
    StaffOfferSerializer,
    StaffOrderDetailSerializer,
    StaffOrderSerializer,
    as_errors,
)
from django_topi.fulfilment import (
    OPERATIONS,
    FulfilmentError,
    Outcome,
    ShipmentItem,
    StaffOperation,
)
from django_topi.models import Offer, Order, Origin
from django_topi.models.base import ENVIRONMENT_CHOICES
from django_topi.states import OfferStatus, OrderStatus

#: The HTTP status for each ``FulfilmentError.code``.
STATUS_FOR_CODE = {
    fulfilment.INVALID_STATE: 409,
    fulfilment.WRONG_ENVIRONMENT: 409,
    fulfilment.NOT_AT_TOPI: 409,
    fulfilment.INVALID_STATUS: 409,
    fulfilment.INVALID_SHIPMENT: 400,
    fulfilment.UNAVAILABLE: 503,
    fulfilment.NOT_FOUND_AT_TOPI: 502,
    fulfilment.TOPI_AUTH: 502,
    fulfilment.TOPI_REFUSED: 502,
}


def staff_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, answering ``{"code", "detail"}`` (and ``errors`` for invalid input)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": "The request is not valid: see errors.",
            "errors": as_errors(exc.detail),
        }
        return response
    codes = exc.get_codes()
    response.data = {
        "code": codes if isinstance(codes, str) else exc.default_code,
        "detail": str(exc.detail),
    }
    return response


def fulfilment_error(error: FulfilmentError) -> Response:
    body: dict[str, Any] = {"code": error.code, "detail": error.message}
    if error.errors:
        body["errors"] = error.errors
    if error.code == fulfilment.INVALID_STATUS and error.instance is not None:
        body["status"] = error.instance.status
    return Response(body, status=STATUS_FOR_CODE.get(error.code, 502))


class StaffPermissions(DjangoModelPermissions):
    """The model's view permission for every request, plus the view's ``action_permission``."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        extra = getattr(view, "action_permission", "")
        return not extra or bool(request.user.has_perm(extra))


class StaffPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class StaffView(APIView):
    """Authentication, permissions and JSON errors shared by every staff endpoint."""

    permission_classes = [StaffPermissions]
    action_permission: ClassVar[str] = ""

    def get_authenticators(self) -> list[Any]:
        return [cls() for cls in authentication_classes()]

    def get_exception_handler(self) -> Any:
        return staff_exception_handler


# -- schemas -------------------------------------------------------------------------------------

ERRORS = {
    400: StaffErrorSerializer,
    403: StaffErrorSerializer,
    404: StaffErrorSerializer,
}
ACTION_ERRORS = {
    **ERRORS,
    409: StaffErrorSerializer,
    502: StaffErrorSerializer,
    503: StaffErrorSerializer,
}


def _filters(statuses: list[str]) -> list[OpenApiParameter]:
    return [
        OpenApiParameter("status", OpenApiTypes.STR, enum=statuses, description="topi's status"),
        OpenApiParameter(
            "environment", OpenApiTypes.STR, enum=[value for value, _label in ENVIRONMENT_CHOICES]
        ),
        OpenApiParameter(
            "created_after",
            OpenApiTypes.STR,
            description="Rows django-topi first saw on or after this date or date-time (ISO 8601).",
        ),
        OpenApiParameter(
            "created_before",
            OpenApiTypes.STR,
            description="Rows django-topi first saw before this date or date-time (ISO 8601).",
        ),
        OpenApiParameter("reference", OpenApiTypes.STR, description="The seller offer reference."),
    ]


class ListSchema(AutoSchema):
    """A list with filters. Described on the schema class rather than with ``@extend_schema``,
    so the schema is right whatever ``DEFAULT_SCHEMA_CLASS`` the shop configured."""

    def __init__(self, statuses: list[str]) -> None:
        super().__init__()
        self.statuses = statuses

    def get_override_parameters(self) -> list[Any]:
        return _filters(self.statuses)

    def get_response_serializers(self) -> dict[int, Any]:  # type: ignore[override]
        # drf-spectacular documents a status -> serializer dict here; its annotation is narrower.
        return {200: self.view.get_serializer_class(), **ERRORS}  # type: ignore[attr-defined]


class DetailSchema(AutoSchema):
    def get_response_serializers(self) -> dict[int, Any]:  # type: ignore[override]
        serializer = self.view.get_serializer_class()  # type: ignore[attr-defined]
        return {200: serializer, 403: StaffErrorSerializer, 404: StaffErrorSerializer}


class ActionSchema(AutoSchema):
    """An action: its request body (if any) and every answer it can give."""

    def __init__(
        self, request: type[Serializer[Any]] | None, result: type[Serializer[Any]]
    ) -> None:
        super().__init__()
        self.request_serializer = request
        self.result_serializer = result

    def get_request_serializer(self) -> Any:
        return self.request_serializer

    def get_response_serializers(self) -> dict[int, Any]:  # type: ignore[override]
        return {200: self.result_serializer, **ACTION_ERRORS}


# -- lists and details ---------------------------------------------------------------------------


def _when(value: str, name: str, end_of_day: bool) -> datetime:
    """A filter's date or date-time, aware in the current time zone; a bare date is the start
    of that day (of the next one for ``end_of_day``)."""
    try:
        day = parse_date(value)
        moment = parse_datetime(value) if day is None else None
    except ValueError:
        day = moment = None
    if day is not None:
        moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time.min)
    if moment is None:
        raise exceptions.ValidationError({name: ["Use an ISO 8601 date or date-time."]})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def filtered(queryset: QuerySet[Any], params: Any, statuses: list[str]) -> QuerySet[Any]:
    """``queryset`` narrowed by the staff list's query parameters; bad values answer 400."""
    errors: dict[str, list[str]] = {}
    status = params.get("status")
    if status:
        wanted = [value for value in status.split(",") if value]
        unknown = sorted(set(wanted) - set(statuses))
        if unknown:
            errors["status"] = [
                f"Unknown status {', '.join(unknown)}; use one of {', '.join(statuses)}."
            ]
        queryset = queryset.filter(status__in=wanted)
    environment = params.get("environment")
    if environment:
        known = [value for value, _label in ENVIRONMENT_CHOICES]
        if environment not in known:
            errors["environment"] = [f"Use one of {', '.join(known)}."]
        queryset = queryset.filter(environment=environment)
    if errors:
        raise exceptions.ValidationError(errors)
    if params.get("created_after"):
        queryset = queryset.filter(
            created_at__gte=_when(params["created_after"], "created_after", False)
        )
    if params.get("created_before"):
        # A bare date means "before that day is over": the whole day is included.
        queryset = queryset.filter(
            created_at__lt=_when(params["created_before"], "created_before", True)
        )
    if params.get("reference"):
        queryset = queryset.filter(seller_offer_reference=params["reference"])
    return queryset


class StaffListView(StaffView, generics.ListAPIView[Any]):
    """Rows newest first, filtered by ``statuses``, environment, date and reference."""

    pagination_class = StaffPagination
    statuses: ClassVar[list[str]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.schema = ListSchema(cls.statuses)

    def get_queryset(self) -> QuerySet[Any]:
        return filtered(super().get_queryset(), self.request.query_params, self.statuses)


class StaffDetailView(StaffView, generics.RetrieveAPIView[Any]):
    lookup_field = "topi_id"
    schema = DetailSchema()


class OrderListView(StaffListView):
    """Orders, newest first, filtered by status, environment, date and reference."""

    queryset = Order.objects.order_by("-created_at", "-pk")
    serializer_class = StaffOrderSerializer
    statuses = list(OrderStatus.values)


class OrderDetailView(StaffDetailView):
    """One order with its units, shipments and status timeline."""

    queryset = Order.objects.select_related("offer").prefetch_related(
        "assets", "shipments__created_by", "status_changes__user"
    )
    serializer_class = StaffOrderDetailSerializer


class OfferListView(StaffListView):
    """Offers, newest first, filtered by status, environment, date and reference."""

    queryset = Offer.objects.order_by("-created_at", "-pk")
    serializer_class = StaffOfferSerializer
    statuses = list(OfferStatus.values)


class OfferDetailView(StaffDetailView):
    """One offer with its lines, orders and status timeline."""

    queryset = Offer.objects.prefetch_related("lines", "orders", "status_changes__user")
    serializer_class = StaffOfferDetailSerializer


# -- actions: one endpoint per staff operation of the registry ------------------------------------


#: What an operation's input is in a request body, and how the body becomes its arguments.
BODIES: dict[str, tuple[type[Serializer[Any]], Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "reason": (RejectSerializer, lambda data: {"reason": data.get("reason", "")}),
    "shipment": (
        ShipSerializer,
        lambda data: {
            "items": [
                ShipmentItem(item["asset_id"], item["serial_number"]) for item in data["items"]
            ],
            "tracking_url": data["tracking_url"],
            "metadata": data["metadata"] or None,
        },
    ),
}


class ActionView(StaffView):
    """POST to take the view's staff operation on one row at topi; answers the row as it is
    afterwards."""

    operation: ClassVar[StaffOperation]

    def post(self, request: Request, topi_id: str) -> Response:
        operation = self.operation
        obj = get_object_or_404(self.get_queryset(), topi_id=topi_id)
        self.check_object_permissions(request, obj)
        given: dict[str, Any] = {}
        if operation.input:
            serializer_class, arguments = BODIES[operation.input]
            body = serializer_class(data=request.data)
            body.is_valid(raise_exception=True)
            given = arguments(dict(body.validated_data))
        try:
            outcome = operation.run(obj, request.user, origin=Origin.API, **given)
        except FulfilmentError as error:
            return fulfilment_error(error)
        return Response(self.result(outcome))

    def get_queryset(self) -> QuerySet[Any]:
        return self.operation.model.objects.all()

    def result(self, outcome: Outcome[Any]) -> dict[str, Any]:
        """The outcome's message and the row as the detail endpoint shows it."""
        body = {"detail": outcome.message, "already": outcome.already}
        if isinstance(outcome.instance, Order):
            order = OrderDetailView.queryset.all().get(pk=outcome.instance.pk)
            return {**body, "order": StaffOrderDetailSerializer(order).data}
        offer = OfferDetailView.queryset.all().get(pk=outcome.instance.pk)
        return {**body, "offer": StaffOfferDetailSerializer(offer).data}


def action_view(operation: StaffOperation) -> type[ActionView]:
    """The endpoint of one staff operation: its permission, request body and answers."""
    body = BODIES[operation.input][0] if operation.input else None
    result = (
        OrderActionResultSerializer if operation.model is Order else OfferActionResultSerializer
    )
    name = "".join(part.title() for part in operation.name.split("_")) + operation.model.__name__
    with translation.override(None):  # the schema's description is the English source text
        description = str(operation.help_text)
    return type(
        f"{name}View",
        (ActionView,),
        {
            "__doc__": description,
            "__module__": __name__,
            "operation": operation,
            "action_permission": operation.perm(),
            "schema": ActionSchema(body, result),
        },
    )


#: ``(model name, operation name)`` -> its endpoint, for every operation the staff API offers.
ACTION_VIEWS: dict[tuple[str, str], type[ActionView]] = {
    (operation.model_name, operation.name): action_view(operation)
    for operation in OPERATIONS
    if operation.in_api
}
