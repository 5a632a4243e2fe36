"""The read-only bases every django-topi admin stands on: staff look, nobody edits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Any]
else:
    _ModelAdmin = admin.ModelAdmin
    _TabularInline = admin.TabularInline


class ReadOnly:
    """Nobody adds, changes or deletes, and every field shown is read-only (even for a subclass
    that grants change: ``status`` is never a form field)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return flatten_fieldsets(self.get_fieldsets(request, obj))  # type: ignore[attr-defined]


class ReadOnlyModelAdmin(ReadOnly, _ModelAdmin):
    """Lets staff with the view permission look; nobody adds, changes or deletes.

    Subclasses declare ``fieldsets``: every field in them is shown read-only.
    """

    def admin_link(self, obj: Model | None, text: object = None) -> str | None:
        """A link to ``obj``'s change page in this admin site (``obj`` must already be loaded)."""
        if obj is None:
            return None
        opts = obj._meta
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[obj.pk],
            current_app=self.admin_site.name,
        )
        return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


class ReadOnlyTabularInline(ReadOnly, _TabularInline):
    """An inline of rows to read: no extra forms, no inputs, no delete boxes.

    Subclasses declare ``fields``: all of them are shown read-only.
    """

    extra = 0
    max_num = 0
    can_delete = False
