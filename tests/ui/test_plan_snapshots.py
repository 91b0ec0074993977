"""Snapshots of the plan screen (A) and the readiness view (w) (pytest-textual-snapshot).

Deterministic: the offline console fixture (fixed clock, fixed objects). The
PodDisruptionBudgets are set to "none exist", so the readiness warnings show.
Update after a deliberate change with
`pytest tests/console/test_plan_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from tests.support.fixtures import fixed_app
from tui.incident.plan import ROLLED_OUT, RUNNING


def plan_open(mid_run: bool):
    async def before(pilot) -> None:
        await pilot.pause()
        app = pilot.app
        app.plans.pdbs = []  # listed: no PodDisruptionBudget in the namespace
        app.plans.refresh_marks()
        await pilot.press("A")
        await pilot.pause()
        if mid_run:  # how a running plan looks (states set directly: offline, nothing runs)
            steps = app.plans.plan.steps
            steps[0].state, steps[1].state = ROLLED_OUT, RUNNING
            app.plans.message = 'Waiting for deployment "eli-maor-worker" rollout to finish: 1 out of 2 new replicas have been updated...'
            app.screen.show_plan()
        await pilot.pause()

    return before


async def readiness_open(pilot) -> None:
    await plan_open(False)(pilot)
    await pilot.press("escape", "w")
    await pilot.pause()


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
