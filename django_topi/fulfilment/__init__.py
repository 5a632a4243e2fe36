"""Staff operations at topi: acknowledge, confirm, reject, ship, void and re-sync.

Each operation asks topi first and hands topi's answer to ``django_topi.sync``, the only code
that moves a status, so every step lands in the timeline with the caller's origin ("admin",
"api") and user. Rules every operation keeps:

* a row that cannot take the step here (wrong status, another environment, a draft topi never
  saw) is refused before topi is called;
* when topi fails (down, slow, credentials, unknown id) nothing changes locally and the
  ``FulfilmentError`` says why and what to do;
* when topi refuses with a 422 (``InvalidStatus``: the order moved on at topi), the row is
  re-synced from topi and the message says what its real status is; if it already is where
  the operation wanted it, that is reported as done, so a repeated click is harmless;
* a shipment is checked against topi's rules before it is sent (one entry per unit, serial
  numbers for anything rentable, nothing shipped twice, one tracking URL).

Messages are for staff and translated; ``FulfilmentError.code`` is for programs.

The package: ``actions`` (one order or offer at topi), ``shipping`` (units and shipments),
``errors`` (outcomes, codes, the checks before topi is asked), ``words`` (the sentences), and
``registry`` (every staff operation declared once, for the admin, the staff API and the docs).
"""

from __future__ import annotations

from django_topi.fulfilment.actions import (
    ACKNOWLEDGE,
    CONFIRM,
    REJECT,
    TOO_LATE_TO_REJECT,
    VOID,
    Action,
    acknowledge,
    confirm,
    dashboard_url,
    reject,
    resolve_conflict,
    resync,
    void,
)
from django_topi.fulfilment.errors import (
    CREDENTIAL_REFUSALS,
    INVALID_SHIPMENT,
    INVALID_STATE,
    INVALID_STATUS,
    NOT_AT_TOPI,
    NOT_FOUND_AT_TOPI,
    TOPI_AUTH,
    TOPI_REFUSED,
    UNAVAILABLE,
    WRONG_ENVIRONMENT,
    FulfilmentError,
    Outcome,
)
from django_topi.fulfilment.registry import (
    OPERATIONS,
    Confirmation,
    StaffOperation,
    operation,
    operations_for,
)
from django_topi.fulfilment.shipping import (
    METADATA_VALUE_MAX_LENGTH,
    SERIAL_NUMBER_MAX_LENGTH,
    TRACKING_URL_MAX_LENGTH,
    ShipmentItem,
    ShippableUnit,
    can_ship,
    ship,
    shippable_units,
)
from django_topi.fulfilment.words import (
    REJECT_TOO_LATE_AT_TOPI,
    REJECT_TOO_LATE_HERE,
    RESYNC_WORDS,
    SHIP_WORDS,
    TOPI_SUPPORT,
    Wording,
)

__all__ = [
    "ACKNOWLEDGE",
    "CONFIRM",
    "CREDENTIAL_REFUSALS",
    "INVALID_SHIPMENT",
    "INVALID_STATE",
    "INVALID_STATUS",
    "METADATA_VALUE_MAX_LENGTH",
    "NOT_AT_TOPI",
    "NOT_FOUND_AT_TOPI",
    "OPERATIONS",
    "REJECT",
    "REJECT_TOO_LATE_AT_TOPI",
    "REJECT_TOO_LATE_HERE",
    "RESYNC_WORDS",
    "SERIAL_NUMBER_MAX_LENGTH",
    "SHIP_WORDS",
    "TOO_LATE_TO_REJECT",
    "TOPI_AUTH",
    "TOPI_REFUSED",
    "TOPI_SUPPORT",
    "TRACKING_URL_MAX_LENGTH",
    "UNAVAILABLE",
    "VOID",
    "WRONG_ENVIRONMENT",
    "Action",
    "Confirmation",
    "FulfilmentError",
    "Outcome",
    "ShipmentItem",
    "ShippableUnit",
    "StaffOperation",
    "Wording",
    "acknowledge",
    "can_ship",
    "confirm",
    "dashboard_url",
    "operation",
    "operations_for",
    "reject",
    "resolve_conflict",
    "resync",
    "ship",
    "shippable_units",
    "void",
]
