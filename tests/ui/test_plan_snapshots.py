"""Snapshots of the plan screen (A) and the readiness view (w) (pytest-textual-snapshot).

Deterministic: the offline console fixture (fixed clock, fixed objects). The
PodDisruptionBudgets are set to "none exist", so the readiness warnings show.
Update after a deliberate change with
`pytest tests/ui/test_plan_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import pytest

from tests.support.fixtures import fixed_app
from tests.support.scenes import plan_open, readiness_open

pytestmark = pytest.mark.offline  # the fixed state: no sandbox, no kubectl or helm


def test_plan_screen(snap_compare):
    assert snap_compare(fixed_app(), run_before=plan_open(False), terminal_size=(120, 40))


def test_plan_screen_mid_run(snap_compare):
    assert snap_compare(fixed_app(), run_before=plan_open(True), terminal_size=(120, 40))


def test_readiness_view(snap_compare):
    assert snap_compare(fixed_app(), run_before=readiness_open, terminal_size=(120, 40))


def test_components_marker(snap_compare):
    async def before(pilot) -> None:
        await pilot.pause()
        pilot.app.plans.pdbs = []
        pilot.app.plans.refresh_marks()
        await pilot.pause()

    assert snap_compare(fixed_app(), run_before=before, terminal_size=(120, 40))
