"""Reconcile the shop's rows with topi: topi's truth, applied through ``django_topi.sync``.

Two jobs, shared by the commands (``topi_sync``, ``topi_expire_offers``) and the tasks
(``django_topi.tasks``), which only add a progress bar or a schedule:

* ``Reconciler`` walks topi's offer and order lists lazily, page by page (topi's ``id_gt``
  cursor), in small batches, so memory stays flat however many rows topi has. topi's order list
  holds summaries: an order is fetched in full only when it is new here or its status differs
  (``full=True`` fetches every one).
* ``expire_due_offers`` asks topi about every open offer whose ``expires_at`` has passed. An
  offer expires at topi, not here, so nothing is marked on the local clock alone; one topi
  still reports as open is left open and counted.

topi being down or refusing the credentials stops a run (``TopiUnavailable``/``TopiAuthError``
propagate; the tallies show how far it got). Any other failure is one row's: it is counted and
reported, and the run goes on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from django_topi.batching import batched
from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiClient,
    TopiError,
    TopiUnavailable,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.models import Offer, Order, Origin
from django_topi.states import ORDER_STATUS_ALIASES, OfferStatus
from django_topi.sync import PayloadError, SyncResult, apply_offer_payload, apply_order_payload

#: Rows looked up locally at once (one query per batch).
BATCH = 100
#: The errors that stop a run: every further call would fail the same way.
STOPPING = (TopiUnavailable, TopiAuthError)


def _nothing(*args: Any) -> None:
    return None


@dataclass
class Tally:
    """What a run did, per kind ("offers" or "orders")."""

    kind: str
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    failed: int = 0

    def count(self, result: SyncResult[Any]) -> None:
        if result.created:
            self.created += 1
        elif result.changed:
            self.updated += 1
        else:
            self.unchanged += 1
        if result.conflict:
            self.conflicts += 1

    def summary(self) -> str:
        return (
            f"{self.kind}: {self.seen:,} seen: {self.created:,} created, {self.updated:,} "
            f"updated, {self.unchanged:,} unchanged, {self.conflicts:,} conflicts, "
            f"{self.failed:,} failed"
        )


@dataclass
class Reports:
    """Who hears about each row: ``row()`` after every row (a progress bar), ``changed(name,
    result)`` for a row topi changed, ``failed(name, topi id, reason)`` for one that failed."""

    row: Callable[[], None] = _nothing
    changed: Callable[[str, SyncResult[Any]], None] = _nothing
    failed: Callable[[str, str, str], None] = _nothing


@dataclass
class Reconciler:
    """Walks topi's lists (or the given ids) and applies each row through ``sync``."""

    client: TopiClient = field(default_factory=lambda: get_client())
    page_size: int = 100
    #: Only rows topi created on or after this RFC 3339 instant.
    since: str | None = None
    #: Fetch every order in full, not only those new here or whose status differs.
    full: bool = False
    reports: Reports = field(default_factory=Reports)

    def filters(self) -> dict[str, Any]:
        return {"created_at_gte": self.since} if self.since else {}

    def total(self, kind: str) -> int | None:
        """topi's count of matching rows (one small request), for a progress bar, if it says."""
        list_page = self.client.list_offers if kind == "offers" else self.client.list_orders
        try:
            page = list_page(limit=1, **self.filters())
        except TopiAPIError:
            return None  # the walk itself reports what is wrong
        count = (
            (page.get("pagination") or {}).get("total_count") if isinstance(page, dict) else None
        )
        return count if isinstance(count, int) else None

    def walk(self, tally: Tally) -> Tally:
        """Walk topi's list of ``tally.kind`` ("offers" or "orders")."""
        return (self.offers if tally.kind == "offers" else self.orders)(tally)

    def offers(self, tally: Tally) -> Tally:
        """topi's offer list holds whole offers: each row is applied as it is."""
        for row in self.client.iter_offers(page_size=self.page_size, **self.filters()):
            tally.seen += 1
            self._apply(tally, "offer", row)
            self.reports.row()
        return tally

    def orders(self, tally: Tally) -> Tally:
        """topi's order list holds summaries: fetch an order in full only when it matters."""
        rows = self.client.iter_orders(page_size=self.page_size, **self.filters())
        for batch in batched(rows, BATCH):
            ids = [row.get("id") for row in batch if isinstance(row, dict)]
            known = dict(Order.objects.filter(topi_id__in=ids).values_list("topi_id", "status"))
            for row in batch:
                tally.seen += 1
                self.reports.row()
                topi_id = row.get("id") if isinstance(row, dict) else None
                if not isinstance(topi_id, str):
                    self._fail(tally, "order", repr(row)[:80], "topi listed it without an id")
                    continue
                reported = ORDER_STATUS_ALIASES.get(row.get("status"), row.get("status"))
                if not self.full and known.get(topi_id) == reported:
                    tally.unchanged += 1
                    continue
                self._fetch_and_apply(tally, "order", topi_id)
        return tally

    def by_id(self, tally: Tally, ids: list[str]) -> Tally:
        """Fetch each of these offers or orders (``tally.kind`` says which) and apply it."""
        name = tally.kind.rstrip("s")
        for topi_id in ids:
            tally.seen += 1
            self._fetch_and_apply(tally, name, topi_id)
            self.reports.row()
        return tally

    def _fetch_and_apply(self, tally: Tally, name: str, topi_id: str) -> None:
        fetch = self.client.get_order if name == "order" else self.client.get_offer
        try:
            payload = fetch(topi_id)
        except STOPPING:
            raise
        except (TopiError, ValueError) as exc:
            self._fail(tally, name, topi_id, str(exc))
            return
        self._apply(tally, name, payload)

    def _apply(self, tally: Tally, name: str, payload: Any) -> None:
        apply = apply_order_payload if name == "order" else apply_offer_payload
        try:
            result: SyncResult[Any] = apply(payload, Origin.SYNC)
        except PayloadError as exc:
            topi_id = payload.get("id") if isinstance(payload, dict) else None
            self._fail(tally, name, str(topi_id), str(exc))
            return
        tally.count(result)
        if result.changed or result.conflict:
            self.reports.changed(name, result)

    def _fail(self, tally: Tally, name: str, topi_id: str, reason: str) -> None:
        tally.failed += 1
        self.reports.failed(name, topi_id, reason)


# -- offers past their expiry --------------------------------------------------------------------


def due_offers() -> QuerySet[Offer]:
    """Open offers of this environment whose ``expires_at`` has passed."""
    return Offer.objects.filter(
        environment=topi_settings.ENVIRONMENT,
        status=OfferStatus.CREATED,
        expires_at__lt=timezone.now(),
        topi_id__isnull=False,
    )


def keyset(queryset: QuerySet[Offer], size: int = BATCH) -> Iterator[tuple[int, str, str]]:
    """(pk, topi id, reference) of every row, ``size`` at a time by primary key: rows may be
    updated while the walk goes on, which a single open cursor does not like on SQLite."""
    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "topi_id", "seller_offer_reference")[:size]
        )
        yield from ((pk, str(topi_id), reference) for pk, topi_id, reference in rows)
        if len(rows) < size:
            return
        last = rows[-1][0]


def expire_due_offers(
    client: TopiClient | None = None,
    reports: Reports | None = None,
    outcomes: Counter[str] | None = None,
) -> Counter[str]:
    """Ask topi about every due offer and apply its answer; answers how each came out
    ("expired", "still open at topi", "<status> at topi", "failed", "conflicts"). Pass
    ``outcomes`` to keep the counts of a run that topi stopped."""
    client = client or get_client()
    reports = reports or Reports()
    outcomes = Counter() if outcomes is None else outcomes
    for _pk, topi_id, reference in keyset(due_offers()):
        reports.row()
        try:
            result = apply_offer_payload(client.get_offer(topi_id), Origin.SYNC)
        except STOPPING:
            raise
        except (TopiError, PayloadError, ValueError) as exc:
            reports.failed("offer", f"{topi_id} ({reference})", str(exc))
            outcomes["failed"] += 1
            continue
        status = result.instance.status
        if status == OfferStatus.EXPIRED:
            outcomes["expired"] += 1
        elif status == OfferStatus.CREATED:
            outcomes["still open at topi"] += 1
        else:
            outcomes[f"{status} at topi"] += 1
        if result.conflict:
            outcomes["conflicts"] += 1
    return outcomes
