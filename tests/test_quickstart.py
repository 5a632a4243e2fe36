"""docs/quickstart.rst cannot drift from the code: its snippets (docs/quickstart/) are put into a
shop (tests/quickstart_shop/) where the page says, and that shop runs in development on the
simulator and then with the going-live environment variables."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "docs" / "quickstart"
PAGE = ROOT / "docs" / "quickstart.rst"
#: Where each snippet goes in the shop.
PLACES = {
    "settings.py": "mysite/settings.py",
    "urls.py": "mysite/urls.py",
    "topi.py": "shop/topi.py",
    "apps.py": "shop/apps.py",
    "receivers.py": "shop/receivers.py",
    "cart.html": "shop/templates/shop/cart.html",
    "try.sh": "try.sh",
    "live.sh": "live.sh",
}
#: The one line on the page no test runs here: `.ci/run` installs the package from the checkout.
NOT_RUN = ["pip install django-topi"]


def test_every_snippet_on_the_page_is_one_the_shop_runs():
    page = PAGE.read_text()
    included = re.findall(r"^\.\. literalinclude:: quickstart/(\S+)", page, flags=re.MULTILINE)
    inline = re.findall(r"^\.\. code-block:: \w+\n\n((?:   .*\n|\n)+)", page, flags=re.MULTILINE)

    assert sorted(set(included)) == sorted(PLACES)
    snippets = [
        path.name
        for path in SNIPPETS.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name != "ruff.toml"
    ]
    assert sorted(snippets) == sorted(PLACES)
    assert [block.strip() for block in inline] == NOT_RUN


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("quickstart") / "shop"
    shutil.copytree(ROOT / "tests" / "quickstart_shop", directory,
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for snippet, place in PLACES.items():
        text = (SNIPPETS / snippet).read_text(encoding="utf-8")
        if snippet == "settings.py":  # added below the shop's own settings
            text = "from mysite.base import *  # noqa: F403\n\n" + text
        (directory / place).parent.mkdir(parents=True, exist_ok=True)
        (directory / place).write_text(text, encoding="utf-8")
    return directory


def run_checks(
    shop: Path, checks: str, exports: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOPI_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            checks,
        ],
        cwd=shop,
        env={**env, **exports, "PYTHONPATH": str(shop)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def exports(script: Path) -> dict[str, str]:
    """The variables a snippet's `export` lines set."""
    found: dict[str, str] = {}
    for line in script.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            found.update(word.split("=", 1) for word in words[1:])
    return found


def test_the_quickstart_in_development_rents_on_the_simulator(shop: Path):
    result = run_checks(shop, "check_development.py", {})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_quickstart_goes_live_with_its_environment_variables(shop: Path):
    variables = exports(SNIPPETS / "live.sh")
    assert set(variables) == {"TOPI_ENVIRONMENT", "TOPI_CLIENT_ID", "TOPI_CLIENT_SECRET",
                              "TOPI_WEBHOOK_SECRET"}  # fmt: skip

    result = run_checks(shop, "check_live.py", variables)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
