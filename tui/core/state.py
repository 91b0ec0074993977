"""What the console knows, in plain Python: no Textual, no network.

The watchers' items (`Relisted`, `Changed`, `Health`) are applied here; the
panes read derived views (`components()`, `revisions()`, the rollout log).
`apply()` answers which components changed, so the UI repaints only those.
Components are keyed by (kind, name) (`Ref`); what a kind's objects mean
(history, rollout status, replica counts) comes from its `WorkloadReader`,
handed in by the workload registry. A clock is injected, so ages and
timestamps are deterministic in tests.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .drift import Charted, Drift, drift
from .items import Changed, Health, Relisted
from .knownbad import Evidence, KnownBad
from .times import parse_rfc3339
from .workload import Ref, WorkloadReader

LOG_LINES = 2000
MAX_EVENTS = 2000  # Event objects kept; older ones have been streamed already

# Severity words the stream colours by.
INFO, SUCCESS, WARNING, ERROR = "info", "success", "warning", "error"
BAD_WAITING = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
               "CreateContainerError", "RunContainerError", "InvalidImageName"}




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
    drift: tuple[Drift, ...] = ()  # how it differs from its Helm release's deployed manifest
    detail: tuple[str, ...] = ()  # what follows the status word, most telling first (an Argo Rollout's step,
    # set/actual weight, stable image): a narrow table drops the last parts
    message: str = ""  # the kind's own status message (an Argo Rollout's, as upstream's get prints it)

    @property
    def ref(self) -> Ref:
        return Ref(self.kind, self.name)

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
    known_bad: tuple[Evidence, ...] = ()  # why this revision must not be a target (empty: nothing known)


@dataclass(frozen=True)
class LogLine:
    at: float
    component: Ref  # a workload, or Ref("HelmRelease", name) for a release's lines
    severity: str
    text: str
    key: str = ""  # lines of one repeated event share it: the newest stands for them (its count went up)


@dataclass(frozen=True)
class WatchState:
    live: bool
    since: float
    error: str


class ClusterState:
    def __init__(self, namespace: str, readers: Mapping[str, WorkloadReader], clock: Callable[[], float] = time.time,
                 order: Iterable[str] = ()):
        self.namespace = namespace
        self.readers = dict(readers)  # workload kind -> its reader (tui.workloads.registry.READERS)
        # Which kinds own each owned kind: ReplicaSets belong to Deployments and to Argo Rollouts alike.
        self.owned_by: dict[str, set[str]] = {}
        for kind, reader in self.readers.items():
            self.owned_by.setdefault(reader.owns, set()).add(kind)
        self.clock = clock
        self.order = list(order)  # display order of components (names), from the config file
        self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in [*self.readers, *self.owned_by]}
        self.objects.update(Pod={}, Event={})
        self.watches: dict[str, WatchState] = {}
        self.log: deque[LogLine] = deque(maxlen=LOG_LINES)
        self._last_status: dict[Ref, str] = {}
        self._pod_summary: dict[str, str] = {}
        self._event_counts: dict[str, int] = {}
        # Which component each ReplicaSet and Pod belongs to, both ways, so views never scan every pod.
        self._owner: dict[tuple[str, str], Ref] = {}
        self._members: dict[Ref, dict[str, set[str]]] = {}
        self.knownbad = KnownBad()  # evidence against revisions, remembered past the moment it was seen
        self.charted: dict[Ref, Charted] = {}  # workloads a Helm release renders, as its deployed revision does

    # ---- applying watch items --------------------------------------------

    def apply(self, items: Iterable) -> set:
        """Apply a batch; return the components (Refs) that changed, and "*health" when a watch did."""
        dirty: set = set()
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
        self._judge(ref for ref in dirty if isinstance(ref, Ref))
        return dirty

    def _judge(self, refs: Iterable[Ref]) -> None:
        """Known-bad evidence from what the watches just showed of these workloads."""
        now = self.clock()
        for ref in refs:
            d = self.obj(ref)
            if d is None:
                continue
            reader = self.readers[ref.kind]
            self.knownbad.observe(ref, reader.revisions(d, self.owned_of(ref)), reader.stalled(d), self.pods_of(ref),
                                  now, failed=reader.failed(d))

    def _health(self, item: Health) -> None:
        before = self.watches.get(item.kind)
        if not item.live and before is not None and not before.live:
            # Still down: keep the time it went down, refresh the reason.
            self.watches[item.kind] = WatchState(False, before.since, item.error or before.error)
        else:
            self.watches[item.kind] = WatchState(item.live, item.since, item.error)

    def _store(self, kind: str, type_: str, obj: dict, quiet: bool) -> Ref | None:
        name = obj["metadata"]["name"]
        bucket = self.objects.setdefault(kind, {})
        bucket.pop(name, None)  # re-insert: dict order is then least recently changed first
        if type_ != "DELETED":
            bucket[name] = obj
            if kind == "Event" and len(bucket) > MAX_EVENTS:
                del bucket[next(iter(bucket))]  # events are news, not state: keep the recent ones
        component = self.component_of(kind, obj)
        if kind == "Pod" or kind in self.owned_by:
            self._index(kind, name, None if type_ == "DELETED" else component)
        if component is None:
            return None
        if kind in self.readers and type_ != "DELETED":
            self._note_rollout(component, obj, quiet)
        elif kind == "Pod":
            self._note_pod(component, type_, obj, quiet)
        elif kind == "Event" and type_ != "DELETED":
            self._note_event(component, obj, quiet)
        return component

    # ---- which component an object belongs to ----------------------------

    def component_of(self, kind: str, obj: dict) -> Ref | None:
        if kind in self.readers:
            return Ref(kind, obj["metadata"]["name"])
        if kind in self.owned_by:
            ref = _controller(obj)
            return Ref(ref["kind"], ref["name"]) if ref and ref.get("kind") in self.owned_by[kind] else None
        if kind == "Pod":
            ref = _controller(obj)
            if ref and ref.get("kind") in self.owned_by:
                owned = self.objects[ref["kind"]].get(ref["name"])
                if owned is not None:
                    return self.component_of(ref["kind"], owned)
                # The pod may arrive before its ReplicaSet: its name says whose it is (when one kind owns them,
                # or when only one of the kinds that do has a workload of that name).
                owners = self.owned_by[ref["kind"]]
                if "-" in ref["name"]:
                    workload = ref["name"].rsplit("-", 1)[0]
                    if len(owners) == 1:
                        return Ref(next(iter(owners)), workload)
                    known = [k for k in sorted(owners) if workload in self.objects.get(k, {})]
                    if len(known) == 1:
                        return Ref(known[0], workload)
            return None
        if kind == "Event":
            involved = obj.get("involvedObject") or {}
            target_kind, target = involved.get("kind"), involved.get("name", "")
            if target_kind in self.readers:
                return Ref(target_kind, target)
            if target_kind in self.owned_by or target_kind == "Pod":
                known = self.objects.get(target_kind, {}).get(target)
                if known is not None:
                    return self.component_of(target_kind, known)
                return self._by_prefix(target)
        return None

    def _index(self, kind: str, name: str, component: Ref | None) -> None:
        before = self._owner.pop((kind, name), None)
        if before is not None:
            self._members.get(before, {}).get(kind, set()).discard(name)
        if component is not None:
            self._owner[(kind, name)] = component
            self._members.setdefault(component, {}).setdefault(kind, set()).add(name)

    def _by_prefix(self, name: str) -> Ref | None:
        for ref in self.workloads():
            if name.startswith(ref.name + "-"):
                return ref
        return None

    # ---- the rollout stream ----------------------------------------------

    def _line(self, component: Ref, severity: str, text: str, at: float | None = None, key: str = "") -> None:
        self.log.append(LogLine(at if at is not None else self.clock(), component, severity, text, key))

    def _note_rollout(self, component: Ref, obj: dict, quiet: bool) -> None:
        reader = self.readers[component.kind]
        message, done, failed = reader.rollout_status(obj)
        if reader.paused(obj):  # a paused rollout has not "successfully rolled out": it waits for a resume
            message, done, failed = (f"{component.kind.lower()} {component.name} is paused: its rollout waits "
                                     "until it is resumed (p)"), False, False
        if self._last_status.get(component) == message:
            return
        self._last_status[component] = message
        if quiet:
            return
        self._line(component, ERROR if failed else SUCCESS if done else INFO, message)

    def _note_pod(self, component: Ref, type_: str, pod: dict, quiet: bool) -> None:
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

    def _note_event(self, component: Ref, event: dict, quiet: bool) -> None:
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
        self._line(component, severity, f"{reason}: {message}{repeat}", key=f"event/{uid}")

    # ---- views -----------------------------------------------------------

    def workloads(self) -> list[Ref]:
        """Every workload the watches list, by kind then as listed."""
        return [Ref(kind, name) for kind in self.readers for name in self.objects[kind]]

    def workload_objects(self) -> dict[Ref, dict]:
        return {ref: self.objects[ref.kind][ref.name] for ref in self.workloads()}

    def ref_named(self, name: str) -> Ref | None:
        """The workload of that name (the checklist and the audit log speak of components by name)."""
        return next((Ref(kind, name) for kind in self.readers if name in self.objects[kind]), None)

    def obj(self, ref: Ref) -> dict | None:
        """The workload's object as last watched (None: not, or no longer, there)."""
        return self.objects.get(ref.kind, {}).get(ref.name) if ref.kind in self.readers else None

    def components(self) -> list[ComponentView]:
        views = [self.component(ref) for ref in self.workloads()]
        rank = {name: n for n, name in enumerate(self.order)}
        return sorted((v for v in views if v), key=lambda v: (rank.get(v.name, len(rank)), v.name, v.kind))

    def component(self, ref: Ref) -> ComponentView | None:
        d = self.obj(ref)
        if d is None:
            return None
        reader = self.readers[ref.kind]
        counts = reader.replicas(d)
        # A kind with its own status vocabulary (an Argo Rollout's phase) says it; else the generic word.
        status, detail, message = reader.status_detail(d, self.owned_of(ref)) or (
            self._status_word(ref, reader, d), (), "")
        if counts.desired == 0:
            status = "Scaled down"
        return ComponentView(
            kind=ref.kind,
            name=ref.name,
            desired=counts.desired,
            ready=counts.ready,
            updated=counts.updated,
            available=counts.available,
            revision=reader.revision(d),
            images=tuple(_images((d.get("spec") or {}).get("template") or {})),
            status=status,
            paused=reader.paused(d),
            drift=tuple(drift(d, self.charted[ref].doc)) if ref in self.charted else (),
            detail=detail,
            message=message,
        )

    def _status_word(self, ref: Ref, reader: WorkloadReader, d: dict) -> str:
        if reader.replicas(d).desired == 0:
            return "Scaled down"
        if reader.paused(d):
            return "Paused"
        if reader.stalled(d):
            return "Stalled"
        if any(self._unhealthy(p) for p in self.pods_of(ref)):
            return "Degraded"
        return "Complete" if reader.rollout_status(d).done else "Progressing"

    @staticmethod
    def _unhealthy(pod: dict) -> bool:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if ((cs.get("state") or {}).get("waiting") or {}).get("reason") in BAD_WAITING:
                return True
        return False

    def _of(self, kind: str, component: Ref) -> list[dict]:
        bucket = self.objects.get(kind, {})
        names = self._members.get(component, {}).get(kind, ())
        return [bucket[n] for n in sorted(names) if n in bucket]

    def owned_of(self, ref: Ref) -> list[dict]:
        """The objects the workload's revisions are (a Deployment's ReplicaSets)."""
        reader = self.readers.get(ref.kind)
        return self._of(reader.owns, ref) if reader is not None else []

    def pods_of(self, ref: Ref) -> list[dict]:
        return self._of("Pod", ref)

    def revisions(self, ref: Ref) -> list[RevisionView]:
        """Newest first, like the history an engineer scans for a target (kubectl's rules)."""
        d = self.obj(ref)
        if d is None:
            return []
        history = self.readers[ref.kind].revisions(d, self.owned_of(ref))
        return [
            RevisionView(
                revision=r.number,
                change_cause=r.change_cause,
                images=r.images,
                created=parse_rfc3339(r.created),
                pods=r.replicas,
                ready=r.ready,
                current=r.current,
                replicaset=r.replicaset,
                template=r.template,
                known_bad=tuple(self.knownbad.evidence(ref, r)),
            )
            for r in reversed(history)
        ]

    def newest_healthy(self, ref: Ref) -> RevisionView | None:
        """The newest revision that is neither current nor known bad (what to offer instead of a bad one)."""
        return next((v for v in self.revisions(ref) if not v.current and not v.known_bad), None)

    def known_bad(self, ref: Ref, revision: int) -> tuple[Evidence, ...]:
        """Why `revision` of `ref` is known bad (empty: nothing known against it)."""
        return next((v.known_bad for v in self.revisions(ref) if v.revision == revision), ())

    def lines(self, component: Ref | None = None) -> list[LogLine]:
        return [line for line in self.log if component is None or about(line, component)]

    def stale(self) -> dict[str, WatchState]:
        return {kind: w for kind, w in self.watches.items() if not w.live}


def newest_per_key(lines: Iterable[LogLine]) -> list[LogLine]:
    """The lines to show: of the lines of one repeated event (x5, x6, ...) only the newest, where it came."""
    lines = list(lines)
    last = {line.key: n for n, line in enumerate(lines) if line.key}
    return [line for n, line in enumerate(lines) if not line.key or last[line.key] == n]


def about(line: LogLine, component: Ref) -> bool:
    """Whether a Rollout line is about this component. A line whose kind was not known when it was written
    (an incident's timeline replayed before the first list, a note by name) goes by the name."""
    return line.component == component or (not line.component.kind and line.component.name == component.name)


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
