"""A real Prometheus scraping a real sandbox process: the exposition, the service proxy, the runbook's alert.

One sandbox (eli-maor seed, speed 20) and one Prometheus for the module: the
Prometheus evaluates a test copy of DeploymentFailed whose `for` is 5 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import yaml

from tests.support.prometheus import alerts, query, sandbox_with_prometheus, scalar, wait_for_alert, wait_for_value
from tests.support.sandbox import Kubectl, start_sandbox
from tests.support.tools import DEFAULT_KUBECTL, PROMTOOL, REPO_ROOT, require
from tui.demo.prometheus import free_port

pytestmark = pytest.mark.timeout(240)
NS = "production"
FOR = "5s"


def manifest(name: str, image: str, replicas: int = 2, **spec) -> str:
    labels = {"app": name}
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, **spec,
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "app", "image": image}]}}},
    })


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prometheus")
    rules = yaml.safe_load((REPO_ROOT / "examples" / "prometheus" / "rules.yaml").read_text())
    rules["groups"][0]["rules"][0]["for"] = FOR  # the runbook's rule, waiting seconds instead of minutes
    (tmp / "rules.yaml").write_text(yaml.safe_dump(rules))
    with sandbox_with_prometheus(tmp, [tmp / "rules.yaml"]) as (sandbox, prom):
        kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
        wait_for_value(prom, 'up{job="sandbox"}', lambda v: v == 1)
        yield sandbox, prom, kubectl
    assert not [line for line in sandbox.stderr if "ERROR" in line or "Traceback" in line], "".join(sandbox.stderr)


def test_promtool_accepts_the_exposition(stack):
    sandbox, _, _ = stack
    with urllib.request.urlopen(f"{sandbox.url}/metrics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = resp.read().decode()
    assert "# TYPE kube_deployment_status_condition gauge" in text
    assert "# TYPE http_request_duration_seconds histogram" in text
    result = subprocess.run([str(require(PROMTOOL)), "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_sees_what_kubectl_sees(stack):
    _, prom, kubectl = stack
    deployments = kubectl.json("get", "deployments", "-n", NS)["items"]
    assert len(deployments) == 4
    for d in deployments:
        name = d["metadata"]["name"]
        ident = f'{{namespace="{NS}",deployment="{name}"}}'
        status = d["status"]
        for metric, value in (("kube_deployment_spec_replicas", d["spec"]["replicas"]),
                              ("kube_deployment_status_replicas_updated", status.get("updatedReplicas", 0)),
                              ("kube_deployment_status_replicas_available", status.get("availableReplicas", 0)),
                              ("kube_deployment_metadata_generation", d["metadata"]["generation"])):
            assert wait_for_value(prom, metric + ident, lambda v, want=value: v == want) == value
    # A change shows up within a few scrapes.
    kubectl("scale", "deployment/eli-maor-worker", "-n", NS, "--replicas=5")
    wait_for_value(prom, f'kube_deployment_status_replicas_available{{namespace="{NS}",deployment="eli-maor-worker"}}',
                   lambda v: v == 5)
    assert kubectl.json("get", "deployment/eli-maor-worker", "-n", NS)["status"]["availableReplicas"] == 5


def test_service_proxy_reaches_prometheus(stack):
    sandbox, _, kubectl = stack
    assert "prometheus" in kubectl("get", "svc", "-n", "monitoring")
    for name in ("prometheus:9090", "prometheus", "http:prometheus:9090"):
        body = json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/monitoring/services/{name}/proxy"
                                                  "/api/v1/query?query=up"))
        assert body["status"] == "success"
        assert [r["value"][1] for r in body["data"]["result"] if r["metric"]["job"] == "sandbox"] == ["1"]
    # POST with a form body passes through too (Prometheus's query API takes both).
    request = urllib.request.Request(f"{sandbox.url}/api/v1/namespaces/monitoring/services/prometheus:9090/proxy"
                                     "/api/v1/query", data=b"query=up", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert json.loads(resp.read())["data"]["result"][0]["value"][1] == "1"
    missing = kubectl.run("get", "--raw", "/api/v1/namespaces/monitoring/services/grafana:3000/proxy/", check=False)
    assert missing.returncode != 0
    assert 'services "grafana" not found' in missing.stderr


def test_service_proxy_says_when_the_upstream_is_down(tmp_path):
    port = free_port()
    sandbox = start_sandbox(tmp_path, "empty", 20.0, "--service-proxy", f"monitoring/prometheus:9090=http://127.0.0.1:{port}")
    try:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{sandbox.url}/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/-/ready",
                                   timeout=10)
        status = json.loads(caught.value.read())
        assert (caught.value.code, status["reason"]) == (503, "ServiceUnavailable")
        assert status["message"] == (f"error trying to reach service monitoring/prometheus: nothing answers at "
                                     f"http://127.0.0.1:{port} (connection refused); start it or fix --service-proxy")
    finally:
        assert sandbox.stop() == 0


def test_a_bad_service_proxy_option_is_one_sentence():
    result = subprocess.run([sys.executable, "-m", "tui.cli", "sandbox", "serve", "--service-proxy", "prometheus:9090"],
                            capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "rollback-console: --service-proxy 'prometheus:9090' must look like NAMESPACE/NAME:PORT=URL, "
        "e.g. monitoring/prometheus:9090=http://127.0.0.1:9091"]


def test_a_crash_looping_rollout_fires_deployment_failed(stack):
    _, prom, kubectl = stack
    _apply(kubectl, manifest("doomed", "app:v1-crashloop", progressDeadlineSeconds=30))
    pending = wait_for_alert(prom, "DeploymentFailed", "pending", deployment="doomed")
    assert pending["labels"]["severity"] == "critical"
    firing = wait_for_alert(prom, "DeploymentFailed", "firing", deployment="doomed")
    assert firing["annotations"]["summary"] == "Deployment doomed failed"
    assert firing["labels"]["reason"] == "ProgressDeadlineExceeded"
    # The runbook's restart counter, corrected: the crash loop counts up.
    wait_for_value(prom, 'sum(kube_pod_container_status_restarts_total{namespace="default",pod=~"doomed-.*"})',
                   lambda v: v >= 1)
    # The healthy seed never alerts.
    assert not [a for a in alerts(prom) if a["labels"].get("namespace") == NS]


def test_an_errors_release_shows_a_third_of_5xx(stack):
    _, prom, kubectl = stack
    _apply(kubectl, manifest("flaky", "app:v2-errors"))
    _apply(kubectl, manifest("steady", "app:v2"))

    def ratio(name: str) -> str:
        return (f'sum(rate(http_requests_total{{deployment="{name}",code=~"5.."}}[10s]))'
                f' / sum(rate(http_requests_total{{deployment="{name}"}}[10s]))')

    value = wait_for_value(prom, ratio("flaky"), lambda v: abs(v - 1 / 3) < 0.03)
    assert value == pytest.approx(1 / 3, abs=0.03)
    assert wait_for_value(prom, ratio("steady"), lambda v: v == 0) == 0
    # Requests per real second, once both pods have been Ready for the whole window:
    # 2 Ready pods x 10 per simulated second x speed 20.
    wait_for_value(prom, 'sum(rate(http_requests_total{deployment="steady"}[10s]))', lambda v: abs(v - 400) < 40)
    p95 = ('histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket'
           '{{deployment="{}"}}[10s])))')
    assert scalar(prom, p95.format("steady")) < 0.25
    _apply(kubectl, manifest("sluggish", "app:v2-slow"))
    assert wait_for_value(prom, p95.format("sluggish"), lambda v: v > 0.5, timeout=90) > 0.5
    assert {r["metric"]["version"] for r in query(prom, 'http_requests_total{deployment="flaky"}')} == {"v2-errors"}


def _apply(kubectl: Kubectl, text: str) -> None:
    result = subprocess.run([str(kubectl.binary), "apply", "-f", "-"], input=text, env=kubectl.env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
