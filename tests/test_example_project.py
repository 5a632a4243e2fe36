"""The example shop that `make demo` serves: its configuration passes the checks and it renders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def manage(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DEMO_DATABASE": str(database),
        "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_example_shop_passes_the_system_checks(tmp_path):
    result = manage("check", "--fail-level", "WARNING", database=tmp_path / "db.sqlite3")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_example_shop_seeds_and_lists_its_products(tmp_path):
    database = tmp_path / "db.sqlite3"
    assert manage("migrate", "--noinput", database=database).returncode == 0
    seeded = manage("seed_demo", database=database)
    again = manage("seed_demo", database=database)
    page = manage(
        "shell",
        "-c",
        "from django.test import Client; r = Client(HTTP_HOST='localhost').get('/'); "
        "print(r.status_code, r.content.decode().count('class=\"product\"'))",
        database=database,
    )

    assert "6 products ready; staff login admin / admin at /admin/." in seeded.stdout
    assert again.returncode == 0, again.stderr
    assert page.stdout.strip().splitlines()[-1].split() == ["200", "6"], page.stderr


def test_example_shop_cart_offers_rent_with_topi(tmp_path):
    database = tmp_path / "db.sqlite3"
    manage("migrate", "--noinput", database=database)
    manage("seed_demo", database=database)
    script = (
        "from django.test import Client; c = Client(HTTP_HOST='localhost'); "
        "c.post('/cart/add/pro-laptop-14/'); c.post('/cart/add/pro-laptop-14/'); "
        "r = c.get('/cart/'); html = r.content.decode(); "
        "print(r.status_code, 'action=\"/topi/checkout/\"' in html, 'Rent with topi' in html)"
    )
    page = manage("shell", "-c", script, database=database)

    assert page.stdout.strip().splitlines()[-1].split() == ["200", "True", "True"], page.stderr
