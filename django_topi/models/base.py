"""What offers and orders share: topi's id and reference, the environment, the raw payload."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MethodType
from typing import Any, cast

from django.db import IntegrityError, connections, models, router
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import DeleteQuery, InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLInsertCompiler
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
    seller_offer_reference = models.CharField(_("seller offer reference"), max_length=255)
    environment = models.CharField(_("environment"), max_length=16, choices=ENVIRONMENT_CHOICES)
    customer = models.JSONField(_("customer"), default=dict, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    company_name = models.CharField(_("company"), max_length=255, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
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


def plain_indexes(table: str, *fields: str) -> list[models.Index]:
    """B-tree indexes for exact lookups and sorting. ``db_index=True`` on a text column also
    makes PostgreSQL build a second, ``LIKE 'prefix%'`` index, which no query here uses and
    every write pays for (an environment column, three values, is not indexed at all)."""
    short = {"seller_offer_reference": "reference"}
    return [
        models.Index(fields=[field], name=f"{table}_{short.get(field, field)}") for field in fields
    ]


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
    return upsert(instance, unique, *columns).holder


@dataclass
class Upserted:
    #: The row that holds the key: its primary key and the columns asked for; ``None`` when
    #: ``instance`` was inserted.
    holder: tuple[Any, ...] | None
    #: The answers to the ``probes``, asked in the same statement; empty when not asked (no
    #: probes, or not PostgreSQL).
    probed: dict[str, bool] = field(default_factory=dict)


def upsert(
    instance: models.Model,
    unique: str,
    *columns: str,
    probes: Mapping[str, tuple[str, Sequence[Any]]] | None = None,
) -> Upserted:
    """``insert_or_find``, and on PostgreSQL, in the same statement, the answers to ``probes``
    (SQL boolean expressions with their parameters, by name): questions the caller would
    otherwise ask in round trips of their own."""
    model, using = type(instance), router.db_for_write(type(instance), instance=instance)
    connection = connections[using]
    if connection.vendor != "postgresql":
        if insert_unless_taken(instance):
            return Upserted(None)
        found = model._default_manager.filter(**{unique: getattr(instance, unique)})
        holder = found.values_list("pk", *columns).first()
        if holder is None:  # SQLite's INSERT OR IGNORE skips any constraint, not only ``unique``
            raise IntegrityError(f"{instance._meta.label} could not be inserted")
        return Upserted(tuple(holder))
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    query = InsertQuery(model)
    query.insert_values(_inserted_fields(instance), [instance])
    sql, params = query.get_compiler(using=using).as_sql()[0]
    params = list(params)
    quote = connection.ops.quote_name
    meta = instance._meta
    column = quote(_column(meta, unique))
    returned = ", ".join(quote(_column(meta, name)) for name in (meta.pk.name, *columns))
    sql += (
        f" ON CONFLICT ({column}) DO UPDATE SET {column} = EXCLUDED.{column}"
        f" RETURNING {returned}, (xmax = 0)"
    )
    names = list(probes or {})
    for name in names:
        probe_sql, probe_params = (probes or {})[name]
        sql += f", ({probe_sql})"
        params.extend(probe_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned_row = list(cursor.fetchone())
    answers = returned_row[len(returned_row) - len(names) :]
    probed = {name: bool(answer) for name, answer in zip(names, answers, strict=True)}
    *row, inserted = returned_row[: len(returned_row) - len(names)]
    if not inserted:
        return Upserted(tuple(row), probed)
    _inserted(instance, row[0], using)
    return Upserted(None, probed)


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


class Writes:
    """Writes whose results nobody reads (no ids back, no row counts), sent together at the end.

    On PostgreSQL with client-side parameter binding (Django's default) they go in one round
    trip: the statements, joined by ``;``, run in order in the caller's transaction, and the
    first that fails raises as it would alone. With ``server_side_binding`` and on other
    databases they go one by one. Like ``bulk_create`` and ``QuerySet.update``/``_raw_delete``,
    they send no model signals and run no cascades: for rows nothing else points to.
    """

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def insert(self, rows: Iterable[models.Model]) -> None:
        """INSERT ``rows`` (of one model), as ``bulk_create`` would, without reading ids back."""
        rows = list(rows)
        if not rows:
            return
        query = InsertQuery(type(rows[0]))
        query.insert_values(_inserted_fields(rows[0]), rows)
        compiler = query.get_compiler(using=self.using)
        # Rows as plain VALUES: for several rows Django's PostgreSQL compiler sends one array
        # per column (``UNNEST``), which client-side binding spells out element by element,
        # checking each element's type: slower than the rows themselves, for a few rows.
        compiler.assemble_as_sql = MethodType(SQLInsertCompiler.assemble_as_sql, compiler)
        for sql, params in compiler.as_sql():
            self.statements.append((sql, tuple(params)))

    def update(self, queryset: models.QuerySet[Any], **values: Any) -> None:
        """``queryset.update(**values)`` (on the model's own columns), its row count unread."""
        query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
        query.add_update_values(values)
        sql, params = query.get_compiler(using=self.using).as_sql()
        if sql:
            self.statements.append((sql, tuple(params)))

    def delete(self, queryset: models.QuerySet[Any]) -> None:
        """DELETE the rows of ``queryset``: one statement, no cascades, no signals."""
        query = queryset.query.chain(DeleteQuery)
        sql, params = query.get_compiler(using=self.using).as_sql()
        self.statements.append((sql, tuple(params)))

    def send(self) -> None:
        statements, self.statements = self.statements, []
        if not statements:
            return
        connection = connections[self.using]
        together = connection.vendor == "postgresql" and (
            connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is not True
        )
        with connection.cursor() as cursor:
            if together and len(statements) > 1:
                cursor.execute(
                    ";\n".join(sql for sql, _ in statements),
                    [param for _, params in statements for param in params],
                )
                return
            for sql, params in statements:
                cursor.execute(sql, params)
