"""The quickstart's shell snippets, run as written: each `python manage.py ...` line."""

import shlex
from io import StringIO
from pathlib import Path

from django.core.management import call_command

HERE = Path(__file__).resolve().parent


def manage_lines(script: str) -> list[list[str]]:
    """The `python manage.py` commands of ``script`` (exports were applied before Django
    started); any other line fails, so the snippet cannot hold a step nobody runs."""
    found = []
    for line in (HERE / script).read_text().splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] == "export":
            continue
        assert words[:2] == ["python", "manage.py"], f"{script}: not a manage.py line: {line}"
        found.append(words[2:])
    return found


def run(command: list[str]) -> str:
    out = StringIO()
    call_command(*command, stdout=out, stderr=StringIO())
    return out.getvalue()
