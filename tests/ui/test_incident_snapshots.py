"""Snapshot of the incident report preview (`e`): offline fixed state, fixed clock, fixed user.

Update after a deliberate change with
`pytest tests/ui/test_incident_snapshots.py --snapshot-update`, then look at the SVG.
"""

from __future__ import annotations

import pytest

from tests.support.fixtures import fixed_app
from tests.support.scenes import an_incident_then_e

pytestmark = pytest.mark.offline  # the fixed state: no sandbox, no kubectl or helm


def test_report_preview(snap_compare, tmp_path):
    async def before(pilot):
        await an_incident_then_e(pilot, tmp_path / "state")

    assert snap_compare(fixed_app(), run_before=before, terminal_size=(120, 40))
