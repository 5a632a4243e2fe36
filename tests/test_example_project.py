"""The example shop that `make demo` serves: its configuration passes the checks and it renders."""

from __future__ import annotations

import pytest

from tests.demo_server import EXAMPLE, PREPARE, manage, serve

pytestmark = pytest.mark.e2e


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

    assert "6 products ready; staff login staff / staff (topi actions only)" in seeded.stdout
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


def test_make_demos_shop_rents_through_the_simulator_over_http(tmp_path):
    """What `make demo` serves: the cart's button reaches the simulator's Hosted Checkout, renting
    comes back to the thank-you page, and the order arrives by signed webhook (real HTTP, one
    server process, the simulator's background delivery)."""
    import requests

    with serve(tmp_path) as demo:
        browser = requests.Session()
        browser.get(demo.base + "/", timeout=5)

        def post(url, **data):
            data["csrfmiddlewaretoken"] = browser.cookies["csrftoken"]
            return browser.post(url, data=data, headers={"Referer": url}, allow_redirects=False)

        post(f"{demo.base}/cart/add/pro-laptop-14/")
        hosted = post(f"{demo.base}/topi/checkout/", next="/cart/").headers["Location"]
        assert hosted.startswith(f"{demo.base}/topi-simulator/checkout/")
        assert "Rent now (topi approves)" in browser.get(hosted).text
        back = post(hosted, choice="accept").headers["Location"]
        assert back.startswith(f"{demo.base}/topi/return/success/?offer_id=")
        assert "Thank you for your order" in browser.get(back).text

        reference, status = demo.wait_for(
            "SELECT seller_offer_reference, status FROM django_topi_order"
        )
        assert (reference.startswith("DEMO-"), status) == (True, "created")
        verified = demo.rows("SELECT verification, status FROM django_topi_webhookevent")
        assert verified == [("signature", "processed"), ("signature", "processed")]


def test_make_demo_prepares_as_the_tests_do_and_prints_where_to_go():
    """The browser tests prepare the example project with PREPARE; `make demo` must run the same
    commands, then print the shop, the simulator's control page and the staff login."""
    makefile = (EXAMPLE.parent / "Makefile").read_text()
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    commands = [line.split("$(MANAGE) ", 1)[1].split() for line in recipe if "$(MANAGE) " in line]
    printed = " ".join(line for line in recipe if "@echo" in line)

    assert commands == [*map(list, PREPARE), ["runserver", "$(DEMO_ADDR)"]]
    assert "http://$(DEMO_ADDR)/ " in printed
    assert "http://$(DEMO_ADDR)/topi-simulator/control/" in printed
    assert "staff / staff" in printed
