"""Snapshots of an Argo Rollout's row (pytest-textual-snapshot), on the fixed states of
`fixtures/rollout-canary.json`: a canary paused at step 3/6, and one the analysis aborted."""

from __future__ import annotations

import pytest

from tests.support.fixtures.canary import canary_app, open_rollout_confirmation

pytestmark = pytest.mark.offline  # the fixed state: no sandbox, no kubectl or helm


def test_rollout_paused_at_step_3_80x24(snap_compare):
    assert snap_compare(canary_app("paused"), terminal_size=(80, 24))


def test_rollout_paused_at_step_3_160x48(snap_compare):
    assert snap_compare(canary_app("paused"), terminal_size=(160, 48))


def test_rollout_aborted_by_the_analysis_120x30(snap_compare):
    assert snap_compare(canary_app("aborted"), terminal_size=(120, 30))


def test_rollout_aborted_by_the_analysis_160x40(snap_compare):
    assert snap_compare(canary_app("aborted"), terminal_size=(160, 40))


def test_back_to_stable_confirmation_with_production_guard(snap_compare):
    # b on a canary paused at 3/6: undo onto stable revision 2, the steps skipped, the plugin's command.
    assert snap_compare(canary_app("paused"), run_before=open_rollout_confirmation, terminal_size=(100, 34))


def test_abort_confirmation_80x24(snap_compare):
    async def abort(pilot):
        await open_rollout_confirmation(pilot, "abort")

    assert snap_compare(canary_app("paused"), run_before=abort, terminal_size=(80, 24))
