"""The runbook's canary end to end: the eli-maor-canary seed, a real Prometheus scraping the
sandbox, the background analysis `success-rate` querying it through the service proxy."""

from __future__ import annotations

import json

import pytest

from kube_sandbox.seeds import SUCCESS_RATE_QUERY
from tests.support.prometheus import sandbox_with_prometheus, wait_for_value
from tests.support.sandbox import Kubectl, wait_for
from tests.support.tools import DEFAULT_KUBECTL

pytestmark = pytest.mark.timeout(120)
NS = "production"
RO = "eli-maor-backend"
FAILED = 'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'
QUERY = SUCCESS_RATE_QUERY.replace("{{args.service-name}}", RO)


def ready(prom) -> None:
    """The template's query has data (two scrapes in its window) before a canary starts."""
    wait_for_value(prom, QUERY, lambda v: v >= 0.99, timeout=30)


def status(k: Kubectl) -> dict:
    return k.json("get", "ro", RO, "-n", NS)["status"]


def set_image(k: Kubectl, tag: str) -> None:
    k("patch", "ro", RO, "-n", NS, "--type=json", "-p", json.dumps(
        [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": f"ghcr.io/eli-maor/backend:{tag}"}]))


def runs(k: Kubectl) -> list[dict]:
    return k.json("get", "analysisruns", "-n", NS)["items"]


def test_an_erroring_canary_is_aborted_by_the_analysis_and_stable_is_untouched(tmp_path):
    with sandbox_with_prometheus(tmp_path, seed="eli-maor-canary", speed=20.0) as (sandbox, prom):
        k = Kubectl(DEFAULT_KUBECTL, sandbox)
        before = status(k)
        ready(prom)
        set_image(k, "v2.1.0-errors")
        wait_for("the abort", lambda: status(k).get("abort") is True, timeout=60)
        s = status(k)
        assert s["message"] == ("RolloutAborted: Rollout aborted update to revision 3: "
                                f"Background analysis phase error/failed: {FAILED}")
        assert s["stableRS"] == before["stableRS"]
        (run,) = runs(k)
        assert run["metadata"]["labels"]["rollout-type"] == "Background"
        assert (run["status"]["phase"], run["status"]["message"]) == ("Failed", FAILED)
        measured = [(m["phase"], float(m["value"].strip("[]")))
                    for m in run["status"]["metricResults"][0]["measurements"]]
        # A third of the canary's answers are 5xx: below 0.95 once enough of it is in the window.
        assert [v for phase, v in measured if phase == "Failed" and 0.5 < v < 0.95] == [
            v for phase, v in measured if phase == "Failed"], measured
        assert len([phase for phase, _ in measured if phase == "Failed"]) == 4, measured
        assert all(v >= 0.95 for phase, v in measured if phase == "Successful"), measured
        assert run["metadata"]["name"].startswith(f"{RO}-{s['currentPodHash']}-3")

        def stable_alone():
            rss = k.json("get", "rs", "-n", NS, "-l", "component=backend")["items"]
            by_hash = {rs["metadata"]["labels"]["rollouts-pod-template-hash"]: rs for rs in rss}
            canary, stable = by_hash[s["currentPodHash"]], by_hash[s["stableRS"]]
            return (canary["spec"]["replicas"] == 0 and stable["status"].get("availableReplicas") == 5
                    and stable["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v2.0.0"))

        wait_for("the canary scaled away, stable at 5", stable_alone, timeout=30)


def test_a_good_canary_walks_every_step_and_becomes_healthy(tmp_path):
    with sandbox_with_prometheus(tmp_path, seed="eli-maor-canary", speed=20.0) as (sandbox, prom):
        k = Kubectl(DEFAULT_KUBECTL, sandbox)
        # Short pauses for the test (the seed's are the runbook's 2m), at a stable state: nothing restarts.
        steps = [{"setWeight": 20}, {"pause": {"duration": "30s"}}, {"setWeight": 50}, {"pause": {"duration": "90s"}},
                 {"setWeight": 80}, {"pause": {"duration": "30s"}}]
        k("patch", "ro", RO, "-n", NS, "--type=json", "-p", json.dumps(
            [{"op": "replace", "path": "/spec/strategy/canary/steps", "value": steps}]))
        wait_for("the new steps observed", lambda: status(k).get("observedGeneration") == str(
            k.json("get", "ro", RO, "-n", NS)["metadata"]["generation"]))
        ready(prom)
        set_image(k, "v2.1.0")
        wait_for("the analysis", lambda: bool(runs(k)), timeout=60)
        wait_for("promotion", lambda: status(k).get("phase") == "Healthy"
                 and status(k)["stableRS"] == status(k)["currentPodHash"], timeout=60)
        s = status(k)
        assert s["currentStepIndex"] == 6
        assert "abort" not in s
        assert len(runs(k)) == 1
        wait_for("the run terminated", lambda: runs(k)[0]["status"].get("phase") == "Successful", timeout=10)
        result = runs(k)[0]["status"]["metricResults"][0]
        assert result["successful"] >= 2 and result.get("failed", 0) == 0, result
        assert all(float(m["value"].strip("[]")) >= 0.95 for m in result["measurements"])
