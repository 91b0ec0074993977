"""An Argo Rollout's status as `kubectl argo rollouts get rollout` reads it, in plain Python.

From one reading of the Rollout and its ReplicaSets: the phase and message (upstream's
utils/rollout GetRolloutPhase, which trusts the controller's status.phase from 1.0 on and
falls back to CalculateRolloutPhase), step i/n, the set weight (utils/replicaset
GetCurrentSetWeight) against the actual weight (pkg/kubectl-argo-rollouts/info NewRolloutInfo:
the canary ReplicaSet's share of available pods, without a traffic router), and the canary
and stable images (the ReplicaSets whose rollouts-pod-template-hash is status.currentPodHash
and status.stableRS).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLLOUT_KIND = "Rollout"
ROLLOUT_REVISION = "rollout.argoproj.io/revision"
ROLLOUT_HASH_LABEL = "rollouts-pod-template-hash"
MAX_WEIGHT = 100  # weightutil.MaxTrafficWeight without a traffic router's maxWeight

HEALTHY, PROGRESSING, PAUSED, DEGRADED = "Healthy", "Progressing", "Paused", "Degraded"
ABORTED_REASON = "RolloutAborted"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
INCONCLUSIVE = "InconclusiveAnalysisRun"


@dataclass(frozen=True)
class RolloutSummary:
    phase: str  # Healthy | Progressing | Paused | Degraded
    message: str  # upstream's: "CanaryPauseStep", "RolloutAborted: Rollout aborted update to revision 3: ..."
    strategy: str  # "Canary" | "BlueGreen" | ""
    step: int | None  # status.currentStepIndex (None: no steps)
    steps: int
    set_weight: int
    actual_weight: int
    canary_images: tuple[str, ...]  # empty when fully promoted (canary == stable)
    stable_images: tuple[str, ...]
    aborted: bool
    paused_manually: bool  # spec.paused
    pause_reasons: tuple[str, ...]  # status.pauseConditions[].reason
    promoted: bool  # currentPodHash == stableRS: nothing in flight

    @property
    def step_text(self) -> str:
        """"3/6" as the plugin's Step; "" without steps."""
        return f"{self.step}/{self.steps}" if self.step is not None and self.steps else ""

    @property
    def weight_text(self) -> str:
        """"50/60": set weight against actual weight (equal: one number)."""
        if self.set_weight == self.actual_weight:
            return str(self.set_weight)
        return f"{self.set_weight}/{self.actual_weight}"


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def canary_spec(rollout: dict) -> dict | None:
    strategy = (rollout.get("spec") or {}).get("strategy") or {}
    canary = strategy.get("canary")
    return canary if isinstance(canary, dict) else None


def steps_of(rollout: dict) -> list[dict]:
    return list((canary_spec(rollout) or {}).get("steps") or [])


def current_step(rollout: dict) -> tuple[dict | None, int | None]:
    """GetCurrentCanaryStep: (the step, its index); (None, index) past the last step; (None, None) without steps."""
    steps = steps_of(rollout)
    if not steps:
        return None, None
    index = (rollout.get("status") or {}).get("currentStepIndex") or 0
    if index >= len(steps):
        return None, index
    return steps[index], index


def set_weight(rollout: dict) -> int:
    """GetCurrentSetWeight: 0 when aborted, 100 past the steps, else the last setWeight at or before the step."""
    if (rollout.get("status") or {}).get("abort"):
        return 0
    step, index = current_step(rollout)
    if step is None:
        return MAX_WEIGHT
    for i in range(index or 0, -1, -1):
        weight = steps_of(rollout)[i].get("setWeight")
        if weight is not None:
            return int(weight)
    return 0


def pod_hash(rs: dict) -> str:
    return (_meta(rs).get("labels") or {}).get(ROLLOUT_HASH_LABEL, "")


def _images(obj: dict) -> tuple[str, ...]:
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return tuple(c.get("image", "") for c in pod.get("containers") or [])


def generation_observed(rollout: dict) -> bool:
    """isGenerationObserved: status.observedGeneration is a string; a non-number (v0.9's hash) counts as seen."""
    observed = (rollout.get("status") or {}).get("observedGeneration")
    try:
        seen = int(observed)
    except (TypeError, ValueError):
        return True
    return seen >= (_meta(rollout).get("generation") or 0)


def calculate_phase(rollout: dict) -> tuple[str, str]:
    """CalculateRolloutPhase (canary): what a controller older than 1.0 left to the client."""
    spec, status = rollout.get("spec") or {}, rollout.get("status") or {}
    for cond in status.get("conditions") or ():
        if cond.get("type") == "InvalidSpec":
            return DEGRADED, f"InvalidSpec: {cond.get('message', '')}"
        if cond.get("type") == "Progressing" and cond.get("reason") in (ABORTED_REASON, TIMED_OUT_REASON):
            return DEGRADED, f"{cond['reason']}: {cond.get('message', '')}"
    if spec.get("paused"):
        return PAUSED, "manually paused"
    for cond in status.get("pauseConditions") or ():
        return PAUSED, cond.get("reason", "")
    restart_at = spec.get("restartAt")
    if restart_at and status.get("restartedAt") != restart_at:
        return PROGRESSING, "rollout is restarting"
    replicas = spec.get("replicas", 1)
    if status.get("updatedReplicas", 0) < replicas:
        return PROGRESSING, "more replicas need to be updated"
    if status.get("availableReplicas", 0) < status.get("updatedReplicas", 0):
        return PROGRESSING, "updated replicas are still becoming available"
    if status.get("replicas", 0) > status.get("updatedReplicas", 0):
        return PROGRESSING, "old replicas are pending termination"
    if not status.get("stableRS") or status.get("stableRS") != status.get("currentPodHash"):
        return PROGRESSING, "waiting for all steps to complete"
    return HEALTHY, ""


def phase(rollout: dict) -> tuple[str, str]:
    """GetRolloutPhase: what `kubectl argo rollouts get` prints as Status and Message."""
    status = rollout.get("status") or {}
    if not generation_observed(rollout):
        return PROGRESSING, "waiting for rollout spec update to be observed"
    if status.get("controllerPause") and not status.get("pauseConditions"):
        return PROGRESSING, "waiting for rollout to unpause"
    if status.get("phase"):
        return status["phase"], status.get("message", "")
    return calculate_phase(rollout)


def summarize(rollout: dict, replicasets: list[dict]) -> RolloutSummary:
    """The plugin's header for one reading of a Rollout and the ReplicaSets it owns."""
    spec, status = rollout.get("spec") or {}, rollout.get("status") or {}
    canary = canary_spec(rollout)
    stable_hash, current_hash = status.get("stableRS") or "", status.get("currentPodHash") or ""
    by_hash = {pod_hash(rs): rs for rs in replicasets if pod_hash(rs)}
    stable_rs = by_hash.get(stable_hash)
    canary_rs = by_hash.get(current_hash) if current_hash != stable_hash else None
    _, index = current_step(rollout)
    weight = set_weight(rollout)
    actual = 0
    if canary is not None:
        if index is None or index >= len(steps_of(rollout)):
            actual = MAX_WEIGHT
        elif status.get("availableReplicas", 0) > 0 and canary_rs is not None:
            # Without a traffic router, the canary's share of the available pods (integer division, as Go).
            actual = ((canary_rs.get("status") or {}).get("availableReplicas", 0) * MAX_WEIGHT
                      // status["availableReplicas"])
    ph, message = phase(rollout)
    return RolloutSummary(
        phase=ph, message=message,
        strategy="Canary" if canary is not None else "BlueGreen" if (spec.get("strategy") or {}).get("blueGreen")
        else "",
        step=index if steps_of(rollout) else None,
        steps=len(steps_of(rollout)),
        set_weight=weight if canary is not None else MAX_WEIGHT,
        actual_weight=actual if canary is not None else MAX_WEIGHT,
        canary_images=_images(canary_rs) if canary_rs is not None else (),
        stable_images=_images(stable_rs) if stable_rs is not None else _images(rollout) if not stable_hash else (),
        aborted=bool(status.get("abort")),
        paused_manually=bool(spec.get("paused")),
        pause_reasons=tuple(c.get("reason", "") for c in status.get("pauseConditions") or ()),
        promoted=bool(stable_hash) and stable_hash == current_hash,
    )


def timed_pause(rollout: dict) -> bool:
    """Waiting out a `pause: {duration}` step (CanaryPauseStep): on schedule, not stuck. `pause: {}` waits for a
    promote, and a manual pause for a person: those are not."""
    status = rollout.get("status") or {}
    if (rollout.get("spec") or {}).get("paused") or not any(
            c.get("reason") == "CanaryPauseStep" for c in status.get("pauseConditions") or ()):
        return False
    step, _ = current_step(rollout)
    return isinstance((step or {}).get("pause"), dict) and (step or {}).get("pause", {}).get("duration") is not None
