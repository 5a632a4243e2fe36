"""What a topi id looks like: one pattern for ids the client puts in URLs and ids sync reads."""

from __future__ import annotations

import re

#: topi's ids are UUIDs; anything else made of letters, digits and '-' is accepted too.
TOPI_ID = re.compile(r"^[0-9A-Za-z\-]+$")
