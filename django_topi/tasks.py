"""Tasks for a shop's workers and scheduler: reconcile with topi, and expire due offers.

Both run ``django_topi.reconcile``, as ``topi_sync`` and ``topi_expire_offers`` do, and answer
their counts. They need Django's tasks framework (``django.tasks`` on Django 6, the
``django-tasks`` backport on 5.2); schedule them with whatever the task backend offers, e.g.
``expire_offers_task.enqueue()`` every hour and ``reconcile_task.enqueue("orders")`` nightly.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_topi.reconcile import Reconciler, Tally, expire_due_offers
from django_topi.webhooks.tasks import topi_task

KINDS = ("offers", "orders")


def reconcile(kind: str = "all", since: str | None = None, full: bool = False) -> dict[str, Any]:
    """Reconcile ``kind`` ("offers", "orders" or "all") with topi; answers each kind's counts."""
    if kind not in (*KINDS, "all"):
        raise ValueError(f"kind must be 'offers', 'orders' or 'all', not {kind!r}")
    reconciler = Reconciler(since=since, full=full)
    counts: dict[str, Any] = {}
    for name in KINDS if kind == "all" else (kind,):
        tally = reconciler.walk(Tally(name))
        counts[name] = {key: value for key, value in asdict(tally).items() if key != "kind"}
    return counts


def expire_offers() -> dict[str, int]:
    """Ask topi about every offer past its expiry; answers how they came out."""
    return dict(expire_due_offers())


def reconcile_task(kind: str = "all", since: str | None = None, full: bool = False) -> Any:
    """The worker's entry point for ``reconcile`` (importable by this dotted path)."""
    return reconcile(kind, since, full)


def expire_offers_task() -> Any:
    """The worker's entry point for ``expire_offers``."""
    return expire_offers()


# Tasks on TOPI['TASK_QUEUE'], or None without a tasks framework (see webhooks.tasks.topi_task).
reconcile_task = topi_task(reconcile_task)  # type: ignore[no-redef,unused-ignore]
expire_offers_task = topi_task(expire_offers_task)  # type: ignore[no-redef,unused-ignore]
