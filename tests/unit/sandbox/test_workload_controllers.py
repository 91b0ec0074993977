"""ReplicaSet controller, simulated kubelet/scheduler, endpoints and garbage collector.

Everything runs under a ManualClock: `env.step(s)` moves simulated time and
fires every controller timer due on the way, so each assertion pins the
moment a transition must (or must not yet) have happened.
"""

from __future__ import annotations

import copy
import re

import pytest

from kube_sandbox.api import NAME_ALPHABET, Api
from kube_sandbox.clock import ManualClock
from kube_sandbox.controllers import kubelet as kubelet_mod
from kube_sandbox.controllers.base import Context, ControllerManager
from kube_sandbox.controllers.endpoints import EndpointsController
from kube_sandbox.controllers.gc import GarbageCollector
from kube_sandbox.controllers.kubelet import NODE_NAMES, Kubelet
from kube_sandbox.controllers.replicaset import ReplicaSetController, rank_pods_for_deletion
from kube_sandbox.controllers.scheduler import Scheduler
from kube_sandbox.errors import ApiError
from kube_sandbox.resources import CONFIGMAP, ENDPOINTS, ENDPOINTSLICE, EVENT, NAMESPACE, NODE, POD, REPLICASET, SERVICE
from kube_sandbox.store import DELETED, Storage

T0 = 1_700_000_000.0  # a whole second, so second-precision timestamps are exact
NS = "default"
POD_NAME = re.compile(rf"^web-[{NAME_ALPHABET}]{{5}}$")


class Env:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.storage = Storage()
        self.api = Api(self.storage, self.clock)
        ctx = Context(self.api, self.clock)
        self.kubelet = Kubelet(ctx)
        self.manager = ControllerManager(
            ctx,
            [GarbageCollector(ctx), ReplicaSetController(ctx), Scheduler(ctx), self.kubelet, EndpointsController(ctx)],
        )
        self.api.create(NAMESPACE, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})

    # ---- time ----------------------------------------------------------------

    def step(self, seconds: float = 0.0) -> None:
        self.clock.advance(seconds)

    def at(self, t: float) -> None:
        """Move to T0 + t simulated seconds."""
        assert t >= self.elapsed - 1e-9
        self.clock.advance(T0 + t - self.clock.now())

    @property
    def elapsed(self) -> float:
        return self.clock.now() - T0

    # ---- objects ---------------------------------------------------------------

    def replicaset(self, name: str = "web", replicas: int = 3, image: str = "example/web:1.0", **spec) -> dict:
        template_spec = {"containers": [{"name": "app", "image": image,
                                         "ports": [{"name": "http", "containerPort": 8080}]}]}
        if "grace" in spec:
            template_spec["terminationGracePeriodSeconds"] = spec.pop("grace")
        body = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name, "serving": "true"}}, "spec": template_spec},
                **spec,
            },
        }
        return self.api.create(REPLICASET, NS, body, manager="test")

    def service(self, name: str = "web", selector: dict | None = None) -> dict:
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"selector": selector or {"app": name, "serving": "true"},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        }
        return self.api.create(SERVICE, NS, body, manager="test")

    def pod(self, name: str, image: str = "example/web:1.0", labels: dict | None = None, **spec) -> dict:
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"run": name}},
            "spec": {"containers": [{"name": "app", "image": image}], **spec},
        }
        return self.api.create(POD, NS, body, manager="test")

    def pods(self, rs: str | None = None) -> list[dict]:
        found = copy.deepcopy(self.api.list(POD, NS))
        if rs is not None:
            found = [p for p in found if any(r["name"] == rs for r in p["metadata"].get("ownerReferences") or ())]
        return found

    def get(self, rt, name: str) -> dict | None:
        """A private copy (the Api hands out the stored dicts, which must not be mutated)."""
        try:
            return copy.deepcopy(self.api.get(rt, NS, name))
        except ApiError:
            return None

    def events(self, name: str | None = None, reason: str | None = None) -> list[dict]:
        return [e for e in self.api.list(EVENT, NS)
                if (name is None or e["involvedObject"]["name"] == name) and (reason is None or e["reason"] == reason)]

    def scale(self, name: str, replicas: int) -> None:
        rs = self.get(REPLICASET, name)
        rs["spec"]["replicas"] = replicas
        self.api.update(REPLICASET, NS, name, rs, manager="test")

    def relabel(self, name: str, **labels) -> None:
        pod = self.get(POD, name)
        pod["metadata"]["labels"] = {**pod["metadata"]["labels"], **labels}
        self.api.update(POD, NS, name, pod, manager="test")


@pytest.fixture
def env() -> Env:
    return Env()


def ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or ())


def container(pod: dict, index: int = 0) -> dict:
    return pod["status"]["containerStatuses"][index]


def state(pod: dict) -> str:
    return next(iter(container(pod)["state"]))


# ---- nodes and scheduling -----------------------------------------------------------


def test_three_ready_nodes_are_registered(env: Env) -> None:
    nodes = env.api.list(NODE)
    assert [n["metadata"]["name"] for n in nodes] == list(NODE_NAMES)
    for i, node in enumerate(nodes, start=1):
        status = node["status"]
        ready_cond = next(c for c in status["conditions"] if c["type"] == "Ready")
        assert ready_cond["status"] == "True" and ready_cond["reason"] == "KubeletReady"
        assert status["nodeInfo"]["kubeletVersion"].startswith("v1.")
        assert status["capacity"]["pods"] == "110" and status["allocatable"]["cpu"] == "8"
        assert {"type": "InternalIP", "address": f"172.18.0.{i + 1}"} in status["addresses"]
        assert node["spec"]["podCIDR"] == f"10.244.{i}.0/24"
        assert node["metadata"]["labels"]["kubernetes.io/hostname"] == node["metadata"]["name"]


def test_scheduler_spreads_pods_over_least_loaded_nodes_and_records_it(env: Env) -> None:
    for i in range(6):
        env.pod(f"p{i}")
    env.step()
    placement = [env.get(POD, f"p{i}")["spec"]["nodeName"] for i in range(6)]
    assert sorted(placement) == sorted(list(NODE_NAMES) * 2)
    pod = env.get(POD, "p0")
    scheduled = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert scheduled["status"] == "True"
    (event,) = env.events("p0", "Scheduled")
    assert event["message"] == f"Successfully assigned default/p0 to {placement[0]}"
    assert event["source"]["component"] == "default-scheduler"


def test_pod_no_node_fits_stays_pending_with_failed_scheduling(env: Env) -> None:
    env.pod("picky", nodeSelector={"disktype": "ssd"})
    env.step(30)
    pod = env.get(POD, "picky")
    assert not pod["spec"].get("nodeName")
    assert pod["status"]["phase"] == "Pending"
    cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
    assert "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." in cond["message"]
    (event,) = env.events("picky", "FailedScheduling")
    assert event["type"] == "Warning"


def test_binding_is_the_schedulers_job_and_running_the_kubelets() -> None:
    clock = ManualClock(T0)
    api = Api(Storage(), clock)
    ctx = Context(api, clock)
    api.create(NAMESPACE, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", "image": "example/web:1.0"}]}}
    manager = ControllerManager(ctx, [Kubelet(ctx)])
    api.create(POD, NS, body)
    manager.run_until_idle(30)
    assert not api.get(POD, NS, "p")["spec"].get("nodeName")  # no scheduler: nobody binds it
    manager.stop()
    manager = ControllerManager(ctx, [Scheduler(ctx), Kubelet(ctx, register_nodes=False)])
    manager.resync_all()
    manager.run_until_idle(30)
    pod = api.get(POD, NS, "p")
    assert pod["spec"]["nodeName"] in NODE_NAMES and pod["status"]["phase"] == "Running"


# ---- ReplicaSet -----------------------------------------------------------------------


def test_replicaset_creates_owned_pods_that_become_ready_after_the_start_delay(env: Env) -> None:
    rs = env.replicaset(replicas=3)
    env.step()
    pods = env.pods("web")
    assert len(pods) == 3
    for pod in pods:
        assert POD_NAME.match(pod["metadata"]["name"])
        assert pod["metadata"]["labels"] == {"app": "web", "serving": "true"}
        assert pod["metadata"]["ownerReferences"] == [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True,
        }]
        assert pod["status"]["phase"] == "Pending"
        assert container(pod)["state"] == {"waiting": {"reason": "ContainerCreating"}}
        assert pod["spec"]["nodeName"] in NODE_NAMES
    assert len({p["spec"]["nodeName"] for p in pods}) == 3
    assert sorted(e["message"] for e in env.events("web", "SuccessfulCreate")) == sorted(
        f"Created pod: {p['metadata']['name']}" for p in pods)

    env.at(1.5)  # sandbox up: an IP, no containers yet
    pods = env.pods("web")
    assert all(p["status"]["phase"] == "Pending" and p["status"]["podIP"] for p in pods)
    assert len({p["status"]["podIP"] for p in pods}) == 3
    assert env.get(REPLICASET, "web")["status"].get("readyReplicas") is None

    env.at(1.99)
    assert not any(ready(p) for p in env.pods("web"))
    env.at(2.0)
    pods = env.pods("web")
    for pod in pods:
        assert pod["status"]["phase"] == "Running" and ready(pod)
        cs = container(pod)
        assert cs["started"] is True and cs["ready"] is True and cs["restartCount"] == 0
        assert cs["state"]["running"]["startedAt"] == "2023-11-14T22:13:22Z"
        assert cs["containerID"].startswith("containerd://") and cs["imageID"].startswith("docker.io/example/web@sha256:")
        assert [c["type"] for c in pod["status"]["conditions"]] == [
            "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        assert re.match(r"^10\.244\.[123]\.\d+$", pod["status"]["podIP"])
        assert pod["status"]["hostIP"].startswith("172.18.0.")
    reasons = [e["reason"] for e in env.events(pods[0]["metadata"]["name"])]
    assert reasons == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    status = env.get(REPLICASET, "web")["status"]
    assert status["replicas"] == 3 and status["readyReplicas"] == 3 and status["availableReplicas"] == 3
    assert status["fullyLabeledReplicas"] == 3 and status["observedGeneration"] == 1


def test_available_replicas_appear_exactly_min_ready_seconds_after_ready(env: Env) -> None:
    env.replicaset(replicas=2, minReadySeconds=10)
    env.at(2)
    status = env.get(REPLICASET, "web")["status"]
    assert status["readyReplicas"] == 2 and "availableReplicas" not in status
    env.at(11.9)
    assert "availableReplicas" not in env.get(REPLICASET, "web")["status"]
    env.at(12)  # no pod change happens here: only the controller's own requeue can notice
    assert env.get(REPLICASET, "web")["status"]["availableReplicas"] == 2


def test_replicaset_replaces_a_deleted_pod_and_ignores_terminating_ones(env: Env) -> None:
    env.replicaset(replicas=2)
    env.at(5)
    victim = env.pods("web")[0]["metadata"]["name"]
    env.api.delete(POD, NS, victim)
    env.step()
    pods = env.pods("web")
    assert len(pods) == 3  # the terminating one is still there, and a replacement
    assert env.get(POD, victim)["metadata"]["deletionTimestamp"]
    assert env.get(REPLICASET, "web")["status"]["replicas"] == 2
    env.step(10)
    assert env.get(POD, victim) is None and len(env.pods("web")) == 2


def test_scale_down_deletes_the_unready_pod_first(env: Env) -> None:
    env.replicaset(replicas=3)
    # A stray pod that never gets ready, later relabelled so the ReplicaSet adopts it.
    env.pod("stray", image="example/web:1.0-unready", labels={"app": "other"})
    env.at(50)
    assert env.get(POD, "stray")["status"]["phase"] == "Running"
    env.relabel("stray", app="web")
    env.step()
    stray = env.get(POD, "stray")
    assert stray["metadata"]["deletionTimestamp"]  # adopted (4 > 3), then chosen as the victim
    assert stray["metadata"]["ownerReferences"][0]["name"] == "web"
    assert [e["message"] for e in env.events("web", "SuccessfulDelete")] == ["Deleted pod: stray"]
    assert all(not p["metadata"].get("deletionTimestamp") for p in env.pods("web") if p["metadata"]["name"] != "stray")


def test_scale_down_deletes_the_newest_pods_first(env: Env) -> None:
    env.replicaset(replicas=3)
    # Ages must differ by a power of two: upstream compares log2 buckets (LogarithmicScaleDown)
    # and breaks ties by UID. At t=200 the old pods have been ready ~198s, the new ones ~98s.
    env.at(100)
    old = {p["metadata"]["name"] for p in env.pods("web")}
    env.scale("web", 5)
    env.at(200)
    new = {p["metadata"]["name"] for p in env.pods("web")} - old
    assert len(new) == 2 and all(ready(p) for p in env.pods("web"))
    env.scale("web", 3)
    env.step()
    deleting = {p["metadata"]["name"] for p in env.pods("web") if p["metadata"].get("deletionTimestamp")}
    assert deleting == new
    status = env.get(REPLICASET, "web")["status"]
    assert status["replicas"] == 3 and status["observedGeneration"] == 3
    env.step(5)
    assert {p["metadata"]["name"] for p in env.pods("web")} == old


def _fake_pod(name: str, uid: str, created: float, *, node: str = "n1", phase: str = "Running",
              ready_since: float | None = None, restarts: int = 0) -> dict:
    from kube_sandbox.clock import rfc3339
    conditions = []
    if ready_since is not None:
        conditions.append({"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(ready_since)})
    return {
        "metadata": {"name": name, "uid": uid, "creationTimestamp": rfc3339(created)},
        "spec": {"nodeName": node},
        "status": {"phase": phase, "conditions": conditions, "containerStatuses": [{"restartCount": restarts}]},
    }


def test_deletion_ranking_follows_active_pods_with_ranks() -> None:
    now = T0 + 10_000
    pods = [
        _fake_pod("old-ready", "u1", T0, ready_since=T0 + 10),
        _fake_pod("young-ready", "u2", T0 + 9_000, ready_since=T0 + 9_010),
        _fake_pod("unready-running", "u3", T0),
        _fake_pod("restarting", "u4", T0, restarts=5),
        _fake_pod("pending", "u5", T0, phase="Pending"),
        _fake_pod("unassigned", "u6", T0, node="", phase="Pending"),
        _fake_pod("newest-unready", "u7", T0 + 9_990),
    ]
    order = [p["metadata"]["name"] for p in rank_pods_for_deletion(pods, {"n1": 6, "": 1}, now)]
    assert order == ["unassigned", "pending", "restarting", "newest-unready", "unready-running",
                     "young-ready", "old-ready"]
    # Doubled-up pods (more siblings on their node) go before lone ones.
    a = _fake_pod("lonely", "u8", T0, node="n2", ready_since=T0 + 1)
    b = _fake_pod("crowded", "u9", T0, node="n1", ready_since=T0 + 1)
    assert [p["metadata"]["name"] for p in rank_pods_for_deletion([a, b], {"n1": 3, "n2": 1}, now)] == [
        "crowded", "lonely"]


def test_replicaset_adopts_orphans_and_releases_pods_that_stop_matching(env: Env) -> None:
    env.pod("orphan", labels={"app": "web"})
    env.at(5)
    rs = env.replicaset(replicas=2)
    env.step()
    assert env.get(POD, "orphan")["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    assert len(env.pods("web")) == 2  # the orphan counts: only one pod created
    env.relabel("orphan", app="elsewhere")
    env.step()
    assert not env.get(POD, "orphan")["metadata"].get("ownerReferences")
    assert len([p for p in env.pods("web")]) == 2  # a replacement was created


# ---- kubelet fault modes --------------------------------------------------------------


def test_crashloop_backs_off_exponentially_and_is_never_ready(env: Env) -> None:
    pod = env.pod("crash", image="example/web:2.0-crashloop")
    uid = pod["metadata"]["uid"]
    env.at(2)
    assert state(env.get(POD, "crash")) == "running"
    env.at(3)
    p = env.get(POD, "crash")
    assert container(p)["state"]["terminated"]["exitCode"] == 1
    assert container(p)["state"]["terminated"]["reason"] == "Error"
    env.at(4)  # the first restart is immediate
    p = env.get(POD, "crash")
    assert state(p) == "running" and container(p)["restartCount"] == 1
    assert container(p)["lastState"]["terminated"]["exitCode"] == 1
    env.at(6)  # second crash at 5: now it backs off 10s
    p = env.get(POD, "crash")
    waiting = container(p)["state"]["waiting"]
    assert waiting["reason"] == "CrashLoopBackOff"
    assert waiting["message"] == f"back-off 10s restarting failed container=app pod=crash_default({uid})"
    assert p["status"]["phase"] == "Running" and not ready(p)
    env.at(14.9)
    assert state(env.get(POD, "crash")) == "waiting"
    env.at(15)
    assert container(env.get(POD, "crash"))["restartCount"] == 2
    env.at(17)
    assert "back-off 20s" in container(env.get(POD, "crash"))["state"]["waiting"]["message"]
    env.at(36)
    assert container(env.get(POD, "crash"))["restartCount"] == 3

    backoffs = env.events("crash", "BackOff")
    assert len(backoffs) == 1 and backoffs[0]["type"] == "Warning"
    assert backoffs[0]["message"] == f"Back-off restarting failed container app in pod crash_default({uid})"
    assert backoffs[0]["count"] >= 3 and backoffs[0]["source"] == {"component": "kubelet",
                                                                   "host": p["spec"]["nodeName"]}
    assert backoffs[0]["involvedObject"]["fieldPath"] == "spec.containers{app}"
    previous = env.kubelet.logs(NS, "crash", "app", previous=True)
    assert "Traceback (most recent call last):" in previous and "version=2.0-crashloop" in previous

    # Much later the back-off is capped at five minutes, and the pod never was Ready.
    seen_ready = []
    unsubscribe = env.storage.subscribe(
        lambda c: seen_ready.append(c.obj["metadata"]["name"]) if c.key == POD.key and ready(c.obj) else None)
    env.at(3000)
    unsubscribe()
    assert not seen_ready
    p = env.get(POD, "crash")
    assert container(p)["restartCount"] < 20
    messages = {container(p)["state"].get("waiting", {}).get("message", "")}
    env.at(3300)
    messages.add(container(env.get(POD, "crash"))["state"].get("waiting", {}).get("message", ""))
    assert any("back-off 5m0s" in m for m in messages)


def test_unready_image_runs_but_never_passes_readiness(env: Env) -> None:
    env.pod("sad", image="example/web:3.1-unready")
    env.at(60)
    p = env.get(POD, "sad")
    assert p["status"]["phase"] == "Running" and not ready(p)
    cs = container(p)
    assert cs["started"] is True and cs["ready"] is False and "running" in cs["state"]
    cond = next(c for c in p["status"]["conditions"] if c["type"] == "Ready")
    assert cond["reason"] == "ContainersNotReady" and cond["message"] == "containers with unready status: [app]"
    (event,) = env.events("sad", "Unhealthy")
    assert event["type"] == "Warning"
    assert event["message"] == "Readiness probe failed: HTTP probe failed with statuscode: 503"
    assert 5 <= event["count"] <= 7  # one failure every ~10s
    env.at(120)
    assert env.events("sad", "Unhealthy")[0]["count"] >= 11


def test_slow_image_takes_ten_times_longer_to_start(env: Env) -> None:
    env.pod("snail", image="example/web:1.0-slow")
    env.at(2)
    p = env.get(POD, "snail")
    assert p["status"]["phase"] == "Pending" and container(p)["state"]["waiting"]["reason"] == "ContainerCreating"
    env.at(19.9)
    assert env.get(POD, "snail")["status"]["phase"] == "Pending"
    env.at(20)
    p = env.get(POD, "snail")
    assert p["status"]["phase"] == "Running" and ready(p)


def test_plain_image_ready_with_expected_events_and_logs(env: Env) -> None:
    env.pod("web-1", image="registry.example.com/team/web:4.2")
    env.at(2)
    events = env.events("web-1")
    pulled = next(e for e in events if e["reason"] == "Pulled")
    assert pulled["message"].startswith('Successfully pulled image "registry.example.com/team/web:4.2" in ')
    started = next(e for e in events if e["reason"] == "Started")
    assert started["source"]["component"] == "kubelet"
    logs = env.kubelet.logs(NS, "web-1", "app")
    assert "version=4.2" in logs and "ready to accept connections" in logs
    env.at(62)
    lines = env.kubelet.logs(NS, "web-1", "app").splitlines()
    assert len(lines) >= 12  # start-up lines plus a request line every 5s
    assert env.kubelet.logs(NS, "web-1", "app", tail_lines=2).splitlines() == lines[-2:]
    with pytest.raises(ApiError) as err:
        env.kubelet.logs(NS, "web-1", "app", previous=True)
    assert err.value.code == 400 and "previous terminated container" in err.value.message


def test_logs_of_a_container_still_creating_are_refused(env: Env) -> None:
    env.pod("early")
    env.step()
    with pytest.raises(ApiError) as err:
        env.kubelet.logs(NS, "early", "app")
    assert err.value.message == 'container "app" in pod "early" is waiting to start: ContainerCreating'


def test_ip_addresses_are_unique_and_released(env: Env) -> None:
    for i in range(9):
        env.pod(f"p{i}")
    env.at(3)
    ips = [env.get(POD, f"p{i}")["status"]["podIP"] for i in range(9)]
    assert len(set(ips)) == 9
    node = env.kubelet.nodes[env.get(POD, "p0")["spec"]["nodeName"]]
    used = len(node.used_ips)
    env.api.delete(POD, NS, "p0", grace_period=0)
    env.step()
    assert len(node.used_ips) == used - 1


# ---- graceful deletion --------------------------------------------------------------------


def test_graceful_deletion_is_bounded_by_the_shutdown_time(env: Env) -> None:
    env.pod("bye", terminationGracePeriodSeconds=120)
    env.at(5)
    final = []
    env.storage.subscribe(lambda c: final.append(c) if c.key == POD.key and c.name == "bye" else None)
    env.api.delete(POD, NS, "bye")
    env.step()
    pod = env.get(POD, "bye")
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 120
    (killing,) = env.events("bye", "Killing")
    assert killing["message"] == "Stopping container app"
    env.at(5 + kubelet_mod.SHUTDOWN_SECONDS - 0.1)
    assert env.get(POD, "bye") is not None
    env.at(5 + kubelet_mod.SHUTDOWN_SECONDS)
    assert env.get(POD, "bye") is None
    assert final[-1].type == DELETED
    last_status = final[-2].obj["status"]
    assert last_status["phase"] == "Succeeded"
    assert container(final[-2].obj)["state"]["terminated"]["reason"] == "Completed"
    assert container(final[-2].obj)["state"]["terminated"]["exitCode"] == 0


def test_short_grace_period_kills_the_container(env: Env) -> None:
    env.pod("quick", terminationGracePeriodSeconds=1)
    env.at(5)
    final = []
    env.storage.subscribe(lambda c: final.append(c) if c.key == POD.key and c.name == "quick" else None)
    env.api.delete(POD, NS, "quick")
    env.at(5.9)
    assert env.get(POD, "quick") is not None
    env.at(6)
    assert env.get(POD, "quick") is None
    terminated = container(final[-2].obj)["state"]["terminated"]
    assert terminated["exitCode"] == 137 and final[-2].obj["status"]["phase"] == "Failed"


def test_grace_period_zero_removes_the_pod_at_once(env: Env) -> None:
    env.pod("gone")
    env.at(5)
    env.api.delete(POD, NS, "gone", grace_period=0)
    assert env.get(POD, "gone") is None
    env.step(10)
    assert not env.events("gone", "Killing")


def test_a_second_delete_with_a_shorter_grace_period_speeds_things_up(env: Env) -> None:
    env.pod("twice", terminationGracePeriodSeconds=30)
    env.at(5)
    env.api.delete(POD, NS, "twice")
    env.at(5.5)
    env.api.delete(POD, NS, "twice", grace_period=1)
    env.at(5.9)
    assert env.get(POD, "twice") is not None
    env.at(6)
    assert env.get(POD, "twice") is None


# ---- endpoints ---------------------------------------------------------------------------


def _addresses(env: Env, service: str = "web") -> tuple[list[str], list[str]]:
    ep = env.get(ENDPOINTS, service)
    ready_ips, unready_ips = [], []
    for subset in ep.get("subsets") or ():
        ready_ips += [a["targetRef"]["name"] for a in subset.get("addresses") or ()]
        unready_ips += [a["targetRef"]["name"] for a in subset.get("notReadyAddresses") or ()]
    return sorted(ready_ips), sorted(unready_ips)


def _slice_endpoints(env: Env, service: str = "web") -> list[dict]:
    slices = [s for s in env.api.list(ENDPOINTSLICE, NS)
              if s["metadata"]["labels"].get("kubernetes.io/service-name") == service]
    assert len(slices) == 1
    return slices[0].get("endpoints") or []


def test_endpoints_and_slice_follow_pod_readiness(env: Env) -> None:
    svc = env.service()
    env.replicaset(replicas=2)
    env.at(1.5)
    names = sorted(p["metadata"]["name"] for p in env.pods("web"))
    assert _addresses(env) == ([], names)
    assert all(e["conditions"] == {"ready": False, "serving": False, "terminating": False}
               for e in _slice_endpoints(env))
    env.at(2)
    ep = env.get(ENDPOINTS, "web")
    assert _addresses(env) == (names, [])
    assert ep["subsets"][0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    address = ep["subsets"][0]["addresses"][0]
    assert address["nodeName"] in NODE_NAMES and address["targetRef"]["kind"] == "Pod"
    (slice_,) = [s for s in env.api.list(ENDPOINTSLICE, NS)]
    assert re.match(rf"^web-[{NAME_ALPHABET}]{{5}}$", slice_["metadata"]["name"])
    assert slice_["addressType"] == "IPv4"
    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
    assert slice_["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert slice_["metadata"]["ownerReferences"][0]["uid"] == svc["metadata"]["uid"]
    assert slice_["ports"] == [{"name": "http", "protocol": "TCP", "port": 8080}]
    assert sorted(e["targetRef"]["name"] for e in slice_["endpoints"]) == names
    assert all(e["conditions"] == {"ready": True, "serving": True, "terminating": False} for e in slice_["endpoints"])


def test_endpoints_shrink_at_once_when_a_pod_is_relabelled_serving_false(env: Env) -> None:
    env.service()
    env.replicaset(replicas=3)
    env.at(5)
    names = sorted(p["metadata"]["name"] for p in env.pods("web"))
    assert _addresses(env) == (names, [])
    env.relabel(names[0], serving="false")
    env.step()
    assert _addresses(env) == (names[1:], [])
    assert sorted(e["targetRef"]["name"] for e in _slice_endpoints(env)) == names[1:]
    assert len(env.pods("web")) == 3  # the ReplicaSet's selector does not look at "serving"


def test_terminating_pods_leave_endpoints_but_stay_serving_in_the_slice(env: Env) -> None:
    env.service()
    env.replicaset(replicas=2, grace=30)
    env.at(5)
    env.scale("web", 1)
    env.step()
    ready_names, _ = _addresses(env)
    gone = next(p["metadata"]["name"] for p in env.pods("web") if p["metadata"].get("deletionTimestamp"))
    assert gone not in ready_names and len(ready_names) == 1
    entry = next(e for e in _slice_endpoints(env) if e["targetRef"]["name"] == gone)
    assert entry["conditions"] == {"ready": False, "serving": True, "terminating": True}
    env.step(5)
    assert gone not in [e["targetRef"]["name"] for e in _slice_endpoints(env)]


def test_unchanged_endpoints_are_not_rewritten(env: Env) -> None:
    env.service()
    env.replicaset(replicas=2)
    env.at(5)
    ep_rv = env.get(ENDPOINTS, "web")["metadata"]["resourceVersion"]
    slice_rv = env.api.list(ENDPOINTSLICE, NS)[0]["metadata"]["resourceVersion"]
    pod = env.pods("web")[0]
    pod["metadata"]["annotations"] = {"touched": "yes"}
    env.api.update(POD, NS, pod["metadata"]["name"], pod, manager="test")
    env.step(1)
    assert env.get(ENDPOINTS, "web")["metadata"]["resourceVersion"] == ep_rv
    assert env.api.list(ENDPOINTSLICE, NS)[0]["metadata"]["resourceVersion"] == slice_rv


def test_service_without_matching_pods_gets_a_placeholder_slice_and_no_subsets(env: Env) -> None:
    env.service("lonely", selector={"app": "nothing"})
    env.step()
    assert "subsets" not in env.get(ENDPOINTS, "lonely")
    (slice_,) = env.api.list(ENDPOINTSLICE, NS)
    assert not slice_.get("endpoints") and not slice_.get("ports")
    env.api.delete(SERVICE, NS, "lonely")
    env.step()
    assert env.get(ENDPOINTS, "lonely") is None
    assert env.api.list(ENDPOINTSLICE, NS) == []  # owned by the Service: collected


# ---- garbage collection --------------------------------------------------------------------


def test_gc_background_deletes_the_pods_of_a_deleted_replicaset(env: Env) -> None:
    env.replicaset(replicas=3)
    env.at(5)
    env.api.delete(REPLICASET, NS, "web")
    assert env.get(REPLICASET, "web") is None
    env.step()
    pods = env.pods()
    assert len(pods) == 3 and all(p["metadata"].get("deletionTimestamp") for p in pods)
    env.step(5)
    assert env.pods() == []


def test_gc_foreground_keeps_the_owner_until_its_pods_are_gone(env: Env) -> None:
    env.replicaset(replicas=2)
    env.at(5)
    env.api.delete(REPLICASET, NS, "web", propagation="Foreground")
    env.step()
    rs = env.get(REPLICASET, "web")
    assert rs is not None and rs["metadata"]["deletionTimestamp"]
    assert rs["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert all(p["metadata"].get("deletionTimestamp") for p in env.pods())
    env.at(5 + kubelet_mod.SHUTDOWN_SECONDS - 0.5)
    assert env.get(REPLICASET, "web") is not None and len(env.pods()) == 2
    env.at(5 + kubelet_mod.SHUTDOWN_SECONDS)
    assert env.pods() == [] and env.get(REPLICASET, "web") is None


def test_gc_foreground_cascades_through_an_owner_chain(env: Env) -> None:
    root = env.api.create(CONFIGMAP, NS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "root"}})
    env.replicaset(replicas=2)
    rs = env.get(REPLICASET, "web")
    rs["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "root",
                                          "uid": root["metadata"]["uid"], "blockOwnerDeletion": True}]
    env.api.update(REPLICASET, NS, "web", rs, manager="test")
    env.at(5)
    env.api.delete(CONFIGMAP, NS, "root", propagation="Foreground")
    env.step()
    assert env.get(CONFIGMAP, "root")["metadata"]["finalizers"] == ["foregroundDeletion"]
    # The ReplicaSet has dependents of its own, so it goes in the foreground too.
    assert env.get(REPLICASET, "web")["metadata"]["finalizers"] == ["foregroundDeletion"]
    env.step(10)
    assert env.get(CONFIGMAP, "root") is None and env.get(REPLICASET, "web") is None and env.pods() == []


def test_gc_orphan_strips_owner_references_and_keeps_the_pods(env: Env) -> None:
    env.replicaset(replicas=2)
    env.at(5)
    env.api.delete(REPLICASET, NS, "web", propagation="Orphan")
    env.step()
    assert env.get(REPLICASET, "web") is None
    env.step(30)
    pods = env.pods()
    assert len(pods) == 2
    for pod in pods:
        assert not pod["metadata"].get("ownerReferences")
        assert not pod["metadata"].get("deletionTimestamp") and ready(pod)


def test_gc_deletes_dependents_of_an_owner_that_never_existed_and_trims_dangling_refs(env: Env) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "child", "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "no-such-uid"}]}}
    env.api.create(CONFIGMAP, NS, body)
    env.step()
    assert env.get(CONFIGMAP, "child") is None

    keeper = env.api.create(CONFIGMAP, NS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keeper"}})
    doomed = env.api.create(CONFIGMAP, NS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "doomed"}})
    refs = [{"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]}
            for o in (keeper, doomed)]
    env.api.create(CONFIGMAP, NS, {"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": "shared", "ownerReferences": refs}})
    env.step()
    env.api.delete(CONFIGMAP, NS, "doomed")
    env.step()
    shared = env.get(CONFIGMAP, "shared")
    assert shared is not None
    assert [r["name"] for r in shared["metadata"]["ownerReferences"]] == ["keeper"]


def test_node_heartbeat_is_refreshed_by_kubelet_activity(env: Env) -> None:
    def heartbeat(name: str) -> str:
        node = env.api.get(NODE, "", name)
        return next(c for c in node["status"]["conditions"] if c["type"] == "Ready")["lastHeartbeatTime"]

    env.pod("beat")
    env.at(5)
    node = env.get(POD, "beat")["spec"]["nodeName"]
    assert heartbeat(node) == "2023-11-14T22:13:20Z"
    env.at(400)
    env.api.delete(POD, NS, "beat")
    env.step()
    assert heartbeat(node) == "2023-11-14T22:20:00Z"  # T0 + 400s


def test_init_containers_complete_before_the_app_starts(env: Env) -> None:
    env.pod("init", initContainers=[{"name": "migrate", "image": "example/migrate:1.0"}])
    env.step()
    p = env.get(POD, "init")
    assert p["status"]["initContainerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert container(p)["state"] == {"waiting": {"reason": "PodInitializing"}}
    initialized = next(c for c in p["status"]["conditions"] if c["type"] == "Initialized")
    assert initialized["status"] == "False" and initialized["reason"] == "ContainersNotInitialized"
    env.at(2)
    p = env.get(POD, "init")
    terminated = p["status"]["initContainerStatuses"][0]["state"]["terminated"]
    assert terminated["reason"] == "Completed" and terminated["exitCode"] == 0
    assert ready(p) and state(p) == "running"
    events = [(e["reason"], e["involvedObject"].get("fieldPath")) for e in env.events("init")]
    assert ("Started", "spec.initContainers{migrate}") in events and ("Started", "spec.containers{app}") in events


def test_restart_policy_never_leaves_a_crashed_pod_failed(env: Env) -> None:
    env.pod("once", image="example/job:1.0-crashloop", restartPolicy="Never")
    env.at(30)
    p = env.get(POD, "once")
    assert p["status"]["phase"] == "Failed"
    assert container(p)["restartCount"] == 0 and container(p)["state"]["terminated"]["exitCode"] == 1
    assert not env.events("once", "BackOff")


def test_a_new_kubelet_adopts_pods_an_earlier_one_started(env: Env) -> None:
    env.pod("veteran")
    env.at(10)
    before = env.get(POD, "veteran")
    env.manager.stop()
    ctx = Context(env.api, env.clock)
    fresh = Kubelet(ctx)
    manager = ControllerManager(ctx, [GarbageCollector(ctx), Scheduler(ctx), fresh])
    manager.resync_all()
    env.at(20)
    after = env.get(POD, "veteran")
    assert after["status"]["podIP"] == before["status"]["podIP"] and ready(after)
    assert container(after)["containerID"] == container(before)["containerID"]
    # Same node: the adopted pod's IP must have been reserved.
    env.pod("rookie", nodeSelector={"kubernetes.io/hostname": before["spec"]["nodeName"]})
    env.at(25)
    rookie = env.get(POD, "rookie")
    assert rookie["spec"]["nodeName"] == before["spec"]["nodeName"]
    assert rookie["status"]["podIP"] != before["status"]["podIP"]
    env.api.delete(POD, NS, "veteran")
    env.at(25 + kubelet_mod.SHUTDOWN_SECONDS)
    assert env.get(POD, "veteran") is None


def test_events_expire_after_an_hour_of_simulated_time():
    from kube_sandbox.cluster import Sandbox
    from kube_sandbox.resources import DEPLOYMENT
    from kube_sandbox.resources import EVENT as EVENTS

    sandbox = Sandbox("eli-maor")
    # The seed's releases were days ago: their events are gone, as on a real cluster.
    assert sandbox.api.list(EVENTS, "production") == []
    sandbox.api.patch(DEPLOYMENT, "production", "eli-maor-beat", "application/merge-patch+json",
                      {"spec": {"replicas": 2}})
    sandbox.clock.advance(60)
    assert any(e["reason"] == "ScalingReplicaSet" for e in sandbox.api.list(EVENTS, "production"))
    sandbox.clock.advance(3700)
    assert sandbox.api.list(EVENTS, "production") == []
