"""The Argo Rollout adapter against a real sandbox (`eli-maor-canary`), checked with real kubectl: the
plugin's actions planned and executed as the console does, each body upstream's, each outcome the
plugin's words, the controller's answer (steps, weights, abort, rollback onto stable) read back."""

from __future__ import annotations

import json

import pytest
from kubernetes import config

from tests.integration.sandbox.test_kubectl import checked_stop
from tests.support.sandbox import Kubectl, start_sandbox, wait_for
from tests.support.tools import DEFAULT_KUBECTL
from tui.core.errors import ConsoleError
from tui.core.requests import Request
from tui.core.rollout import summarize
from tui.core.workload import Ref
from tui.workloads.registry import adapter_for

pytestmark = pytest.mark.timeout(180)
NS, RO = "production", "eli-maor-backend"
REF = Ref("Rollout", RO)
HASH = "rollouts-pod-template-hash"


@pytest.fixture
def world(tmp_path):
    sb = start_sandbox(tmp_path, "eli-maor-canary", 40.0)
    api = config.new_client_from_config(config_file=str(sb.kubeconfig))
    k = Kubectl(DEFAULT_KUBECTL, sb)
    # No Prometheus here: the background analysis would err, so this is a steps-only canary.
    k("patch", "ro", RO, "-n", NS, "--type=json", "-p",
      json.dumps([{"op": "remove", "path": "/spec/strategy/canary/analysis"}]))
    yield api, k
    api.close()
    checked_stop(sb)


def status(k: Kubectl) -> dict:
    return k.json("get", "ro", RO, "-n", NS)["status"]


def replica_sets(k: Kubectl) -> dict[str, dict]:
    return {rs["metadata"]["labels"][HASH]: rs
            for rs in k.json("get", "rs", "-n", NS, "-l", "component=backend")["items"]}


def at_step(k: Kubectl, index: int, phase: str = "Paused") -> bool:
    s = status(k)
    return s.get("currentStepIndex") == index and s.get("phase") == phase


def act(api, action: str, **fields):
    adapter = adapter_for("Rollout")
    op = adapter.plan(api, NS, Request(action, REF, **fields))
    outcome = adapter.execute(api, op)
    assert outcome.ok, outcome.message
    return op, outcome


def test_set_image_promote_abort_retry_and_back_to_stable(world):
    api, k = world
    stable = status(k)["stableRS"]
    op, out = act(api, "set_image", argument="backend=ghcr.io/eli-maor/backend:v2.1.0")
    assert op.command == ["kubectl", "argo", "rollouts", "set", "image", RO, "backend=ghcr.io/eli-maor/backend:v2.1.0",
                          "-n", NS]
    assert out.message == f'rollout "{RO}" image updated'
    wait_for("the pause at step 1", lambda: at_step(k, 1))
    canary = status(k)["currentPodHash"]

    op, out = act(api, "promote")
    assert op.patch == {"spec": None, "status": {"status": {"pauseConditions": None}},
                        "fallback": {"spec": {"paused": False}, "status": {"pauseConditions": None}}}
    assert (op.command_line, out.message) == (f"kubectl argo rollouts promote {RO} -n {NS}", f"rollout '{RO}' promoted")
    wait_for("the pause at step 3", lambda: at_step(k, 3))
    sets = replica_sets(k)
    assert (sets[canary]["spec"]["replicas"], sets[stable]["spec"]["replicas"]) == (3, 3)

    op, out = act(api, "abort")
    assert op.patch["status"] == {"status": {"abort": True}} and out.message == f"rollout '{RO}' aborted"
    wait_for("the abort", lambda: status(k).get("phase") == "Degraded" and replica_sets(k)[canary]["spec"]["replicas"] == 0)
    assert status(k)["message"] == "RolloutAborted: Rollout aborted update to revision 3"
    again = adapter_for("Rollout").plan(api, NS, Request("abort", REF))  # aborted already: nothing is sent
    assert again.noop.startswith(f"rollout '{RO}' is aborted already")
    assert adapter_for("Rollout").execute(api, again).changed is False

    op, out = act(api, "retry")
    assert op.patch["status"] == {"status": {"abort": False}} and out.message == f"rollout '{RO}' retried"
    assert op.command_line == f"kubectl argo rollouts retry rollout {RO} -n {NS}"
    wait_for("the steps again", lambda: at_step(k, 1))

    # The incident fast path: a canary in flight with its stable ReplicaSet in the history: undo onto stable.
    op, out = act(api, "back_to_stable")
    assert op.kind == "rollback" and op.patch_type == "json" and op.revision == 2
    assert op.command_line == f"kubectl argo rollouts undo {RO} --to-revision=2 -n {NS}"
    assert any("skips the remaining steps" in line for line in op.changes)
    assert HASH not in op.patch[0]["value"]["metadata"]["labels"]
    wait_for("the rollback onto stable", lambda: status(k).get("phase") == "Healthy"
             and status(k)["currentPodHash"] == stable)
    assert status(k)["currentStepIndex"] == 6  # steps skipped, as upstream's "Rollback to stable ReplicaSets"
    with pytest.raises(ConsoleError, match="has no update in flight"):
        adapter_for("Rollout").plan(api, NS, Request("back_to_stable", REF))


def test_promote_full_pause_resume_restart_and_undo(world):
    api, k = world
    act(api, "set_image", argument="backend=ghcr.io/eli-maor/backend:v2.1.0")
    wait_for("the pause at step 1", lambda: at_step(k, 1))
    canary = status(k)["currentPodHash"]

    op, out = act(api, "pause")
    assert op.patch["spec"] == {"spec": {"paused": True}} and out.message == f"rollout '{RO}' paused"
    wait_for("the manual pause", lambda: status(k).get("message") == "manually paused")
    op, out = act(api, "resume")  # the plugin has no resume: promote unpauses (and ends the pause step)
    assert op.command_line == f"kubectl argo rollouts promote {RO} -n {NS}"
    assert op.patch["spec"] == {"spec": {"paused": False}}
    wait_for("the pause at step 3", lambda: at_step(k, 3))

    op, out = act(api, "promote_full")
    assert op.patch["status"] == {"status": {"promoteFull": True}} and out.message == f"rollout '{RO}' fully promoted"
    wait_for("full promotion", lambda: status(k).get("phase") == "Healthy" and status(k)["stableRS"] == canary)
    assert adapter_for("Rollout").plan(api, NS, Request("promote", REF)).noop

    op, out = act(api, "restart")
    restart_at = op.patch["spec"]["spec"]["restartAt"]
    assert out.message == f"rollout '{RO}' restarts in 0s"
    wait_for("the restart", lambda: status(k).get("restartedAt") == restart_at, timeout=60)
    wait_for("healthy after the restart", lambda: status(k).get("phase") == "Healthy")

    # undo: the second-newest revision (v2.0.0) as a new canary, every step again.
    op, out = act(api, "rollback")
    assert op.command_line == f"kubectl argo rollouts undo {RO} -n {NS}" and out.message == f"rollout '{RO}' undo"
    assert op.revision == 2 and any("every step" in line for line in op.changes)
    wait_for("the undo's canary at step 1", lambda: at_step(k, 1))
    ro = k.json("get", "ro", RO, "-n", NS)
    assert ro["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/eli-maor/backend:v2.0.0"
    s = summarize(ro, list(replica_sets(k).values()))
    assert (s.step_text, s.set_weight, s.stable_images) == ("1/6", 20, ("ghcr.io/eli-maor/backend:v2.1.0",))
    # undo --to-revision of the current template: the plugin's "skipped rollback".
    number = int(ro["metadata"]["annotations"]["rollout.argoproj.io/revision"])
    op = adapter_for("Rollout").plan_rollback(api, NS, RO, number)
    assert op.noop == f"skipped rollback (current template already matches revision {number})"
    with pytest.raises(ConsoleError, match="unable to find specified revision 99 in history"):
        adapter_for("Rollout").plan_rollback(api, NS, RO, 99)


def test_scale_through_the_scale_subresource(world):
    api, k = world
    op, out = act(api, "scale", replicas=0)
    assert op.command_line == f"kubectl scale rollout/{RO} --current-replicas=5 --replicas=0 -n {NS}"
    assert op.risk == "high" and out.previous_replicas == 5 and out.message == f"rollout.argoproj.io/{RO} scaled"
    wait_for("no pods", lambda: status(k).get("availableReplicas", 0) == 0 and k.json("get", "ro", RO, "-n", NS)[
        "spec"]["replicas"] == 0)
    stale = adapter_for("Rollout").plan(api, NS, Request("scale", REF, replicas=3))
    act(api, "scale", replicas=5)
    out = adapter_for("Rollout").execute(api, stale)  # planned at 0, now 5: kubectl's --current-replicas refusal
    assert not out.ok and out.message == "Expected replicas to be 0, was 5; re-read and try again."
    wait_for("healthy at 5", lambda: status(k).get("phase") == "Healthy" and status(k).get("availableReplicas") == 5)
