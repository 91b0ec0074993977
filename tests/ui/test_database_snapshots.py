"""Snapshots of the Database view (D) and the downgrade confirmation with its SQL (pytest-textual-snapshot).

Deterministic: the fixed state (offline, fixed clock) and the demo's migrations read by Alembic from
examples/eli-maor-migrations, with the database at v2.0.0's head (tests/support/fixtures/database.py); the
SQL is Alembic's offline mode. Update with `pytest tests/ui/test_database_snapshots.py --snapshot-update`
and look at the SVGs.
"""

from __future__ import annotations

import pytest

from tests.support.fixtures.database import fixed_database_app
from tests.support.scenes import database_confirmation, database_view, plan_with_database_step

pytestmark = pytest.mark.offline


def test_database_view(snap_compare):
    assert snap_compare(fixed_database_app(), run_before=database_view, terminal_size=(150, 50))


def test_downgrade_confirmation(snap_compare):
    assert snap_compare(fixed_database_app(), run_before=database_confirmation, terminal_size=(120, 48))


def test_plan_with_the_database_step(snap_compare):
    assert snap_compare(fixed_database_app(), run_before=plan_with_database_step, terminal_size=(120, 40))
