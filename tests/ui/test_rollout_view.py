"""The Rollout view's keys and truth rules on the fixed state (offline): `o` only opens on an Argo Rollout, the
view offline says there is nothing to read, a stale picture says so and is dimmed, `a`/`g` move, Esc closes.
The view against a live sandbox with real Prometheus is tests/integration/console/test_rollout_view.py."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.fixtures import fixed_app
from tests.support.fixtures.rollout import load
from tests.support.pilot import BACKEND
from tui.screens.console import help_rows
from tui.screens.rollout import OFFLINE, RolloutScreen

pytestmark = pytest.mark.offline
DOWN = "Cannot reach the API server at https://127.0.0.1:6443; retrying (check the cluster and your network)."


def where(screen: RolloutScreen) -> str:
    return str(screen.query_one("#where").render())


def test_o_on_a_deployment_says_the_view_is_for_rollouts_and_opens_nothing():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.components_table.select(BACKEND)
            await pilot.pause()
            await pilot.press("o")
            await pilot.pause()
            assert not isinstance(app.screen, RolloutScreen)
            assert app.notices[-1] == f"o opens the Rollout view of an Argo Rollout; {BACKEND} is a Deployment."

    asyncio.run(scenario())


def test_o_is_in_help_and_the_palette():
    (row,) = [r for r in help_rows() if r[1] == "o"]
    assert row[0] == "Show" and "Argo Rollout" in row[2] and "why it failed" in row[2]


def test_offline_the_view_says_there_is_no_cluster_then_stale_objects_look_stale_and_keys_move():
    app = fixed_app()
    objs = load("aborted")

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.open_rollout_view(BACKEND)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RolloutScreen)
            assert where(screen) == OFFLINE and screen.view is None
            screen.show_objects(objs["Rollout"][0], objs["ReplicaSet"], objs["Pod"], objs["AnalysisRun"], stale=DOWN)
            await pilot.pause()
            assert where(screen) == f"⚠ stale for 0s (Rollout, ReplicaSet, Pod, AnalysisRun not watched): {DOWN}; " \
                                    "showing the last known state"
            assert screen.query_one("#where").has_class("-stale")
            assert screen.query_one("#rollout-body").has_class("-stale")
            assert screen.view.status == "Degraded"  # the last known state is kept, not blanked
            frame = screen.query_one("#frame")
            await pilot.press("a")
            await pilot.pause()
            assert frame.scroll_y > 0
            await pilot.press("g")
            await pilot.pause()
            assert frame.scroll_y == 0
            screen.show_objects(objs["Rollout"][0], objs["ReplicaSet"], objs["Pod"], objs["AnalysisRun"])
            await pilot.pause()
            assert where(screen).startswith("live") and not screen.query_one("#rollout-body").has_class("-stale")
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, RolloutScreen)

    asyncio.run(scenario())


def test_the_headers_why_is_the_newest_revisions_failure_not_an_older_ones():
    import copy
    import io

    from rich.console import Console

    from tui.core import rollout_view as rv

    objs = copy.deepcopy(load("aborted"))
    # An undo made revision 4 from the stable template: revision 3's failed analysis is history now.
    (stable,) = [rs for rs in objs["ReplicaSet"] if (rs["metadata"].get("annotations") or {}).get(rv.REVISION) == "2"
                 and rs["metadata"]["name"].startswith("eli-maor-backend-")]
    stable["metadata"]["annotations"][rv.REVISION] = "4"
    app = fixed_app()

    def header(screen) -> str:
        out = Console(width=120, record=True, file=io.StringIO())
        out.print(screen.query_one("#ro-header").content)
        return out.export_text()

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.open_rollout_view(BACKEND)
            await pilot.pause()
            screen = app.screen
            fresh = load("aborted")
            screen.show_objects(fresh["Rollout"][0], fresh["ReplicaSet"], fresh["Pod"], fresh["AnalysisRun"])
            await pilot.pause()
            assert "Why" in header(screen) and "failed (4) > failureLimit (3)" in header(screen)
            screen.show_objects(objs["Rollout"][0], objs["ReplicaSet"], objs["Pod"], objs["AnalysisRun"])
            await pilot.pause()
            assert [r.number for r in screen.view.revisions] == [4, 3, 1]
            assert "Why" not in header(screen)
            assert screen.view.revisions[1].analysisruns[0].metrics[0].why  # still shown under Analysis

    asyncio.run(scenario())
