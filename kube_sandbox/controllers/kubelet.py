"""Three simulated nodes and their kubelets.

`Kubelet` registers the Node objects `sandbox-node-1..3` and runs each pod
bound to one of them (binding is the scheduler's job: `scheduler.py`) through
the lifecycle a real kubelet reports: Pending with ContainerCreating, the pod
sandbox and its IP, then the containers, driven by the sandbox clock in
simulated seconds. Status shapes follow pkg/kubelet/kubelet_pods.go
(generateAPIPodStatus) and pkg/kubelet/status (conditions, lastTransitionTime).

Faults come from the image tag:

* ``-crashloop``: starts, exits 1 ("Error") after about a second, restarts
  with the kubelet's back-off (first restart at once, then 10s, 20s, ...
  capped at 300s), CrashLoopBackOff in between, BackOff warnings; never Ready.
* ``-unready``: runs but never passes readiness; Unhealthy warnings every
  probe period.
* ``-slow``: takes ten times longer to start (and answers slowly: metrics/traffic.py).
* ``-errors``: a normal, healthy container; only its traffic shows the fault
  (a third of its requests answered with 5xx: metrics/traffic.py).

A container of a pod whose restartPolicy is not Always (a Job's) does its
work and exits 0 after ``RUN_TO_COMPLETION`` simulated seconds, so the pod
Succeeds; with ``-crashloop`` it exits 1 and the pod Fails.

Deleting a pod: "Killing" events, the containers stop after
min(grace period, SHUTDOWN_SECONDS) simulated seconds, the final terminal
status is written and `api.finish_deletion` removes the pod.

Container logs are kept in memory, bounded, and served by `logs()`.
"""

from __future__ import annotations

import hashlib
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import errors
from ..clock import parse_rfc3339, rfc3339, rfc3339_micro
from ..discovery import SERVER_VERSION
from ..jsoncopy import clone
from ..resources import NODE, POD
from ..store import DELETED, Change
from . import podutil
from .base import Controller, Key
from .recorder import NORMAL, WARNING, EventRecorder

NODE_NAMES = ("sandbox-node-1", "sandbox-node-2", "sandbox-node-3")

# Simulated seconds.
SANDBOX_DELAY = 1.0  # pod sandbox (and its IP) ready after this
START_DELAY = 2.0  # containers running after this ...
SLOW_FACTOR = 10  # ... times this for a "-slow" image
CRASH_AFTER = 1.0  # a "-crashloop" container lives this long
PLEG_DELAY = 1.0  # the kubelet notices an exited container after this
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
BACKOFF_EVENT_PERIOD = 10.0  # a pod in back-off is re-synced (and warned about) this often
DEFAULT_PROBE_PERIOD = 10
SHUTDOWN_SECONDS = 3.0  # how long a container takes to exit after SIGTERM
RUN_TO_COMPLETION = 5.0  # a Job's container finishes its work after this
NODE_STATUS_REPORT = 300.0  # nodeStatusReportFrequency: heartbeat at least this often (when active)
REQUEST_LOG_INTERVAL = 5.0  # one access-log line per container this often
LOG_LINES = 1000  # per container instance

_NEW_EVENT_TEXT = podutil.server_minor() >= 35  # 1.35 dropped the container name from Created/Started
_EPS = 1e-6


def _go_duration(seconds: float) -> str:
    """time.Duration.String() for whole or fractional seconds."""
    if seconds < 60:
        text = f"{seconds:.3f}".rstrip("0").rstrip(".")
        return f"{text}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + f"{minutes}m{secs}s"


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def normalize_image(image: str) -> str:
    """What containerd reports for an image reference: docker.io/library/nginx:1.25."""
    name, _, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        domain, remainder = first, rest
    else:
        domain, remainder = "docker.io", name
    if domain == "docker.io" and "/" not in remainder:
        remainder = f"library/{remainder}"
    if not digest and ":" not in remainder.rsplit("/", 1)[-1]:
        remainder += ":latest"
    return f"{domain}/{remainder}" + (f"@{digest}" if digest else "")


def image_id(image: str) -> str:
    full = normalize_image(image)
    repo = full.partition("@")[0]
    last = repo.rsplit("/", 1)
    if ":" in last[-1]:
        repo = repo[: repo.rfind(":")]
    return f"{repo}@sha256:{_digest('image', full)}"


def fault_mode(image: str) -> str:
    tag = podutil.image_tag(image)
    for mode in ("crashloop", "unready", "slow"):
        if tag.endswith(f"-{mode}"):
            return mode
    return "ok"


# ---- runtime state -----------------------------------------------------------


@dataclass
class ContainerRun:
    name: str
    image: str
    spec: dict
    init: bool = False  # a run-to-completion init container
    sidecar: bool = False
    step: str = "waiting"  # waiting | running | crashed | backoff | exited
    state: dict = field(default_factory=dict)
    last_state: dict = field(default_factory=dict)
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    container_id: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    crashes: int = 0
    next_at: float | None = None  # the next crash / restart
    ready_at: float | None = None
    probe_at: float | None = None
    backoff_event_at: float | None = None
    logs: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    previous_logs: list = field(default_factory=list)
    log_cursor: float | None = None
    log_seq: int = 0

    @property
    def mode(self) -> str:
        return fault_mode(self.image)

    @property
    def field_path(self) -> str:
        return f"spec.{'initContainers' if self.init or self.sidecar else 'containers'}{{{self.name}}}"

    def api_status(self) -> dict:
        status: dict = {"name": self.name, "state": self.state, "lastState": self.last_state,
                        "ready": self.ready, "restartCount": self.restart_count}
        if self.container_id:
            status["image"] = normalize_image(self.image)
            status["imageID"] = image_id(self.image)
            status["containerID"] = self.container_id
        else:
            status["image"] = self.image
            status["imageID"] = ""
        status["started"] = self.started
        resources = self.spec.get("resources") or {}
        if self.container_id and (resources.get("requests") or resources.get("limits")):
            if resources.get("requests"):
                status["allocatedResources"] = dict(resources["requests"])
            status["resources"] = {k: dict(v) for k, v in resources.items() if k in ("limits", "requests") and v}
        mounts = []
        for mount in self.spec.get("volumeMounts") or ():
            entry = {"name": mount.get("name"), "mountPath": mount.get("mountPath")}
            if mount.get("readOnly"):
                entry["readOnly"] = True
                entry["recursiveReadOnly"] = "Disabled"
            mounts.append(entry)
        if mounts:
            status["volumeMounts"] = mounts
        return status


@dataclass
class PodRun:
    uid: str
    namespace: str
    name: str
    node: str
    seen_at: float
    sandbox_at: float
    start_at: float
    containers: list[ContainerRun]
    init_containers: list[ContainerRun]
    sandbox_ready: bool = False
    pod_ip: str | None = None
    started: bool = False
    phase: str = "Pending"
    kill_at: float | None = None
    stop_at: float | None = None
    hard_kill: bool = False
    stopped: bool = False
    finished: bool = False
    timer_at: float | None = None
    written_rv: str | None = None

    def all_containers(self) -> list[ContainerRun]:
        return self.init_containers + self.containers

    def container(self, name: str) -> ContainerRun | None:
        return next((c for c in self.all_containers() if c.name == name), None)


@dataclass
class NodeState:
    name: str
    index: int
    recorder: EventRecorder
    images: set[str] = field(default_factory=set)
    used_ips: set[int] = field(default_factory=set)
    next_host: int = 2

    @property
    def internal_ip(self) -> str:
        return f"172.18.0.{self.index + 1}"

    @property
    def pod_cidr(self) -> str:
        return f"10.244.{self.index}.0/24"

    def allocate_ip(self) -> str | None:
        for _ in range(253):
            host = self.next_host
            self.next_host = 2 if self.next_host >= 254 else self.next_host + 1
            if host not in self.used_ips:
                self.used_ips.add(host)
                return f"10.244.{self.index}.{host}"
        return None

    def reserve_ip(self, ip: str) -> None:
        prefix = f"10.244.{self.index}."
        if ip.startswith(prefix) and ip[len(prefix):].isdigit():
            self.used_ips.add(int(ip[len(prefix):]))

    def release_ip(self, ip: str | None) -> None:
        prefix = f"10.244.{self.index}."
        if ip and ip.startswith(prefix) and ip[len(prefix):].isdigit():
            self.used_ips.discard(int(ip[len(prefix):]))


# ---- the controller ----------------------------------------------------------


class Kubelet(Controller):
    """The kubelets of `nodes`, as one controller."""

    name = "kubelet"

    def __init__(self, ctx, nodes: Iterable[str] = NODE_NAMES, register_nodes: bool = True):
        super().__init__(ctx)
        self.nodes = {
            name: NodeState(name, i, EventRecorder(self.api, "kubelet", host=name))
            for i, name in enumerate(nodes, start=1)
        }
        self._runs: dict[Key, PodRun] = {}
        self._heartbeat_at: dict[str, float] = {}
        if register_nodes:
            self.register_nodes()

    # ---- nodes -----------------------------------------------------------

    def register_nodes(self) -> None:
        for node in self.nodes.values():
            if self.ctx.storage.get(NODE.key, "", node.name) is None:
                self.api.create(NODE, "", self._node_object(node), manager="kubelet")
            current = self.api.get(NODE, "", node.name)
            if not (current.get("status") or {}).get("nodeInfo"):
                updated = clone(current)
                updated["status"] = self._node_status(node)
                updated["metadata"].pop("resourceVersion", None)
                self.api.update(NODE, "", node.name, updated, subresource="status", manager="kubelet")
            self._heartbeat_at[node.name] = self.clock.now()

    def _heartbeat(self, name: str) -> None:
        """Refresh lastHeartbeatTime, at most every NODE_STATUS_REPORT simulated seconds.

        Done when the node's kubelet is busy anyway rather than on a timer of its own, so
        an idle sandbox has no timers left (`run_until_idle` stops when work is done).
        """
        last = self._heartbeat_at.get(name)
        if last is not None and self.clock.elapsed(last) < NODE_STATUS_REPORT:
            return
        node = self.ctx.storage.get(NODE.key, "", name)
        if node is None:
            return
        now = self.clock.now()
        self._heartbeat_at[name] = now
        status = dict(node.get("status") or {})
        status["conditions"] = [{**c, "lastHeartbeatTime": rfc3339(now)} for c in status.get("conditions") or ()]
        meta = {k: v for k, v in node["metadata"].items() if k != "resourceVersion"}
        self.api.update(NODE, "", name, {**node, "metadata": meta, "status": status},
                        subresource="status", manager="kubelet")

    def _node_object(self, node: NodeState) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": node.name,
                "labels": {
                    "beta.kubernetes.io/arch": "amd64",
                    "beta.kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "kubernetes.io/hostname": node.name,
                    "kubernetes.io/os": "linux",
                },
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": {"podCIDR": node.pod_cidr, "podCIDRs": [node.pod_cidr],
                     "providerID": f"kind://docker/sandbox/{node.name}"},
        }

    def _node_status(self, node: NodeState) -> dict:
        now = rfc3339(self.clock.now())
        capacity = {
            "cpu": "8",
            "ephemeral-storage": "102625208Ki",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": "16331828Ki",
            "pods": "110",
        }

        def condition(type_: str, status: str, reason: str, message: str) -> dict:
            return {"type": type_, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": now,
                    "reason": reason, "message": message}

        version = SERVER_VERSION.get("gitVersion", "v1.34.0")
        return {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": node.internal_ip},
                          {"type": "Hostname", "address": node.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": _digest("machine", node.name)[:32],
                "systemUUID": _uuidish("system", node.name),
                "bootID": _uuidish("boot", node.name),
                "kernelVersion": "6.8.0-45-generic",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://2.1.3",
                "kubeletVersion": version,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
            "runtimeHandlers": [
                {"name": "runc", "features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}},
                {"name": "", "features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}},
            ],
            "features": {"supplementalGroupsPolicy": True},
        }

    # ---- queue -----------------------------------------------------------

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key != POD.key:
            return []
        key = (change.namespace, change.name)
        pod = change.obj
        run = self._runs.get(key)
        if change.type == DELETED:
            return [key] if run is not None else []
        if run is not None and run.written_rv == pod["metadata"].get("resourceVersion"):
            return []  # our own status write
        node = (pod.get("spec") or {}).get("nodeName")
        if node in self.nodes or run is not None:
            return [key]
        return []

    def all_keys(self) -> Iterable[Key]:
        return [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in self.ctx.storage.items(POD.key)
                if p["spec"].get("nodeName") in self.nodes]

    # ---- sync ------------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        pod = self.ctx.storage.get(POD.key, namespace, name)
        run = self._runs.get(key)
        if run is not None and (pod is None or pod["metadata"]["uid"] != run.uid):
            self._forget(key, run)
            run = None
        if pod is None or pod["spec"].get("nodeName") not in self.nodes:
            return  # gone, not bound yet (the scheduler's), or another node's
        if run is None:
            if podutil.is_terminal(pod) and not pod["metadata"].get("deletionTimestamp"):
                return  # a finished pod from before this kubelet: nothing left to run
            run = self._new_run(pod)
            self._runs[key] = run
        if run.finished:
            return
        self._heartbeat(run.node)
        if run.timer_at is not None and run.timer_at <= self.clock.now() + _EPS:
            run.timer_at = None
        self._advance(run, pod)
        if run.finished:
            return
        self._write_status(run, pod)
        if run.stopped and pod["metadata"].get("deletionTimestamp"):
            run.finished = True
            self.api.finish_deletion(POD, pod)
            return
        self._schedule_wakeup(run)

    def _forget(self, key: Key, run: PodRun) -> None:
        self._runs.pop(key, None)
        node = self.nodes.get(run.node)
        if node is not None:
            node.release_ip(run.pod_ip)

    # ---- the pod lifecycle -------------------------------------------------

    def _new_run(self, pod: dict) -> PodRun:
        now = self.clock.now()
        spec = pod["spec"]
        inits = [ContainerRun(c["name"], c.get("image", ""), c, init=c.get("restartPolicy") != "Always",
                              sidecar=c.get("restartPolicy") == "Always")
                 for c in spec.get("initContainers") or ()]
        apps = [ContainerRun(c["name"], c.get("image", ""), c) for c in spec.get("containers") or ()]
        slow = any(c.mode == "slow" for c in inits + apps)
        delay = START_DELAY * (SLOW_FACTOR if slow else 1)
        run = PodRun(
            uid=pod["metadata"]["uid"], namespace=pod["metadata"]["namespace"], name=pod["metadata"]["name"],
            node=spec["nodeName"], seen_at=now, sandbox_at=self._at(now, min(SANDBOX_DELAY, delay)),
            start_at=self._at(now, delay), containers=apps, init_containers=inits,
        )
        waiting = "PodInitializing" if inits else "ContainerCreating"
        for c in run.all_containers():
            c.state = {"waiting": {"reason": "PodInitializing" if c.init or c.sidecar else waiting}}
        self._adopt_existing(run, pod)
        return run

    def _adopt_existing(self, run: PodRun, pod: dict) -> None:
        """Pick up a pod some earlier kubelet already started (e.g. a restored snapshot)."""
        status = pod.get("status") or {}
        if status.get("phase") != "Running" or not status.get("podIP"):
            return
        started = parse_rfc3339(status.get("startTime"))
        run.seen_at = started or run.seen_at
        run.sandbox_ready = run.started = True
        run.phase = "Running"
        run.pod_ip = status["podIP"]
        self.nodes[run.node].reserve_ip(run.pod_ip)
        now = self.clock.now()
        by_name = {s["name"]: s for s in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])}
        for c in run.all_containers():
            s = by_name.get(c.name)
            if s is None:
                continue
            c.state, c.last_state = s.get("state") or {}, s.get("lastState") or {}
            c.restart_count, c.container_id = s.get("restartCount", 0), s.get("containerID", "")
            c.ready, c.started = bool(s.get("ready")), bool(s.get("started"))
            running = c.state.get("running")
            if c.init:
                c.step = "exited"
            elif running:
                c.step = "running"
                c.started_at = parse_rfc3339(running.get("startedAt")) or now
                c.log_cursor = now
                if c.mode == "crashloop":
                    c.crashes = c.restart_count
                    c.next_at = self._at(now, CRASH_AFTER)
                elif c.mode == "unready":
                    c.probe_at = self._at(now, self._probe_period(c))
                elif not c.ready:
                    c.ready_at = now
            else:
                # Terminated or backing off: restart it at once and let the cycle continue.
                c.step, c.crashes = "crashed", max(1, c.restart_count)
                c.finished_at, c.next_at = now, now

    def _at(self, base: float, sim_seconds: float) -> float:
        """The real timestamp `sim_seconds` of simulated time after `base`."""
        return base + sim_seconds / (self.clock.speed or 1.0)

    def _advance(self, run: PodRun, pod: dict) -> None:
        deleting = bool(pod["metadata"].get("deletionTimestamp"))
        if deleting and not run.stopped:
            self._observe_deletion(run, pod)
        for _ in range(10_000):
            now = self.clock.now()
            due = self._next_action(run, deleting)
            if due is None or due[0] > now + _EPS:
                return
            at, action = due
            action(run, pod, at)

    def _next_action(self, run: PodRun, deleting: bool):
        candidates = []
        if run.stop_at is not None and not run.stopped:
            candidates.append((run.stop_at, self._stop))
        if not deleting and not run.stopped:
            if not run.sandbox_ready:
                candidates.append((run.sandbox_at, self._sandbox_ready))
            elif not run.started:
                candidates.append((max(run.start_at, run.sandbox_at), self._start))
            else:
                for c in run.all_containers():
                    if c.next_at is not None:
                        candidates.append((c.next_at, _bind(self._container_step, c)))
                    if c.ready_at is not None:
                        candidates.append((c.ready_at, _bind(self._become_ready, c)))
                    if c.probe_at is not None:
                        candidates.append((c.probe_at, _bind(self._probe_failed, c)))
                    if c.backoff_event_at is not None:
                        candidates.append((c.backoff_event_at, _bind(self._backoff_event, c)))
        if not candidates:
            return None
        return min(candidates, key=lambda item: item[0])

    def _schedule_wakeup(self, run: PodRun) -> None:
        due = self._next_action(run, run.kill_at is not None)
        if due is None:
            return
        at = due[0]
        if run.timer_at is not None and run.timer_at <= at + _EPS:
            return  # an earlier (or the same) wake-up is already pending
        run.timer_at = at
        delay = max(0.0, (at - self.clock.now()) * (self.clock.speed or 1.0))
        self.enqueue_after(delay, run.namespace, run.name)

    # ---- lifecycle steps (each at real time `at`) --------------------------

    def _sandbox_ready(self, run: PodRun, pod: dict, at: float) -> None:
        node = self.nodes[run.node]
        run.pod_ip = node.allocate_ip()
        run.sandbox_ready = True
        for c in run.all_containers():
            if self._must_pull(node, c):
                node.recorder.event(pod, NORMAL, "Pulling", f'Pulling image "{c.image}"', c.field_path)

    def _must_pull(self, node: NodeState, c: ContainerRun) -> bool:
        policy = c.spec.get("imagePullPolicy") or "IfNotPresent"
        if policy == "Never":
            return False
        return policy == "Always" or c.image not in node.images

    def _start(self, run: PodRun, pod: dict, at: float) -> None:
        node = self.nodes[run.node]
        run.started = True
        run.phase = "Running"
        pull_seconds = max(0.0, (run.start_at - run.sandbox_at) * (self.clock.speed or 1.0))
        for c in run.all_containers():
            self._pulled_event(node, pod, c, pull_seconds)
            self._launch(run, pod, c, at)
        if run.containers and all(c.step == "exited" for c in run.containers):
            run.phase = self._terminal_phase(run)

    def _pulled_event(self, node: NodeState, pod: dict, c: ContainerRun, pull_seconds: float) -> None:
        if self._must_pull(node, c):
            jitter = int(_digest("pull", c.image, pod["metadata"]["uid"])[:4], 16) / 65536 * 0.5
            took = _go_duration(max(0.1, pull_seconds - jitter))
            size = 20_000_000 + int(_digest("size", c.image)[:8], 16) % 180_000_000
            message = (f'Successfully pulled image "{c.image}" in {took} ({took} including waiting). '
                       f"Image size: {size} bytes.")
        else:
            message = f'Container image "{c.image}" already present on machine and can be accessed by the pod'
        node.images.add(c.image)
        node.recorder.event(pod, NORMAL, "Pulled", message, c.field_path)

    def _launch(self, run: PodRun, pod: dict, c: ContainerRun, at: float) -> None:
        node = self.nodes[run.node]
        c.container_id = "containerd://" + _digest("container", run.uid, c.name, str(c.restart_count))
        created = "Container created" if _NEW_EVENT_TEXT else f"Created container: {c.name}"
        started = "Container started" if _NEW_EVENT_TEXT else f"Started container {c.name}"
        node.recorder.event(pod, NORMAL, "Created", created, c.field_path)
        node.recorder.event(pod, NORMAL, "Started", started, c.field_path)
        c.started_at = at
        c.log_cursor = at
        c.ready_at = c.probe_at = c.backoff_event_at = c.next_at = None
        self._log_startup(run, c, at)
        if c.init:
            # An init container that does its job at once.
            self._log(c, at, "INFO  initialisation complete")
            c.state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": rfc3339(at),
                                      "finishedAt": rfc3339(at), "containerID": c.container_id}}
            c.step, c.started, c.ready = "exited", False, False
            return
        c.step, c.started, c.ready = "running", True, False
        c.state = {"running": {"startedAt": rfc3339(at)}}
        mode = c.mode
        if mode == "crashloop":
            c.next_at = self._at(at, CRASH_AFTER)
        elif pod["spec"].get("restartPolicy", "Always") != "Always":
            c.ready = True
            c.next_at = self._at(at, RUN_TO_COMPLETION)
        elif mode == "unready":
            probe = c.spec.get("readinessProbe") or {}
            c.probe_at = self._at(at, (probe.get("initialDelaySeconds") or 0) + 1)
        else:
            probe = c.spec.get("readinessProbe") or {}
            delay = probe.get("initialDelaySeconds") or 0
            if delay:
                c.ready_at = self._at(at, delay)
            else:
                c.ready = True

    def _container_step(self, c: ContainerRun, run: PodRun, pod: dict, at: float) -> None:
        if c.step == "running" and c.mode != "crashloop" and pod["spec"].get("restartPolicy", "Always") != "Always":
            self._complete(run, pod, c, at)
        elif c.step == "running":
            self._crash(run, pod, c, at)
        elif c.step == "crashed":
            self._after_crash(run, pod, c, at)
        elif c.step == "backoff":
            self._restart(run, pod, c, at)
        else:
            c.next_at = None

    def _crash(self, run: PodRun, pod: dict, c: ContainerRun, at: float) -> None:
        self._catch_up_logs(run, c, at)
        self._log_crash(c, at)
        c.crashes += 1
        c.state = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": rfc3339(c.started_at or at),
                                  "finishedAt": rfc3339(at), "containerID": c.container_id}}
        c.finished_at = at
        c.ready = c.started = False
        c.step = "crashed"
        c.next_at = self._at(at, PLEG_DELAY)
        policy = pod["spec"].get("restartPolicy", "Always")
        if policy == "Never":
            c.step, c.next_at = "exited", None
            if all(x.step == "exited" for x in run.containers):
                run.phase = self._terminal_phase(run)

    def _complete(self, run: PodRun, pod: dict, c: ContainerRun, at: float) -> None:
        """A run-to-completion container finished its work."""
        self._catch_up_logs(run, c, at)
        self._log(c, at, "INFO  done")
        c.state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": rfc3339(c.started_at or at),
                                  "finishedAt": rfc3339(at), "containerID": c.container_id}}
        c.finished_at = at
        c.ready = c.started = False
        c.step, c.next_at = "exited", None
        if all(x.step == "exited" for x in run.containers):
            run.phase = self._terminal_phase(run)

    def _after_crash(self, run: PodRun, pod: dict, c: ContainerRun, at: float) -> None:
        restart_at = self._at(c.finished_at or at, self._backoff(c.crashes))
        if restart_at <= at + _EPS:
            self._restart(run, pod, c, at)
            return
        c.last_state = {"terminated": c.state.get("terminated", {})} if "terminated" in c.state else c.last_state
        backoff = _go_duration(self._backoff(c.crashes))
        c.state = {"waiting": {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {backoff} restarting failed container={c.name} pod={_format_pod(pod)}",
        }}
        c.step = "backoff"
        c.next_at = restart_at
        self._backoff_event(c, run, pod, at)

    def _backoff_event(self, c: ContainerRun, run: PodRun, pod: dict, at: float) -> None:
        self.nodes[run.node].recorder.event(
            pod, WARNING, "BackOff", f"Back-off restarting failed container {c.name} in pod {_format_pod(pod)}",
            c.field_path)
        following = self._at(at, BACKOFF_EVENT_PERIOD)
        now = self.clock.now()
        if following < now:
            following = self._at(now, BACKOFF_EVENT_PERIOD)  # catching up: one warning, not a burst
        c.backoff_event_at = following if c.next_at is not None and following < c.next_at - _EPS else None

    def _restart(self, run: PodRun, pod: dict, c: ContainerRun, at: float) -> None:
        if "terminated" in c.state:
            c.last_state = {"terminated": c.state["terminated"]}
        c.restart_count += 1
        c.previous_logs = list(c.logs)
        c.logs = deque(maxlen=LOG_LINES)
        c.log_seq = 0
        self._pulled_event(self.nodes[run.node], pod, c, 0.4)
        self._launch(run, pod, c, at)

    def _backoff(self, crashes: int) -> float:
        """kubelet back-off: the first restart is immediate, then 10s doubling to 300s."""
        if crashes <= 1:
            return 0.0
        return min(BACKOFF_INITIAL * 2 ** (crashes - 2), BACKOFF_MAX)

    def _become_ready(self, c: ContainerRun, run: PodRun, pod: dict, at: float) -> None:
        c.ready_at = None
        if c.step == "running":
            c.ready = True

    def _probe_period(self, c: ContainerRun) -> int:
        return (c.spec.get("readinessProbe") or {}).get("periodSeconds") or DEFAULT_PROBE_PERIOD

    def _probe_failed(self, c: ContainerRun, run: PodRun, pod: dict, at: float) -> None:
        if c.step != "running":
            c.probe_at = None
            return
        probe = c.spec.get("readinessProbe") or {}
        if probe.get("tcpSocket") is not None:
            port = probe["tcpSocket"].get("port")
            port = podutil.find_port(pod, port) or port
            why = f"dial tcp {run.pod_ip}:{port}: connect: connection refused"
        elif probe.get("exec") is not None:
            why = ""
        else:
            why = "HTTP probe failed with statuscode: 503"
        self.nodes[run.node].recorder.event(pod, WARNING, "Unhealthy", f"Readiness probe failed: {why}", c.field_path)
        self._catch_up_logs(run, c, at)
        self._log(c, at, 'WARN  readiness check failed: upstream dependency "db" unavailable (503)')
        following = self._at(at, self._probe_period(c))
        now = self.clock.now()
        if following < now:
            following = self._at(now, self._probe_period(c))
        c.probe_at = following

    # ---- deletion ------------------------------------------------------------

    def _observe_deletion(self, run: PodRun, pod: dict) -> None:
        grace = pod["metadata"].get("deletionGracePeriodSeconds") or 0
        now = self.clock.now()
        if run.kill_at is None:
            run.kill_at = now
            node = self.nodes[run.node]
            running = [c for c in run.all_containers() if c.step == "running"]
            for c in running:
                node.recorder.event(pod, NORMAL, "Killing", f"Stopping container {c.name}", c.field_path)
                self._catch_up_logs(run, c, now)
                self._log(c, now, "INFO  received SIGTERM, shutting down gracefully")
            for c in run.all_containers():
                c.next_at = c.ready_at = c.probe_at = c.backoff_event_at = None
            wait = min(grace, SHUTDOWN_SECONDS) if running else 0.0
            run.stop_at = self._at(now, wait)
            run.hard_kill = grace < SHUTDOWN_SECONDS
            return
        # A second delete may shorten the grace period.
        sooner = self._at(run.kill_at, min(grace, SHUTDOWN_SECONDS))
        if run.stop_at is not None and sooner < run.stop_at:
            run.stop_at = max(now, sooner)
            run.hard_kill = grace < SHUTDOWN_SECONDS

    def _stop(self, run: PodRun, pod: dict, at: float) -> None:
        for c in run.all_containers():
            if c.step == "running":
                self._catch_up_logs(run, c, at)
                code, reason = (137, "Error") if run.hard_kill else (0, "Completed")
                if not run.hard_kill:
                    self._log(c, at, "INFO  shutdown complete")
                c.state = {"terminated": {"exitCode": code, "reason": reason,
                                          "startedAt": rfc3339(c.started_at or at), "finishedAt": rfc3339(at),
                                          "containerID": c.container_id}}
                c.finished_at = at
            c.ready = c.started = False
            c.step = "exited"
            c.next_at = c.ready_at = c.probe_at = c.backoff_event_at = None
        run.stopped = True
        run.phase = self._terminal_phase(run)

    def _terminal_phase(self, run: PodRun) -> str:
        for c in run.containers:
            term = c.state.get("terminated")
            if term is None or term.get("exitCode") != 0:
                return "Failed"
        return "Succeeded"

    # ---- status ----------------------------------------------------------------

    def _write_status(self, run: PodRun, pod: dict) -> None:
        old = pod.get("status") or {}
        status = self._status(run, pod, old)
        if status == old:
            return
        # Shallow: the Api copies what it is given, and only the status is taken from it.
        meta = {k: v for k, v in pod["metadata"].items() if k != "resourceVersion"}
        updated = {**pod, "metadata": meta, "status": status}
        written = self.api.update(POD, run.namespace, run.name, updated, subresource="status", manager="kubelet")
        run.written_rv = written["metadata"].get("resourceVersion")

    def _status(self, run: PodRun, pod: dict, old: dict) -> dict:
        now = rfc3339(self.clock.now())
        old_conditions = {c.get("type"): c for c in old.get("conditions") or ()}

        def condition(type_: str, ok: bool, reason: str = "", message: str = "") -> dict:
            status = "True" if ok else "False"
            prior = old_conditions.get(type_)
            since = prior.get("lastTransitionTime") if prior and prior.get("status") == status else now
            cond = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
            if reason:
                cond["reason"] = reason
            if message:
                cond["message"] = message
            return cond

        terminal = run.phase in ("Succeeded", "Failed")
        pending_inits = [c.name for c in run.init_containers if c.init and c.step != "exited"]
        unready = [c.name for c in run.containers + [s for s in run.init_containers if s.sidecar] if not c.ready]
        conditions = [condition("PodReadyToStartContainers", run.sandbox_ready and not terminal)]
        if pending_inits and not terminal:
            conditions.append(condition("Initialized", False, "ContainersNotInitialized",
                                        f"containers with incomplete status: [{' '.join(pending_inits)}]"))
        else:
            conditions.append(condition("Initialized", True))
        if terminal:
            ready = condition("Ready", False, "PodCompleted")
            containers_ready = condition("ContainersReady", False, "PodCompleted")
        elif unready:
            message = f"containers with unready status: [{' '.join(unready)}]"
            ready = condition("Ready", False, "ContainersNotReady", message)
            containers_ready = condition("ContainersReady", False, "ContainersNotReady", message)
        else:
            gate_problem = _readiness_gate_problem(pod, old_conditions)
            ready = condition("Ready", False, "ReadinessGatesNotReady", gate_problem) if gate_problem \
                else condition("Ready", True)
            containers_ready = condition("ContainersReady", True)
        conditions += [ready, containers_ready]
        scheduled = old_conditions.get("PodScheduled")
        conditions.append(scheduled if scheduled and scheduled.get("status") == "True" else condition("PodScheduled", True))
        kubelet_owned = {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"}
        conditions += [c for t, c in old_conditions.items() if t not in kubelet_owned]

        node = self.nodes[run.node]
        status: dict = {"phase": run.phase, "conditions": conditions}
        for key in ("message", "reason", "nominatedNodeName"):
            if key in old:
                status[key] = old[key]
        status["hostIP"] = node.internal_ip
        status["hostIPs"] = [{"ip": node.internal_ip}]
        if run.pod_ip:
            status["podIP"] = run.pod_ip
            status["podIPs"] = [{"ip": run.pod_ip}]
        status["startTime"] = rfc3339(run.seen_at)
        if run.init_containers:
            status["initContainerStatuses"] = [c.api_status() for c in run.init_containers]
        status["containerStatuses"] = [c.api_status() for c in run.containers]
        status["qosClass"] = old.get("qosClass", "BestEffort")
        for key, value in old.items():
            if key not in status and key not in ("podIP", "podIPs"):
                status[key] = value
        return status

    # ---- logs ------------------------------------------------------------------

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        tail_lines: int | None = None,
        previous: bool = False,
        timestamps: bool = False,
    ) -> str:
        """The text `kubectl logs` prints; ApiErrors worded as the kubelet's."""
        obj = self.ctx.storage.get(POD.key, namespace, pod)
        if obj is None:
            raise errors.not_found(POD, pod)
        names = [c["name"] for c in obj["spec"].get("containers") or ()]
        all_names = names + [c["name"] for c in obj["spec"].get("initContainers") or ()]
        if container is None:
            if len(names) != 1:
                raise errors.bad_request(
                    f"a container name must be specified for pod {pod}, choose one of: [{' '.join(names)}]")
            container = names[0]
        if container not in all_names:
            raise errors.bad_request(f"container {container} is not valid for pod {pod}")
        run = self._runs.get((namespace, pod))
        c = run.container(container) if run is not None and run.uid == obj["metadata"]["uid"] else None
        if previous:
            if c is None or not c.previous_logs:
                raise errors.bad_request(f'previous terminated container "{container}" in pod "{pod}" not found')
            lines = list(c.previous_logs)
        else:
            if c is None or not c.container_id:
                reason = "ContainerCreating"
                if c is not None:
                    reason = (c.state.get("waiting") or {}).get("reason", reason)
                elif not obj["spec"].get("nodeName"):
                    raise errors.bad_request(f'container "{container}" in pod "{pod}" is waiting to start: '
                                             f"ContainerCreating")
                raise errors.bad_request(f'container "{container}" in pod "{pod}" is waiting to start: {reason}')
            if c.step == "running" and run is not None:
                self._catch_up_logs(run, c, self.clock.now())
            lines = list(c.logs)
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        if not lines:
            return ""
        if timestamps:
            return "".join(f"{rfc3339_micro(ts)[:-1]}000Z {text}\n" for ts, text in lines)
        return "".join(f"{text}\n" for _, text in lines)

    def _log(self, c: ContainerRun, at: float, message: str) -> None:
        c.logs.append((at, f"{_log_stamp(at)} {message}"))

    def _log_startup(self, run: PodRun, c: ContainerRun, at: float) -> None:
        app = c.image.partition("@")[0].rsplit("/", 1)[-1].partition(":")[0] or c.name
        tag = podutil.image_tag(c.image) or "latest"
        port = next((p.get("containerPort") for p in c.spec.get("ports") or () if p.get("containerPort")), 8080)
        self._log(c, at, f"INFO  starting {app} version={tag} image={c.image}")
        if c.restart_count:
            self._log(c, at, f"INFO  restart #{c.restart_count} after previous exit")
        self._log(c, at, f"INFO  pod={run.name} node={run.node} ip={run.pod_ip or '-'}")
        if c.init:
            return
        self._log(c, at, f"INFO  listening on 0.0.0.0:{port}")
        mode = c.mode
        if mode == "unready":
            self._log(c, at, 'WARN  dependency check failed: upstream "db" unavailable; not ready to serve')
        elif mode != "crashloop":
            self._log(c, at, "INFO  ready to accept connections")

    def _log_crash(self, c: ContainerRun, at: float) -> None:
        tag = podutil.image_tag(c.image) or "latest"
        for line in (
            f"ERROR unhandled exception during startup (version={tag})",
            "Traceback (most recent call last):",
            '  File "/app/server.py", line 88, in <module>',
            "    main()",
            '  File "/app/server.py", line 71, in main',
            "    db = connect(settings.DATABASE_URL)",
            '  File "/app/db.py", line 23, in connect',
            '    raise ConnectionError(f"could not connect to {url}: connection refused")',
            "ConnectionError: could not connect to postgres://db:5432/app: connection refused",
        ):
            c.logs.append((at, line if line.startswith(" ") or line.startswith("Trace") or line.startswith("Conn")
                           else f"{_log_stamp(at)} {line}"))

    def _catch_up_logs(self, run: PodRun, c: ContainerRun, until: float) -> None:
        """Write the access-log lines a running container produced up to `until`."""
        if c.step != "running" or c.log_cursor is None or c.init:
            return
        step = REQUEST_LOG_INTERVAL / (self.clock.speed or 1.0)
        cursor = max(c.log_cursor, until - step * LOG_LINES)
        rng = random.Random(f"{run.uid}/{c.name}/{c.restart_count}")
        unready = c.mode == "unready"
        while cursor + step <= until + _EPS:
            cursor += step
            c.log_seq += 1
            rng.seed(f"{run.uid}/{c.name}/{c.restart_count}/{c.log_seq}")
            if unready:
                line = f"INFO  GET /healthz 503 {rng.randint(1, 4)}.{rng.randint(0, 9)}ms"
            else:
                method, path = rng.choice((("GET", "/api/v1/items"), ("GET", "/api/v1/items/42"),
                                           ("POST", "/api/v1/orders"), ("GET", "/healthz"),
                                           ("GET", "/metrics"), ("GET", "/")))
                code = 200 if rng.random() > 0.04 else rng.choice((404, 499))
                if method == "POST" and code == 200:
                    code = 201
                line = f"INFO  {method} {path} {code} {rng.randint(1, 180)}.{rng.randint(0, 9)}ms"
            self._log(c, cursor, line)
        c.log_cursor = cursor


# ---- helpers -------------------------------------------------------------------


def _bind(method, c: ContainerRun):
    return lambda run, pod, at: method(c, run, pod, at)


def _format_pod(pod: dict) -> str:
    meta = pod["metadata"]
    return f"{meta['name']}_{meta['namespace']}({meta['uid']})"


def _log_stamp(ts: float) -> str:
    return rfc3339_micro(ts)[:-4] + "Z"  # millisecond precision, as most apps log


def _uuidish(*parts: str) -> str:
    h = _digest(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _readiness_gate_problem(pod: dict, conditions: dict[str, dict]) -> str:
    for gate in (pod.get("spec") or {}).get("readinessGates") or ():
        type_ = gate.get("conditionType")
        cond = conditions.get(type_)
        if cond is None:
            return f'corresponding condition of pod readiness gate "{type_}" does not exist.'
        if cond.get("status") != "True":
            return f'the status of pod readiness gate "{type_}" is not "True", but {cond.get("status")}'
    return ""

