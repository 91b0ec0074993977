"""AnalysisRuns: conditions, assessment and the Rollout's reaction, against a small real HTTP server
answering Prometheus's /api/v1/query (the end-to-end run with a real Prometheus is in
tests/integration/sandbox/test_argo_rollouts.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from kube_sandbox.analysis_expr import ExprError, evaluate
from kube_sandbox.controllers import analysis as an
from kube_sandbox.jsoncopy import clone
from kube_sandbox.resources import ANALYSIS_RUN, ANALYSIS_TEMPLATE, ROLLOUT
from kube_sandbox.service_proxy import Upstream
from tests.unit.sandbox.test_rollout_controller import NS, Cluster

pytestmark = pytest.mark.offline


class FakePrometheus:
    """A real HTTP server answering /api/v1/query with a one-sample vector (or an empty one)."""

    def __init__(self):
        self.value: float | None = 0.99
        self.queries: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.queries.append(parse_qs(urlsplit(self.path).query)["query"][0])
                result = [] if owner.value is None else [{"metric": {}, "value": [0, str(owner.value)]}]
                body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def prometheus():
    p = FakePrometheus()
    yield p
    p.close()


def _template(address: str, **metric) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "success-rate"},
            "spec": {"args": [{"name": "service-name"}],
                     "metrics": [{"name": "success-rate", "interval": "30s", "failureLimit": 3,
                                  "successCondition": "result[0] >= 0.95",
                                  "provider": {"prometheus": {"address": address,
                                                              "query": 'ratio{service="{{args.service-name}}"}'}},
                                  **metric}]}}


def _cluster(address: str, args=({"name": "service-name", "value": "web"},), **metric) -> Cluster:
    c = Cluster()
    c.api.create(ANALYSIS_TEMPLATE, NS, _template(address, **metric), manager="test")
    body = clone(c.rollout())
    body["spec"]["strategy"]["canary"]["analysis"] = {"templates": [{"templateName": "success-rate"}],
                                                      "startingStep": 2, "args": list(args)}
    c.api.update(ROLLOUT, NS, "web", body, manager="test")
    c.until(lambda: c.status().get("phase") == "Healthy")
    c.set_image("nginx:2")
    return c


def _runs(c: Cluster) -> list[dict]:
    return c.api.list(ANALYSIS_RUN, NS)


def test_a_failing_analysis_aborts_the_rollout_with_upstreams_message(prometheus):
    prometheus.value = 0.8
    c = _cluster(prometheus.url)
    c.until(lambda: c.paused_on_step(1))
    assert _runs(c) == [], "no background analysis before startingStep"
    c.patch_status(pauseConditions=None)  # promote to step 2: setWeight 50
    c.until(lambda: c.status().get("abort") is True, limit=900)
    (run,) = _runs(c)
    status = c.status()
    revision = c.rollout()["metadata"]["annotations"]["rollout.argoproj.io/revision"]
    assert run["metadata"]["name"] == f"web-{status['currentPodHash']}-{revision}"
    assert run["metadata"]["labels"]["rollout-type"] == "Background"
    assert run["spec"]["args"] == [{"name": "service-name", "value": "web"}]
    assert prometheus.queries[0] == 'ratio{service="web"}'
    message = 'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'
    assert (run["status"]["phase"], run["status"]["message"]) == ("Failed", message)
    result = run["status"]["metricResults"][0]
    assert (result["count"], result["failed"]) == (4, 4)
    assert [m["value"] for m in result["measurements"]] == ["[0.8]"] * 4
    assert run["status"]["runSummary"] == {"count": 1, "failed": 1}  # zeros omitted, as upstream's omitempty
    c.until(lambda: c.counts() == (0, 5) and c.status()["availableReplicas"] == 5)
    assert c.status()["message"] == (
        f"RolloutAborted: Rollout aborted update to revision {revision}: "
        f"Background analysis phase error/failed: {message}")
    assert c.events("AnalysisRunFailed") == [
        f"Background Analysis Run '{run['metadata']['name']}' Status New: 'Failed' Previous: 'Running'"]
    # Once aborted the run is no longer current (upstream clears it; the run itself stays, Failed).
    assert "currentBackgroundAnalysisRunStatus" not in c.status()["canary"]


def test_a_good_analysis_runs_until_the_rollout_completes_and_is_terminated(prometheus):
    c = _cluster(prometheus.url)
    c.until(lambda: c.paused_on_step(1))
    c.patch_status(pauseConditions=None)
    c.until(lambda: c.paused_on_step(3))
    c.patch_status(pauseConditions=None)
    c.until(lambda: c.status()["phase"] == "Healthy", limit=900)
    (run,) = _runs(c)
    assert run["spec"]["terminate"] is True
    assert run["status"]["phase"] == "Successful"
    assert run["status"]["message"] == "Run Terminated"
    assert run["status"]["metricResults"][0]["successful"] >= 2
    assert len(run["status"]["metricResults"][0]["measurements"]) <= an.MEASUREMENT_HISTORY_LIMIT


def test_an_inconclusive_analysis_pauses_the_rollout(prometheus):
    prometheus.value = 0.9
    c = _cluster(prometheus.url, failureCondition="result[0] < 0.5")
    c.until(lambda: c.paused_on_step(1))
    c.patch_status(pauseConditions=None)
    c.until(lambda: any(p["reason"] == "InconclusiveAnalysisRun" for p in c.status().get("pauseConditions") or ()),
            limit=300)
    assert (c.status()["phase"], c.status()["message"]) == ("Paused", "InconclusiveAnalysisRun")
    (run,) = _runs(c)
    assert run["status"]["message"] == ('Metric "success-rate" assessed Inconclusive due to '
                                        "inconclusive (1) > inconclusiveLimit (0)")
    index = c.status()["currentStepIndex"]
    c.tick(300)
    assert c.status()["currentStepIndex"] == index, "an inconclusive analysis holds the steps"
    # promote on an inconclusive pause: {"status":{"pauseConditions":null,"controllerPause":false,"currentStepIndex":i+1}}
    c.patch_status(pauseConditions=None, controllerPause=False, currentStepIndex=index + 1)
    c.tick(5)
    status = c.status()
    assert status["currentStepIndex"] == index + 1
    # The run is still the current one and still Inconclusive: it pauses again, one step further.
    assert (status["phase"], status["message"]) == ("Paused", "InconclusiveAnalysisRun")


def test_no_data_is_an_error_and_errors_abort_past_the_consecutive_limit(prometheus):
    prometheus.value = None
    c = _cluster(prometheus.url)
    c.until(lambda: c.paused_on_step(1))
    c.patch_status(pauseConditions=None)
    c.until(lambda: c.status().get("abort") is True, limit=900)
    (run,) = _runs(c)
    assert run["status"]["phase"] == "Error"
    assert run["status"]["message"].startswith(
        'Metric "success-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
        '"Error Message: could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty')


def test_a_missing_argument_is_one_sentence(prometheus):
    c = _cluster(prometheus.url, args=())
    c.until(lambda: c.paused_on_step(1))
    c.patch_status(pauseConditions=None)
    c.until(lambda: bool(_runs(c)) and _runs(c)[0]["status"].get("phase") == "Error", limit=300)
    assert _runs(c)[0]["status"]["message"] == 'Unable to resolve metric arguments: argument "service-name" was not supplied'


def test_an_unparsable_condition_is_an_invalid_spec(prometheus):
    c = _cluster(prometheus.url, successCondition="result[0] >=")
    c.until(lambda: c.paused_on_step(1))
    c.patch_status(pauseConditions=None)
    c.until(lambda: c.status().get("abort") is True, limit=300)
    (run,) = _runs(c)
    assert run["status"]["phase"] == "Error"
    assert run["status"]["message"] == ('Analysis spec invalid: metrics[0]: successCondition "result[0] >=": '
                                        "unexpected 'end of expression'")
    assert prometheus.queries == []


def test_a_service_address_goes_through_the_service_proxy(prometheus):
    c = Cluster()
    controller = c.sandbox.analysis
    controller.upstreams = (Upstream("monitoring", "prometheus", 9090, prometheus.url),)
    assert controller.resolve_address("http://prometheus.monitoring.svc.cluster.local:9090") == prometheus.url
    assert controller.resolve_address("http://prometheus.monitoring.svc:9090") == prometheus.url
    assert controller.resolve_address("http://prometheus.other.svc:9090") == "http://prometheus.other.svc:9090"


@pytest.mark.parametrize(("success", "failure", "result", "phase"), [
    ("result[0] >= 0.95", "", [0.97], "Successful"),
    ("result[0] >= 0.95", "", [0.5], "Failed"),
    ("", "result[0] < 0.5", [0.4], "Failed"),
    ("", "result[0] < 0.5", [0.7], "Successful"),
    ("result[0] >= 0.95", "result[0] < 0.5", [0.7], "Inconclusive"),
    ("", "", [0.1], "Successful"),
    ("len(result) == 0 || isNaN(result[0])", "", [float("nan")], "Successful"),
])
def test_evaluate_result(success, failure, result, phase):
    assert an.evaluate({"successCondition": success, "failureCondition": failure}, result)[0] == phase


@pytest.mark.parametrize(("text", "result", "value"), [
    ("result[0] >= 0.95 && result[0] <= 1", [0.97], True),
    ("all(result, {# > 0.9})", [0.95, 0.91], True),
    ("any(result, {# > 0.9})", [0.5, 0.6], False),
    ("len(result) > 2 or result[-1] == 3", [1, 3], True),
    ("!(result < 1) and result % 2 == 1", 3, True),
    ("asFloat(result) * 100 >= 95.0", "0.96", True),
])
def test_expressions(text, result, value):
    assert evaluate(text, result) is value


@pytest.mark.parametrize(("text", "message"), [
    ("__import__('os')", "unknown function __import__()"),
    ("result.count()", "unexpected '('"),
    ("result[0] >=", "unexpected 'end of expression'"),
    ("result", "expected bool, but got an array of 1"),
    ("result.__class__ == 1", "an array index must be an integer, got str '__class__'"),
])
def test_expressions_that_cannot_run_say_why(text, message):
    with pytest.raises(ExprError) as caught:
        evaluate(text, [1])
    assert str(caught.value) == message


def test_finished_runs_beyond_the_history_limit_are_deleted(prometheus):
    c = _cluster(prometheus.url)
    body = clone(c.rollout())
    body["spec"]["analysis"] = {"successfulRunHistoryLimit": 1}
    c.api.update(ROLLOUT, NS, "web", body, manager="test")
    for version in (2, 3, 4):
        if version > 2:
            c.set_image(f"nginx:{version}")
        c.until(lambda: c.paused_on_step(1))
        c.patch_status(pauseConditions=None)
        c.until(lambda: c.paused_on_step(3))
        c.patch_status(pauseConditions=None)
        c.until(lambda: c.status()["phase"] == "Healthy", limit=900)
        c.tick(5)
    runs = _runs(c)
    assert [r["status"]["phase"] for r in runs] == ["Successful"]
    assert runs[0]["metadata"]["labels"]["rollouts-pod-template-hash"] == c.status()["currentPodHash"]
