"""The architecture's rules, enforced: only sync writes a status, and nothing imports upwards."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.status_writes import violations_in_package, violations_in_source

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "django_topi"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


# -- only sync writes a status -------------------------------------------------------------------


def test_no_module_but_sync_writes_an_offer_or_order_status():
    found = violations_in_package(PACKAGE, allowed={"django_topi/sync.py"})

    assert found == [], "\n".join(map(str, found))


def test_the_check_sees_syncs_own_writes():
    """Were sync not exempt it would be reported: the check is not blind to how sync works."""
    found = violations_in_source((PACKAGE / "sync.py").read_text(encoding="utf-8"), "sync.py")

    assert [v.what.split(" on ")[0] for v in found] == [
        "calls a method picked at run time through getattr()",
        "assigns .status",
    ]


#: Each snippet changes a status outside sync; the number is the line the check must name.
VIOLATIONS = {
    "a transition call": (
        "from django_topi.models import Order\n"
        "def confirm(pk):\n"
        "    order = Order.objects.get(pk=pk)\n"
        "    order.confirm()\n",
        4,
    ),
    "a transition on each row of a queryset": (
        "from django_topi.models import Offer\n"
        "def expire_all():\n"
        "    for offer in Offer.objects.filter(status='created'):\n"
        "        offer.expire()\n",
        4,
    ),
    "a transition named in getattr": (
        "def cancel(order):\n    getattr(order, 'cancel')()\n",
        2,
    ),
    "a transition picked at run time": (
        "def run(order, name: str):\n    getattr(order, name)()\n",
        2,
    ),
    "an assignment to an annotated offer": (
        "from django_topi.models import Offer\n"
        "def accept(offer: Offer | None):\n"
        "    offer.status = 'accepted'\n",
        3,
    ),
    "an assignment to something unnamed": (
        "def accept(row):\n    row.status = 'accepted'\n",
        2,
    ),
    "setattr": (
        "def accept(offer):\n    setattr(offer, 'status', 'accepted')\n",
        2,
    ),
    "a queryset update": (
        "from django_topi.models import Order\n"
        "def confirm(pk):\n"
        "    Order.objects.filter(pk=pk).update(status='confirmed')\n",
        3,
    ),
    "an update through a queryset variable": (
        "from django_topi.models import Order\n"
        "def confirm_all():\n"
        "    open_orders = Order.objects.filter(status='created')\n"
        "    open_orders.update(**{'status': 'confirmed'})\n",
        4,
    ),
    "save with update_fields": (
        "def save(order):\n    order.save(update_fields=['status', 'updated_at'])\n",
        2,
    ),
    "bulk_update": (
        "from django_topi.models import Order\n"
        "def save(rows):\n"
        "    Order.objects.bulk_update(rows, fields=['status'])\n",
        3,
    ),
    "create with a status": (
        "from django_topi.models import Offer\n"
        "def make():\n"
        "    return Offer.objects.create(seller_offer_reference='SO-1', status='accepted')\n",
        3,
    ),
    "update_or_create with a status default": (
        "from django_topi.models import Order\n"
        "def make(topi_id):\n"
        "    Order.objects.update_or_create(topi_id=topi_id, defaults={'status': 'created'})\n",
        3,
    ),
    "a constructor with a status": (
        "from django_topi.models import Offer\ndef make():\n    Offer(status='accepted').save()\n",
        3,
    ),
    "an order from get_object_or_404": (
        "from django.shortcuts import get_object_or_404\n"
        "from django_topi.models import Order\n"
        "def confirm(pk):\n"
        "    get_object_or_404(Order, pk=pk).confirm()\n",
        4,
    ),
    "a subclass of a guarded model": (
        "from django_topi.models import Offer\n"
        "class ShopOffer(Offer):\n"
        "    def approve(self):\n"
        "        self.status = 'accepted'\n",
        4,
    ),
}

#: Each snippet writes a status of something that is not an Offer or Order, or calls a service.
ALLOWED = {
    "a webhook event's status": (
        "from django_topi.models import WebhookEvent\n"
        "def done(pk):\n"
        "    event = WebhookEvent.objects.select_for_update().get(pk=pk)\n"
        "    event.status = WebhookEvent.Status.PROCESSED\n"
        "    event.save(update_fields=['status'])\n"
        "    WebhookEvent.objects.filter(pk=pk).update(status='failed')\n"
    ),
    "a dict's update": (
        "def fields():\n    found = {}\n    found.update(status='x')\n    return found\n"
    ),
    "an exception's status code": (
        "class Failed(Exception):\n"
        "    def __init__(self, status: int):\n"
        "        self.status = status\n"
    ),
    "a service named like a transition": (
        "from django_topi import fulfilment\n"
        "def confirm(order, user):\n"
        "    return fulfilment.confirm(order, user)\n"
    ),
    "a row from get_object_or_404": (
        "from django.shortcuts import get_object_or_404\n"
        "from django_topi.models import WebhookEvent\n"
        "def retry(pk):\n"
        "    event = get_object_or_404(WebhookEvent, pk=pk)\n"
        "    event.status = 'received'\n"
    ),
    "a queryset filtered by status": (
        "from django_topi.models import Offer\n"
        "def open_offers():\n"
        "    return Offer.objects.filter(status='created').exclude(status='voided')\n"
    ),
}


@pytest.mark.parametrize(("source", "line"), VIOLATIONS.values(), ids=VIOLATIONS.keys())
def test_a_status_write_outside_sync_is_reported(source, line):
    found = violations_in_source(source, "shop.py")

    assert [v.line for v in found] == [line], "\n".join(map(str, found))
    assert found[0].what.endswith("only django_topi/sync.py writes statuses")


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
def test_writes_to_other_things_are_not_reported(source):
    assert violations_in_source(source, "shop.py") == []


# -- nothing imports upwards ---------------------------------------------------------------------


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """import-linter with the contracts in pyproject.toml, on the django_topi found in ``cwd``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(REPO / "pyproject.toml")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_are_kept():
    result = lint_imports(REPO)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_contracts(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "django_topi", ignore=shutil.ignore_patterns("locale"))
    with (tmp_path / "django_topi" / "sync.py").open("a", encoding="utf-8") as sync:
        sync.write("from django_topi.client import get_client  # sync fetching from topi\n")
    with (tmp_path / "django_topi" / "models" / "offer.py").open("a", encoding="utf-8") as model:
        model.write("from django_topi.checkout import start_checkout  # a model reaching up\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 1 kept, 2 broken." in result.stdout
    assert "django_topi.models.offer -> django_topi.checkout" in result.stdout
    assert "django_topi.sync -> django_topi.client" in result.stdout


@pytest.mark.parametrize(
    "module",
    ["django_topi.pricing", "django_topi.catalog.support", "django_topi.catalog.csv_job",
     "django_topi.products"],
)  # fmt: skip
def test_the_catalog_modules_import_in_any_order(module):
    """``django_topi.catalog`` hands out names of modules that import it (pricing, support) on
    first use: whichever a process imports first, every public name is there."""
    script = (
        f"import {module}\n"
        "import django_topi.catalog as catalog\n"
        "missing = [name for name in catalog.__all__ if not hasattr(catalog, name)]\n"
        "print('missing:', missing)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": ""},
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip

    assert result.stdout.strip() == "missing: []", result.stderr


def test_the_webhook_view_only_answers_what_receive_decides():
    """Entry points stay thin: the webhook view hands the request to ``webhooks.receive`` and
    turns its outcome into a response; every step of a delivery lives in ``reception``."""
    import inspect

    from django_topi.webhooks.views import WebhookView

    body = inspect.getsource(WebhookView.post).splitlines()[1:]
    assert [line.strip() for line in body] == ["return answer(receive(request))"]


def test_the_architecture_page_names_every_module_and_what_it_owns():
    """docs/architecture.rst is drawn from the import-linter layers and the modules' docstrings:
    every top-level module is in a layer, and each says in its first sentence what it owns."""
    from tests.docs_ext import load

    table = load("architecture_table")
    listed = {module.name: module.summary for layer in table.layers() for module in layer.modules}
    package = Path(__file__).resolve().parent.parent / "django_topi"
    modules = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists() and path.name != "migrations")
    }
    assert set(listed) == modules
    assert [name for name, summary in listed.items() if len(summary) < 20] == []
