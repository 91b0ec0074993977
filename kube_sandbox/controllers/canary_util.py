"""Argo Rollouts' basic-canary arithmetic (utils/replicaset/canary.go, utils/rollout).

Pure functions over plain dicts: the Rollout, and ReplicaSets as
`{"spec": {"replicas"}, "status": {"availableReplicas", ...}}`, so the
replica tables can be tested without a cluster. No traffic router: the
canary's weight is its share of pods.
"""

from __future__ import annotations

import math

from .deployment_util import resolve_fenceposts

HASH_LABEL = "rollouts-pod-template-hash"  # v1alpha1.DefaultRolloutUniqueLabelKey
REVISION_ANNOTATION = "rollout.argoproj.io/revision"
REVISION_HISTORY_ANNOTATION = "rollout.argoproj.io/revision-history"
MAX_WEIGHT = 100
DEFAULT_SURGE_UNAVAILABLE = "25%"  # utils/defaults: DefaultMaxSurge, DefaultMaxUnavailable


def replicas(rollout: dict) -> int:
    value = (rollout.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def canary(rollout: dict) -> dict:
    return ((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}


def steps(rollout: dict) -> list[dict]:
    return canary(rollout).get("steps") or []


def _spec_replicas(rs: dict | None) -> int:
    return int(((rs or {}).get("spec") or {}).get("replicas") or 0)


def _available(rs: dict | None) -> int:
    return int(((rs or {}).get("status") or {}).get("availableReplicas") or 0)


def _fenceposts(rollout: dict) -> tuple[int, int]:
    c = canary(rollout)
    surge = c.get("maxSurge", DEFAULT_SURGE_UNAVAILABLE)
    unavailable = c.get("maxUnavailable", DEFAULT_SURGE_UNAVAILABLE)
    return resolve_fenceposts(surge, unavailable, replicas(rollout))


def max_surge(rollout: dict) -> int:
    return _fenceposts(rollout)[0]


def max_unavailable(rollout: dict) -> int:
    return min(_fenceposts(rollout)[1], replicas(rollout))


def current_step(rollout: dict) -> tuple[dict | None, int | None]:
    """GetCurrentCanaryStep: (step, index); (None, index) past the last step; (None, None) without steps."""
    all_steps = steps(rollout)
    if not all_steps:
        return None, None
    index = (rollout.get("status") or {}).get("currentStepIndex") or 0
    if index >= len(all_steps):
        return None, index
    return all_steps[index], index


def current_set_weight(rollout: dict) -> int:
    """GetCurrentSetWeight: the last setWeight at or before the current step; 0 once aborted."""
    if (rollout.get("status") or {}).get("abort"):
        return 0
    step, index = current_step(rollout)
    if step is None:
        return MAX_WEIGHT
    for i in range(index, -1, -1):
        weight = steps(rollout)[i].get("setWeight")
        if weight is not None:
            return int(weight)
    return 0


def desired_weight(rollout: dict) -> int:
    """GetCanaryReplicasOrWeight without setCanaryScale (which needs a traffic router)."""
    status = rollout.get("status") or {}
    if status.get("promoteFull") or not status.get("stableRS") or status.get("currentPodHash") == status.get("stableRS"):
        return MAX_WEIGHT
    return current_set_weight(rollout)


def before_starting_step(rollout: dict) -> bool:
    analysis = canary(rollout).get("analysis") or {}
    if analysis.get("startingStep") is None:
        return False
    _, index = current_step(rollout)
    return index is not None and index < int(analysis["startingStep"])


def _tied(weight: int, total: int) -> bool:
    frac = math.modf(total * (weight / MAX_WEIGHT))[0]
    return frac == 0.5


def _delta(weight: int, canary_count: int, total: int) -> float:
    return abs(canary_count * MAX_WEIGHT / total - weight)


def approximate_counts(spec_replicas: int, weight: int, surge: int) -> tuple[int, int]:
    """approximateWeightedCanaryStableReplicaCounts: the (canary, stable) pair closest to `weight`,
    over spec_replicas pods or one more when surging; 1-99 never rounds either side to zero."""
    if spec_replicas == 0:
        return 0, 0
    ceil_count = math.ceil(spec_replicas * weight / MAX_WEIGHT)
    floor_count = math.floor(spec_replicas * weight / MAX_WEIGHT)
    zero_allowed = weight in (MAX_WEIGHT, 0) or (spec_replicas == 1 and surge == 0)
    options: list[tuple[int, int]] = []
    if ceil_count < spec_replicas or zero_allowed:
        options.append((ceil_count, spec_replicas))
    if not _tied(weight, spec_replicas) and (floor_count != 0 or zero_allowed):
        options.append((floor_count, spec_replicas))
    if surge > 0:
        options.append((ceil_count, spec_replicas + 1))
        if not _tied(weight, spec_replicas + 1) and (floor_count != 0 or zero_allowed):
            options.append((floor_count, spec_replicas + 1))
    if not options:
        return 0, spec_replicas
    best = options[0]
    for option in options[1:]:
        if _delta(weight, *option) < _delta(weight, *best):
            best = option
    return best[0], best[1] - best[0]


def stable_exists(new_rs: dict | None, stable_rs: dict | None) -> bool:
    """CheckStableRSExists: a stable ReplicaSet other than the new one."""
    if stable_rs is None:
        return False
    return new_rs is None or new_rs["metadata"]["name"] != stable_rs["metadata"]["name"]


def _for_scale_down(rs: dict | None, ignore_availability: bool) -> int:
    if rs is None:
        return 0
    if _spec_replicas(rs) < _available(rs) or ignore_availability:
        return _spec_replicas(rs)
    return _available(rs)


def _scale_down_count(drain_rs: dict | None, desired: int, scale_down: int, current: int) -> int:
    if drain_rs is not None and _spec_replicas(drain_rs) > desired:
        return max(desired, _spec_replicas(drain_rs) - scale_down)
    return current


def _within_limits(drain_rs, adjust_rs, drain_count: int, adjust_count: int, max_allowed: int,
                   min_available: int) -> tuple[int, int]:
    """adjustReplicaWithinLimits: keep the pair inside maxSurge without breaking maxUnavailable."""
    total_available = 0
    over = max(0, adjust_count + drain_count - max_allowed)
    if drain_rs is not None:
        total_available += min(_available(drain_rs), drain_count)
    if adjust_rs is not None:
        adjust_count -= over
        total_available += min(_available(adjust_rs), adjust_count)
        extra = max(0, _available(adjust_rs) - adjust_count)
        needed = max(0, min_available - total_available)
        adjust_count += min(extra, needed)
        over = max(0, adjust_count + drain_count - max_allowed)
        drain_count -= over
    return drain_count, adjust_count


def basic_canary_counts(rollout: dict, new_rs: dict | None, stable_rs: dict | None,
                        old_rss: list[dict]) -> tuple[int, int]:
    """CalculateReplicaCountsForBasicCanary: the (new, stable) replica counts for this sync."""
    spec = replicas(rollout)
    surge = max_surge(rollout)
    desired_new, desired_stable = approximate_counts(spec, desired_weight(rollout), surge)
    new_count = _spec_replicas(new_rs) if new_rs is not None else 0
    stable_count = 0
    scale_stable = stable_exists(new_rs, stable_rs)
    if scale_stable:
        stable_count = _spec_replicas(stable_rs)
    else:
        desired_new, desired_stable = spec, 0
    max_allowed = spec + surge
    all_rss = [*old_rss, new_rs] + ([stable_rs] if scale_stable else [])
    scale_up = max_allowed - sum(_spec_replicas(rs) for rs in all_rss if rs is not None)

    if scale_stable and _spec_replicas(stable_rs) < desired_stable and scale_up > 0:
        if _spec_replicas(stable_rs) + scale_up < desired_stable:
            stable_count = _spec_replicas(stable_rs) + scale_up
            scale_up = 0
        else:
            stable_count = desired_stable
            scale_up -= desired_stable - _spec_replicas(stable_rs)
    if new_rs is not None and _spec_replicas(new_rs) < desired_new and scale_up > 0:
        new_count = min(desired_new, _spec_replicas(new_rs) + scale_up)

    if sum(_spec_replicas(rs) for rs in old_rss) > 0:
        return new_count, stable_count  # older ReplicaSets are scaled down first

    min_available = spec - max_unavailable(rollout)
    increasing = new_rs is None or desired_new >= _spec_replicas(new_rs)
    to_scale_down = _for_scale_down(new_rs, not increasing) + _for_scale_down(stable_rs, increasing)
    if to_scale_down <= min_available:
        return new_count, stable_count
    scale_down = to_scale_down - min_available
    if not increasing:
        new_count = _scale_down_count(new_rs, desired_new, scale_down, new_count)
        new_count, stable_count = _within_limits(new_rs, stable_rs, new_count, stable_count, max_allowed, min_available)
    elif scale_stable:
        stable_count = _scale_down_count(stable_rs, desired_stable, scale_down, stable_count)
        stable_count, new_count = _within_limits(stable_rs, new_rs, stable_count, new_count, max_allowed, min_available)
    return new_count, stable_count


def at_desired_counts(rollout: dict, new_rs: dict | None, stable_rs: dict | None, old_rss: list[dict]) -> bool:
    """AtDesiredReplicaCountsForCanary (no traffic router, no progress threshold)."""
    desired_new, desired_stable = basic_canary_counts(rollout, new_rs, stable_rs, old_rss)
    if new_rs is None or not (desired_new == _spec_replicas(new_rs) == _available(new_rs)):
        return False
    if stable_rs is not None and not (desired_stable == _spec_replicas(stable_rs)
                                      == int((stable_rs.get("status") or {}).get("replicas") or 0)):
        return False
    return sum(_available(rs) for rs in old_rss) == 0


def step_string(step: dict) -> str:
    """CanaryStepString, for the "Rollout step i/n completed (...)" event."""
    if step.get("setWeight") is not None:
        return f"setWeight: {step['setWeight']}"
    if "pause" in step:
        duration = (step.get("pause") or {}).get("duration")
        return "pause" if duration is None else f"pause: {go_duration(duration_seconds(duration))}"
    for key in ("experiment", "analysis"):
        if key in step:
            return key
    return "invalid"


_UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


def duration_seconds(value) -> float:
    """RolloutPause.DurationSeconds: an integer is seconds, a string is a Go duration ("2m", "1h30m", "30s")."""
    if isinstance(value, bool):
        raise ValueError(f'time: invalid duration "{value}"')
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    total, number, i = 0.0, "", 0
    if not text:
        raise ValueError('time: invalid duration ""')
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if unit not in _UNITS or not number:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(number) * _UNITS[unit]
        number = ""
        i += len(unit)
    if number:
        raise ValueError(f'time: missing unit in duration "{text}"')
    return total


def go_duration(seconds: float) -> str:
    """time.Duration.String for whole seconds: 2m0s, 1h0m0s, 30s."""
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"
