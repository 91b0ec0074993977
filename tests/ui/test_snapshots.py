"""Snapshots of the console's screens (pytest-textual-snapshot).

Deterministic by construction: the app runs offline on the fixed state of
`fixtures/eli-maor.json` (a seeded sandbox caught in a crash-looping backend
rollout), with a fixed clock, no watchers and no worker threads; inputs do
not blink. Update after a deliberate change with
`pytest tests/ui/test_snapshots.py --snapshot-update`, then look at
the SVGs under `__snapshots__/` before committing them.
"""

from __future__ import annotations

import pytest

from tests.support.fixtures import fixed_app
from tests.support.scenes import open_confirmation

pytestmark = pytest.mark.offline  # the fixed state: no sandbox, no kubectl or helm


def test_main_screen_80x24(snap_compare):
    assert snap_compare(fixed_app(), terminal_size=(80, 24))


def test_main_screen_160x48(snap_compare):
    assert snap_compare(fixed_app(), terminal_size=(160, 48))


def test_revision_diff(snap_compare):
    # Revisions pane, one row down (revision 4, the last good one), diff.
    assert snap_compare(fixed_app(), press=["tab", "j", "d"], terminal_size=(80, 24))


def test_confirmation_with_production_guard(snap_compare):
    assert snap_compare(fixed_app(), run_before=open_confirmation, terminal_size=(100, 34))


def test_confirmation_refuses_a_wrong_name_80x24(snap_compare):
    async def wrong(pilot):
        await open_confirmation(pilot, wrong_name="eli-maor-worker")

    assert snap_compare(fixed_app(), run_before=wrong, terminal_size=(80, 24))


def test_help(snap_compare):
    assert snap_compare(fixed_app(), press=["question_mark"], terminal_size=(80, 24))


def test_checklist_open_at_80_columns(snap_compare):
    assert snap_compare(fixed_app(), press=["c", "down", "space"], terminal_size=(80, 24))


def test_checklist_with_evidence(snap_compare):
    # Mid-incident: ticks by hand and from evidence (who, when), a note, log error counts per pod, a running check.
    from tests.support.fixtures.evidence import checklist_with_evidence

    assert snap_compare(fixed_app(), run_before=checklist_with_evidence, terminal_size=(160, 48))


def test_checklist_reopened_by_a_crash_looping_target(snap_compare):
    from tests.support.scenes import checklist_reopened

    assert snap_compare(fixed_app(), run_before=checklist_reopened, terminal_size=(160, 48))


def test_untick_question_80x24(snap_compare):
    from tests.support.scenes import untick_question

    assert snap_compare(fixed_app(), run_before=untick_question, terminal_size=(80, 24))


def test_server_gone_flash_line_and_stale_rows_80x24(snap_compare):
    from tests.support.scenes import server_gone

    assert snap_compare(fixed_app(), run_before=server_gone, terminal_size=(80, 24))


def test_server_gone_flash_line_and_stale_rows_160x48(snap_compare):
    from tests.support.scenes import server_gone

    assert snap_compare(fixed_app(), run_before=server_gone, terminal_size=(160, 48))
