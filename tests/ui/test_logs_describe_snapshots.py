"""Snapshots of the logs view (L) and the YAML/describe view (y) on the fixed state.

Offline, nothing streams: the logs are a crash-looping backend's previous run captured from the sandbox
(tests/support/fixtures/logs.py), the YAML and describe are the fixed state's Deployment and its events,
each handed to the view as its worker would.
"""

from __future__ import annotations

import pytest

from tests.support.fixtures import fixed_app
from tests.support.scenes import describe_view, logs_view, yaml_view

pytestmark = pytest.mark.offline


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_logs_view_previous_run_with_error_lines(snap_compare, size):
    assert snap_compare(fixed_app(), run_before=logs_view, terminal_size=size)


def test_yaml_view_80x24(snap_compare):
    assert snap_compare(fixed_app(), run_before=yaml_view, terminal_size=(80, 24))


def test_describe_view_160x48(snap_compare):
    assert snap_compare(fixed_app(), run_before=describe_view, terminal_size=(160, 48))


def test_the_rollout_panes_footer_offers_logs_and_yaml_and_80_columns_still_show_help_and_quit():
    import asyncio

    from widgets.key_footer import KeyFooter

    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.stream.log.focus()
            await pilot.pause()
            footer = app.console_screen.query_one(KeyFooter)
            assert {"L", "y", "l", "question_mark", "q"} <= set(footer.shown_keys), footer.shown_keys
            assert not footer.cut

    asyncio.run(scenario())
