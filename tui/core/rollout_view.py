"""The Rollout view's model: one Argo Rollout as `kubectl argo rollouts get rollout` shows it, and why its analysis
failed. Plain Python, on dicts as the API sends them (the Rollout, its ReplicaSets, their pods, its AnalysisRuns).

What the plugin shows (pkg/kubectl-argo-rollouts/info: NewRolloutInfo, GetReplicaSetInfo, newPodInfo,
getAnalysisRunInfo): status and message (utils/rollout GetRolloutPhase), strategy, step i/n, set weight
(GetCurrentSetWeight) against actual weight (the canary ReplicaSet's share of available pods, without a traffic
router), images tagged stable/canary, and a tree of revisions: each one's ReplicaSets with their pods, and its
AnalysisRuns. What it does not show, and an on-call engineer asks first (argoproj/argo-rollouts#2741, #404): each
measurement's value, the condition it was held against, and why the run failed. Both are here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .items import Health, Relisted
from .times import human_age, parse_rfc3339

REVISION = "rollout.argoproj.io/revision"
HASH_LABEL = "rollouts-pod-template-hash"
MAX_WEIGHT = 100  # weightutil.MaxTrafficWeight without a traffic router

# The plugin's icons (info/info.go).
WAITING, PROGRESSING, WARNING, UNKNOWN, OK, BAD, PAUSED, NEUTRAL = "◷", "◌", "⚠", "?", "✔", "✖", "॥", "•"
ROLLOUT_ICONS = {"Progressing": PROGRESSING, "Error": WARNING, "InvalidSpec": WARNING, "Paused": PAUSED,
                 "Healthy": OK, "Degraded": BAD, "Unknown": UNKNOWN, "ScaledDown": NEUTRAL}
RS_ICONS = {"Progressing": PROGRESSING, "Healthy": OK, "ReplicaFailure": BAD, "ScaledDown": NEUTRAL}
# analysisIcon (info/analysisrun_info.go): a run's and a measurement's phase.
ANALYSIS_ICONS = {"Successful": OK, "Inconclusive": UNKNOWN, "Pending": WAITING, "Running": PROGRESSING,
                  "Failed": BAD, "Error": WARNING}

DONE, CURRENT, PENDING, ABORTED = "done", "current", "pending", "aborted"


@dataclass(frozen=True)
class Image:
    image: str
    tags: tuple[str, ...]  # "canary", "stable" (sorted, as mergeTags)


@dataclass(frozen=True)
class Step:
    index: int
    text: str  # "setWeight: 20", "pause: 2m", "pause (until promoted)"
    state: str  # done | current | pending | aborted (the step an abort left the index at: nothing runs)


@dataclass(frozen=True)
class PodView:
    name: str
    ready: str  # "1/1"
    status: str  # newPodInfo's reason: Running, CrashLoopBackOff, Terminating, …
    icon: str
    restarts: int
    age: str


@dataclass(frozen=True)
class ReplicaSetView:
    name: str
    revision: int
    hash: str
    stable: bool
    canary: bool
    desired: int  # .spec.replicas
    ready: int
    available: int
    status: str  # getReplicaSetHealth: Healthy, Progressing, ScaledDown, ReplicaFailure
    icon: str
    age: str
    images: tuple[str, ...]
    pods: tuple[PodView, ...]

    @property
    def tags(self) -> str:
        return ",".join(t for t, on in (("stable", self.stable), ("canary", self.canary)) if on)


@dataclass(frozen=True)
class MeasurementView:
    number: int  # 1-based among every measurement taken (the run keeps the last 10)
    phase: str
    icon: str
    value: str  # as the provider wrote it ("[0.6153846153846154]")
    shown: str  # the value for the eye ("0.6154")
    finished: str  # RFC 3339
    why: str  # "value 0.6154 failed `result[0] >= 0.95`"


@dataclass(frozen=True)
class MetricView:
    name: str
    phase: str
    icon: str
    success_condition: str
    failure_condition: str
    failure_limit: int
    inconclusive_limit: int
    count: str  # "4" or "" (unbounded)
    interval: str
    query: str  # the provider's query (Prometheus), the run's args put in
    counts: str  # "✔ 2 ✖ 4"
    verdict: str  # "failed (4) > failureLimit (3)", or ""
    message: str  # the metric's error message, or ""
    measurements: tuple[MeasurementView, ...]

    @property
    def held_against(self) -> str:
        parts = []
        if self.success_condition:
            parts.append(f"success `{self.success_condition}`")
        if self.failure_condition:
            parts.append(f"failure `{self.failure_condition}`")
        return " · ".join(parts) or "no condition (every measurement succeeds)"

    @property
    def why(self) -> str:
        """"measurement 6 value 0.6154 failed `result[0] >= 0.95`; failed (4) > failureLimit (3)": the last
        measurement of the metric's phase and the limit it crossed; "" unless Failed, Error or Inconclusive."""
        if self.phase not in ("Failed", "Error", "Inconclusive"):
            return ""
        last = next((m for m in reversed(self.measurements) if m.phase == self.phase), None)
        parts = [f"measurement {last.number} {last.why}"] if last else []
        if self.verdict:
            parts.append(self.verdict)
        elif self.message:
            parts.append(self.message)
        return "; ".join(parts)


@dataclass(frozen=True)
class AnalysisRunView:
    name: str
    revision: int
    phase: str
    icon: str
    message: str  # the run's: 'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'
    kind: str  # "Background" / "Step" (its rollout-type label), or ""
    counts: str  # "✔ 2 ✖ 4" as the plugin's info column
    age: str
    metrics: tuple[MetricView, ...]


@dataclass(frozen=True)
class Revision:
    number: int
    replicasets: tuple[ReplicaSetView, ...]
    analysisruns: tuple[AnalysisRunView, ...]


@dataclass(frozen=True)
class RolloutView:
    name: str
    namespace: str
    status: str  # Healthy | Progressing | Paused | Degraded
    icon: str
    message: str
    strategy: str  # Canary | BlueGreen | ""
    step: str  # "3/6" or ""
    set_weight: str
    actual_weight: str
    images: tuple[Image, ...]
    desired: int
    current: int
    updated: int
    ready: int
    available: int
    steps: tuple[Step, ...]
    revisions: tuple[Revision, ...]

    @property
    def analysisruns(self) -> tuple[AnalysisRunView, ...]:
        return tuple(run for rev in self.revisions for run in rev.analysisruns)


# ---- reading -----------------------------------------------------------------------------------------


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _revision(obj: dict) -> int:
    try:
        return int((_meta(obj).get("annotations") or {}).get(REVISION, ""))
    except ValueError:
        return 0


def _owned_by(obj: dict, uids: set[str]) -> str:
    """The uid of the owner among `uids` (ownerRef), or ""."""
    for ref in _meta(obj).get("ownerReferences") or ():
        if ref.get("uid") in uids:
            return ref["uid"]
    return ""


def _age(obj: dict, now: float) -> str:
    created = parse_rfc3339(_meta(obj).get("creationTimestamp"))
    return human_age(now - created) if created is not None else "<unknown>"


def _int(value, default: int = 0) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def rollout_phase(rollout: dict) -> tuple[str, str]:
    """GetRolloutPhase: the controller's status.phase and message once it has seen the spec."""
    status = rollout.get("status") or {}
    observed = status.get("observedGeneration")
    if observed is not None and str(observed).isdigit() and int(observed) < (_meta(rollout).get("generation") or 0):
        return "Progressing", "waiting for rollout spec update to be observed"
    if status.get("controllerPause") and not status.get("pauseConditions"):
        return "Progressing", "waiting for rollout to unpause"
    if status.get("phase"):
        return status["phase"], status.get("message", "")
    return "Progressing", "waiting for the rollouts controller to report a phase"


def _canary(rollout: dict) -> dict | None:
    canary = ((rollout.get("spec") or {}).get("strategy") or {}).get("canary")
    return canary if isinstance(canary, dict) else None


def set_weight(rollout: dict) -> int:
    """GetCurrentSetWeight: 0 when aborted, 100 past the last step, else the last setWeight at or before the step."""
    status = rollout.get("status") or {}
    if status.get("abort"):
        return 0
    steps = (_canary(rollout) or {}).get("steps") or []
    index = status.get("currentStepIndex") or 0
    if not steps or index >= len(steps):
        return MAX_WEIGHT
    for step in reversed(steps[:index + 1]):
        if step.get("setWeight") is not None:
            return _int(step["setWeight"])
    return 0


def step_text(step: dict) -> str:
    """One canary step in the words of its spec."""
    if "setWeight" in step:
        return f"setWeight: {step['setWeight']}"
    if "pause" in step:
        duration = (step.get("pause") or {}).get("duration")
        return f"pause: {duration}" if duration else "pause (until promoted)"
    if "analysis" in step:
        names = ", ".join(t.get("templateName", "") for t in (step["analysis"] or {}).get("templates") or ())
        return f"analysis: {names}"
    key = next(iter(step), "?")
    value = step.get(key)
    if isinstance(value, dict):
        value = ", ".join(f"{k}={v}" for k, v in value.items())
    return f"{key}: {value}" if value else key


def _steps(rollout: dict) -> tuple[Step, ...]:
    steps = (_canary(rollout) or {}).get("steps") or []
    status = rollout.get("status") or {}
    index = status.get("currentStepIndex") or 0
    here = ABORTED if status.get("abort") else CURRENT
    return tuple(Step(i, step_text(s), DONE if i < index else here if i == index else PENDING)
                 for i, s in enumerate(steps))


def _rs_health(rs: dict) -> str:
    """getReplicaSetHealth."""
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    desired = spec.get("replicas")
    if (_meta(rs).get("generation") or 0) <= (status.get("observedGeneration") or 0):
        failure = next((c for c in status.get("conditions") or () if c.get("type") == "ReplicaFailure"), None)
        if failure and failure.get("status") == "True":
            return "ReplicaFailure"
        if desired is not None and (status.get("availableReplicas") or 0) < desired:
            return "Progressing"
    else:
        return "Progressing"
    return "ScaledDown" if desired == 0 else "Healthy"


def pod_status(pod: dict) -> tuple[str, str, int]:
    """newPodInfo (kubectl's printPod, in short): (status, ready "n/m", restarts)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    restarts, ready, initializing = 0, 0, False
    init_specs = spec.get("initContainers") or []
    for i, c in enumerate(status.get("initContainerStatuses") or ()):
        restarts += c.get("restartCount") or 0
        state = c.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            reason = "Init:" + (terminated.get("reason") or (f"Signal:{terminated['signal']}" if terminated.get(
                "signal") else f"ExitCode:{terminated.get('exitCode')}"))
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    if not initializing:
        restarts, running = 0, False
        for c in reversed(status.get("containerStatuses") or []):
            restarts += c.get("restartCount") or 0
            state = c.get("state") or {}
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                reason = f"Signal:{terminated['signal']}" if terminated.get("signal") else \
                    f"ExitCode:{terminated.get('exitCode')}"
            elif c.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running"
    if _meta(pod).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason, f"{ready}/{len(spec.get('containers') or [])}", restarts


def pod_icon(status: str) -> str:
    """podIcon."""
    if status.startswith("Init:"):
        return PROGRESSING
    if status.startswith(("Signal:", "ExitCode:")):
        return BAD
    if status.endswith("Error") or status.startswith("Err"):
        return WARNING
    return {"Pending": PROGRESSING, "Terminating": PROGRESSING, "ContainerCreating": PROGRESSING, "Running": OK,
            "Completed": OK, "Failed": BAD, "InvalidImageName": BAD, "CrashLoopBackOff": BAD,
            "ImagePullBackOff": WARNING, "RegistryUnavailable": WARNING, "Unknown": UNKNOWN}.get(status, " ")


def _pods(pods: list[dict], now: float) -> tuple[PodView, ...]:
    ordered = sorted(pods, key=lambda p: (parse_rfc3339(_meta(p).get("creationTimestamp")) or 0, _meta(p).get("name")))
    views = []
    for pod in ordered:
        status, ready, restarts = pod_status(pod)
        views.append(PodView(_meta(pod).get("name", ""), ready, status, pod_icon(status), restarts, _age(pod, now)))
    return tuple(views)


def _replicasets(rollout: dict, replicasets: list[dict], pods: list[dict], now: float) -> list[ReplicaSetView]:
    uid = _meta(rollout).get("uid")
    status = rollout.get("status") or {}
    canary = _canary(rollout) is not None
    owned = [rs for rs in replicasets if _owned_by(rs, {uid})]
    by_uid: dict[str, list[dict]] = {_meta(rs).get("uid"): [] for rs in owned}
    for pod in pods:
        if owner := _owned_by(pod, set(by_uid)):
            by_uid[owner].append(pod)
    views = []
    for rs in owned:
        hash_ = (_meta(rs).get("labels") or {}).get(HASH_LABEL, "")
        stable = bool(hash_) and status.get("stableRS") == hash_
        is_canary = canary and not stable and bool(hash_) and status.get("currentPodHash") == hash_
        health = _rs_health(rs)
        rs_status = rs.get("status") or {}
        containers = (((rs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
        views.append(ReplicaSetView(
            _meta(rs).get("name", ""), _revision(rs), hash_, stable, is_canary,
            _int((rs.get("spec") or {}).get("replicas")), rs_status.get("readyReplicas") or 0,
            rs_status.get("availableReplicas") or 0, health, RS_ICONS.get(health, " "), _age(rs, now),
            tuple(c.get("image", "") for c in containers), _pods(by_uid[_meta(rs).get("uid")], now)))
    # Newest revision first, then by name (GetReplicaSetInfo's order).
    return sorted(views, key=lambda v: (-v.revision, v.name))


def _images(rollout: dict, replicasets: list[dict], views: list[ReplicaSetView]) -> tuple[Image, ...]:
    """info.Images: the images of ReplicaSets that have pods, tagged, merged, sorted."""
    replicas = {_meta(rs).get("name"): (rs.get("status") or {}).get("replicas") or 0 for rs in replicasets}
    tags: dict[str, set[str]] = {}
    for view in views:
        if replicas.get(view.name, 0) > 0:
            for image in view.images:
                mine = tags.setdefault(image, set())
                mine.update(t for t, on in (("canary", view.canary), ("stable", view.stable)) if on)
    return tuple(Image(image, tuple(sorted(t))) for image, t in sorted(tags.items()))


def _actual_weight(rollout: dict, views: list[ReplicaSetView]) -> str:
    steps = (_canary(rollout) or {}).get("steps") or []
    status = rollout.get("status") or {}
    index = status.get("currentStepIndex") or 0
    if not steps or index >= len(steps):
        return str(MAX_WEIGHT)
    available = status.get("availableReplicas") or 0
    if available > 0 and not (_canary(rollout) or {}).get("trafficRouting"):
        for view in views:
            if view.canary:
                return str(view.available * MAX_WEIGHT // available)
    return "0"


# ---- analysis ----------------------------------------------------------------------------------------


def shown_value(value: str) -> str:
    """A measurement's value for the eye: one-element vectors unwrapped, floats to 4 significant digits."""
    text = value.strip()
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    parts = []
    for part in inner.split(","):
        try:
            parts.append(f"{float(part):.4g}")
        except ValueError:
            return text
    if not inner:
        return text or "(none)"
    return parts[0] if len(parts) == 1 else "[" + ",".join(parts) + "]"


def measurement_why(metric: dict, phase: str, shown: str, message: str) -> str:
    """Why a measurement has its phase, from evaluate.EvaluateResult's rules: a failureCondition that held
    fails it; without one, a successCondition that did not hold fails it; with both, neither holding is
    Inconclusive; an Error is the provider's or the evaluation's message."""
    success, failure = metric.get("successCondition", ""), metric.get("failureCondition", "")
    if phase == "Error":
        return f"error: {message}" if message else "error"
    if phase == "Failed":
        if failure:
            return f"value {shown} met failureCondition `{failure}`"
        return f"value {shown} failed `{success}`"
    if phase == "Inconclusive":
        return f"value {shown} met neither `{success}` nor failureCondition `{failure}`"
    if phase == "Successful":
        if success:
            return f"value {shown} met `{success}`"
        if failure:
            return f"value {shown} did not meet failureCondition `{failure}`"
        return f"value {shown}"
    return f"{phase.lower() or 'pending'}"


def metric_verdict(metric: dict, result: dict) -> str:
    """assessMetricFailureInconclusiveOrError's message: the limit a metric crossed, or ""."""
    message = ""
    failure_limit = _int(metric.get("failureLimit"), 0)
    if failure_limit >= 0 and (result.get("failed") or 0) > failure_limit:
        message = f"failed ({result['failed']}) > failureLimit ({failure_limit})"
    inconclusive_limit = _int(metric.get("inconclusiveLimit"), 0)
    if (result.get("inconclusive") or 0) > inconclusive_limit:
        message = f"inconclusive ({result['inconclusive']}) > inconclusiveLimit ({inconclusive_limit})"
    error_limit = _int(metric.get("consecutiveErrorLimit"), 4)
    if (result.get("consecutiveError") or 0) > error_limit:
        message = f"consecutiveErrors ({result['consecutiveError']}) > consecutiveErrorLimit ({error_limit})"
    return message


def _counts(result: dict) -> str:
    """The plugin's info column: ✔ successful, ✖ failed, ? inconclusive, ⚠ error (only those above 0)."""
    pairs = ((OK, "successful"), (BAD, "failed"), (UNKNOWN, "inconclusive"), (WARNING, "error"))
    return " ".join(f"{icon} {result[key]}" for icon, key in pairs if result.get(key))


def _with_args(text: str, args: list[dict]) -> str:
    """The query as the provider ran it: `{{args.name}}` replaced by the run's arg values (upstream's
    ResolveArgs; an arg without a value, e.g. valueFrom a secret, stays as written)."""
    for arg in args:
        if arg.get("value") is not None:
            text = text.replace("{{args." + str(arg.get("name")) + "}}", str(arg["value"]))
    return text


def _metric(metric: dict, result: dict, args: list[dict] = ()) -> MetricView:
    kept = result.get("measurements") or []
    first = max(1, (result.get("count") or len(kept)) - len(kept) + 1)
    measurements = []
    for i, m in enumerate(kept):
        phase = m.get("phase", "")
        shown = shown_value(m.get("value", "")) if m.get("value") is not None else "(none)"
        measurements.append(MeasurementView(first + i, phase, ANALYSIS_ICONS.get(phase, " "), m.get("value", ""),
                                            shown, m.get("finishedAt", ""),
                                            measurement_why(metric, phase, shown, m.get("message", ""))))
    phase = result.get("phase") or "Pending"
    count = metric.get("count")
    return MetricView(
        metric.get("name", ""), phase, ANALYSIS_ICONS.get(phase, " "), metric.get("successCondition", ""),
        metric.get("failureCondition", ""), _int(metric.get("failureLimit"), 0),
        _int(metric.get("inconclusiveLimit"), 0), "" if count is None else str(count), metric.get("interval", ""),
        _with_args(((metric.get("provider") or {}).get("prometheus") or {}).get("query", ""), list(args)),
        _counts(result),
        metric_verdict(metric, result), result.get("message", ""), tuple(measurements))


def _analysisruns(rollout: dict, runs: list[dict], now: float) -> list[AnalysisRunView]:
    uid = _meta(rollout).get("uid")
    views = []
    for run in runs:
        if not _owned_by(run, {uid}):
            continue
        status = run.get("status") or {}
        results = {r.get("name"): r for r in status.get("metricResults") or ()}
        spec = run.get("spec") or {}
        metrics = tuple(_metric(m, results.get(m.get("name"), {}), spec.get("args") or [])
                        for m in spec.get("metrics") or ())
        total: dict[str, int] = {}
        for r in results.values():
            for key in ("successful", "failed", "inconclusive", "error"):
                total[key] = total.get(key, 0) + (r.get(key) or 0)
        phase = status.get("phase") or "Pending"
        views.append(AnalysisRunView(
            _meta(run).get("name", ""), _revision(run), phase, ANALYSIS_ICONS.get(phase, " "),
            status.get("message", ""), (_meta(run).get("labels") or {}).get("rollout-type", ""), _counts(total),
            _age(run, now), metrics))
    created = {_meta(r).get("name"): parse_rfc3339(_meta(r).get("creationTimestamp")) or 0 for r in runs}
    return sorted(views, key=lambda v: (-v.revision, created.get(v.name, 0), v.name))


# ---- the view ----------------------------------------------------------------------------------------


def build(rollout: dict, replicasets: list[dict], pods: list[dict], analysisruns: list[dict],
          now: float) -> RolloutView:
    """The view of `rollout` from everything listed in its namespace (what it owns is picked by ownerReferences)."""
    meta, spec, status = _meta(rollout), rollout.get("spec") or {}, rollout.get("status") or {}
    phase, message = rollout_phase(rollout)
    strategy = "Canary" if _canary(rollout) is not None else \
        "BlueGreen" if ((spec.get("strategy") or {}).get("blueGreen") is not None) else ""
    steps = (_canary(rollout) or {}).get("steps") or []
    index = status.get("currentStepIndex")
    rs_views = _replicasets(rollout, replicasets, pods, now)
    run_views = _analysisruns(rollout, analysisruns, now)
    numbers = sorted({v.revision for v in rs_views} | {v.revision for v in run_views}, reverse=True)
    revisions = tuple(Revision(n, tuple(v for v in rs_views if v.revision == n),
                               tuple(v for v in run_views if v.revision == n)) for n in numbers)
    canary = strategy == "Canary"
    return RolloutView(
        name=meta.get("name", ""), namespace=meta.get("namespace", ""), status=phase,
        icon=ROLLOUT_ICONS.get(phase, " "), message=message, strategy=strategy,
        step=f"{index}/{len(steps)}" if canary and index is not None and steps else "",
        set_weight=str(set_weight(rollout)) if canary else "",
        actual_weight=_actual_weight(rollout, rs_views) if canary else "",
        images=_images(rollout, replicasets, rs_views),
        desired=_int(spec.get("replicas"), 1), current=status.get("replicas") or 0,
        updated=status.get("updatedReplicas") or 0, ready=status.get("readyReplicas") or 0,
        available=status.get("availableReplicas") or 0, steps=_steps(rollout), revisions=revisions)


# ---- the live objects behind one view ------------------------------------------------------------------

ROLLOUT, REPLICASET, POD, ANALYSISRUN = "Rollout", "ReplicaSet", "Pod", "AnalysisRun"
KINDS = (ROLLOUT, REPLICASET, POD, ANALYSISRUN)


class LiveObjects:
    """What the view's watches have said (Relisted, Changed, Health items), kind by kind; the view is
    built from it on demand. Stale is said, never hidden: a watch that is down keeps its last objects."""

    def __init__(self, namespace: str, name: str) -> None:
        self.namespace, self.name = namespace, name
        self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.listed: set[str] = set()
        self.health: dict[str, tuple[bool, float, str]] = {}  # kind -> (live, since, error)

    def apply(self, items) -> bool:
        """Apply watch items; True when something the view shows may have changed."""
        changed = False
        for item in items:
            kind = item.kind
            if kind not in self.objects:
                continue
            if isinstance(item, Health):
                before = self.health.get(kind)
                # A watch going down keeps the moment it was last known good.
                since = before[1] if before and not before[0] and not item.live else item.since
                self.health[kind] = (item.live, since, item.error)
                changed = True
            elif isinstance(item, Relisted):
                self.objects[kind] = {_meta(o).get("name", ""): o for o in item.objects}
                self.listed.add(kind)
                changed = True
            else:
                name = _meta(item.obj).get("name", "")
                if item.type == "DELETED":
                    self.objects[kind].pop(name, None)
                else:
                    self.objects[kind][name] = item.obj
                changed = True
        return changed

    @property
    def rollout(self) -> dict | None:
        return self.objects[ROLLOUT].get(self.name)

    def view(self, now: float) -> RolloutView | None:
        rollout = self.rollout
        if rollout is None:
            return None
        return build(rollout, list(self.objects[REPLICASET].values()), list(self.objects[POD].values()),
                     list(self.objects[ANALYSISRUN].values()), now)

    def missing(self) -> str:
        """One sentence when the Rollout is not there (once its watch has listed), else ""."""
        if ROLLOUT in self.listed and self.rollout is None:
            return f"Rollout {self.name} is not in namespace {self.namespace} (deleted, or never created)."
        return ""

    def stale(self, now: float) -> str:
        """"" when every watch is live; else which are down, since when, and why (one sentence)."""
        down = {kind: h for kind, h in self.health.items() if not h[0]}
        if not down:
            return "" if self.health else "connecting…"
        since = min(h[1] for h in down.values())
        errors = sorted({h[2] for h in down.values() if h[2] and h[2] != "connecting"})
        if all(h[2] == "connecting" for h in down.values()):
            return "connecting…"
        kinds = ", ".join(k for k in KINDS if k in down)
        return f"stale for {human_age(now - since)} ({kinds} not watched): " + ("; ".join(errors) or "reconnecting")
