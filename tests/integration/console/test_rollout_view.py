"""The Rollout view (o) loaded from real sandboxes of the eli-maor-canary seed, through the real client.

With a real Prometheus scraping the sandbox, an `-errors` canary is aborted by the background analysis
`success-rate`; the view, watching all along, says upstream's abort message, the failed measurements against
`result[0] >= 0.95` and the limit crossed. Without one, the view of the healthy Rollout goes stale (and says so)
when the sandbox stops.
"""

from __future__ import annotations

import io
import json
import threading

import pytest

from kube_sandbox.seeds import SUCCESS_RATE_QUERY
from tests.support.pilot import run, wait_for
from tests.support.prometheus import sandbox_with_prometheus, wait_for_value
from tests.support.sandbox import Kubectl, start_sandbox
from tests.support.tools import DEFAULT_KUBECTL
from tui.app import RollbackConsole
from tui.core import rollout_view as rv
from tui.kube.config import connect
from tui.screens.rollout import RolloutScreen

pytestmark = pytest.mark.timeout(180)
NS = "production"
RO = "eli-maor-backend"
FAILED = 'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'
ABORTED = f"RolloutAborted: Rollout aborted update to revision 3: Background analysis phase error/failed: {FAILED}"


def text_of(screen: RolloutScreen, part: str) -> str:
    """What one section of the view shows, as plain text."""
    from rich.console import Console

    out = Console(width=160, record=True, file=io.StringIO())
    out.print(screen.query_one(part).content)
    return out.export_text()


def where(screen: RolloutScreen) -> str:
    return str(screen.query_one("#where").render())


def opened(app: RollbackConsole) -> RolloutScreen | None:
    return app.screen if isinstance(app.screen, RolloutScreen) else None


def test_an_errors_canary_aborted_by_real_prometheus_analysis_says_the_failed_measurement_and_the_abort(tmp_path):
    with sandbox_with_prometheus(tmp_path, seed="eli-maor-canary", speed=20.0) as (sandbox, prom):
        kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
        # The template's query has data (two scrapes in its window) before the canary starts.
        wait_for_value(prom, SUCCESS_RATE_QUERY.replace("{{args.service-name}}", RO), lambda v: v >= 0.99, timeout=30)
        app = RollbackConsole(connect(kubeconfig=sandbox.kubeconfig))

        async def scenario():
            async with app.run_test(size=(160, 48)) as pilot:
                await wait_for(pilot, lambda: "Event" in app.state.watches
                               and all(w.live for w in app.state.watches.values()), "the console's watches live")
                console_watchers = list(app.hub._watchers)
                app.open_rollout_view(RO)
                await wait_for(pilot, lambda: opened(app) and opened(app).view is not None
                               and opened(app).view.status == "Healthy" and where(opened(app)).startswith("live"),
                               "the healthy Rollout, every watch live")
                screen = opened(app)
                assert screen.view.steps[0].text == "setWeight: 20" and not screen.view.analysisruns
                kubectl("patch", "ro", RO, "-n", NS, "--type=json", "-p", json.dumps(
                    [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
                      "value": "ghcr.io/eli-maor/backend:v2.1.0-errors"}]))
                # Seen live on the way: the canary's revision and its running analysis.
                await wait_for(pilot, lambda: screen.view.analysisruns and screen.view.analysisruns[0].phase
                               == "Running", "the background analysis running", timeout=60)
                assert screen.view.revisions[0].number == 3
                await wait_for(pilot, lambda: screen.view.status == "Degraded", "the abort", timeout=90)
                view = screen.view
                assert view.message == ABORTED
                (analysis,) = view.analysisruns
                assert (analysis.phase, analysis.message) == ("Failed", FAILED)
                (metric,) = analysis.metrics
                failed = [m for m in metric.measurements if m.phase == "Failed"]
                assert len(failed) == 4
                last = failed[-1]
                assert 0.5 < float(last.shown) < 0.95
                assert metric.why == (f"measurement {last.number} value {last.shown} failed `result[0] >= 0.95`; "
                                      "failed (4) > failureLimit (3)")
                # On screen: the header's message and why, every measurement against its condition.
                header = " ".join(text_of(screen, "#ro-header").split())
                assert " ".join(ABORTED.split()) in header
                assert f"Why success-rate: {metric.why}" in header
                analysis_text = text_of(screen, "#ro-analysis")
                for m in metric.measurements:
                    assert m.why in analysis_text
                stable_only = (rv.Image("ghcr.io/eli-maor/backend:v2.0.0", ("stable",)),)
                await wait_for(pilot, lambda: screen.view.images == stable_only, "the canary's pods gone", 30)
                assert screen.view.revisions[0].replicasets[0].canary
                assert screen.view.revisions[0].replicasets[0].desired == 0
                # The view's own watchers (not the console's) end at once when it closes: no long poll left open.
                mine = [t for t in threading.enumerate() if t.name.startswith("watch-") and t not in console_watchers]
                assert len(mine) == 4, mine
                await pilot.press("escape")
                await wait_for(pilot, lambda: opened(app) is None, "the view closed")
                await wait_for(pilot, lambda: not any(t.is_alive() for t in mine), "the view's watchers ended", 5)

        run(scenario())


def test_the_healthy_rollout_live_then_stale_when_the_sandbox_stops(tmp_path, monkeypatch):
    from tui.controllers import rollout_view as controller

    sandbox = start_sandbox(tmp_path, "eli-maor-canary", 20.0)
    try:
        app = RollbackConsole(connect(kubeconfig=sandbox.kubeconfig))

        async def scenario():
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                # A cluster without Argo Rollouts: the server's own 404 for a group it does not serve.
                with monkeypatch.context() as m:
                    m.setattr(controller, "ROLLOUTS", "/apis/not-argo.example.com/v1alpha1/namespaces/{namespace}/ro")
                    app.open_rollout_view(RO)
                    await wait_for(pilot, lambda: opened(app) and opened(app).error, "no Argo Rollouts said")
                assert where(opened(app)) == controller.NOT_INSTALLED
                await pilot.press("escape")
                await wait_for(pilot, lambda: opened(app) is None, "the view closed")
                app.open_rollout_view("no-such-rollout")
                await wait_for(pilot, lambda: opened(app) and opened(app).error, "the missing Rollout said")
                assert where(opened(app)) == ("Rollout no-such-rollout is not in namespace production "
                                              "(kubectl get ro -n production).")
                await pilot.press("escape")
                await wait_for(pilot, lambda: opened(app) is None, "the view closed")
                app.open_rollout_view(RO)
                await wait_for(pilot, lambda: opened(app) and opened(app).view is not None
                               and opened(app).view.status == "Healthy" and where(opened(app)).startswith("live"),
                               "the healthy Rollout, every watch live")
                screen = opened(app)
                view = screen.view
                assert (view.step, view.set_weight, view.actual_weight) == ("6/6", "100", "100")
                assert all(s.state == rv.DONE for s in view.steps)
                stable = view.revisions[0].replicasets[0]
                assert (stable.stable, stable.ready, len(stable.pods)) == (True, 5, 5)
                sandbox.stop()
                await wait_for(pilot, lambda: "stale" in where(screen), "the view said stale", timeout=30)
                assert "Cannot reach the API server" in where(screen)
                assert screen.query_one("#rollout-body").has_class("-stale")
                assert screen.view is not None and screen.view.status == "Healthy"  # the last known state stays

        run(scenario())
    finally:
        sandbox.stop()


def test_closing_the_view_ends_a_quiet_watch_at_once(tmp_path):
    """A watch on a collection nothing changes blocks until its timeout; the view's close shuts it now."""
    import time

    import urllib3
    from kubernetes.watch.watch import iter_resp_lines

    from tui.controllers.rollout_view import Closing
    from tui.kube.collection import Collection

    sandbox = start_sandbox(tmp_path, "eli-maor-canary", 20.0)
    try:
        api = connect(kubeconfig=sandbox.kubeconfig).api
        quiet = Closing(Collection(api, "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/experiments"))
        response = quiet(NS, watch=True, timeout_seconds=60, _request_timeout=90)
        lines: list[str] = []

        def read() -> None:
            try:
                lines.extend(iter_resp_lines(response))
            except (urllib3.exceptions.HTTPError, OSError, ValueError):
                pass  # what the view's Watcher catches when its read is shut, before it sees its hub stopped

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(1.5)
        assert reader.is_alive() and not lines  # nothing to say: it would block for 60 s
        started = time.monotonic()
        quiet.close()
        reader.join(5)
        assert not reader.is_alive() and time.monotonic() - started < 2
        try:
            quiet(NS)
        except OSError as exc:  # a watcher's retry after close ends quietly
            assert str(exc) == "the Rollout view was closed"
        else:
            raise AssertionError("a closed source opened a new request")
    finally:
        sandbox.stop()
