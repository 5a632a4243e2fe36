"""How topi writes what it names: ids (one pattern for ids the client puts in URLs and ids sync
reads) and instants."""

from __future__ import annotations

import re
from datetime import datetime, timezone

#: topi's ids are UUIDs; anything else made of letters, digits and '-' is accepted too.
TOPI_ID = re.compile(r"^[0-9A-Za-z\-]+$")


def topi_instant(moment: datetime) -> str:
    """RFC 3339 in UTC, whole seconds, ``Z``: how topi writes instants (``expires_at``, filters)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
