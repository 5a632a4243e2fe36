"""What the commands' date options accept."""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def parse_moment(text: str) -> datetime | None:
    """``2026-11-28`` (that day's start) or ``2026-11-28T10:00:00+01:00``, aware in the current
    time zone when it names none; ``None`` when it is neither."""
    parsed = parse_datetime(text)
    if parsed is None and (day := parse_date(text)) is not None:
        parsed = datetime.combine(day, time.min)
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
