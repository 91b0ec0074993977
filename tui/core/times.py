"""RFC 3339 times, the one place the console writes and reads them.

The API server writes seconds and "Z" (Go's time.RFC3339); Helm writes up to
nine fractional digits (RFC3339Nano); the audit log writes milliseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_NANOS = re.compile(r"(\.\d{6})\d+")


def rfc3339(at: float | datetime, *, millis: bool = False) -> str:
    """Go's time.Format(time.RFC3339) in UTC ("2026-11-26T18:53:59Z"); with `millis`, ".123Z"."""
    moment = at if isinstance(at, datetime) else datetime.fromtimestamp(at, tz=UTC)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond // 1000:03d}Z" if millis else "Z")


def parse_rfc3339(text: object) -> float | None:
    """Seconds since the epoch, or None for no time, Go's zero time or a text that is not RFC 3339."""
    if not text or not isinstance(text, str) or text.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(_NANOS.sub(r"\1", text.replace("Z", "+00:00"))).timestamp()
    except ValueError:
        return None


def human_age(seconds: float | None) -> str:
    """kubectl's short ages: 45s, 12m, 5h, 3d."""
    if seconds is None:
        return "<unknown>"
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    if s < 2 * 3600:
        return f"{s // 60}m"
    if s < 2 * 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"
