"""What the console knows, in plain Python: no Textual, no network.

The watchers' items (`Relisted`, `Changed`, `Health`) are applied here; the
panes read derived views (`components()`, `revisions()`, the rollout log).
`apply()` answers which components changed, so the UI repaints only those.
A clock is injected, so ages and timestamps are deterministic in tests.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from .kube.deployments import revisions as history_of, rollout_status
from .kube.watch import Changed, Health, Relisted

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
LOG_LINES = 2000
MAX_EVENTS = 2000  # Event objects kept; older ones have been streamed already

# Severity words the stream colours by.
INFO, SUCCESS, WARNING, ERROR = "info", "success", "warning", "error"
BAD_WAITING = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
               "CreateContainerError", "RunContainerError", "InvalidImageName"}


def parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def human_age(seconds: float | None) -> str:
    """kubectl's short ages: 45s, 12m, 5h, 3d."""
    if seconds is None:
        return "<unknown>"
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    if s < 2 * 3600:
        return f"{s // 60}m"
    if s < 2 * 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def image_tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return name.split("@", 1)[1][:19]
    return name.split(":", 1)[1] if ":" in name else "latest"


def _images(template: dict) -> list[str]:
    return [c.get("image", "") for c in (template.get("spec") or {}).get("containers") or []]


def _controller(obj: dict) -> dict | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


@dataclass(frozen=True)
class ComponentView:
    kind: str
    name: str
    desired: int
    ready: int
    updated: int
    available: int
    revision: str
    images: tuple[str, ...]
    status: str
    paused: bool

    @property
    def image_tags(self) -> str:
        return ",".join(image_tag(i) for i in self.images)


@dataclass(frozen=True)
class RevisionView:
    revision: int
    change_cause: str
    images: tuple[str, ...]
    created: float | None
    pods: int  # of that ReplicaSet
    ready: int
    current: bool
    replicaset: str
    template: dict


@dataclass(frozen=True)
class LogLine:
    at: float
    component: str
    severity: str
    text: str


@dataclass(frozen=True)
class WatchState:
    live: bool
    since: float
    error: str


class ClusterState:
    def __init__(self, namespace: str, clock: Callable[[], float] = time.time, order: Iterable[str] = ()):
        self.namespace = namespace
        self.clock = clock
        self.order = list(order)  # display order of components, from the config file
        self.objects: dict[str, dict[str, dict]] = {"Deployment": {}, "ReplicaSet": {}, "Pod": {}, "Event": {}}
        self.watches: dict[str, WatchState] = {}
        self.log: deque[LogLine] = deque(maxlen=LOG_LINES)
        self._last_status: dict[str, str] = {}
        self._pod_summary: dict[str, str] = {}
        self._event_counts: dict[str, int] = {}
        # Which component each ReplicaSet and Pod belongs to, both ways, so views never scan every pod.
        self._owner: dict[tuple[str, str], str] = {}
        self._members: dict[str, dict[str, set[str]]] = {}

    # ---- applying watch items --------------------------------------------

    def apply(self, items: Iterable) -> set[str]:
        """Apply a batch; return the names of the components that changed ("*" for all)."""
        dirty: set[str] = set()
        for item in items:
            if isinstance(item, Health):
                self._health(item)
                dirty.add("*health")
            elif isinstance(item, Relisted):
                known = self.objects.setdefault(item.kind, {})
                quiet = not known  # the first list is history, not news
                dirty |= {self.component_of(item.kind, o) or "" for o in known.values()}
                fresh = {o["metadata"]["name"]: o for o in item.objects}
                for name in set(known) - set(fresh):
                    known.pop(name)
                    self._index(item.kind, name, None)
                for obj in item.objects:
                    dirty.add(self._store(item.kind, "MODIFIED", obj, quiet) or "")
            elif isinstance(item, Changed):
                dirty.add(self._store(item.kind, item.type, item.obj, False) or "")
        dirty.discard("")
        return dirty

    def _health(self, item: Health) -> None:
        before = self.watches.get(item.kind)
        if not item.live and before is not None and not before.live:
            # Still down: keep the time it went down, refresh the reason.
            self.watches[item.kind] = WatchState(False, before.since, item.error or before.error)
        else:
            self.watches[item.kind] = WatchState(item.live, item.since, item.error)

    def _store(self, kind: str, type_: str, obj: dict, quiet: bool) -> str | None:
        name = obj["metadata"]["name"]
        bucket = self.objects.setdefault(kind, {})
        bucket.pop(name, None)  # re-insert: dict order is then least recently changed first
        if type_ != "DELETED":
            bucket[name] = obj
            if kind == "Event" and len(bucket) > MAX_EVENTS:
                del bucket[next(iter(bucket))]  # events are news, not state: keep the recent ones
        component = self.component_of(kind, obj)
        if kind in ("ReplicaSet", "Pod"):
            self._index(kind, name, None if type_ == "DELETED" else component)
        if component is None:
            return None
        if kind == "Deployment" and type_ != "DELETED":
            self._note_rollout(component, obj, quiet)
        elif kind == "Pod":
            self._note_pod(component, type_, obj, quiet)
        elif kind == "Event" and type_ != "DELETED":
            self._note_event(component, obj, quiet)
        return component

    # ---- which component an object belongs to ----------------------------

    def component_of(self, kind: str, obj: dict) -> str | None:
        if kind == "Deployment":
            return obj["metadata"]["name"]
        if kind == "ReplicaSet":
            ref = _controller(obj)
            return ref["name"] if ref and ref.get("kind") == "Deployment" else None
        if kind == "Pod":
            ref = _controller(obj)
            if ref and ref.get("kind") == "ReplicaSet":
                rs = self.objects["ReplicaSet"].get(ref["name"])
                if rs is not None:
                    return self.component_of("ReplicaSet", rs)
                # The pod may arrive before its ReplicaSet: its name says whose it is.
                return ref["name"].rsplit("-", 1)[0] if "-" in ref["name"] else None
            return None
        if kind == "Event":
            involved = obj.get("involvedObject") or {}
            target_kind, target = involved.get("kind"), involved.get("name", "")
            if target_kind == "Deployment":
                return target
            if target_kind in ("ReplicaSet", "Pod"):
                known = self.objects.get(target_kind, {}).get(target)
                if known is not None:
                    return self.component_of(target_kind, known)
                return self._by_prefix(target)
        return None

    def _index(self, kind: str, name: str, component: str | None) -> None:
        before = self._owner.pop((kind, name), None)
        if before is not None:
            self._members.get(before, {}).get(kind, set()).discard(name)
        if component is not None:
            self._owner[(kind, name)] = component
            self._members.setdefault(component, {}).setdefault(kind, set()).add(name)

    def _by_prefix(self, name: str) -> str | None:
        for deployment in self.objects["Deployment"]:
            if name.startswith(deployment + "-"):
                return deployment
        return None

    # ---- the rollout stream ----------------------------------------------

    def _line(self, component: str, severity: str, text: str, at: float | None = None) -> None:
        self.log.append(LogLine(at if at is not None else self.clock(), component, severity, text))

    def _note_rollout(self, component: str, deployment: dict, quiet: bool) -> None:
        message, done, failed = rollout_status(deployment)
        if self._last_status.get(component) == message:
            return
        self._last_status[component] = message
        if quiet:
            return
        self._line(component, ERROR if failed else SUCCESS if done else INFO, message)

    def _note_pod(self, component: str, type_: str, pod: dict, quiet: bool) -> None:
        name = pod["metadata"]["name"]
        summary = "deleted" if type_ == "DELETED" else pod_summary(pod)
        if self._pod_summary.get(name) == summary:
            return
        self._pod_summary[name] = summary
        if type_ == "DELETED":
            self._pod_summary.pop(name, None)
        if quiet:
            return
        severity = ERROR if any(w in summary for w in BAD_WAITING) else INFO
        self._line(component, severity, f"pod {name}: {summary}")

    def _note_event(self, component: str, event: dict, quiet: bool) -> None:
        uid = event["metadata"].get("uid") or event["metadata"]["name"]
        count = event.get("count") or 1
        if self._event_counts.get(uid, 0) >= count:
            return
        self._event_counts.pop(uid, None)
        self._event_counts[uid] = count
        if len(self._event_counts) > MAX_EVENTS:
            del self._event_counts[next(iter(self._event_counts))]
        if quiet:
            return
        reason, message = event.get("reason", ""), event.get("message", "")
        severity = WARNING if event.get("type") == "Warning" else INFO
        if reason in ("BackOff", "Failed", "FailedCreate"):
            severity = ERROR
        repeat = f" (x{count})" if count > 1 else ""
        self._line(component, severity, f"{reason}: {message}{repeat}")

    # ---- views -----------------------------------------------------------

    def components(self) -> list[ComponentView]:
        views = [self.component(name) for name in self.objects["Deployment"]]
        rank = {name: n for n, name in enumerate(self.order)}
        return sorted((v for v in views if v), key=lambda v: (rank.get(v.name, len(rank)), v.name))

    def component(self, name: str) -> ComponentView | None:
        d = self.objects["Deployment"].get(name)
        if d is None:
            return None
        spec, status = d.get("spec") or {}, d.get("status") or {}
        desired = spec.get("replicas", 1)
        return ComponentView(
            kind="Deployment",
            name=name,
            desired=desired,
            ready=status.get("readyReplicas", 0),
            updated=status.get("updatedReplicas", 0),
            available=status.get("availableReplicas", 0),
            revision=(d["metadata"].get("annotations") or {}).get(REVISION, ""),
            images=tuple(_images(spec.get("template") or {})),
            status=self._status_word(d),
            paused=bool(spec.get("paused")),
        )

    def _status_word(self, d: dict) -> str:
        spec, status = d.get("spec") or {}, d.get("status") or {}
        if spec.get("replicas", 1) == 0:
            return "Scaled down"
        if spec.get("paused"):
            return "Paused"
        for cond in status.get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
                return "Stalled"
        if any(self._unhealthy(p) for p in self.pods_of(d["metadata"]["name"])):
            return "Degraded"
        _, done, _ = rollout_status(d)
        return "Complete" if done else "Progressing"

    @staticmethod
    def _unhealthy(pod: dict) -> bool:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if ((cs.get("state") or {}).get("waiting") or {}).get("reason") in BAD_WAITING:
                return True
        return False

    def _of(self, kind: str, component: str) -> list[dict]:
        bucket = self.objects[kind]
        names = self._members.get(component, {}).get(kind, ())
        return [bucket[n] for n in sorted(names) if n in bucket]

    def replicasets_of(self, name: str) -> list[dict]:
        return self._of("ReplicaSet", name)

    def pods_of(self, name: str) -> list[dict]:
        return self._of("Pod", name)

    def revisions(self, name: str) -> list[RevisionView]:
        """Newest first, like the history an engineer scans for a target (kubectl's rules)."""
        d = self.objects["Deployment"].get(name)
        if d is None:
            return []
        return [
            RevisionView(
                revision=r.number,
                change_cause=r.change_cause,
                images=r.images,
                created=parse_time(r.created),
                pods=r.replicas,
                ready=r.ready,
                current=r.current,
                replicaset=r.replicaset,
                template=r.template,
            )
            for r in reversed(history_of(d, self.replicasets_of(name)))
        ]

    def lines(self, component: str | None = None) -> list[LogLine]:
        return [line for line in self.log if component is None or line.component == component]

    def stale(self) -> dict[str, WatchState]:
        return {kind: w for kind, w in self.watches.items() if not w.live}


def _ready(pod: dict) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def pod_summary(pod: dict) -> str:
    """Phase, readiness and the first waiting/terminated reason: what changes as a pod moves."""
    status = pod.get("status") or {}
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    parts = [status.get("phase", "Pending")]
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        reason = (state.get("waiting") or state.get("terminated") or {}).get("reason")
        if reason:
            parts.append(reason)
            break
    parts.append("Ready" if _ready(pod) else "not ready")
    return ", ".join(parts)
