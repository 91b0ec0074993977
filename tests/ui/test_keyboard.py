"""The keyboard in dialogs: what a key does is what the dialog says, and no key leaks to the console."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import OptionList

from tests.support.fixtures import fixed_app
from tests.support.fixtures.helm import fixed_helm_app
from tests.support.pilot import run
from tests.support.scenes import open_confirmation
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


def footer_keys(app) -> list[str]:
    from widgets.key_footer import KeyFooter

    return app.console_screen.query_one(KeyFooter).shown_keys


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
def test_the_footer_shows_the_keys_of_the_focused_pane(size):
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert app.components_table.has_focus
            keys = footer_keys(app)
            assert {"u", "p", "s", "t", "A", "slash", "c", "H", "question_mark", "q"} <= set(keys), keys
            assert "r" not in keys and "space" not in keys
            app.revisions_table.focus()
            await pilot.pause()
            keys = footer_keys(app)
            assert {"u", "r", "d", "w", "q"} <= set(keys) and "A" not in keys, keys
            app.stream.log.focus()
            await pilot.pause()
            assert {"l", "i", "e", "q"} <= set(footer_keys(app))
            if app.sidebar.has_class("-collapsed"):
                await pilot.press("c")  # opens and focuses it
            else:
                app.sidebar.focus()
            await pilot.pause()
            assert app.sidebar.has_focus
            assert {"space", "m", "S", "i", "e", "q"} <= set(footer_keys(app))

    run(scenario())


def test_ages_move_on_with_the_clock():
    app = fixed_helm_app()

    async def scenario():
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            helm, revisions = app.helm.pane.table, app.revisions_table
            newest = str(helm.revisions[0].revision)
            app.clock.at = helm.revisions[0].updated + 3  # a Helm revision made 3 s ago
            app._tick()
            await pilot.pause()
            assert str(helm.get_cell(newest, "updated")) == "3s"
            current = revisions.revisions[0]
            app.clock.at = current.created + 5  # the current ReplicaSet made 5 s ago
            app._tick()
            await pilot.pause()
            assert str(revisions.get_cell(str(current.revision), "age")) == "5s"
            app.clock.at += 150
            app._tick()
            await pilot.pause()
            assert str(revisions.get_cell(str(current.revision), "age")) == "2m"
            app.clock.at = helm.revisions[0].updated + 125
            app._tick()
            await pilot.pause()
            assert str(helm.get_cell(newest, "updated")) == "2m"  # not "0s" for two minutes

    run(scenario())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_tab_moves_focus_in_the_confirmation(size):
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await open_confirmation(pilot)
            screen = app.screen
            seen = []
            for _ in range(6):
                await pilot.press("tab")
                seen.append(app.focused.id if app.focused else None)
                assert app.screen is screen  # tab never leaves or closes the dialog
            assert len(set(seen)) >= 3, seen  # the reason, the name, the buttons: focus goes round

    run(scenario())


def test_a_footer_too_narrow_for_its_keys_ends_with_an_ellipsis_not_a_cut_word():
    from widgets.key_footer import KeyFooter

    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(40, 24)) as pilot:
            await pilot.pause()
            footer = app.console_screen.query_one(KeyFooter)
            line = str(footer.render())
            assert footer.cut and line.endswith(" …") and len(line) <= 40, line
            assert line.startswith("u Undo") and "q" not in footer.shown_keys

    run(scenario())
