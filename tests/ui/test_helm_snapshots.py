"""Snapshots of the Helm pane and its screens (pytest-textual-snapshot).

Deterministic: the console fixture (offline, fixed clock) plus the fixed
release of `fixtures/helm-eli-maor.json`. Update after a deliberate change with
`pytest tests/console/test_helm_snapshots.py --snapshot-update` and look at the
SVGs under `__snapshots__/` before committing them.
"""

from __future__ import annotations

from tests.support.fixtures.helm import fixed_helm_app
from tui.helm.diff import manifest_diff
from tui.screens.helm import HelmRollbackScreen


def focus_helm(revision: int):
    async def before(pilot) -> None:
        await pilot.pause()
        table = pilot.app.helm.pane.table
        table.focus()
        table.select(revision)
        await pilot.pause()

    return before


async def open_diff(pilot) -> None:
    await focus_helm(1)(pilot)
    await pilot.press("enter")
    await pilot.pause()


async def open_preview(pilot) -> None:
    """What `r` on revision 1 shows once helm's dry run succeeded (pushed directly: offline, no helm)."""
    await pilot.pause()
    history = pilot.app.helm.history
    diff = manifest_diff(history.deployed, history.get(1))
    pilot.app.push_screen(HelmRollbackScreen(
        "Roll back Helm release eli-maor to revision 1 (deployed now: 4)",
        "Dry run: helm would roll eli-maor back to revision 1; nothing changed.", True, diff))
    await pilot.pause()
    await pilot.pause()


def test_helm_pane_120x40(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=focus_helm(1), terminal_size=(120, 40))


def test_helm_pane_80x24(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=focus_helm(1), terminal_size=(80, 24))


def test_helm_stuck_release(snap_compare):
    assert snap_compare(fixed_helm_app(stuck=True), run_before=focus_helm(4), terminal_size=(120, 40))


def test_helm_diff_masked(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_diff, terminal_size=(100, 40))


def test_helm_rollback_preview_and_options(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_preview, terminal_size=(100, 40))


def test_helm_stuck_release_80x24(snap_compare):
    assert snap_compare(fixed_helm_app(stuck=True), run_before=focus_helm(4), terminal_size=(80, 24))


async def open_confirmation(pilot) -> None:
    """Step 3: the confirmation with the exact helm command line and the production guard."""
    from tests.support.fixtures.helm import HELM3
    from tui.helm.operations import Cluster, HelmRollback, RollbackOptions, rollback_argv
    from tui.screens.confirm import ConfirmScreen

    await pilot.pause()
    history = pilot.app.helm.history
    options = RollbackOptions(wait=True, timeout="5m")
    argv = rollback_argv(HELM3, "eli-maor", 1, Cluster("production", "/home/oncall/.kube/config", "sandbox"),
                         options)
    op = HelmRollback("eli-maor", "production", 1, 4, argv, options,
                      diff=manifest_diff(history.deployed, history.get(1)), production=True)
    pilot.app.push_screen(ConfirmScreen(op, guard="eli-maor"))
    await pilot.pause()
    await pilot.pause()
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False


def test_helm_rollback_confirmation(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_confirmation, terminal_size=(100, 40))
