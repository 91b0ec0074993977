"""Argo Rollouts' Rollout status vocabulary: condition reasons and messages (utils/conditions),
CalculateRolloutPhase (utils/rollout), the spec checks the controller needs, the pause context
(rollout/pause.go), and the pod template and steps hashes."""

from __future__ import annotations

import json

from ..defaults import apply_defaults
from ..jsoncopy import clone
from . import canary_util as cu
from . import deployment_util as du

MANAGER = "argo-rollouts"
DEFAULT_REVISION_HISTORY_LIMIT = 10

# Pause reasons (v1alpha1.PauseReason).
CANARY_PAUSE_STEP = "CanaryPauseStep"
INCONCLUSIVE_ANALYSIS = "InconclusiveAnalysisRun"

# utils/conditions messages.
ROLLOUT_ABORTED_REASON = "RolloutAborted"
ROLLOUT_ABORTED_MESSAGE = "Rollout aborted update to revision {}"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
REPLICASET_UPDATED_REASON = "ReplicaSetUpdated"
REPLICASET_PROGRESSING_MESSAGE = 'ReplicaSet "{}" is progressing.'
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
REPLICASET_COMPLETED_MESSAGE = 'ReplicaSet "{}" has successfully progressed.'
REPLICASET_TIMED_OUT_MESSAGE = 'ReplicaSet "{}" has timed out progressing.'
DEFAULT_PROGRESS_DEADLINE = 600  # seconds, defaults.GetProgressDeadlineSecondsOrDefault
AVAILABLE_REASON = "AvailableReason"
AVAILABLE_MESSAGE = "Rollout has minimum availability"
NOT_AVAILABLE_MESSAGE = "Rollout does not have minimum availability"
HEALTHY_REASON = "RolloutHealthy"
HEALTHY_MESSAGE = "Rollout is healthy"
NOT_HEALTHY_MESSAGE = "Rollout is not healthy"
COMPLETED_REASON = "RolloutCompleted"
PAUSED_REASON = "RolloutPaused"
PAUSED_MESSAGE = "Rollout is paused"
RESUMED_REASON = "RolloutResumed"
RESUMED_MESSAGE = "Rollout is resumed"
REPLICASET_NOT_AVAILABLE_REASON = "ReplicaSetNotAvailable"


def calculate_phase(rollout: dict, status: dict) -> tuple[str, str]:
    """utils/rollout CalculateRolloutPhase for the canary strategy: (phase, message)."""
    spec = rollout.get("spec") or {}
    for cond in status.get("conditions") or ():
        if cond.get("type") == "InvalidSpec":
            return "Degraded", f"InvalidSpec: {cond.get('message', '')}"
        if cond.get("reason") in (ROLLOUT_ABORTED_REASON, TIMED_OUT_REASON):
            return "Degraded", f"{cond['reason']}: {cond.get('message', '')}"
    if spec.get("paused"):
        return "Paused", "manually paused"
    for cond in status.get("pauseConditions") or ():
        return "Paused", cond.get("reason", "")
    restart_at = spec.get("restartAt")
    if restart_at and status.get("restartedAt") != restart_at:
        return "Progressing", "rollout is restarting"
    if status.get("updatedReplicas", 0) < cu.replicas(rollout):
        return "Progressing", "more replicas need to be updated"
    if status.get("availableReplicas", 0) < status.get("updatedReplicas", 0):
        return "Progressing", "updated replicas are still becoming available"
    if status.get("replicas", 0) > status.get("updatedReplicas", 0):
        return "Progressing", "old replicas are pending termination"
    if not status.get("stableRS") or status.get("stableRS") != status.get("currentPodHash"):
        return "Progressing", "waiting for all steps to complete"
    return "Healthy", ""


def spec_problem(rollout: dict) -> str:
    """What upstream's validation would refuse in what this controller reads, as its message, or ""."""
    spec = rollout.get("spec") or {}
    if not (spec.get("selector") or {}).get("matchLabels") and not (spec.get("selector") or {}).get("matchExpressions"):
        return "Rollout has missing field '.spec.selector'"
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
    if not containers:
        return "Rollout has missing field '.spec.template.spec.containers'"
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items()):
        return "The Rollout \"{}\" is invalid: spec.template.metadata.labels: Invalid value: {}: " \
               "`selector` does not match template `labels`".format(rollout["metadata"]["name"], labels)
    for i, step in enumerate(cu.steps(rollout)):
        weight = step.get("setWeight")
        if weight is not None and (not isinstance(weight, int) or not 0 <= weight <= cu.MAX_WEIGHT):
            return f"spec.strategy.canary.steps[{i}].setWeight: Invalid value: {weight}: must be between 0 and 100"
        duration = (step.get("pause") or {}).get("duration") if isinstance(step.get("pause"), dict) else None
        if duration is not None:
            try:
                cu.duration_seconds(duration)
            except ValueError as exc:
                return f'spec.strategy.canary.steps[{i}].pause.duration: Invalid value: "{duration}": {exc}'
    return ""


class PauseContext:
    """rollout/pause.go pauseContext: what this sync adds or removes."""

    def __init__(self, rollout: dict):
        self.rollout = rollout
        self.add: list[str] = []
        self.remove: list[str] = []
        self.add_abort = False
        self.abort_message = ""
        self.remove_abort = False
        self.clear = False

    def is_aborted(self) -> bool:
        return self.add_abort or (not self.remove_abort and bool(status_of(self.rollout).get("abort")))

    def apply(self, new: dict, now: str) -> None:
        """CalculatePauseStatus."""
        old = status_of(self.rollout)
        if self.add_abort or (not self.remove_abort and old.get("abort")):
            new["abort"] = True
            new["abortedAt"] = old.get("abortedAt") or now
            return
        new.pop("abort", None)
        new.pop("abortedAt", None)
        if self.clear:
            return
        controller_pause = bool(old.get("controllerPause"))
        conditions, exists = [], set()
        for cond in old.get("pauseConditions") or ():
            if cond.get("reason") not in self.remove:
                conditions.append(cond)
            exists.add(cond.get("reason"))
        for reason in self.add:
            if reason not in exists:
                conditions.append({"reason": reason, "startTime": now})
                controller_pause = True
        if conditions:
            new["controllerPause"] = controller_pause
            new["pauseConditions"] = conditions


def status_of(obj: dict) -> dict:
    return obj.get("status") or {}


def hash_of(rs: dict | None) -> str:
    return ((rs or {}).get("metadata", {}).get("labels") or {}).get(cu.HASH_LABEL, "")


def revision_of(obj: dict | None) -> int:
    try:
        return int(((obj or {}).get("metadata", {}).get("annotations") or {}).get(cu.REVISION_ANNOTATION, 0))
    except ValueError:
        return 0


def normalized_template(template: dict) -> dict:
    """The pod template as the apiserver stores it in a ReplicaSet (defaulted, without our hash label),
    so a template copied back from a ReplicaSet (undo) hashes like the one it came from."""
    holder = {"spec": {"template": clone(template or {})}}
    apply_defaults("apps", "ReplicaSet", holder)
    labels = holder["spec"]["template"].get("metadata", {}).get("labels")
    if labels:
        labels.pop(cu.HASH_LABEL, None)
    return holder["spec"]["template"]


def pod_template_hash(rollout: dict) -> str:
    return du.compute_hash(normalized_template(rollout["spec"].get("template")), status_of(rollout).get("collisionCount"))


def steps_hash(rollout: dict) -> str:
    """conditions.ComputeStepHash: changes when the steps change, so a new step list restarts them."""
    data = json.dumps(cu.steps(rollout), sort_keys=True, separators=(",", ":")).encode()
    return du.safe_encode_string(str(du._fnv32a(data)))
