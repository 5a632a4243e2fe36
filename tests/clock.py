"""``--clock-shift``: run the suite with the clock moved, so a test that depends on today's date
fails the day it is written, not the day its date passes.

The shift moves Python's clock (``time.time``, ``datetime.now`` and friends) through
time-machine, in every thread, and lets it tick on from there. Database servers keep their own
clock; django-topi takes every instant from Python, so that is enough.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

SHIFT = re.compile(r"^([+-]?\d+)([ydh])$")


def shifted(now: datetime, shift: str) -> datetime:
    """``now`` moved by ``shift``: ``3y`` (calendar years), ``-90d`` or ``12h``."""
    match = SHIFT.match(shift.strip())
    if match is None:
        raise ValueError(
            f"--clock-shift takes a number and y, d or h (3y, -90d, 12h), not {shift!r}"
        )
    amount, unit = int(match[1]), match[2]
    if unit == "d":
        return now + timedelta(days=amount)
    if unit == "h":
        return now + timedelta(hours=amount)
    try:
        return now.replace(year=now.year + amount)
    except ValueError:  # 29 February into a year without one
        return now.replace(year=now.year + amount, day=28)


def start(shift: str) -> tuple[datetime, object]:
    """Move the clock; answer where to, and the traveller whose ``stop()`` moves it back."""
    import time_machine

    destination = shifted(datetime.now(timezone.utc), shift)
    traveller = time_machine.travel(destination, tick=True)
    traveller.start()
    return destination, traveller
