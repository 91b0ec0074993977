"""What the console's end-to-end tests share: the sandbox speed and bounded waits inside a Pilot run."""

from __future__ import annotations

import asyncio
import time

SPEED = 50.0  # simulated seconds per real second in the console's end-to-end sandboxes


def run(coro):
    return asyncio.run(coro)


async def wait_for(pilot, predicate, what: str, timeout: float = 60.0) -> None:
    """Let the app run until `predicate()` holds; fail saying `what` did not happen in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
