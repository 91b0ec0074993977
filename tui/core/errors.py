"""Domain errors: one clear sentence for the UI, never a traceback.

A ConsoleError says what is wrong and what to do about it. API failures are
turned into such sentences by `tui.kube.errors.from_api_exception`.
"""

from __future__ import annotations

import re


class ConsoleError(Exception):
    """A failure the UI can show as is: one sentence, what is wrong and what to do."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = ""):
        self.message = one_line(message) or "Something failed without saying why."
        self.status = status
        self.reason = reason
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def one_line(text: object, limit: int = 0) -> str:
    """Collapse whitespace and control characters so a text fits one line."""
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", str(text)).split())
    if limit and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat
