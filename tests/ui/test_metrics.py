"""The console on a real Prometheus scraping a real sandbox, reached through the API server's service proxy.

One sandbox and one Prometheus for the module (tests/support/prometheus.py); Prometheus evaluates a copy of
the runbook's DeploymentFailed whose `for` is 5 s. Each test breaks a different component.
"""

from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request

import pytest
import yaml

from tests.support.pilot import SIZE, confirm, ready, run, wait_for
from tests.support.prometheus import sandbox_with_prometheus, wait_for_value
from tests.support.sandbox import Kubectl
from tests.support.tools import DEFAULT_KUBECTL, REPO_ROOT
from tui.app import RollbackConsole
from tui.appconfig import AppConfig, PrometheusConfig
from tui.core import checklist as runbook
from tui.core import metrics as m
from tui.kube.config import connect
from tui.screens.metrics import MetricsScreen
from widgets.metrics_panel import MetricsPanel

pytestmark = pytest.mark.timeout(240)
NS = "production"
PROMETHEUS = PrometheusConfig(service="monitoring/prometheus:9090", rate_window="10s", window=10.0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console-prometheus")
    rules = yaml.safe_load((REPO_ROOT / "examples" / "prometheus" / "rules.yaml").read_text())
    rules["groups"][0]["rules"][0]["for"] = "5s"
    (tmp / "rules.yaml").write_text(yaml.safe_dump(rules))
    with sandbox_with_prometheus(tmp, [tmp / "rules.yaml"]) as (sandbox, prom):
        wait_for_value(prom, 'up{job="sandbox"}', lambda v: v == 1)
        yield sandbox, prom, Kubectl(DEFAULT_KUBECTL, sandbox)


def console(sandbox, prometheus: PrometheusConfig = PROMETHEUS) -> RollbackConsole:
    return RollbackConsole(connect(kubeconfig=sandbox.kubeconfig), selector="app=eli-maor",
                           config=AppConfig(application="eli-maor", prometheus=prometheus))


def instant(prom, expr: str, at: float) -> float:
    query = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{prom.url}/api/v1/query?{query}", timeout=10) as response:
        return float(json.load(response)["data"]["result"][0]["value"][1])


def text_of(renderable) -> str:
    from rich.console import Console

    out = Console(width=150, record=True, file=io.StringIO())
    out.print(renderable)
    return out.export_text()


def test_a_failed_rollout_shows_deployment_failed_on_its_row_and_in_the_header(stack):
    sandbox, _, kubectl = stack
    backend = "eli-maor-backend"
    kubectl("patch", f"deployment/{backend}", "-n", NS, "-p", '{"spec":{"progressDeadlineSeconds":30}}')
    kubectl("set", "image", f"deployment/{backend}", "backend=ghcr.io/eli-maor/backend:v2.1.0-crashloop", "-n", NS)
    app = console(sandbox)

    def firing(state: str) -> bool:
        return any(a.name == "DeploymentFailed" and a.state == state
                   for a in m.alerts_for(app.metrics.state.alerts, NS, backend))

    async def scenario():
        async with app.run_test(size=(160, 48)) as pilot:  # room for the alert's name after the status
            await ready(pilot, app, backend)
            await wait_for(pilot, lambda: firing("pending") or firing("firing"), "DeploymentFailed pending", 90)
            await wait_for(pilot, lambda: firing("firing"), "DeploymentFailed firing", 60)
            await pilot.pause()
            header = str(app.header.query_one("#alerts").render())
            assert "▲ 1 firing (DeploymentFailed)" in header
            row = app.components_table.get_row(f"Deployment/{backend}")
            assert "▲DeploymentFailed" in str(row[-1])
            notes = [line.text for line in app.state.log if str(line.component) == backend]
            assert any(n.startswith("alert DeploymentFailed pending") for n in notes), notes
            assert any(n.startswith("alert DeploymentFailed firing: Deployment eli-maor-backend failed") for n in notes)
            assert [e for e in app.timeline_entries if "alert DeploymentFailed firing" in str(e)]

    run(scenario())


def test_an_errors_release_in_the_metrics_view_then_healthy_after_the_rollback(stack):
    sandbox, prom, kubectl = stack
    frontend = "eli-maor-frontend"
    kubectl("set", "image", f"deployment/{frontend}", "frontend=ghcr.io/eli-maor/frontend:v2.1.0-errors", "-n", NS)
    app = console(sandbox)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, frontend)
            await pilot.press("m")
            assert isinstance(app.screen, MetricsScreen)

            def erroring():
                last = app.metrics.last
                errors = last.series.get("errors") if last is not None else None
                return errors is not None and errors.last is not None and errors.last > 0.25

            await wait_for(pilot, erroring, "the error ratio of the -errors release in the Metrics view", 90)
            answer = app.metrics.last
            assert answer.request.deployment == frontend and not answer.errors
            # The console's figure is what Prometheus answers for the same expression at the same moment.
            at, value = answer.series["errors"].samples[-1]
            assert value == pytest.approx(instant(prom, m.METRIC["errors"].expr(NS, frontend, "10s"), at))
            at, rate = answer.series["rate"].samples[-1]
            assert rate == pytest.approx(instant(prom, m.METRIC["rate"].expr(NS, frontend, "10s"), at))
            shown = text_of(app.screen.query_one(MetricsPanel).content)
            assert "Error ratio (5xx)" in shown and "rollback" not in shown  # no rollback yet: nothing marked
            await pilot.press("escape")

            # Roll back: the error ratio and p95 stay under the thresholds for the window, which proves health.
            await pilot.press("u")
            await confirm(pilot, app, frontend)
            assert frontend in app.metrics.rollbacks
            health = app.checklist.get(runbook.APP_HEALTH)
            await wait_for(pilot, lambda: health.done, "Verify application health from the metrics", 120)
            assert "error ratio" in health.evidence and "after the rollback" in health.evidence
            assert app.metrics.verdicts[frontend].ok is True
            # What the report records of a moment carries the figures Prometheus gave (fresh ones only).
            snap = app.incident.snapshot_components(frontend)[frontend]
            assert snap["error_ratio"] < 0.01 and snap["p95"] < 0.5 and snap["restarts"] == 0
            assert [e for e in app.timeline_entries if "metrics" in str(e) and "after the rollback" in str(e)]

    run(scenario())


def test_prometheus_unreachable_is_one_sentence_and_the_console_goes_on(stack):
    sandbox, _, _ = stack
    app = console(sandbox, PrometheusConfig(url="http://127.0.0.1:9"))  # the discard port: connection refused

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await wait_for(pilot, lambda: app.metrics.state.error, "the failed poll", 30)
            error = app.metrics.state.error
            assert error.startswith("Prometheus at http://127.0.0.1:9 is unreachable") and "\n" not in error
            assert "prom○" in str(app.header.query_one("#alerts").render())
            assert app.components_table.row_count >= 4  # everything else works

    run(scenario())
