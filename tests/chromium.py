"""Playwright and Debian's Chromium for the browser tests: skipped with a reason where they are
missing, unless ``TOPI_TEST_REQUIRE_BROWSER=1`` (as in ``.ci/run``) makes that an error."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

CHROMIUM = os.environ.get("TOPI_TEST_CHROMIUM") or "/usr/bin/chromium"
#: Flags for a headless Chromium in a container, quiet on the network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def _missing(reason: str) -> None:
    if os.environ.get("TOPI_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser tests must run here, but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def playwright_or_skip() -> ModuleType:
    """``playwright.sync_api`` and a Chromium to drive, or the calling module is skipped."""
    try:
        api = importlib.import_module("playwright.sync_api")
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        _missing(f"there is no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return api
