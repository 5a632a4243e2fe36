"""A progress line for management commands, written on the command's own stdout.

On a terminal one line is redrawn in place (``\\r``), at most ``min_interval`` apart. Anywhere
else (a pipe, a log file, cron mail) nothing is redrawn: a plain line is written every
``every`` rows (every tenth of the total when the total is known) and once at the end, so
logs stay readable and short.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from django.core.management.base import OutputWrapper


def wanted(options: Mapping[str, Any]) -> bool:
    """Whether a command's options ask for a progress line (verbosity above 0, no
    ``--no-progress``)."""
    return bool(options["verbosity"] > 0 and not options.get("no_progress"))


#: Rows between two plain lines when the total is unknown and the output is not a terminal.
DEFAULT_EVERY = 1000


class Progress:
    """``label  [#########-----------]  450/1,000  45%  120/s``, or ``label  450  120/s``.

    Use it as a context manager, call ``advance()`` per row; ``enabled=False`` keeps it silent
    (verbosity 0).
    """

    def __init__(
        self,
        out: OutputWrapper,
        label: str,
        total: int | None = None,
        *,
        enabled: bool = True,
        width: int = 30,
        min_interval: float = 0.1,
        every: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = out
        self.label = label
        self.total = total if total and total > 0 else None
        self.enabled = enabled
        self.interactive = enabled and out.isatty()
        self.width = width
        self.min_interval = min_interval
        self.every = every or (max(self.total // 10, 1) if self.total else DEFAULT_EVERY)
        self.clock = clock
        self.count = 0
        self.started = clock()
        self._drawn_at: float | None = None
        self._drawn_width = 0
        self._closed = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def advance(self, rows: int = 1) -> None:
        """Count ``rows`` more and show it when it is time to."""
        previous = self.count
        self.count += rows
        if not self.enabled:
            return
        if self.interactive:
            now = self.clock()
            if self._drawn_at is None or now - self._drawn_at >= self.min_interval:
                self._redraw(self.render(now))
                self._drawn_at = now
        elif self.count // self.every > previous // self.every:
            self.out.write(self.render(self.clock()))

    def clear(self) -> None:
        """Blank the line being redrawn, so another message can be written cleanly."""
        if self.interactive and self._drawn_width:
            self.out.write("\r" + " " * self._drawn_width + "\r", ending="")
            self._drawn_width = 0
            self._drawn_at = None

    def close(self) -> None:
        """Show the final count and end the line (once)."""
        if self._closed or not self.enabled:
            self._closed = True
            return
        self._closed = True
        line = self.render(self.clock())
        if self.interactive:
            self._redraw(line)
            self.out.write("")
        elif self.count % self.every or self.count == 0:
            self.out.write(line)

    def render(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = f"{self.count / elapsed:,.0f}/s"
        if self.total is None:
            return f"{self.label}  {self.count:,}  {rate}"
        fraction = min(self.count / self.total, 1.0)
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        return f"{self.label}  [{bar}]  {self.count:,}/{self.total:,}  {fraction:.0%}  {rate}"

    def _redraw(self, line: str) -> None:
        padding = " " * max(self._drawn_width - len(line), 0)
        self.out.write(f"\r{line}{padding}", ending="")
        self.out.flush()
        self._drawn_width = len(line)
