"""What the console's Pilot tests share: the sandbox speed, bounded waits, and steps of a Pilot run.

The steps (`ready`, `confirm`) drive the console against the eli-maor
sandbox, whose namespace is `production`: every confirmation needs the
component's name typed.
"""

from __future__ import annotations

import asyncio
import time

from textual.widgets import Input

from tui.app import RollbackConsole
from tui.kube.config import connect
from tui.screens.confirm import ConfirmScreen

SPEED = 50.0  # simulated seconds per real second in the console's end-to-end sandboxes
BACKEND = "eli-maor-backend"
SIZE = (120, 40)
ROLLED_OUT = f'deployment "{BACKEND}" successfully rolled out'


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


def console(sb, **options) -> RollbackConsole:
    """The console connected to the sandbox `sb` (the `sb` fixture of tests/ui/conftest.py)."""
    return RollbackConsole(connect(kubeconfig=sb.kubeconfig), **options)


def stream_texts(app: RollbackConsole) -> list[str]:
    """What the Rollout pane shows now."""
    return [line.text for line in app.stream.lines]


async def ready(pilot, app: RollbackConsole, component: str = BACKEND) -> None:
    """Components listed, their pods too, `component` selected, its revisions shown."""
    await wait_for(pilot, lambda: app.components_table.row_count >= 4, "the components")
    await wait_for(pilot, lambda: "Pod" in app.state.watches and app.state.watches["Pod"].live, "the pods listed")
    app.components_table.select(component)
    await wait_for(pilot, lambda: str(app.selected) == component and app.revisions_table.row_count > 0,
                   f"{component} selected with its revisions")


async def confirm(pilot, app: RollbackConsole, name: str = BACKEND, reason: str = "") -> ConfirmScreen:
    """Answer the confirmation: the reason (if any), then the component's name typed (production guard)."""
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
    screen = app.screen
    assert screen.guard == name  # production: the name must be typed
    if reason:
        screen.query_one("#reason", Input).focus()
        await pilot.press(*reason, "enter")  # enter in the reason moves on to the name
        assert screen.query_one("#guard", Input).has_focus
    await pilot.press(*name, "enter")
    await wait_for(pilot, lambda: app.screen is not screen, "the confirmation to close")
    return screen
