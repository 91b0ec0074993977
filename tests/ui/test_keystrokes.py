"""Keys typed between an action and its dialog, against a real sandbox: they go to the dialog once it opens,
or are dropped with it when it cannot open; never run as the console's hotkeys."""

from __future__ import annotations

from textual.widgets import Input

from tests.support.pilot import BACKEND, SIZE, console, ready, run, wait_for
from tui.screens.confirm import ConfirmScreen


def test_a_name_typed_before_the_confirmation_opens_goes_into_it(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            scope = app.scope_all
            await pilot.press("u", *BACKEND)  # at once: the plan is still being read from the cluster
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
            screen = app.screen
            guard = screen.query_one("#guard", Input)
            await wait_for(pilot, lambda: guard.value == BACKEND, "the typed name in the guard", 5)
            assert app.scope_all == scope  # `l` in the name did not switch the stream
            assert app.incidents.incident is None  # `i` did not start an incident
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.console_screen, "the console")

    run(scenario())


def test_keys_typed_for_a_dialog_that_fails_to_open_are_dropped(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            scope = app.scope_all
            assert sb.stop() == 0  # the API server goes away: the plan cannot be read
            await pilot.press("u", *BACKEND, "tab")
            await wait_for(pilot, lambda: not app.ledger, "the planning to fail", 30)
            await pilot.press(*"-typed-on")  # still typing after the failure: dropped as well
            await wait_for(pilot, lambda: app.screen is app.console_screen, "the console, once typing stopped", 5)
            assert app.scope_all == scope and app.incidents.incident is None
            assert app.components_table.has_focus  # the tab was dropped too

    run(scenario())
