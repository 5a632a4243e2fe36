"""The whole story in a real browser: the example shop exactly as `make demo` serves it, Debian's
Chromium driven by Playwright, the simulated topi in the same server process.

A failing test leaves a screenshot and the page's HTML in ``test-artifacts/``. With
``TOPI_SCREENSHOTS=<folder>`` (``make screenshots``) the happy path saves the README's pictures.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import ARGS, CHROMIUM, playwright_or_skip
from tests.demo_server import Demo, serve

playwright_api = playwright_or_skip()

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SCREENSHOTS = os.environ.get("TOPI_SCREENSHOTS", "")
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with serve(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browse(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``browse()`` opens a new browser (its own session and cart); each is kept for the
    failure report, and closed afterwards."""
    pages: list[Any] = []

    def open_page(locale: str = "en-GB") -> Any:
        context = chromium.new_context(locale=locale, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        pages.append(page)
        return page

    yield open_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for number, page in enumerate(pages):
            stem = ARTIFACTS / f"{request.node.name}-{number}"
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
    for page in pages:
        page.context.close()


def shoot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} element(s))"
        for violation in results.response["violations"]
        if violation.get("impact") in SERIOUS
    ]


# -- what a customer and staff do ----------------------------------------------------------------


def add_to_cart(page: Any, demo: Demo, sku: str, quantity: int = 1) -> None:
    page.goto(f"{demo.base}/products/{sku}/")
    page.fill("#quantity", str(quantity))
    page.locator("form.add button").click()
    page.wait_for_url(f"{demo.base}/cart/")


def rent(page: Any, demo: Demo) -> None:
    """Click the button in the cart: the browser lands on the simulated topi's checkout."""
    page.goto(f"{demo.base}/cart/")
    page.locator("form.topi-checkout button").click()
    page.wait_for_url(re.compile(r".*/topi-simulator/checkout/.*"))


def choose(page: Any, value: str) -> None:
    page.locator(f'button[name="choice"][value="{value}"]').click()
    page.wait_for_load_state()


def reference_of(page: Any) -> str:
    found = re.search(r"seller_offer_reference=([\w-]+)", page.url)
    assert found, page.url
    return found[1]


def sign_in(page: Any, demo: Demo, username: str, admin: bool = False) -> None:
    page.goto(f"{demo.base}/{'admin/login/' if admin else 'accounts/login/'}")
    page.fill("#id_username", username)
    page.fill("#id_password", username)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()


def act(page: Any, action: str) -> None:
    """A topi button on the order's admin page."""
    page.locator(f'button[name="_fsm_transition_to"][value="{action}"]').click()
    page.wait_for_load_state()


def ship(page: Any, units: list[tuple[str, str]], tracking: str) -> None:
    """Tick the units whose item title is given and type their serial numbers."""
    act(page, "ship")
    rows = page.locator("#content form tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        title = row.locator("td").nth(1).inner_text()
        for wanted, serial in units:
            if title.startswith(wanted) and not row.locator("input[type=checkbox]").is_checked():
                row.locator("input[type=checkbox]").check()
                row.locator("input[type=text]").fill(serial)
                units.remove((wanted, serial))
                break
    page.fill("#id_tracking_url", tracking)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()


# -- the paths -----------------------------------------------------------------------------------


def test_happy_path_a_customer_rents_staff_fulfil_in_two_shipments(demo: Demo, browse: Any):
    customer = browse()
    sign_in(customer, demo, "customer")
    customer.goto(f"{demo.base}/")
    badges = customer.locator(".rent-badge")
    assert badges.count() == 6
    assert "Rent with topi from €" in badges.first.inner_text()
    shoot(customer, "shop")
    add_to_cart(customer, demo, "pro-laptop-14")
    add_to_cart(customer, demo, "docking-station", 2)
    overview = customer.locator(".rent-overview").inner_text()
    assert overview.startswith("Rent with topi from €")
    assert "(simulated)" in overview
    assert accessibility_problems(customer) == []
    shoot(customer, "cart")

    rent(customer, demo)
    assert customer.locator("tbody tr").count() == 3  # two lines and shipping
    assert accessibility_problems(customer) == []
    shoot(customer, "checkout")
    choose(customer, "accept")
    assert customer.locator("h1").inner_text() == "Thank you for your order"
    assert accessibility_problems(customer) == []
    reference = reference_of(customer)
    demo.wait_for_status("order", reference, "created")
    events = demo.rows("SELECT verification, status FROM django_topi_webhookevent "
                       "WHERE topi_id IN (SELECT topi_id FROM django_topi_order "
                       "WHERE seller_offer_reference = ?)", reference)  # fmt: skip
    assert events == [("signature", "processed")]

    staff = browse()
    sign_in(staff, demo, "staff", admin=True)
    staff.goto(f"{demo.base}/admin/django_topi/order/?q={reference}")
    staff.get_by_role("link", name=reference).first.click()
    act(staff, "acknowledge")
    act(staff, "confirm")
    ship(staff, [("Pro Laptop 14", "SN-LAPTOP-1")], "https://track.example/1")
    assert "partially fulfilled" in staff.locator(".messagelist").inner_text()
    shoot(staff, "staff-order")
    ship(staff, [("USB-C Docking Station", "SN-DOCK-1"), ("USB-C Docking Station", "SN-DOCK-2")],
         "https://track.example/2")  # fmt: skip
    assert "the order is completed" in staff.locator(".messagelist").inner_text()
    demo.wait_for_status("order", reference, "completed")

    customer.goto(f"{demo.base}/orders/")
    rental = customer.locator(f"#rental-{reference}")
    steps = rental.locator(".timeline .step").all_inner_texts()
    assert steps[-1] == "Order: completed"
    assert {"Offer: accepted", "Order: acknowledged", "Order: confirmed",
            "Order: partially fulfilled"} <= set(steps)  # fmt: skip
    shoot(customer, "my-orders")


def test_decline_path(demo: Demo, browse: Any):
    page = browse()
    add_to_cart(page, demo, "business-phone")
    rent(page, demo)

    choose(page, "decline")

    assert page.locator("h1").inner_text() == "topi could not approve this order"
    assert demo.statuses("offer", reference_of(page)) == ["declined"]


def test_review_path_then_approved_on_the_control_page(demo: Demo, browse: Any):
    page = browse()
    add_to_cart(page, demo, "office-monitor-27")
    rent(page, demo)

    choose(page, "review")
    assert page.locator("h1").inner_text() == "Your order is being reviewed"
    reference = reference_of(page)
    demo.wait_for_status("offer", reference, "pending_review")
    (topi_id,) = demo.rows(
        "SELECT topi_id FROM django_topi_offer WHERE seller_offer_reference = ?", reference
    )[0]
    page.goto(f"{demo.base}/topi-simulator/control/")
    page.locator(f"#offer-{topi_id} button[value=approve]").click()
    page.wait_for_load_state()

    demo.wait_for_status("offer", reference, "accepted")
    demo.wait_for_status("order", reference, "created")


def test_abandon_path_goes_back_to_the_cart(demo: Demo, browse: Any):
    page = browse()
    add_to_cart(page, demo, "laptop-sleeve")
    rent(page, demo)

    choose(page, "abandon")

    assert page.locator("h1").inner_text() == "Your topi checkout was not completed"
    page.get_by_role("link", name="Back to your cart").click()
    page.wait_for_url(f"{demo.base}/cart/")
    assert page.get_by_role("link", name="Laptop Sleeve").count() == 1


def test_a_cart_changed_after_a_first_click_gets_a_new_offer(demo: Demo, browse: Any):
    page = browse()
    add_to_cart(page, demo, "pro-laptop-16")
    rent(page, demo)
    first = page.url

    add_to_cart(page, demo, "docking-station", 3)  # back to the shop: three docks more
    rent(page, demo)

    assert page.url != first
    assert page.locator("tbody").inner_text().count("USB-C Docking Station") == 1
    offers = demo.rows("SELECT status, superseded_by_id IS NOT NULL FROM django_topi_offer "
                       "WHERE seller_offer_reference = (SELECT seller_offer_reference "
                       "FROM django_topi_offer ORDER BY id DESC LIMIT 1) ORDER BY id")  # fmt: skip
    assert offers == [("voided", 1), ("created", 0)]


def test_a_double_click_makes_one_offer(demo: Demo, browse: Any):
    page = browse()
    add_to_cart(page, demo, "business-phone")
    before = demo.rows("SELECT COUNT(*) FROM topi_simulator_simoffer")[0][0]

    page.locator("form.topi-checkout button").dblclick()
    page.wait_for_url(re.compile(r".*/topi-simulator/checkout/.*"))

    assert demo.rows("SELECT COUNT(*) FROM topi_simulator_simoffer")[0][0] == before + 1


def test_a_whole_rental_in_german(demo: Demo, browse: Any):
    page = browse(locale="en-GB")
    page.goto(f"{demo.base}/")
    page.select_option("#language", "de")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Geräte für Unternehmen zum Kaufen oder Mieten"
    assert "Mit topi mieten ab" in page.locator(".rent-badge").first.inner_text()

    add_to_cart(page, demo, "pro-laptop-14")
    assert page.locator("h1").inner_text() == "Ihr Warenkorb"
    rent(page, demo)
    assert "Miete pro Monat" in page.locator("thead").inner_text()
    choose(page, "accept")

    assert page.locator("h1").inner_text() == "Vielen Dank für Ihre Bestellung"
