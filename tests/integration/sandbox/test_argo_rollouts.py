"""Real kubectl against the sandbox's Argo Rollouts: the CRDs, `get ro`, `-o yaml`, and the
kubectl-argo-rollouts plugin's patches (its binary cannot be fetched here, so each command's exact
body, from upstream's pkg/kubectl-argo-rollouts/cmd/*, is sent with `kubectl patch`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml

from tests.integration.sandbox.test_kubectl import checked_stop
from tests.support.sandbox import Kubectl, start_sandbox, wait_for
from tests.support.tools import DEFAULT_KUBECTL

pytestmark = pytest.mark.timeout(120)
NS = "production"
RO = "eli-maor-backend"
HASH = "rollouts-pod-template-hash"


@pytest.fixture
def kubectl(tmp_path):
    sb = start_sandbox(tmp_path, "eli-maor-canary", 40.0)
    yield Kubectl(DEFAULT_KUBECTL, sb)
    checked_stop(sb)


def status(k: Kubectl) -> dict:
    return k.json("get", "ro", RO, "-n", NS)["status"]


def replica_sets(k: Kubectl) -> dict[str, dict]:
    items = k.json("get", "rs", "-n", NS, "-l", "component=backend")["items"]
    return {rs["metadata"]["labels"][HASH]: rs for rs in items}


def status_patch(k: Kubectl, body: dict) -> None:
    k("patch", "ro", RO, "-n", NS, "--subresource=status", "--type=merge", "-p", json.dumps(body))


def spec_patch(k: Kubectl, body, kind: str = "merge") -> None:
    k("patch", "ro", RO, "-n", NS, f"--type={kind}", "-p", json.dumps(body))


def set_image(k: Kubectl, image: str) -> None:
    spec_patch(k, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}], "json")


def paused_at(k: Kubectl, index: int) -> bool:
    s = status(k)
    return s.get("currentStepIndex") == index and s.get("phase") == "Paused"


def test_crds_get_ro_and_yaml(kubectl):
    crds = kubectl("get", "crd", "-o", "name").split()
    assert crds == [f"customresourcedefinition.apiextensions.k8s.io/{n}.argoproj.io" for n in
                    ("analysisruns", "analysistemplates", "clusteranalysistemplates", "experiments", "rollouts")]
    lines = kubectl("get", "ro", "-n", NS).splitlines()
    assert lines[0].split() == ["NAME", "DESIRED", "CURRENT", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert lines[1].split()[:5] == [RO, "5", "5", "5", "5"]
    rollout = yaml.safe_load(kubectl("get", "rollouts.argoproj.io", RO, "-n", NS, "-o", "yaml"))
    assert rollout["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "2"
    assert (rollout["status"]["phase"], rollout["status"]["stableRS"]) == ("Healthy", rollout["status"]["currentPodHash"])
    assert rollout["spec"]["strategy"]["canary"]["steps"][0] == {"setWeight": 20}
    assert kubectl("get", "analysistemplates", "-n", NS, "-o", "name").split() == [
        "analysistemplate.argoproj.io/success-rate"]
    assert "No resources found in production namespace." in kubectl.run("get", "analysisruns", "-n", NS).stderr
    assert kubectl("get", "experiments", "-n", NS, "-o", "json").count('"items": []') == 1
    scale = json.loads(kubectl("get", "--raw", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/{RO}/scale"))
    assert scale["status"] == {"replicas": 5, "selector": "app=eli-maor,component=backend"}
    # Watched as the plugin's informers do: list, then watch from its resourceVersion.
    for plural in ("rollouts", "analysisruns", "experiments"):
        listed = json.loads(kubectl("get", "--raw", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/{plural}"))
        rv = listed["metadata"]["resourceVersion"]
        kubectl("get", "--raw", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/{plural}"
                f"?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    events = kubectl("get", "--raw", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts?watch=1&timeoutSeconds=1")
    assert [json.loads(line)["type"] for line in events.splitlines()] == ["ADDED"]


def test_the_plugins_patches(kubectl):
    k = kubectl
    # Without a Prometheus here, the background analysis would err: take it out (a steps-only canary).
    spec_patch(k, [{"op": "remove", "path": "/spec/strategy/canary/analysis"}], "json")
    stable = status(k)["stableRS"]
    set_image(k, "ghcr.io/eli-maor/backend:v2.1.0")
    wait_for("the pause at step 1", lambda: paused_at(k, 1))
    assert status(k)["message"] == "CanaryPauseStep"
    canary = status(k)["currentPodHash"]
    assert (replica_sets(k)[canary]["spec"]["replicas"], replica_sets(k)[stable]["spec"]["replicas"]) == (1, 4)

    status_patch(k, {"status": {"pauseConditions": None}})  # promote
    wait_for("the pause at step 3", lambda: paused_at(k, 3))
    assert (replica_sets(k)[canary]["spec"]["replicas"], replica_sets(k)[stable]["spec"]["replicas"]) == (3, 3)

    status_patch(k, {"status": {"abort": True}})  # abort
    wait_for("the abort", lambda: status(k).get("phase") == "Degraded" and replica_sets(k)[canary]["spec"]["replicas"] == 0)
    s = status(k)
    assert s["message"] == "RolloutAborted: Rollout aborted update to revision 3"
    assert s["stableRS"] == stable
    wait_for("stable back at 5", lambda: replica_sets(k)[stable]["status"].get("availableReplicas") == 5)

    status_patch(k, {"status": {"abort": False}})  # retry
    wait_for("the steps again", lambda: paused_at(k, 1))

    status_patch(k, {"status": {"promoteFull": True}})  # promote --full
    wait_for("full promotion", lambda: status(k).get("phase") == "Healthy" and status(k)["stableRS"] == canary)

    # undo: the previous revision's template (v2.0.0's ReplicaSet) without the hash label.
    set_image(k, "ghcr.io/eli-maor/backend:v2.2.0")
    wait_for("the pause at step 1", lambda: paused_at(k, 1))
    template = replica_sets(k)[canary]["spec"]["template"]
    del template["metadata"]["labels"][HASH]
    spec_patch(k, [{"op": "replace", "path": "/spec/template", "value": template}], "json")
    wait_for("the rollback onto stable", lambda: status(k).get("phase") == "Healthy"
             and status(k)["currentPodHash"] == canary)
    assert status(k)["currentStepIndex"] == 6
    events = k.json("get", "events", "-n", NS, "--field-selector", f"involvedObject.name={RO}")["items"]
    assert "Rollback to stable ReplicaSets" in [e["message"] for e in events]
    assert replica_sets(k)[canary]["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "5"

    spec_patch(k, {"spec": {"paused": True}})  # pause
    wait_for("the manual pause", lambda: status(k).get("message") == "manually paused")
    spec_patch(k, {"spec": {"paused": False}})
    wait_for("resumed", lambda: status(k).get("phase") == "Healthy")

    restart_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    spec_patch(k, {"spec": {"restartAt": restart_at}})  # restart
    wait_for("the restart", lambda: status(k).get("restartedAt") == restart_at, timeout=60)
    wait_for("healthy after the restart", lambda: status(k).get("phase") == "Healthy")
