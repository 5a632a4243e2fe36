"""The forms staff fill in before an operation at topi: a reason, or a shipment's units."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from django_topi import fulfilment
from django_topi.fulfilment import FulfilmentError, ShipmentItem, ShippableUnit


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Optional, kept in django-topi only: topi's reject takes no reason."),
    )


class ShipForm(forms.Form):
    """One row per unit still to ship (tick it, give its serial number) and one tracking URL."""

    tracking_url = forms.CharField(
        label=_("Tracking URL"),
        required=False,
        max_length=fulfilment.TRACKING_URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"size": 60}),
        help_text=_("One per shipment. Ship units with different tracking URLs separately."),
    )

    def __init__(self, units: list[ShippableUnit], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = units
        for unit in units:
            self.fields[f"ship_{unit.asset.pk}"] = forms.BooleanField(
                label=_("ship"), required=False
            )
            self.fields[f"serial_{unit.asset.pk}"] = forms.CharField(
                label=_("serial number"),
                required=False,
                max_length=fulfilment.SERIAL_NUMBER_MAX_LENGTH,
                help_text=_("required") if unit.serial_required else _("optional (accessory)"),
            )

    def rows(self) -> list[tuple[ShippableUnit, forms.BoundField, forms.BoundField]]:
        return [
            (unit, self[f"ship_{unit.asset.pk}"], self[f"serial_{unit.asset.pk}"])
            for unit in self.units
        ]

    def items(self) -> list[ShipmentItem]:
        return [
            ShipmentItem(unit.asset.topi_id, self.cleaned_data[f"serial_{unit.asset.pk}"])
            for unit in self.units
            if self.cleaned_data[f"ship_{unit.asset.pk}"]
        ]

    def show_errors(self, error: FulfilmentError) -> None:
        """Put fulfilment's findings beside the fields they are about."""
        fields = {unit.asset.topi_id: f"serial_{unit.asset.pk}" for unit in self.units}
        for key, problems in error.errors.items():
            name = "tracking_url" if key == "tracking_url" else fields.get(key)
            for problem in problems:
                self.add_error(name, problem)
        if not error.errors:
            self.add_error(None, error.message)


#: The form for what staff give with an operation (``StaffOperation.input``); the shipment has
#: its own page, since its rows are the order's units.
INPUT_FORMS: dict[str, type[forms.Form]] = {"reason": RejectForm}
