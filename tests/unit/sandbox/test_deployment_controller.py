"""The sandbox's Deployment controller, driven under a ManualClock.

Two environments: `bare` runs the Deployment controller with a small
stand-in for the ReplicaSet controller and kubelet (`FakeReplicaSets`,
below), so rollouts are exact and independent of pod lifecycle details;
`full` runs the real ReplicaSet controller, scheduler, kubelet and garbage collector
of the sandbox.
"""

from __future__ import annotations

import copy
import importlib
import re

import pytest

from kube_sandbox.api import Api
from kube_sandbox.clock import ManualClock, parse_rfc3339
from kube_sandbox.controllers import deployment_util as du
from kube_sandbox.controllers.base import Context, Controller, ControllerManager
from kube_sandbox.controllers.deployment import DeploymentController
from kube_sandbox.resources import DEPLOYMENT, NAMESPACE, POD, REPLICASET
from kube_sandbox.store import DELETED, Storage

T0 = 1_750_000_000.0
NS = "default"
HASH_CHARS = set("bcdfghjklmnpqrstvwxz2456789")


# ---- a stand-in for the ReplicaSet controller and the kubelet ----------------


class FakeReplicaSets(Controller):
    """Pods as timestamps: each RS's pods become ready `delay` simulated seconds
    after they are created (never, for an image ending in -unready), and the
    RS status reports them with minReadySeconds applied. Scaling down removes
    not-ready pods first, as the ReplicaSet controller does."""

    name = "fake-replicasets"

    def __init__(self, ctx: Context, delay: float = 5.0):
        super().__init__(ctx)
        self.delay = delay
        self.pods: dict[str, list[float | None]] = {}

    def keys_for(self, change):
        if change.key == REPLICASET.key and change.type != DELETED:
            return [(change.namespace, change.name)]
        return []

    def sync(self, namespace, name):
        rs = self.ctx.storage.get(REPLICASET.key, namespace, name)
        if rs is None:
            return
        now = self.clock.now()
        pods = self.pods.setdefault(rs["metadata"]["uid"], [])
        want = rs["spec"].get("replicas", 1)
        image = rs["spec"]["template"]["spec"]["containers"][0]["image"]
        while len(pods) < want:
            pods.append(None if image.endswith("-unready") else now + self.delay)
        if len(pods) > want:
            pods.sort(key=lambda t: (t is not None and t <= now, -(t or 0)))
            del pods[: len(pods) - want]
        min_ready = rs["spec"].get("minReadySeconds", 0)
        ready = sum(1 for t in pods if t is not None and t <= now)
        available = sum(1 for t in pods if t is not None and t + min_ready <= now)
        status = {"replicas": len(pods)}
        if ready:
            status["readyReplicas"] = ready
        if available:
            status["availableReplicas"] = available
        status["observedGeneration"] = rs["metadata"]["generation"]
        if status != rs.get("status"):
            body = copy.deepcopy(rs)
            body["status"] = status
            self.api.update(REPLICASET, namespace, name, body, subresource="status", manager="fake")
        waits = [t + (min_ready if min_ready else 0) - now for t in pods if t is not None]
        waits = [w for w in waits if w > 0]
        if waits:
            self.enqueue_after(min(waits), namespace, name)


# ---- environments --------------------------------------------------------------


def _full_controllers(ctx):
    """The sandbox's own ReplicaSet controller, scheduler, kubelet and GC, when they exist."""
    try:
        rs_mod = importlib.import_module("kube_sandbox.controllers.replicaset")
        scheduler_mod = importlib.import_module("kube_sandbox.controllers.scheduler")
        kubelet_mod = importlib.import_module("kube_sandbox.controllers.kubelet")
    except ModuleNotFoundError as exc:
        pytest.fail(f"full environment needs {exc.name}")
    controllers = [rs_mod.ReplicaSetController(ctx), scheduler_mod.Scheduler(ctx), kubelet_mod.Kubelet(ctx)]
    try:
        gc_mod = importlib.import_module("kube_sandbox.controllers.gc")
        controllers.append(gc_mod.GarbageCollector(ctx))
    except ModuleNotFoundError:
        pass
    return controllers


class Env:
    def __init__(self, full: bool = False):
        self.full = full
        self.clock = ManualClock(T0)
        self.storage = Storage()
        self.api = Api(self.storage, self.clock)
        self.ctx = Context(self.api, self.clock)
        self.dc = DeploymentController(self.ctx)
        self.events: list[tuple[str, str, str]] = []
        emit = self.dc.recorder.event

        def spy(obj, type_, reason, message, field_path=""):
            self.events.append((type_, reason, message))
            emit(obj, type_, reason, message, field_path)

        self.dc.recorder.event = spy
        others = _full_controllers(self.ctx) if full else [FakeReplicaSets(self.ctx)]
        self.manager = ControllerManager(self.ctx, [self.dc, *others])
        self.api.create(NAMESPACE, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        self.run()

    def run(self, seconds: float = 900) -> None:
        self.manager.run_until_idle(seconds)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    # -- objects --

    def create(self, name: str = "web", replicas: int = 2, image: str = "nginx:1.25", *,
               strategy: dict | None = None, annotations: dict | None = None, **spec) -> dict:
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "app", "image": image}]},
                },
                "strategy": strategy or {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                **spec,
            },
        }
        if annotations:
            body["metadata"]["annotations"] = annotations
        return self.api.create(DEPLOYMENT, NS, body, manager="kubectl-client-side-apply")

    def deployment(self, name: str = "web") -> dict:
        return self.api.get(DEPLOYMENT, NS, name)

    def edit(self, fn, name: str = "web") -> dict:
        """Change a fresh copy of the Deployment with `fn` and update it."""
        d = copy.deepcopy(self.deployment(name))
        fn(d)
        return self.api.update(DEPLOYMENT, NS, name, d, manager="kubectl-edit")

    def set_image(self, image: str, name: str = "web", cause: str | None = None) -> dict:
        """`kubectl set image` (with --record's change-cause if given)."""
        d = copy.deepcopy(self.deployment(name))
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image
        if cause is not None:
            d["metadata"].setdefault("annotations", {})[du.CHANGE_CAUSE_ANNOTATION] = cause
        return self.api.update(DEPLOYMENT, NS, name, d, manager="kubectl-set")

    def scale(self, replicas: int, name: str = "web") -> dict:
        d = copy.deepcopy(self.deployment(name))
        d["spec"]["replicas"] = replicas
        return self.api.update(DEPLOYMENT, NS, name, d, manager="kubectl-scale")

    def set_paused(self, paused: bool, name: str = "web") -> dict:
        d = copy.deepcopy(self.deployment(name))
        if paused:
            d["spec"]["paused"] = True
        else:
            d["spec"].pop("paused", None)
        return self.api.update(DEPLOYMENT, NS, name, d, manager="kubectl-rollout")

    def replica_sets(self, name: str = "web") -> list[dict]:
        """The Deployment's ReplicaSets (by controllerRef), oldest revision first."""
        d = self.deployment(name)
        owned = [rs for rs in self.api.list(REPLICASET, NS) if du.is_controlled_by(rs, d)]
        return sorted(owned, key=du.revision)

    def by_revision(self, name: str = "web") -> dict[int, dict]:
        return {du.revision(rs): rs for rs in self.replica_sets(name)}

    def new_rs(self, name: str = "web") -> dict:
        d = self.deployment(name)
        rs = du.find_new_replica_set(d, self.replica_sets(name))
        assert rs is not None
        return rs

    def condition(self, type_: str, name: str = "web") -> dict | None:
        return du.get_condition(self.deployment(name).get("status"), type_)

    def scaling_events(self) -> list[str]:
        return [m for _, reason, m in self.events if reason == "ScalingReplicaSet"]

    def rollback_like_kubectl(self, to_revision: int, name: str = "web") -> dict:
        """What `kubectl rollout undo --to-revision=N` sends: the RS's template
        without the hash label, and its annotations (but the skip list)."""
        d = copy.deepcopy(self.deployment(name))
        rs = self.by_revision(name)[to_revision]
        template = copy.deepcopy(rs["spec"]["template"])
        template["metadata"]["labels"].pop(du.HASH_LABEL)
        ann = {k: v for k, v in (d["metadata"].get("annotations") or {}).items() if k in du.ANNOTATIONS_TO_SKIP}
        ann.update({k: v for k, v in (rs["metadata"].get("annotations") or {}).items() if k not in du.ANNOTATIONS_TO_SKIP})
        d["spec"]["template"] = template
        d["metadata"]["annotations"] = ann
        return self.api.update(DEPLOYMENT, NS, name, d, manager="kubectl-rollout")


@pytest.fixture
def env():
    return Env()


def _ann(obj: dict) -> dict:
    return obj["metadata"].get("annotations") or {}


def _image(rs: dict) -> str:
    return rs["spec"]["template"]["spec"]["containers"][0]["image"]


# ---- the new ReplicaSet ----------------------------------------------------------------


def test_creates_one_replica_set_named_and_labelled_by_template_hash(env):
    env.create(minReadySeconds=3)
    env.run()
    [rs] = env.replica_sets()
    d = env.deployment()
    h = rs["metadata"]["labels"][du.HASH_LABEL]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert 1 <= len(h) <= 10 and set(h) <= HASH_CHARS
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", du.HASH_LABEL: h}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", du.HASH_LABEL: h}
    assert rs["metadata"]["labels"] == {"app": "web", du.HASH_LABEL: h}
    assert rs["spec"]["minReadySeconds"] == 3
    assert rs["metadata"]["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": d["metadata"]["uid"],
        "controller": True, "blockOwnerDeletion": True,
    }]
    assert _ann(rs)[du.REVISION_ANNOTATION] == "1"
    assert _ann(rs)[du.DESIRED_REPLICAS_ANNOTATION] == "2"
    assert _ann(rs)[du.MAX_REPLICAS_ANNOTATION] == "3"
    assert _ann(d)[du.REVISION_ANNOTATION] == "1"
    # The template itself is the Deployment's, hash label aside.
    assert du.equal_ignore_hash(rs["spec"]["template"], d["spec"]["template"])
    assert env.scaling_events() == [f"Scaled up replica set web-{h} from 0 to 2"]


def test_status_and_conditions_once_available(env):
    env.create()
    env.run()
    d = env.deployment()
    status = d["status"]
    assert status["observedGeneration"] == d["metadata"]["generation"]
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"], status["availableReplicas"]) == (2, 2, 2, 2)
    assert "unavailableReplicas" not in status  # zero, so omitted as the Go type serializes it
    available = env.condition(du.AVAILABLE)
    assert (available["status"], available["reason"], available["message"]) == (
        "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    progressing = env.condition(du.PROGRESSING)
    name = env.new_rs()["metadata"]["name"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.')


def test_conditions_while_pods_start(env):
    env.create(replicas=3, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    env.manager.drain()  # no time has passed: pods exist but none is ready
    status = env.deployment()["status"]
    assert status["replicas"] == 3 and status["unavailableReplicas"] == 3
    available = env.condition(du.AVAILABLE)
    assert (available["status"], available["reason"], available["message"]) == (
        "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
    progressing = env.condition(du.PROGRESSING)
    name = env.new_rs()["metadata"]["name"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.')
    env.run()
    assert env.condition(du.AVAILABLE)["status"] == "True"
    assert env.condition(du.PROGRESSING)["reason"] == "NewReplicaSetAvailable"


def test_progressing_keeps_its_transition_time_while_progressing(env):
    env.create(replicas=3)
    env.run()
    first = env.condition(du.PROGRESSING)
    env.advance(30)
    seen = _progressing_history(env)
    env.set_image("nginx:1.26")
    env.run()
    name = env.new_rs()["metadata"]["name"]
    reasons = [reason for _, reason, _ in seen]
    # (the first entry is the finished first rollout, seen on the spec update)
    assert reasons[:2] == ["NewReplicaSetAvailable", "NewReplicaSetCreated"]
    assert reasons[-1] == "NewReplicaSetAvailable"
    assert "ReplicaSetUpdated" in reasons
    assert seen[-1][2] == f'ReplicaSet "{name}" has successfully progressed.'
    last = env.condition(du.PROGRESSING)
    # Status True throughout: the transition time is still the first rollout's; the update time moved.
    assert last["lastTransitionTime"] == first["lastTransitionTime"]
    assert parse_rfc3339(last["lastUpdateTime"]) > parse_rfc3339(first["lastUpdateTime"]) + 30


def test_hash_is_stable_and_differs_per_template_and_collision_count():
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "x:1"}]}}
    other = copy.deepcopy(template)
    other["spec"]["containers"][0]["image"] = "x:2"
    h = du.compute_hash(template, None)
    assert h == du.compute_hash(copy.deepcopy(template), None)
    assert h != du.compute_hash(other, None)
    assert h != du.compute_hash(template, 1) != du.compute_hash(template, 2)
    # The hash label itself does not change the hash.
    labelled = copy.deepcopy(template)
    labelled["metadata"]["labels"][du.HASH_LABEL] = h
    assert du.compute_hash(labelled, None) == h
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{1,10}", h)


def test_hash_collision_bumps_collision_count(env):
    d = env.create()  # not synced yet: the manager only drains on run()
    h = du.compute_hash(d["spec"]["template"], None)
    squatter_template = copy.deepcopy(d["spec"]["template"])
    squatter_template["metadata"]["labels"] = {"app": "other"}
    squatter_template["spec"]["containers"][0]["image"] = "busybox"
    env.api.create(REPLICASET, NS, {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"web-{h}", "labels": {"app": "other"}},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "other"}}, "template": squatter_template},
    })
    env.run()
    d = env.deployment()
    assert d["status"]["collisionCount"] == 1
    [rs] = env.replica_sets()
    assert rs["metadata"]["name"] == f"web-{du.compute_hash(d['spec']['template'], 1)}"
    assert rs["metadata"]["name"] != f"web-{h}"
    assert env.api.get(REPLICASET, NS, f"web-{h}")["spec"]["replicas"] == 0  # not ours, left alone


def test_adopts_an_orphaned_replica_set_with_the_same_template(env):
    env.create()
    env.run()
    [rs] = env.replica_sets()
    # `kubectl delete deployment web --cascade=orphan`, then create it again.
    env.api.delete(DEPLOYMENT, NS, "web")
    orphan = copy.deepcopy(env.api.get(REPLICASET, NS, rs["metadata"]["name"]))
    orphan["metadata"].pop("ownerReferences")
    env.api.update(REPLICASET, NS, rs["metadata"]["name"], orphan)
    env.create()
    env.run()
    [adopted] = env.replica_sets()
    assert adopted["metadata"]["uid"] == rs["metadata"]["uid"]
    assert du.controller_of(adopted)["uid"] == env.deployment()["metadata"]["uid"]
    assert len(env.api.list(REPLICASET, NS)) == 1


# ---- rolling updates ----------------------------------------------------------------------


class Watcher:
    """Pod counts of a Deployment's ReplicaSets after every storage change."""

    def __init__(self, env: Env, name: str = "web"):
        self.env, self.name = env, name
        self.samples: list[tuple[int, int, int]] = []  # (sum spec.replicas, sum status.replicas, sum available)
        env.storage.subscribe(self._on_change)

    def _on_change(self, change):
        if change.key not in (REPLICASET.key, POD.key):
            return
        d = self.env.storage.get(DEPLOYMENT.key, NS, self.name)
        if d is None:
            return
        rss = [rs for rs in self.env.storage.items(REPLICASET.key, NS) if du.is_controlled_by(rs, d)]
        self.samples.append((du.replica_count(rss), du.actual_replica_count(rss), du.available_replica_count(rss)))


def test_rolling_update_stays_within_surge_and_unavailability(env):
    env.create(replicas=2)
    env.run()
    old = env.new_rs()
    watcher = Watcher(env)
    env.set_image("nginx:1.26")
    env.run()
    new = env.new_rs()
    assert new["metadata"]["name"] != old["metadata"]["name"]
    assert max(s[0] for s in watcher.samples) == 3  # it did surge, and never past maxSurge 1
    assert max(s[1] for s in watcher.samples) <= 3
    assert min(s[2] for s in watcher.samples) >= 2  # maxUnavailable 0
    assert env.api.get(REPLICASET, NS, old["metadata"]["name"])["spec"]["replicas"] == 0
    assert new["spec"]["replicas"] == 2
    o, n = old["metadata"]["name"], new["metadata"]["name"]
    assert env.scaling_events()[1:] == [
        f"Scaled up replica set {n} from 0 to 1",
        f"Scaled down replica set {o} from 2 to 1",
        f"Scaled up replica set {n} from 1 to 2",
        f"Scaled down replica set {o} from 1 to 0",
    ]
    status = env.deployment()["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (2, 2, 2)
    assert env.condition(du.PROGRESSING)["reason"] == "NewReplicaSetAvailable"


def test_rolling_update_with_percentages_rounds_surge_up_and_unavailable_down(env):
    # 4 replicas, 10%/10%: surge ceil(0.4) = 1, unavailable floor(0.4) = 0.
    env.create(replicas=4, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "10%", "maxUnavailable": "10%"}})
    env.run()
    watcher = Watcher(env)
    env.set_image("nginx:1.26")
    env.run()
    assert max(s[0] for s in watcher.samples) == 5
    assert min(s[2] for s in watcher.samples) >= 4
    assert env.new_rs()["spec"]["replicas"] == 4


def test_both_fenceposts_zero_means_one_unavailable():
    assert du.resolve_fenceposts("0%", "0%", 10) == (0, 1)
    assert du.resolve_fenceposts("10%", "10%", 4) == (1, 0)
    assert du.resolve_fenceposts(3, 2, 10) == (3, 2)
    d = {"metadata": {}, "spec": {"replicas": 1, "strategy": {"type": "RollingUpdate",
                                                              "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "30%"}}}}
    assert (du.max_surge(d), du.max_unavailable(d)) == (0, 1)
    d["spec"]["strategy"] = {"type": "Recreate"}
    assert (du.max_surge(d), du.max_unavailable(d)) == (0, 0)


def test_surge_zero_scales_down_before_up(env):
    env.create(replicas=2, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}})
    env.run()
    old = env.new_rs()["metadata"]["name"]
    watcher = Watcher(env)
    env.set_image("nginx:1.26")
    env.run()
    new = env.new_rs()["metadata"]["name"]
    assert max(s[0] for s in watcher.samples) == 2
    assert env.scaling_events()[1:3] == [
        f"Scaled down replica set {old} from 2 to 1",
        f"Scaled up replica set {new} from 0 to 1",
    ]


def test_min_ready_seconds_gates_scale_down_of_old_pods(env):
    env.create(replicas=1, minReadySeconds=30)
    env.run()
    old = env.new_rs()["metadata"]["name"]
    env.set_image("nginx:1.26")
    env.advance(20)  # new pod ready after 5s but not yet available
    assert env.api.get(REPLICASET, NS, old)["spec"]["replicas"] == 1
    env.advance(20)  # 35s since its creation: available
    assert env.api.get(REPLICASET, NS, old)["spec"]["replicas"] == 0


# ---- revisions, change-cause and rollback ------------------------------------------------------


def test_revisions_and_rollback_renumber_like_kubectl_rollout(env):
    env.create(annotations={du.CHANGE_CAUSE_ANNOTATION: "v1 release",
                            du.LAST_APPLIED_ANNOTATION: '{"kind":"Deployment"}',
                            "team": "web"})
    env.run()
    env.advance(1)
    env.set_image("nginx:1.26", cause="v2 release")
    env.run()
    env.advance(1)
    env.set_image("nginx:1.27", cause="v3 release")
    env.run()

    revs = env.by_revision()
    assert sorted(revs) == [1, 2, 3]
    assert [_image(revs[r]) for r in (1, 2, 3)] == ["nginx:1.25", "nginx:1.26", "nginx:1.27"]
    assert [_ann(revs[r])[du.CHANGE_CAUSE_ANNOTATION] for r in (1, 2, 3)] == ["v1 release", "v2 release", "v3 release"]
    for rs in revs.values():
        assert du.LAST_APPLIED_ANNOTATION not in _ann(rs)  # on the skip list
        assert _ann(rs)["team"] == "web"
        assert du.REVISION_HISTORY_ANNOTATION not in _ann(rs)
    assert _ann(env.deployment())[du.REVISION_ANNOTATION] == "3"

    first = revs[1]["metadata"]["name"]
    env.advance(1)
    env.rollback_like_kubectl(1)
    env.run()
    revs = env.by_revision()
    assert sorted(revs) == [2, 3, 4]
    assert revs[4]["metadata"]["name"] == first  # the same ReplicaSet, renumbered
    assert _ann(revs[4])[du.REVISION_HISTORY_ANNOTATION] == "1"
    assert _ann(revs[4])[du.CHANGE_CAUSE_ANNOTATION] == "v1 release"
    assert revs[4]["spec"]["replicas"] == 2 and revs[3]["spec"]["replicas"] == 0
    d = env.deployment()
    assert _ann(d)[du.REVISION_ANNOTATION] == "4"
    assert _ann(d)[du.CHANGE_CAUSE_ANNOTATION] == "v1 release"
    assert env.condition(du.PROGRESSING)["message"] == f'ReplicaSet "{first}" has successfully progressed.'

    # Back to revision 2, then to 4 (once 1): the history accumulates.
    env.advance(1)
    env.rollback_like_kubectl(2)
    env.run()
    env.advance(1)
    env.rollback_like_kubectl(4)
    env.run()
    revs = env.by_revision()
    assert sorted(revs) == [3, 5, 6]
    assert revs[6]["metadata"]["name"] == first
    assert _ann(revs[6])[du.REVISION_HISTORY_ANNOTATION] == "1,4"
    assert _ann(revs[5])[du.REVISION_HISTORY_ANNOTATION] == "2"


def test_reapplying_an_old_template_is_a_rollback_too(env):
    env.create()
    env.run()
    env.advance(1)
    env.set_image("nginx:1.26")
    env.run()
    env.advance(1)
    env.set_image("nginx:1.25")
    env.run()
    revs = env.by_revision()
    assert sorted(revs) == [2, 3]
    assert _image(revs[3]) == "nginx:1.25"
    assert _ann(revs[3])[du.REVISION_HISTORY_ANNOTATION] == "1"
    assert len(env.replica_sets()) == 2


def test_restarted_at_annotation_is_just_a_template_change(env):
    env.create()
    env.run()
    old = env.new_rs()
    env.advance(1)

    def restart(d):
        d["spec"]["template"]["metadata"].setdefault("annotations", {})[
            "kubectl.kubernetes.io/restartedAt"] = "2025-06-15T12:00:00Z"

    env.edit(fn=restart)
    env.run()
    new = env.new_rs()
    assert new["metadata"]["name"] != old["metadata"]["name"]
    assert new["spec"]["template"]["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": "2025-06-15T12:00:00Z"}
    assert _ann(new)[du.REVISION_ANNOTATION] == "2"
    assert env.api.get(REPLICASET, NS, old["metadata"]["name"])["spec"]["replicas"] == 0
    assert _image(new) == _image(old)


def test_deprecated_rollback_to_annotation(env):
    env.create()
    env.run()
    env.advance(1)
    env.set_image("nginx:1.26")
    env.run()

    def ask(d):
        d["metadata"]["annotations"][du.ROLLBACK_TO_ANNOTATION] = "0"  # 0: the previous revision

    env.edit(fn=ask)
    env.run()
    d = env.deployment()
    assert du.ROLLBACK_TO_ANNOTATION not in _ann(d)
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert du.HASH_LABEL not in d["spec"]["template"]["metadata"]["labels"]
    assert ("Normal", "DeploymentRollback", 'Rolled back deployment "web" to revision 1') in env.events
    assert sorted(env.by_revision()) == [2, 3]

    def ask_missing(d):
        d["metadata"]["annotations"][du.ROLLBACK_TO_ANNOTATION] = "42"

    env.edit(fn=ask_missing)
    env.run()
    assert ("Warning", "DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.") in env.events
    assert du.ROLLBACK_TO_ANNOTATION not in _ann(env.deployment())


def test_revision_history_limit_keeps_newest_scaled_down_replica_sets(env):
    env.create(revisionHistoryLimit=2)
    env.run()
    for i in range(6, 10):
        env.advance(1)
        env.set_image(f"nginx:1.{i}")
        env.run()
    revs = env.by_revision()
    assert sorted(revs) == [3, 4, 5]  # the new one and the two newest old ones
    assert _image(revs[5]) == "nginx:1.9"
    assert len(env.api.list(REPLICASET, NS)) == 3


def test_revision_history_limit_spares_replica_sets_with_pods(env):
    env.create(revisionHistoryLimit=0, progressDeadlineSeconds=60)
    env.run()
    env.advance(1)
    env.set_image("nginx:1.26-unready")  # stuck: the old RS keeps its pods
    env.run()
    revs = env.by_revision()
    assert sorted(revs) == [1, 2]
    assert revs[1]["spec"]["replicas"] == 2
    env.advance(1)
    env.set_image("nginx:1.27")
    env.run()
    # Once complete, every old RS goes (limit 0).
    assert sorted(env.by_revision()) == [3]


def test_cleanup_deletes_only_scaled_down_and_observed_replica_sets(env):
    env.create(revisionHistoryLimit=0)
    env.run()
    d = env.deployment()
    template = copy.deepcopy(env.new_rs()["spec"]["template"])

    def old_rs(name: str, revision: int, spec: int, status: dict) -> dict:
        t = copy.deepcopy(template)
        t["spec"]["containers"][0]["image"] = f"nginx:{name}"
        t["metadata"]["labels"][du.HASH_LABEL] = name
        rs = env.api.create(REPLICASET, NS, {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"web-{name}", "labels": t["metadata"]["labels"],
                         "annotations": {du.REVISION_ANNOTATION: str(revision)},
                         "ownerReferences": [du.new_controller_ref(d)]},
            "spec": {"replicas": spec, "selector": {"matchLabels": t["metadata"]["labels"]}, "template": t},
        })
        rs = copy.deepcopy(rs)
        rs["status"] = status
        return env.api.update(REPLICASET, NS, rs["metadata"]["name"], rs, subresource="status")

    rss = [
        old_rs("wants", 11, 1, {"replicas": 0, "observedGeneration": 1}),       # spec not yet at zero
        old_rs("draining", 12, 0, {"replicas": 1, "observedGeneration": 1}),    # pods still there
        old_rs("unobserved", 13, 0, {"replicas": 0, "observedGeneration": 0}),  # RS controller behind
        old_rs("gone", 14, 0, {"replicas": 0, "observedGeneration": 1}),
    ]
    env.dc._cleanup_deployment(rss, d)
    left = {rs["metadata"]["name"] for rs in env.api.list(REPLICASET, NS)}
    assert left == {env.new_rs()["metadata"]["name"], "web-wants", "web-draining", "web-unobserved"}


def test_paused_deployment_cleans_up_old_revisions(env):
    env.create(revisionHistoryLimit=5)
    env.run()
    for i in range(6, 9):
        env.advance(1)
        env.set_image(f"nginx:1.{i}")
        env.run()
    assert sorted(env.by_revision()) == [1, 2, 3, 4]
    env.set_paused(True)
    env.run()

    def lower(d):
        d["spec"]["revisionHistoryLimit"] = 1

    env.edit(lower)
    env.run()
    assert sorted(env.by_revision()) == [3, 4]


# ---- Recreate ----------------------------------------------------------------------------------


def _running_pod(env: Env, rs: dict, name: str) -> dict:
    labels = dict(rs["spec"]["template"]["metadata"]["labels"])
    pod = env.api.create(POD, NS, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels, "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs["metadata"]["name"],
            "uid": rs["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"containers": [{"name": "app", "image": _image(rs)}]},
    })
    pod = copy.deepcopy(pod)
    pod["status"] = {"phase": "Running"}
    return env.api.update(POD, NS, name, pod, subresource="status")


def test_recreate_scales_old_down_and_waits_for_old_pods(env):
    env.create(replicas=3, strategy={"type": "Recreate"})
    env.run()
    old = env.new_rs()
    pod = _running_pod(env, old, "web-old-pod")  # a pod the fake knows nothing of, still running
    env.advance(1)
    env.set_image("nginx:1.26")
    env.run()
    assert env.api.get(REPLICASET, NS, old["metadata"]["name"])["spec"]["replicas"] == 0
    assert len(env.replica_sets()) == 1  # no new RS while an old pod runs
    assert env.deployment()["status"].get("updatedReplicas", 0) == 0

    env.api.delete(POD, NS, pod["metadata"]["name"])  # its deletion wakes the Deployment
    env.run()
    new = env.new_rs()
    assert new["metadata"]["name"] != old["metadata"]["name"]
    assert new["spec"]["replicas"] == 3
    assert env.scaling_events()[1:] == [
        f"Scaled down replica set {old['metadata']['name']} from 3 to 0",
        f"Scaled up replica set {new['metadata']['name']} from 0 to 3",
    ]
    assert env.deployment()["status"]["availableReplicas"] == 3
    assert env.condition(du.PROGRESSING)["reason"] == "NewReplicaSetAvailable"


def test_recreate_ignores_terminal_old_pods(env):
    env.create(replicas=1, strategy={"type": "Recreate"})
    env.run()
    old = env.new_rs()
    pod = copy.deepcopy(_running_pod(env, old, "web-done"))
    pod["status"] = {"phase": "Succeeded"}
    env.api.update(POD, NS, "web-done", pod, subresource="status")
    env.advance(1)
    env.set_image("nginx:1.26")
    env.run()
    assert env.new_rs()["spec"]["replicas"] == 1
    assert _image(env.new_rs()) == "nginx:1.26"


# ---- pause and scaling ---------------------------------------------------------------------------


def test_paused_deployment_scales_but_does_not_roll_out(env):
    env.create(replicas=2)
    env.run()
    [rs] = env.replica_sets()
    env.set_paused(True)
    env.run()
    cond = env.condition(du.PROGRESSING)
    assert (cond["status"], cond["reason"], cond["message"]) == ("Unknown", "DeploymentPaused", "Deployment is paused")

    env.set_image("nginx:1.26")
    env.run()
    assert [r["metadata"]["name"] for r in env.replica_sets()] == [rs["metadata"]["name"]]
    d = env.deployment()
    assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    assert d["status"].get("updatedReplicas", 0) == 0

    env.scale(4)
    env.run()
    assert env.api.get(REPLICASET, NS, rs["metadata"]["name"])["spec"]["replicas"] == 4
    assert env.deployment()["status"]["replicas"] == 4

    env.advance(1)
    env.set_paused(False)
    env.manager.drain()
    cond = env.condition(du.PROGRESSING)
    assert (cond["status"], cond["reason"]) in {("Unknown", "DeploymentResumed"), ("True", "NewReplicaSetCreated"),
                                                ("True", "ReplicaSetUpdated")}
    env.run()
    new = env.new_rs()
    assert _image(new) == "nginx:1.26" and new["spec"]["replicas"] == 4
    assert env.condition(du.PROGRESSING)["reason"] == "NewReplicaSetAvailable"


def _progressing_history(env: Env, name: str = "web") -> list[tuple[str, str, str]]:
    seen: list[tuple[str, str, str]] = []

    def watch(change):
        if change.key == DEPLOYMENT.key and change.name == name and change.type != DELETED:
            cond = du.get_condition(change.obj.get("status"), du.PROGRESSING)
            if cond is not None and (not seen or seen[-1] != (cond["status"], cond["reason"], cond["message"])):
                seen.append((cond["status"], cond["reason"], cond["message"]))

    env.storage.subscribe(watch)
    return seen


def test_pause_and_resume_conditions(env):
    env.create(replicas=1)
    env.run()
    seen = _progressing_history(env)
    env.set_paused(True)
    env.run()
    env.set_paused(False)
    env.run()
    name = env.new_rs()["metadata"]["name"]
    # Resuming a finished rollout reports it resumed, then complete again.
    assert seen == [
        ("True", "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.'),
        ("Unknown", "DeploymentPaused", "Deployment is paused"),
        ("Unknown", "DeploymentResumed", "Deployment is resumed"),
        ("True", "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.'),
    ]


def test_scaling_mid_rollout_is_proportional(env):
    # Upstream's own example: 10 replicas, maxSurge 3, maxUnavailable 2, a new template that never gets ready.
    env.create(replicas=10, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}})
    env.run()
    old = env.new_rs()["metadata"]["name"]
    env.advance(1)
    env.set_image("nginx:1.26-unready")
    env.run(120)
    new = env.new_rs()["metadata"]["name"]
    assert env.api.get(REPLICASET, NS, old)["spec"]["replicas"] == 8
    assert env.api.get(REPLICASET, NS, new)["spec"]["replicas"] == 5

    env.scale(15)
    env.run(120)
    old_rs, new_rs = env.api.get(REPLICASET, NS, old), env.api.get(REPLICASET, NS, new)
    # allowed 15+3 = 18, 5 to add: old 8*18/13 -> 11, new 5*18/13 -> 7.
    assert (old_rs["spec"]["replicas"], new_rs["spec"]["replicas"]) == (11, 7)
    for rs in (old_rs, new_rs):
        assert (_ann(rs)[du.DESIRED_REPLICAS_ANNOTATION], _ann(rs)[du.MAX_REPLICAS_ANNOTATION]) == ("15", "18")
    assert f"Scaled up replica set {old} from 8 to 11" in env.scaling_events()
    assert f"Scaled up replica set {new} from 5 to 7" in env.scaling_events()

    env.scale(5)
    env.run(120)
    # allowed 5+3 = 8, 10 to remove: old 11*8/18 -> 5, new 7*8/18 -> 3 ...
    assert env.scaling_events()[-4:-2] == [
        f"Scaled down replica set {old} from 11 to 5",
        f"Scaled down replica set {new} from 7 to 3",
    ]
    # ... then the rollout goes on: maxUnavailable 2 lets the old RS drop to 3, the new one surges to 5.
    assert env.scaling_events()[-2:] == [
        f"Scaled down replica set {old} from 5 to 3",
        f"Scaled up replica set {new} from 3 to 5",
    ]
    old_rs, new_rs = env.api.get(REPLICASET, NS, old), env.api.get(REPLICASET, NS, new)
    assert (old_rs["spec"]["replicas"], new_rs["spec"]["replicas"]) == (3, 5)


def test_proportional_scale_down_rounds_half_away_from_zero_and_gives_leftovers_to_the_largest(env):
    env.create(replicas=3, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 2}})
    env.run()
    old = env.new_rs()["metadata"]["name"]
    env.advance(1)
    env.set_image("nginx:1.26-unready")
    env.run(120)
    new = env.new_rs()["metadata"]["name"]
    assert (env.api.get(REPLICASET, NS, old)["spec"]["replicas"], env.api.get(REPLICASET, NS, new)["spec"]["replicas"]) == (1, 3)
    before = len(env.scaling_events())
    env.scale(1)
    env.run(120)
    # allowed 1+1 = 2, 2 to remove: new 3*2/4 = 1.5 -> 2 (Go rounds half away from zero): -1;
    # old 1*2/4 = 0.5 -> 1: 0; the leftover -1 goes to the largest, the new RS. Then the
    # rollout goes on and takes the old RS down (maxUnavailable is capped at 1 replica).
    assert env.scaling_events()[before:] == [
        f"Scaled down replica set {new} from 3 to 1",
        f"Scaled down replica set {old} from 1 to 0",
    ]


def test_get_proportion_uses_go_rounding():
    d = {"metadata": {}, "status": {}, "spec": {"replicas": 1, "strategy": {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}}}
    rs = {"metadata": {"annotations": {du.MAX_REPLICAS_ANNOTATION: "4"}}, "spec": {"replicas": 5}}
    # 5 * 2 / 4 = 2.5 -> 3, so 5 -> 3 is -2 (Python's round() would give 2, -3).
    assert du.get_proportion(rs, d, -10, 0) == -2
    assert du.get_proportion(rs, d, -10, -9) == -1  # never past what is left to remove
    rs["spec"]["replicas"] = 0
    assert du.get_proportion(rs, d, 5, 0) == 0  # never from zero


def test_scaling_a_settled_deployment(env):
    env.create(replicas=2)
    env.run()
    [rs] = env.replica_sets()
    env.scale(5)
    env.run()
    rs = env.api.get(REPLICASET, NS, rs["metadata"]["name"])
    assert rs["spec"]["replicas"] == 5
    assert (_ann(rs)[du.DESIRED_REPLICAS_ANNOTATION], _ann(rs)[du.MAX_REPLICAS_ANNOTATION]) == ("5", "6")
    assert env.scaling_events()[-1] == f"Scaled up replica set {rs['metadata']['name']} from 2 to 5"
    env.scale(0)
    env.run()
    status = env.deployment()["status"]
    assert env.api.get(REPLICASET, NS, rs["metadata"]["name"])["spec"]["replicas"] == 0
    assert not any(k in status for k in ("replicas", "updatedReplicas", "availableReplicas"))
    assert env.condition(du.AVAILABLE)["status"] == "True"


# ---- progress deadline ------------------------------------------------------------------------------


def test_progress_deadline_exceeded_on_time_without_other_events(env):
    env.create(replicas=2, image="nginx:1.25-unready", progressDeadlineSeconds=60)
    env.manager.drain()
    name = env.new_rs()["metadata"]["name"]
    assert env.condition(du.PROGRESSING)["reason"] in ("NewReplicaSetCreated", "ReplicaSetUpdated")
    env.advance(58)
    assert env.condition(du.PROGRESSING)["status"] == "True"
    env.advance(4)  # the requeue lands a second past the deadline
    cond = env.condition(du.PROGRESSING)
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{name}" has timed out progressing.')
    assert parse_rfc3339(cond["lastTransitionTime"]) - T0 == pytest.approx(61, abs=1)
    # A fixed template makes progress again.
    env.set_image("nginx:1.26")
    env.run()
    assert env.condition(du.PROGRESSING)["reason"] == "NewReplicaSetAvailable"


def test_progress_deadline_counts_from_last_progress(env):
    env.create(replicas=1, progressDeadlineSeconds=30)
    env.run()
    env.advance(100)  # a finished rollout never times out
    assert env.condition(du.PROGRESSING)["reason"] == "NewReplicaSetAvailable"
    env.set_image("nginx:1.26-unready")
    env.run(20)
    assert env.condition(du.PROGRESSING)["status"] == "True"
    env.run(40)
    assert env.condition(du.PROGRESSING)["reason"] == "ProgressDeadlineExceeded"


def test_paused_time_does_not_count_toward_the_deadline(env):
    env.create(replicas=1, progressDeadlineSeconds=30)
    env.run()
    env.set_paused(True)
    env.run()
    env.set_image("nginx:1.26")
    env.advance(300)
    env.set_paused(False)
    env.manager.drain()
    env.run()
    assert env.condition(du.PROGRESSING)["reason"] == "NewReplicaSetAvailable"


# ---- wiring ------------------------------------------------------------------------------------------


def test_keys_for_maps_replica_sets_and_pod_deletions_to_the_deployment(env):
    from kube_sandbox.store import Change

    env.create(replicas=1, strategy={"type": "Recreate"})
    env.run()
    [rs] = env.replica_sets()
    assert list(env.dc.keys_for(Change("MODIFIED", DEPLOYMENT.key, env.deployment(), 1))) == [(NS, "web")]
    assert list(env.dc.keys_for(Change("MODIFIED", REPLICASET.key, rs, 1))) == [(NS, "web")]
    assert list(env.dc.keys_for(Change(DELETED, REPLICASET.key, rs, 1))) == [(NS, "web")]
    pod = {"metadata": {"name": "p", "namespace": NS, "ownerReferences": [{
        "kind": "ReplicaSet", "name": rs["metadata"]["name"], "uid": rs["metadata"]["uid"], "controller": True}]}}
    assert list(env.dc.keys_for(Change(DELETED, POD.key, pod, 1))) == [(NS, "web")]
    assert list(env.dc.keys_for(Change("MODIFIED", POD.key, pod, 1))) == []
    stranger = copy.deepcopy(rs)
    stranger["metadata"]["ownerReferences"][0]["uid"] = "someone-else"
    assert list(env.dc.keys_for(Change("MODIFIED", REPLICASET.key, stranger, 1))) == []
    assert list(env.dc.all_keys()) == [(NS, "web")]


def test_deleting_deployment_is_not_rolled_out(env):
    env.create(replicas=2)
    env.run()
    [rs] = env.replica_sets()
    env.api.delete(DEPLOYMENT, NS, "web", propagation="Foreground")
    d = env.deployment()
    assert d["metadata"]["deletionTimestamp"]
    d = copy.deepcopy(d)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    d["spec"]["replicas"] = 5
    env.api.update(DEPLOYMENT, NS, "web", d)
    env.manager.drain()
    assert [r["metadata"]["name"] for r in env.api.list(REPLICASET, NS)] == [rs["metadata"]["name"]]
    assert env.api.get(REPLICASET, NS, rs["metadata"]["name"])["spec"]["replicas"] == 2


def test_status_is_written_by_kube_controller_manager(env):
    env.create()
    env.run()
    d = env.deployment()
    managers = {(m["manager"], m.get("subresource", "")) for m in d["metadata"].get("managedFields") or ()}
    assert ("kube-controller-manager", "status") in managers
    rs_managers = {m["manager"] for m in env.replica_sets()[0]["metadata"].get("managedFields") or ()}
    assert "kube-controller-manager" in rs_managers


# ---- with the sandbox's own ReplicaSet controller and kubelet ------------------------------------------


@pytest.fixture
def full():
    return Env(full=True)


def _live_pods(env: Env) -> list[dict]:
    return [p for p in env.api.list(POD, NS) if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def test_full_rolling_update_with_real_pods(full):
    full.create(replicas=2)
    full.run()
    assert full.deployment()["status"].get("availableReplicas") == 2
    samples: list[tuple[int, int]] = []

    def watch(change):
        if change.key == POD.key:
            # Active pods, as maxSurge counts them: terminating pods (still in their
            # grace period) are not, as on a real cluster.
            pods = [p for p in full.storage.items(POD.key, NS)
                    if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                    and not p["metadata"].get("deletionTimestamp")]
            ready = [p for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                            for c in (p.get("status") or {}).get("conditions") or ())]
            samples.append((len(pods), len(ready)))

    full.storage.subscribe(watch)
    full.advance(1)
    full.set_image("nginx:1.26")
    full.run()
    assert samples and max(n for n, _ in samples) == 3  # surged, never past maxSurge 1
    assert min(r for _, r in samples) >= 2  # maxUnavailable 0: two ready pods all along
    new = full.new_rs()
    pods = _live_pods(full)
    assert len(pods) == 2
    assert all(p["metadata"]["labels"][du.HASH_LABEL] == new["metadata"]["labels"][du.HASH_LABEL] for p in pods)
    status = full.deployment()["status"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (2, 2, 2)


def test_full_progress_deadline_with_unready_image(full):
    full.create(replicas=2, image="nginx:1.25-unready", progressDeadlineSeconds=90)
    full.run(3600)
    cond = full.condition(du.PROGRESSING)
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert full.condition(du.AVAILABLE)["status"] == "False"


def test_full_recreate_waits_for_old_pods_to_terminate(full):
    full.create(replicas=2, strategy={"type": "Recreate"})
    full.run()
    old = full.new_rs()
    overlap: list[bool] = []

    def watch(change):
        if change.key == POD.key and change.type != DELETED:
            pods = list(full.storage.items(POD.key, NS))
            hashes = {p["metadata"]["labels"].get(du.HASH_LABEL) for p in pods
                      if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")}
            overlap.append(len(hashes) > 1)

    full.storage.subscribe(watch)
    full.advance(1)
    full.set_image("nginx:1.26")
    full.run()
    assert not any(overlap)  # never old and new pods at once
    assert full.api.get(REPLICASET, NS, old["metadata"]["name"])["spec"]["replicas"] == 0
    assert full.deployment()["status"].get("availableReplicas") == 2
