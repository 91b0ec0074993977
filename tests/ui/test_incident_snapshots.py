"""Snapshot of the incident report preview (`e`): offline fixed state, fixed clock, fixed user.

Update after a deliberate change with
`pytest tests/console/test_incident_snapshots.py --snapshot-update`, then look at the SVG.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.support.fixtures import fixed_app
from tui import checklist as runbook
from tui.incident.recorder import IncidentSettings

BACKEND = "eli-maor-backend"


async def an_incident_then_e(pilot, state_dir: Path | None = None) -> None:
    """INC-2041 with a tick, a target, a rollback and its outcome; then `e` opens the preview."""
    app = pilot.app
    # A fixed report directory (never written here), so the path on screen is the same on every run.
    app._incident_init(IncidentSettings(state_dir=state_dir or Path(tempfile.mkdtemp(prefix="incident-shot-")),
                                        report_dir=Path("/srv/incidents"), user="alice"))
    await pilot.pause()
    app.incidents.start("INC-2041")  # not start_incident(): its toast names the tmp log path
    app._show_incident()
    app.checklist.set(runbook.IDENTIFY, True, evidence="ticked by hand", by="alice", at=app.clock())
    app.record("tick", "", "Identify the issue (by hand)")
    app.checklist.set(runbook.TARGET, True, evidence=f"revision 4 of {BACKEND}", by="alice", at=app.clock())
    app.record("target", BACKEND, "target revision 4", payload={"revision": 4})
    app.record("action", BACKEND, f"rolling back {BACKEND} (reason: export API errors)",
               f"kubectl rollout undo deployment/{BACKEND} --to-revision=4 -n production",
               payload={"action": "rollback", "revision": 4})
    app.record("outcome", BACKEND, f"deployment.apps/{BACKEND} rolled back", ok=True,
               payload={"action": "rollback"})
    await pilot.press("e")
    await pilot.pause()
    await pilot.pause()


def test_report_preview(snap_compare, tmp_path):
    async def before(pilot):
        await an_incident_then_e(pilot, tmp_path / "state")

    assert snap_compare(fixed_app(), run_before=before, terminal_size=(120, 40))
