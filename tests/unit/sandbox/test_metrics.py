"""The sandbox's /metrics exposition, computed in-process under the manual clock (deterministic)."""

from __future__ import annotations

import copy

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kube_sandbox.cluster import Sandbox
from kube_sandbox.metrics import Metrics
from kube_sandbox.metrics.traffic import REQUESTS_PER_SECOND
from kube_sandbox.resources import DEPLOYMENT

NS = "default"


def deployment(name: str, image: str, replicas: int = 2, **spec) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, **spec,
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "app", "image": image}]}}},
    }


class Scrape:
    def __init__(self, text: str):
        self.samples = [s for family in text_string_to_metric_families(text) for s in family.samples]

    def values(self, name: str, **labels: str) -> list[float]:
        return [s.value for s in self.samples
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]

    def total(self, name: str, **labels: str) -> float:
        return sum(self.values(name, **labels))


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox("empty", now=1_700_000_000.0)


def test_kube_state_metrics_follow_the_deployment(sandbox):
    metrics = Metrics(sandbox.storage, sandbox.clock)
    sandbox.api.create(DEPLOYMENT, NS, deployment("web", "nginx:1.25", replicas=3))
    sandbox.advance(60)
    s = Scrape(metrics.exposition().decode())
    ident = {"namespace": NS, "deployment": "web"}
    for name in ("kube_deployment_spec_replicas", "kube_deployment_status_replicas",
                 "kube_deployment_status_replicas_updated", "kube_deployment_status_replicas_available"):
        assert s.values(name, **ident) == [3.0], name
    assert s.values("kube_deployment_status_replicas_unavailable", **ident) == [0.0]
    assert s.values("kube_deployment_metadata_generation", **ident) == [1.0]
    assert s.values("kube_deployment_status_observed_generation", **ident) == [1.0]
    # Three 0/1 series per condition, as kube-state-metrics writes them.
    progressing = {(x.labels["status"], x.labels["reason"]): x.value for x in s.samples
                   if x.name == "kube_deployment_status_condition" and x.labels["condition"] == "Progressing"}
    assert progressing == {("true", "NewReplicaSetAvailable"): 1.0, ("false", "NewReplicaSetAvailable"): 0.0,
                           ("unknown", "NewReplicaSetAvailable"): 0.0}
    restarts = [x for x in s.samples if x.name == "kube_pod_container_status_restarts_total"]
    assert len(restarts) == 3 and all(x.value == 0 and x.labels["container"] == "app" and x.labels["uid"]
                                      for x in restarts)
    assert s.total("kube_pod_status_ready", condition="true") == 3


def test_a_failed_rollout_shows_progressing_false(sandbox):
    metrics = Metrics(sandbox.storage, sandbox.clock)
    sandbox.api.create(DEPLOYMENT, NS, deployment("web", "nginx:1.25-crashloop", progressDeadlineSeconds=30))
    sandbox.advance(120)
    s = Scrape(metrics.exposition().decode())
    assert s.values("kube_deployment_status_condition", deployment="web", condition="Progressing",
                    status="false", reason="ProgressDeadlineExceeded") == [1.0]
    assert s.total("kube_pod_container_status_restarts_total", namespace=NS) > 0
    assert s.total("http_requests_total", deployment="web") == 0  # a crash-looping pod serves nothing


def test_traffic_follows_the_image(sandbox):
    metrics = Metrics(sandbox.storage, sandbox.clock)
    for name, image in (("ok", "app:v1"), ("bad", "app:v2-errors"), ("slow", "app:v3-slow")):
        sandbox.api.create(DEPLOYMENT, NS, deployment(name, image))
    sandbox.advance(30)
    before = Scrape(metrics.exposition().decode())
    sandbox.advance(100)
    after = Scrape(metrics.exposition().decode())

    def served(name: str, **labels) -> float:
        return after.total("http_requests_total", deployment=name, **labels) - before.total(
            "http_requests_total", deployment=name, **labels)

    for name in ("ok", "bad", "slow"):  # two Ready pods, 100 simulated seconds
        assert served(name) == pytest.approx(2 * 100 * REQUESTS_PER_SECOND, abs=4)
    assert served("ok", code="200") == served("ok")
    assert served("bad", code="500") + served("bad", code="503") == pytest.approx(served("bad") / 3, abs=4)
    assert after.values("http_requests_total", deployment="bad", code="200", version="v2-errors")

    def p95(name: str) -> float:
        """The bucket bound under which 95% of the requests fell (what histogram_quantile interpolates in)."""
        buckets = sorted((float(x.labels["le"]), x.value) for x in after.samples
                         if x.name == "http_request_duration_seconds_bucket" and x.labels["deployment"] == name
                         and x.labels["pod"] == after_pod(name))
        total = buckets[-1][1]
        return next(le for le, count in buckets if count >= 0.95 * total)

    def after_pod(name: str) -> str:
        return next(x.labels["pod"] for x in after.samples if x.name == "http_requests_total"
                    and x.labels["deployment"] == name)

    assert p95("ok") <= 0.1 and p95("bad") <= 0.1
    assert p95("slow") >= 2.5


def test_counters_never_go_back(sandbox):
    metrics = Metrics(sandbox.storage, sandbox.clock)
    sandbox.api.create(DEPLOYMENT, NS, deployment("web", "app:v1-errors", replicas=1))
    seen: dict[tuple, float] = {}
    for step in range(12):
        if step == 6:  # a rollout replaces the pod; the old series go, the new start from zero
            d = copy.deepcopy(sandbox.api.get(DEPLOYMENT, NS, "web"))
            d["spec"]["template"]["spec"]["containers"][0]["image"] = "app:v2"
            sandbox.api.update(DEPLOYMENT, NS, "web", d)
        sandbox.advance(7)
        for x in Scrape(metrics.exposition().decode()).samples:
            if x.name in ("http_requests_total", "http_request_duration_seconds_count"):
                key = (x.name, tuple(sorted(x.labels.items())))
                assert x.value >= seen.get(key, 0.0), key
                seen[key] = x.value
    assert any(k[0] == "http_requests_total" and ("version", "v2") in k[1] and v > 0 for k, v in seen.items())
