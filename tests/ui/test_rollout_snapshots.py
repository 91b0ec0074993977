"""Snapshots of the Rollout view (o) on objects captured from the eli-maor-canary sandbox with a real Prometheus.

"progressing": a good canary paused at step 3 (setWeight 50) with its background analysis running; "aborted": an
`-errors` canary aborted by that analysis, the view jumped to it (a) at 80x24. Offline: the objects are handed to
the view as its watches would (tests/support/scenes.py).
"""

from __future__ import annotations

import pytest

from tests.support.fixtures import fixed_app
from tests.support.scenes import rollout_view

pytestmark = pytest.mark.offline
SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES)
def test_rollout_view_of_a_canary_paused_at_step_3(snap_compare, size):
    assert snap_compare(fixed_app(), run_before=rollout_view("progressing"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_rollout_view_of_a_failed_analysis(snap_compare, size):
    jump = "a" if size == (80, 24) else ""
    assert snap_compare(fixed_app(), run_before=rollout_view("aborted", jump), terminal_size=size)
