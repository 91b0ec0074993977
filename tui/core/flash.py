"""The failures the console says in one persistent line until they are resolved (like k9s's flash bar).

A toast vanishes after seconds; a server that is gone, a namespace that does not
exist or a sandbox that exited stay true until something changes, so they stay
said. Each failure has a key; the line shows the most important one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from .times import human_age

# Most important first: what explains the others (a dead sandbox explains an unreachable server).
SANDBOX, CONFIG, SERVER, NAMESPACE = "sandbox", "config", "server", "namespace"
ORDER = (SANDBOX, CONFIG, SERVER, NAMESPACE)
CONNECTING = "connecting"  # a watch's state before its first answer: not a failure yet


def utc_clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(at)) + "Z"


class Flash:
    """Keyed failure sentences; `line` is what the screen shows ("" when nothing is wrong)."""

    def __init__(self) -> None:
        self._failures: dict[str, str] = {}

    def set(self, key: str, sentence: str) -> bool:
        """Say `sentence` for `key` ("" clears it); True when the line may have changed."""
        if not sentence:
            return self.clear(key)
        changed = self._failures.get(key) != sentence
        self._failures[key] = sentence
        return changed

    def clear(self, key: str) -> bool:
        return self._failures.pop(key, None) is not None

    def __contains__(self, key: str) -> bool:
        return key in self._failures

    @property
    def line(self) -> str:
        keys = sorted(self._failures, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))
        if not keys:
            return ""
        more = f" (+{len(keys) - 1} more)" if len(keys) > 1 else ""
        return self._failures[keys[0]] + more


def stale_since(watches: Mapping) -> float | None:
    """When the oldest failed watch went down (None when every watch is live or still connecting)."""
    down = [w.since for w in watches.values() if not w.live and w.error != CONNECTING]
    return min(down) if down else None


def server_failure(watches: Mapping, server: str, now: float) -> str:
    """The sentence for watches that lost their server: which server, since when, that rows are stale."""
    since = stale_since(watches)
    if since is None:
        return ""
    errors = sorted({w.error for w in watches.values() if not w.live and w.error and w.error != CONNECTING})
    unreachable = [e for e in errors if e.startswith("Cannot reach")]
    what = (f"Cannot reach the API server at {server}" if unreachable or not errors
            else errors[0].rstrip("."))
    return (f"{what} since {utc_clock(since)} ({human_age(now - since)}): the dimmed rows are as of then; "
            "retrying every few seconds.")
