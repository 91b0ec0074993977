"""The sandbox's Argo Rollouts canary controller on the full sandbox under a ManualClock."""

from __future__ import annotations

import pytest

from kube_sandbox.cluster import Sandbox
from kube_sandbox.controllers.rollout_util import calculate_phase
from kube_sandbox.jsoncopy import clone
from kube_sandbox.resources import EVENT, REPLICASET, ROLLOUT

pytestmark = pytest.mark.offline
NS = "default"
STEPS = [{"setWeight": 20}, {"pause": {"duration": "2m"}}, {"setWeight": 50}, {"pause": {}},
         {"setWeight": 80}, {"pause": {"duration": 60}}]


def _rollout(image: str = "nginx:1", replicas: int = 5, **spec) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": image}]}},
                     "strategy": {"canary": {"steps": STEPS}}, **spec}}


class Cluster:
    def __init__(self, **spec):
        self.sandbox = Sandbox("empty")
        self.api = self.sandbox.api
        self.api.create(ROLLOUT, NS, _rollout(**spec), manager="test")
        self.sandbox.settle()

    def tick(self, seconds: float = 0.0) -> None:
        """Move time and run only what falls due (no look-ahead, unlike Sandbox.settle)."""
        self.sandbox.clock.advance(seconds)
        self.sandbox.manager.run_until_idle(0)

    def until(self, predicate, limit: float = 600.0, step: float = 1.0) -> None:
        waited = 0.0
        while not predicate():
            assert waited < limit, f"not reached in {limit} simulated seconds: {self.status()}"
            self.tick(step)
            waited += step

    def rollout(self) -> dict:
        return self.api.get(ROLLOUT, NS, "web")

    def status(self) -> dict:
        return self.rollout()["status"]

    def set_image(self, image: str) -> None:
        body = clone(self.rollout())
        body["spec"]["template"]["spec"]["containers"][0]["image"] = image
        self.api.update(ROLLOUT, NS, "web", body, manager="test")

    def patch_status(self, **fields) -> None:
        """The plugin's merge patch on /status (None removes a field, as JSON null does)."""
        body = clone(self.rollout())
        for key, value in fields.items():
            if value is None:
                body["status"].pop(key, None)
            else:
                body["status"][key] = value
        self.api.update(ROLLOUT, NS, "web", body, subresource="status", manager="kubectl-argo-rollouts")

    def patch_spec(self, **fields) -> None:
        body = clone(self.rollout())
        body["spec"].update(fields)
        self.api.update(ROLLOUT, NS, "web", body, manager="kubectl-argo-rollouts")

    def counts(self) -> tuple[int, int]:
        """(canary, stable) spec.replicas."""
        status = self.status()
        by_hash = {rs["metadata"]["labels"]["rollouts-pod-template-hash"]: rs["spec"]["replicas"]
                   for rs in self.api.list(REPLICASET, NS)}
        return by_hash.get(status["currentPodHash"], 0), by_hash.get(status["stableRS"], 0)

    def replica_sets(self) -> list[dict]:
        return sorted(self.api.list(REPLICASET, NS), key=lambda rs: rs["metadata"]["creationTimestamp"])

    def events(self, reason: str) -> list[str]:
        return [e["message"] for e in self.api.list(EVENT, NS)
                if e["involvedObject"]["kind"] == "Rollout" and e["reason"] == reason]

    def paused_on_step(self, index: int) -> bool:
        status = self.status()
        return status.get("currentStepIndex") == index and bool(status.get("pauseConditions"))


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster()
    c.until(lambda: c.status().get("phase") == "Healthy")
    return c


def test_initial_deploy_is_promoted_at_once(cluster):
    status = cluster.status()
    assert status["stableRS"] == status["currentPodHash"]
    assert status["currentStepIndex"] == len(STEPS)
    assert status["phase"] == "Healthy" and "message" not in status  # omitempty
    (rs,) = cluster.replica_sets()
    assert rs["metadata"]["name"] == f"web-{status['currentPodHash']}"
    assert rs["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "1"
    assert rs["spec"]["template"]["metadata"]["labels"]["rollouts-pod-template-hash"] == status["currentPodHash"]
    assert cluster.rollout()["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "1"
    assert cluster.events("RolloutCompleted") == [
        f"Rollout completed update to revision 1 ({status['currentPodHash']}): Initial deploy"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Progressing": "True", "Available": "True", "Completed": "True", "Healthy": "True"}


def test_a_new_template_walks_the_steps(cluster):
    cluster.set_image("nginx:2")
    cluster.until(lambda: cluster.paused_on_step(1))
    assert cluster.counts() == (1, 4)
    status = cluster.status()
    assert (status["phase"], status["message"]) == ("Paused", "CanaryPauseStep")
    assert status["controllerPause"] is True
    assert status["pauseConditions"][0]["reason"] == "CanaryPauseStep"
    cluster.tick(119)
    assert cluster.status()["currentStepIndex"] == 1  # the 2m pause is not over yet
    cluster.until(lambda: cluster.paused_on_step(3))
    assert cluster.counts() == (3, 3)
    cluster.tick(600)
    assert cluster.paused_on_step(3), "pause {} waits for a promote"
    cluster.patch_status(pauseConditions=None)  # promote
    cluster.until(lambda: cluster.paused_on_step(5))
    assert cluster.counts() == (4, 1)
    cluster.until(lambda: cluster.status()["phase"] == "Healthy", limit=120)
    status = cluster.status()
    assert status["stableRS"] == status["currentPodHash"]
    assert cluster.counts() == (5, 5)  # canary and stable are one ReplicaSet now
    assert cluster.rollout()["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "2"
    assert [rs["spec"]["replicas"] for rs in cluster.replica_sets()] == [0, 5]
    assert cluster.events("RolloutStepCompleted") == [
        "Rollout step 1/6 completed (setWeight: 20)", "Rollout step 2/6 completed (pause: 2m0s)",
        "Rollout step 3/6 completed (setWeight: 50)", "Rollout step 4/6 completed (pause)",
        "Rollout step 5/6 completed (setWeight: 80)", "Rollout step 6/6 completed (pause: 1m0s)"]
    assert cluster.events("RolloutCompleted")[-1] == (
        f"Rollout completed update to revision 2 ({status['currentPodHash']}): Completed all 6 canary steps")


def test_progressing_messages_while_scaling(cluster):
    cluster.set_image("nginx:2")
    cluster.tick(0)
    status = cluster.status()
    assert status["phase"] == "Progressing"
    assert status["message"] in ("more replicas need to be updated", "updated replicas are still becoming available",
                                 "old replicas are pending termination", "waiting for all steps to complete")
    progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "ReplicaSetUpdated"
    assert progressing["message"] == f'ReplicaSet "web-{status["currentPodHash"]}" is progressing.'


def test_abort_scales_the_canary_away_and_is_degraded_until_retried(cluster):
    stable = cluster.status()["stableRS"]
    cluster.set_image("nginx:2")
    cluster.until(lambda: cluster.paused_on_step(1))
    cluster.patch_status(abort=True)
    cluster.until(lambda: cluster.counts() == (0, 5) and cluster.status()["availableReplicas"] == 5)
    status = cluster.status()
    assert status["stableRS"] == stable
    assert status["abort"] is True and status["abortedAt"]
    assert status["currentStepIndex"] == 0
    assert (status["phase"], status["message"]) == ("Degraded",
                                                    "RolloutAborted: Rollout aborted update to revision 2")
    assert cluster.events("RolloutAborted") == ["Rollout aborted update to revision 2"]
    cluster.patch_status(abort=None)  # retry: {"status":{"abort":false}}
    cluster.until(lambda: cluster.paused_on_step(1))
    assert cluster.counts() == (1, 4)


def test_undo_onto_the_stable_replica_set_skips_the_steps(cluster):
    stable_rs = cluster.replica_sets()[0]
    cluster.set_image("nginx:2")
    cluster.until(lambda: cluster.paused_on_step(3), limit=900)
    # kubectl argo rollouts undo: the RS's template without the hash label, as a JSON patch.
    template = clone(stable_rs["spec"]["template"])
    del template["metadata"]["labels"]["rollouts-pod-template-hash"]
    cluster.patch_spec(template=template)
    cluster.until(lambda: cluster.status()["phase"] == "Healthy")
    status = cluster.status()
    assert status["currentPodHash"] == status["stableRS"] == stable_rs["metadata"]["labels"]["rollouts-pod-template-hash"]
    assert status["currentStepIndex"] == len(STEPS)
    assert cluster.events("SkipSteps") == ["Rollback to stable ReplicaSets"]
    old, new = cluster.replica_sets()
    assert old["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "3"
    assert old["metadata"]["annotations"]["rollout.argoproj.io/revision-history"] == "1"
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (5, 0)


def test_promote_full_skips_the_remaining_steps(cluster):
    cluster.set_image("nginx:2")
    cluster.until(lambda: cluster.paused_on_step(1))
    cluster.patch_status(promoteFull=True)
    cluster.until(lambda: cluster.status()["phase"] == "Healthy")
    assert cluster.counts() == (5, 5)
    assert cluster.events("RolloutCompleted")[-1].endswith(": Full promotion requested")
    assert "promoteFull" not in cluster.status()


def test_manual_pause_holds_the_rollout(cluster):
    cluster.set_image("nginx:2")
    cluster.until(lambda: cluster.paused_on_step(1))
    cluster.patch_spec(paused=True)
    cluster.tick(300)
    status = cluster.status()
    assert (status["phase"], status["message"]) == ("Paused", "manually paused")
    assert status["currentStepIndex"] == 1
    cluster.patch_spec(paused=False)  # promote also sends {"spec":{"paused":false}}
    cluster.until(lambda: cluster.paused_on_step(3))


def test_restart_replaces_every_pod(cluster):
    from kube_sandbox.clock import rfc3339
    from kube_sandbox.resources import POD
    before = {p["metadata"]["name"] for p in cluster.api.list(POD, NS)}
    cluster.patch_spec(restartAt=rfc3339(cluster.sandbox.clock.now()))
    cluster.until(lambda: cluster.status().get("message") == "rollout is restarting")
    cluster.until(lambda: cluster.status().get("restartedAt") == cluster.rollout()["spec"]["restartAt"], limit=900)
    after = {p["metadata"]["name"] for p in cluster.api.list(POD, NS) if not p["metadata"].get("deletionTimestamp")}
    assert not before & after
    cluster.until(lambda: cluster.status()["phase"] == "Healthy")


def test_revision_history_limit_deletes_the_oldest_idle_replica_sets():
    c = Cluster(revisionHistoryLimit=1)
    c.until(lambda: c.status().get("phase") == "Healthy")
    for version in (2, 3, 4):
        c.set_image(f"nginx:{version}")
        c.tick(0)  # a new template resets promoteFull, as upstream's resetRolloutStatus does
        c.patch_status(promoteFull=True)
        c.until(lambda: c.status().get("phase") == "Healthy" and c.counts() == (5, 5))
        c.tick(5)
    revisions = sorted(int(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"]) for rs in c.replica_sets())
    assert revisions == [3, 4]


@pytest.mark.parametrize(("spec", "status", "expected"), [
    ({"replicas": 3}, {"conditions": [{"type": "Progressing", "reason": "RolloutAborted",
                                       "message": "Rollout aborted update to revision 2"}]},
     ("Degraded", "RolloutAborted: Rollout aborted update to revision 2")),
    ({"replicas": 3}, {"conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded",
                                       "message": 'ReplicaSet "x" has timed out progressing.'}]},
     ("Degraded", 'ProgressDeadlineExceeded: ReplicaSet "x" has timed out progressing.')),
    ({"replicas": 3, "paused": True}, {}, ("Paused", "manually paused")),
    ({"replicas": 3}, {"pauseConditions": [{"reason": "InconclusiveAnalysisRun"}]},
     ("Paused", "InconclusiveAnalysisRun")),
    ({"replicas": 3, "restartAt": "2026-01-01T00:00:00Z"}, {}, ("Progressing", "rollout is restarting")),
    ({"replicas": 3}, {"updatedReplicas": 1}, ("Progressing", "more replicas need to be updated")),
    ({"replicas": 3}, {"updatedReplicas": 3, "availableReplicas": 2},
     ("Progressing", "updated replicas are still becoming available")),
    ({"replicas": 3}, {"updatedReplicas": 3, "availableReplicas": 3, "replicas": 4},
     ("Progressing", "old replicas are pending termination")),
    ({"replicas": 3}, {"updatedReplicas": 3, "availableReplicas": 3, "replicas": 3, "stableRS": "a",
                       "currentPodHash": "b"}, ("Progressing", "waiting for all steps to complete")),
    ({"replicas": 3}, {"updatedReplicas": 3, "availableReplicas": 3, "replicas": 3, "stableRS": "a",
                       "currentPodHash": "a"}, ("Healthy", "")),
])
def test_calculate_rollout_phase(spec, status, expected):
    rollout = {"spec": {**spec, "strategy": {"canary": {}}}}
    assert calculate_phase(rollout, status) == expected


@pytest.mark.parametrize(("change", "message"), [
    ({"strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "2 minutes"}}]}}},
     'InvalidSpec: spec.strategy.canary.steps[1].pause.duration: Invalid value: "2 minutes": '
     'time: invalid duration "2 minutes"'),
    ({"strategy": {"canary": {"steps": [{"setWeight": 120}]}}},
     "InvalidSpec: spec.strategy.canary.steps[0].setWeight: Invalid value: 120: must be between 0 and 100"),
    ({"selector": {}}, "InvalidSpec: Rollout has missing field '.spec.selector'"),
])
def test_an_invalid_spec_is_degraded_with_one_sentence(change, message):
    sandbox = Sandbox("empty")
    body = _rollout()
    body["spec"].update(change)
    sandbox.api.create(ROLLOUT, NS, body, manager="test")
    sandbox.settle()
    status = sandbox.api.get(ROLLOUT, NS, "web")["status"]
    assert (status["phase"], status["message"]) == ("Degraded", message)
    assert sandbox.api.list(REPLICASET, NS) == []


def test_promote_skip_current_step_moves_past_a_pause(cluster):
    cluster.set_image("nginx:2")
    cluster.until(lambda: cluster.paused_on_step(3), limit=900)
    cluster.patch_status(currentStepIndex=4)  # promote --skip-current-step: {"status":{"currentStepIndex":i+1}}
    cluster.until(lambda: cluster.paused_on_step(5))
    assert cluster.counts() == (4, 1)
    assert "Rollout step 4/6 completed (pause)" not in cluster.events("RolloutStepCompleted")


def test_a_canary_that_never_becomes_ready_exceeds_the_progress_deadline():
    c = Cluster(progressDeadlineSeconds=60)
    c.until(lambda: c.status().get("phase") == "Healthy")
    stable_template = clone(c.rollout()["spec"]["template"])
    c.set_image("nginx:2-crashloop")
    c.tick(0)
    name = f"web-{c.status()['currentPodHash']}"
    c.tick(50)
    assert c.status()["phase"] == "Progressing"
    c.until(lambda: c.status()["phase"] == "Degraded", limit=120)
    assert c.status()["message"] == f'ProgressDeadlineExceeded: ReplicaSet "{name}" has timed out progressing.'
    assert c.counts() == (1, 4) and "abort" not in c.status()  # progressDeadlineAbort is off by default
    assert c.events("ProgressDeadlineExceeded") == [f'ReplicaSet "{name}" has timed out progressing.']
    c.patch_spec(template=stable_template)  # undo onto stable
    c.until(lambda: c.status()["phase"] == "Healthy")
    assert c.counts() == (5, 5)


def test_a_name_taken_by_another_replica_set_bumps_the_collision_count():
    from kube_sandbox.controllers.rollout_util import pod_template_hash
    sandbox = Sandbox("empty")
    body = _rollout()
    taken = f"web-{pod_template_hash(body)}"
    other = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": taken},
             "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "other"}},
                      "template": {"metadata": {"labels": {"app": "other"}},
                                   "spec": {"containers": [{"name": "o", "image": "other:1"}]}}}}
    sandbox.api.create(REPLICASET, NS, other, manager="test")
    sandbox.api.create(ROLLOUT, NS, body, manager="test")
    sandbox.settle()
    status = sandbox.api.get(ROLLOUT, NS, "web")["status"]
    assert status["collisionCount"] == 1
    assert status["phase"] == "Healthy"
    assert status["currentPodHash"] != taken.removeprefix("web-")
    assert sorted(rs["metadata"]["name"] for rs in sandbox.api.list(REPLICASET, NS)) == sorted(
        [taken, f"web-{status['currentPodHash']}"])
