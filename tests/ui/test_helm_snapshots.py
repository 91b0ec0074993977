"""Snapshots of the Helm pane and its screens (pytest-textual-snapshot).

Deterministic: the console fixture (offline, fixed clock) plus the fixed
release of `fixtures/helm-eli-maor.json`. Update after a deliberate change with
`pytest tests/ui/test_helm_snapshots.py --snapshot-update` and look at the
SVGs under `__snapshots__/` before committing them.
"""

from __future__ import annotations

import pytest

from tests.support.fixtures.helm import fixed_helm_app
from tests.support.scenes import (
    focus_helm,
    open_helm_confirmation,
    open_helm_diff,
    open_helm_preview,
    open_known_bad_confirmation,
    open_known_bad_helm_preview,
)

pytestmark = pytest.mark.offline  # the fixed state: no sandbox, no kubectl or helm


def test_helm_pane_120x40(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=focus_helm(1), terminal_size=(120, 40))


def test_helm_pane_80x24(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=focus_helm(1), terminal_size=(80, 24))


def test_helm_stuck_release(snap_compare):
    assert snap_compare(fixed_helm_app(stuck=True), run_before=focus_helm(4), terminal_size=(120, 40))


def test_helm_diff_masked(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_helm_diff, terminal_size=(100, 40))


def test_helm_rollback_preview_and_options(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_helm_preview, terminal_size=(100, 40))


def test_helm_stuck_release_80x24(snap_compare):
    assert snap_compare(fixed_helm_app(stuck=True), run_before=focus_helm(4), terminal_size=(80, 24))


def test_helm_rollback_confirmation(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_helm_confirmation, terminal_size=(100, 40))


def test_known_bad_confirmation(snap_compare):
    # Revision 4 of the backend runs failed Helm revision 3's images: the line says so, Ctrl+N offers 5.
    assert snap_compare(fixed_helm_app(), run_before=open_known_bad_confirmation, terminal_size=(100, 34))


def test_known_bad_confirmation_80x24(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_known_bad_confirmation, terminal_size=(80, 24))


def test_known_bad_helm_preview_with_out_of_band_changes(snap_compare):
    assert snap_compare(fixed_helm_app(), run_before=open_known_bad_helm_preview, terminal_size=(100, 40))


def test_drift_in_components_and_the_helm_pane_160x48(snap_compare):
    # The fixture's backend runs v2.1.0-crashloop (kubectl set image) and every Deployment the seed's
    # hand-set LOG_LEVEL: "drift" on each row, the Helm pane says what differs; ✗ on revisions 3, 4 and 6.
    assert snap_compare(fixed_helm_app(), run_before=focus_helm(1), terminal_size=(160, 48))
