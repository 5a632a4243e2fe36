"""What offers and orders share: topi's id and reference, the environment, the raw payload."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connections, models, router
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery
from django.utils.translation import gettext_lazy as _

ENVIRONMENT_CHOICES = [
    ("production", _("production")),
    ("sandbox", _("sandbox")),
    ("simulator", _("simulator")),
]


class TopiRecord(models.Model):
    """A local copy of a topi object. ``raw`` merges every payload topi sent, newest on top."""

    topi_id = models.CharField(
        _("topi id"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    seller_offer_reference = models.CharField(
        _("seller offer reference"), max_length=255, db_index=True
    )
    environment = models.CharField(
        _("environment"), max_length=16, choices=ENVIRONMENT_CHOICES, db_index=True
    )
    customer = models.JSONField(_("customer"), default=dict, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    company_name = models.CharField(_("company"), max_length=255, blank=True, db_index=True)
    email = models.CharField(_("email"), max_length=254, blank=True, db_index=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    raw = models.JSONField(_("last payload from topi"), default=dict, blank=True)
    conflict = models.TextField(
        _("conflict"),
        blank=True,
        help_text=_("What topi reported that django-topi could not apply, or an amount mismatch."),
    )
    conflict_at = models.DateTimeField(_("conflict noticed at"), null=True, blank=True)
    topi_created_at = models.DateTimeField(_("created at topi"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def insert_unless_taken(instance: models.Model) -> bool:
    """INSERT ``instance`` unless a row with one of its unique values exists: ``True`` (and
    ``instance.pk`` set) when it was inserted, ``False`` when another row holds the place.

    One statement (``ON CONFLICT DO NOTHING ... RETURNING`` on PostgreSQL, ``INSERT OR IGNORE``
    on SQLite): a duplicate never fails, so the database logs no error with the row's values,
    and a transaction around it goes on. A conflicting row another transaction is writing is
    waited for, so the answer is what that transaction commits.
    """
    model, using = type(instance), router.db_for_write(type(instance), instance=instance)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(_inserted_fields(instance), [instance])
    rows = query.get_compiler(using=using).execute_sql(returning_fields=[instance._meta.pk])
    if not rows or rows[0] is None:
        return False
    _inserted(instance, rows[0][0], using)
    return True


def insert_or_find(instance: models.Model, unique: str, *columns: str) -> tuple[Any, ...] | None:
    """INSERT ``instance``, or find the row that holds its ``unique`` value: ``None`` when
    inserted (``instance.pk`` set), else that row's primary key and ``columns``.

    On PostgreSQL this is one statement (an upsert that rewrites ``unique`` with itself, so the
    holder's row comes back, locked until the transaction ends); elsewhere an insert and, for a
    duplicate, a lookup by ``unique``. Never a database error for a duplicate.
    """
    model, using = type(instance), router.db_for_write(type(instance), instance=instance)
    connection = connections[using]
    if connection.vendor != "postgresql":
        if insert_unless_taken(instance):
            return None
        found = model._default_manager.filter(**{unique: getattr(instance, unique)})
        holder = found.values_list("pk", *columns).first()
        if holder is None:  # SQLite's INSERT OR IGNORE skips any constraint, not only ``unique``
            raise IntegrityError(f"{instance._meta.label} could not be inserted")
        return tuple(holder)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    query = InsertQuery(model)
    query.insert_values(_inserted_fields(instance), [instance])
    sql, params = query.get_compiler(using=using).as_sql()[0]
    quote = connection.ops.quote_name
    meta = instance._meta
    column = quote(_column(meta, unique))
    returned = ", ".join(quote(_column(meta, name)) for name in (meta.pk.name, *columns))
    sql += (
        f" ON CONFLICT ({column}) DO UPDATE SET {column} = EXCLUDED.{column}"
        f" RETURNING {returned}, (xmax = 0)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        *row, inserted = cursor.fetchone()
    if not inserted:
        return tuple(row)
    _inserted(instance, row[0], using)
    return None


def update_unless_changed(instance: models.Model, **held: Any) -> bool:
    """UPDATE ``instance``'s row, every column, if the row still matches ``held`` (lookups of
    what the caller read): ``True`` when written, ``False`` when another writer changed the row
    meanwhile, and nothing was written.

    One statement. A row that moved is no exception, so a transaction around it goes on
    (``save()`` of a django-fsm ``ConcurrentTransitionMixin`` model raises instead, and Django
    then marks the transaction for rollback).
    """
    model, using = type(instance), router.db_for_write(type(instance), instance=instance)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    values = [
        (field, None, field.pre_save(instance, False))
        for field in instance._meta.local_concrete_fields
        if not field.primary_key and not field.generated
    ]
    # The UPDATE save() itself makes (``Model._do_update``), narrowed by ``held``; the stubs
    # leave out that private QuerySet method.
    found = model._base_manager.using(using).filter(pk=instance.pk, **held)
    if not found._update(values):  # type: ignore[attr-defined]
        return False
    _saved(instance, using, created=False)
    return True


def _column(meta: Any, name: str) -> str:
    field = meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{name!r} is not a column of {meta.label}")
    return str(field.column)


def _inserted_fields(instance: models.Model) -> list[Any]:
    meta = instance._meta
    return [field for field in meta.local_concrete_fields if field is not meta.auto_field]


def _inserted(instance: models.Model, pk: Any, using: str) -> None:
    """What save() would have done after its INSERT: the primary key, the state, django-fsm's
    guard and Django's ``post_save``."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = using
    _saved(instance, using, created=True)


def _saved(instance: models.Model, using: str, created: bool) -> None:
    """What save() does after its statement: django-fsm's guard and Django's ``post_save``."""
    remember_status = getattr(instance, "_update_initial_state", None)
    if remember_status is not None:  # django-fsm's guard compares later saves with this status
        remember_status()
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=created,
        update_fields=None,
        raw=False,
        using=using,
    )
