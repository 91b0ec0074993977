"""The keyboard in dialogs: what a key does is what the dialog says, and no key leaks to the console."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import OptionList

from tests.support.fixtures import fixed_app
from tests.support.fixtures.helm import fixed_helm_app
from tests.support.pilot import run
from tui.helm.diff import manifest_diff
from tui.screens.helm import HelmRollbackScreen

pytestmark = pytest.mark.offline


def preview(app) -> HelmRollbackScreen:
    history = app.helm.history
    return HelmRollbackScreen("Roll back Helm release eli-maor to revision 1 (deployed now: 4)",
                              "Dry run: nothing changed.", True, manifest_diff(history.deployed, history.get(1)))


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
def test_helm_options_differ_in_shape_space_toggles_and_enter_continues(size):
    app = fixed_helm_app()
    answers: list = []

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = preview(app)
            app.push_screen(screen, answers.append)
            await pilot.pause()
            await pilot.pause()
            wait, force = screen.query_one("#wait"), screen.query_one("#force")
            assert not wait.value and not force.value
            assert str(wait.render()).startswith("[ ]")  # unchecked: an empty box, not a coloured X
            wait.focus()
            await pilot.press("space")
            assert wait.value and str(wait.render()).startswith("[x]")
            assert str(force.render()).startswith("[ ]")
            await pilot.press("enter")  # on a checkbox, enter confirms as in every dialog; it toggles nothing
            await pilot.pause()
            assert wait.value
            assert app.screen is not screen
            assert len(answers) == 1 and answers[0].wait and answers[0].timeout

    run(scenario())


def test_tab_moves_focus_through_every_field_of_the_helm_options():
    app = fixed_helm_app()

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = preview(app)
            app.push_screen(screen)
            await pilot.pause()
            await pilot.pause()
            seen = []
            for _ in range(8):
                await pilot.press("tab")
                seen.append(app.focused.id if app.focused else None)
            for wanted in ("wait", "timeout", "force", "cleanup", "no-hooks", "continue", "cancel"):
                assert wanted in seen, seen
            assert app.screen is screen

    run(scenario())


def test_the_palette_lists_quit_once():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*"quit")
            await pilot.pause(0.8)
            options = app.screen.query_one(OptionList)
            prompts = [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]
            assert sum("Quit" in p for p in prompts) == 1, prompts

    run(scenario())
