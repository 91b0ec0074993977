"""Snapshots of an Argo Rollout's row (pytest-textual-snapshot), on the fixed states of
`fixtures/rollout-canary.json`: a canary paused at step 3/6, and one the analysis aborted."""

from __future__ import annotations

import pytest

from tests.support.fixtures.canary import canary_app

pytestmark = pytest.mark.offline  # the fixed state: no sandbox, no kubectl or helm


def test_rollout_paused_at_step_3_80x24(snap_compare):
    assert snap_compare(canary_app("paused"), terminal_size=(80, 24))


def test_rollout_paused_at_step_3_160x48(snap_compare):
    assert snap_compare(canary_app("paused"), terminal_size=(160, 48))


def test_rollout_aborted_by_the_analysis_120x30(snap_compare):
    assert snap_compare(canary_app("aborted"), terminal_size=(120, 30))


def test_rollout_aborted_by_the_analysis_160x40(snap_compare):
    assert snap_compare(canary_app("aborted"), terminal_size=(160, 40))
