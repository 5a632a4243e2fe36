"""The button in a real browser (headless Chromium): without JavaScript it works, with it a
second click cannot send a second checkout."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.chromium import ARGS, CHROMIUM, playwright_or_skip

playwright_api = playwright_or_skip()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django then refuses database
    # access from it unless told the test thread is not serving async code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_without_javascript_the_button_still_checks_out(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(f"{live_server.url}/cart/")
    page.get_by_role("button", name="Rent with topi").click()

    assert page.url == f"{live_server.url}/cart/"
    assert page.locator("#messages li").inner_text() == "Your cart is empty."
    context.close()


def test_with_javascript_the_button_disables_itself_on_the_first_click(browser, live_server):
    page = browser.new_page()
    page.set_default_timeout(5000)
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    held: list[Any] = []
    page.route("**/topi/checkout/", lambda route: held.append(route))  # topi is slow: it waits
    page.goto(f"{live_server.url}/cart/")

    # Click and read the button in one go, before the navigation replaces the page.
    state = page.evaluate(
        """() => {
            const button = document.querySelector("form.topi-checkout button");
            button.click();
            const after_first = [button.disabled, button.getAttribute("aria-busy")];
            button.click();
            return after_first;
        }"""
    )
    deadline = time.monotonic() + 5
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver the intercepted request
    held[0].continue_()
    page.locator("#messages li").wait_for()

    assert state == [True, "true"]
    assert posts == [f"{live_server.url}/topi/checkout/"]
    assert page.locator("#messages li").inner_text() == "Your cart is empty."
    page.close()
