"""The example shop that `make demo` serves: its configuration passes the checks and it renders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def demo_env(database: Path, address: str = "127.0.0.1:8000") -> dict[str, str]:
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("TOPI_")},
        "DEMO_DATABASE": str(database),
        "DEMO_ADDR": address,
        "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
    }


def manage(
    *args: str, database: Path, address: str = "127.0.0.1:8000"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE,
        env=demo_env(database, address),
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
    manage("topi_sync_catalog", database=database)  # the simulated topi knows the products
    script = (
        "from django.test import Client; c = Client(HTTP_HOST='localhost'); "
        "c.post('/cart/add/pro-laptop-14/'); c.post('/cart/add/pro-laptop-14/'); "
        "r = c.get('/cart/'); html = r.content.decode(); "
        "print(r.status_code, 'action=\"/topi/checkout/\"' in html, 'Rent with topi' in html)"
    )
    page = manage("shell", "-c", script, database=database)

    assert page.stdout.strip().splitlines()[-1].split() == ["200", "True", "True"], page.stderr


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_make_demos_shop_rents_through_the_simulator_over_http(tmp_path):
    """What `make demo` serves: the cart's button reaches the simulator's Hosted Checkout, renting
    comes back to the thank-you page, and the order arrives by signed webhook (real HTTP, one
    server process, the simulator's background delivery)."""
    import re
    import time

    import requests

    database, port = tmp_path / "db.sqlite3", free_port()
    address = f"127.0.0.1:{port}"
    for command in (["migrate", "--noinput"], ["seed_demo"], ["topi_sync_shipping_methods"],
                    ["topi_sync_catalog"]):  # fmt: skip
        result = manage(*command, database=database, address=address)
        assert result.returncode == 0, result.stderr
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", address, "--noreload"],
        cwd=EXAMPLE,
        env=demo_env(database, address),
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("w"),
    )
    try:
        base = f"http://{address}"
        browser = requests.Session()
        for _ in range(100):
            try:
                browser.get(base + "/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)

        def post(url, **data):
            data["csrfmiddlewaretoken"] = browser.cookies["csrftoken"]
            return browser.post(url, data=data, headers={"Referer": url}, allow_redirects=False)

        post(f"{base}/cart/add/pro-laptop-14/")
        hosted = post(f"{base}/topi/checkout/", next="/cart/").headers["Location"]
        assert hosted.startswith(f"{base}/topi-simulator/checkout/")
        assert "Rent now (topi approves)" in browser.get(hosted).text
        back = post(hosted, choice="accept").headers["Location"]
        assert back.startswith(f"{base}/topi/return/success/?offer_id=")
        assert "Thank you for your order" in browser.get(back).text

        staff = requests.Session()
        login = f"{base}/admin/login/"
        staff.get(login)
        staff.post(login, data={"username": "admin", "password": "admin", "next": "/admin/",
                                "csrfmiddlewaretoken": staff.cookies["csrftoken"]},
                   headers={"Referer": login})  # fmt: skip
        for _ in range(50):  # the webhook comes from the simulator's worker, within a second
            orders = staff.get(f"{base}/admin/django_topi/order/").text
            if "topi-status-created" in orders:
                break
            time.sleep(0.2)
        assert re.search(r"DEMO-\w+", orders)
        assert "topi-status-created" in orders
        events = staff.get(f"{base}/admin/django_topi/webhookevent/").text
        assert events.count("signature") >= 2
    finally:
        server.terminate()
        server.wait(timeout=10)
