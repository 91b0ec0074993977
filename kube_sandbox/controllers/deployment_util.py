"""Helpers of the Deployment controller, after kube-controller-manager's
`pkg/controller/deployment/util` and the ReplicaSet bits of
`pkg/controller/controller_utils.go`.

Everything here works on plain API dicts (what `Api` stores) and is free of
side effects, except the `set_*` helpers, which mutate the dict they are
given and report whether they changed anything, as upstream's do.
"""

from __future__ import annotations

import functools
import json
import math
import struct
from collections.abc import Iterable

from ..clock import Clock, parse_rfc3339, rfc3339
from ..jsoncopy import clone

# ---- well-known keys -------------------------------------------------------

HASH_LABEL = "pod-template-hash"  # apps.DefaultDeploymentUniqueLabelKey

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
ROLLBACK_TO_ANNOTATION = "deprecated.deployment.rollback.to"  # apps.DeprecatedRollbackTo
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"

# Never copied from a Deployment to its ReplicaSets (nor back on a rollback).
ANNOTATIONS_TO_SKIP = frozenset({
    LAST_APPLIED_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    ROLLBACK_TO_ANNOTATION,
})

# The revision-history annotation is capped at this many characters (sync.go).
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000

# Go's math.MaxInt32: progressDeadlineSeconds / revisionHistoryLimit "unset".
MAX_INT32 = 2**31 - 1

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"

# ---- condition types, reasons and event reasons -----------------------------

AVAILABLE = "Available"
PROGRESSING = "Progressing"
REPLICA_FAILURE = "ReplicaFailure"

REPLICA_SET_UPDATED_REASON = "ReplicaSetUpdated"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
NEW_REPLICA_SET_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_DEPLOY_REASON = "DeploymentPaused"
RESUMED_DEPLOY_REASON = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"

ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"
ROLLBACK_DONE = "DeploymentRollback"

# k8s.io/apimachinery/pkg/util/rand's alphabet: no vowels, no 0/1/3.
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


# ---- small accessors ----------------------------------------------------------


def meta(obj: dict) -> dict:
    return obj.setdefault("metadata", {})


def annotations(obj: dict) -> dict:
    return obj.get("metadata", {}).get("annotations") or {}


def spec_replicas(obj: dict | None) -> int:
    """`*(x.Spec.Replicas)`; the apiserver defaults it to 1."""
    if obj is None:
        return 0
    value = obj.get("spec", {}).get("replicas")
    return 1 if value is None else int(value)


def status_int(obj: dict | None, field: str) -> int:
    if obj is None:
        return 0
    return int((obj.get("status") or {}).get(field) or 0)


def strategy_type(d: dict) -> str:
    return (d.get("spec", {}).get("strategy") or {}).get("type") or ROLLING_UPDATE


def is_rolling_update(d: dict) -> bool:
    return strategy_type(d) == ROLLING_UPDATE


def controller_of(obj: dict) -> dict | None:
    """metav1.GetControllerOf: the ownerReference with controller: true."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: dict, owner: dict) -> bool:
    ref = controller_of(obj)
    return ref is not None and ref.get("uid") == owner["metadata"].get("uid")


def new_controller_ref(d: dict) -> dict:
    """metav1.NewControllerRef for a Deployment."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": d["metadata"]["name"],
        "uid": d["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def has_progress_deadline(d: dict) -> bool:
    pds = d.get("spec", {}).get("progressDeadlineSeconds")
    return pds is not None and int(pds) != MAX_INT32


def has_revision_history_limit(d: dict) -> bool:
    limit = d.get("spec", {}).get("revisionHistoryLimit")
    return limit is not None and int(limit) != MAX_INT32


def sort_string_maps(obj: dict) -> dict:
    """Put labels and annotations in key order, as Go serializes a map; returns `obj`."""

    def sort(holder: dict | None, key: str) -> None:
        if holder and isinstance(holder.get(key), dict):
            holder[key] = dict(sorted(holder[key].items()))

    md = obj.get("metadata")
    sort(md, "labels")
    sort(md, "annotations")
    spec = obj.get("spec") or {}
    sort(spec.get("selector"), "matchLabels")
    template_meta = (spec.get("template") or {}).get("metadata")
    sort(template_meta, "labels")
    sort(template_meta, "annotations")
    return obj


# ---- label selectors ----------------------------------------------------------


def selector_is_empty(selector: dict | None) -> bool:
    """An empty (non-nil) LabelSelector selects everything."""
    selector = selector or {}
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """metav1.LabelSelectorAsSelector(...).Matches(labels).

    A nil selector matches nothing; an empty one matches everything (callers
    reject empty Deployment selectors before getting here).
    """
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or ():
        key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
        if op == "In":
            if key not in labels or labels[key] not in values:
                return False
        elif op == "NotIn":
            if key in labels and labels[key] in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            return False
    return True


def clone_selector_and_add_label(selector: dict | None, key: str, value: str) -> dict:
    """labelsutil.CloneSelectorAndAddLabel."""
    new = clone(selector or {})
    new.setdefault("matchLabels", {})
    new["matchLabels"] = {**new["matchLabels"], key: value}
    return new


# ---- template hashing and comparison ------------------------------------------


def _semantic(value):
    """Drop what Go's semantic DeepEqual cannot tell from absent: nil, empty maps and lists."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _semantic(v)
            if v is None or v == {} or v == []:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _without_hash_label(template: dict | None) -> dict:
    t = _semantic(clone(template or {}))
    labels = (t.get("metadata") or {}).get("labels")
    if labels and HASH_LABEL in labels:
        del labels[HASH_LABEL]
        if not labels:
            del t["metadata"]["labels"]
            if not t["metadata"]:
                del t["metadata"]
    return t


def equal_ignore_hash(template1: dict | None, template2: dict | None) -> bool:
    """EqualIgnoreHash: equal pod templates, ignoring the pod-template-hash label."""
    return _without_hash_label(template1) == _without_hash_label(template2)


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    """rand.SafeEncodeString: each byte mapped into the no-vowel alphabet."""
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in s.encode())


def compute_hash(template: dict, collision_count: int | None) -> str:
    """controller.ComputeHash, with canonical JSON standing in for Go's spew dump.

    Like upstream: 32-bit FNV-1a over the template, then the collision count
    as 8 little-endian bytes when set, and the decimal value of the sum
    encoded with SafeEncodeString (so at most 10 characters).
    """
    canonical = json.dumps(_without_hash_label(template), sort_keys=True, separators=(",", ":"))
    data = canonical.encode()
    if collision_count is not None:
        data += struct.pack("<I", int(collision_count) & 0xFFFFFFFF) + b"\0\0\0\0"
    return safe_encode_string(str(_fnv32a(data)))


# ---- fenceposts ----------------------------------------------------------------


def scaled_value(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if not value.endswith("%"):
            raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
        try:
            pct = int(value[:-1])
        except ValueError:
            raise ValueError(f'invalid value "{value}": strconv.Atoi: parsing "{value[:-1]}": invalid syntax') from None
        scaled = pct * total / 100
        return int(math.ceil(scaled)) if round_up else int(math.floor(scaled))
    raise ValueError(f"invalid value for IntOrString: {value!r}")


def _rolling_params(d: dict) -> dict:
    strategy = d.get("spec", {}).get("strategy") or {}
    ru = strategy.get("rollingUpdate") or {}
    # What the apiserver defaults when left out.
    return {
        "maxSurge": ru.get("maxSurge") if ru.get("maxSurge") is not None else "25%",
        "maxUnavailable": ru.get("maxUnavailable") if ru.get("maxUnavailable") is not None else "25%",
    }


def resolve_fenceposts(max_surge, max_unavailable, desired: int) -> tuple[int, int]:
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        # Both rounded down to zero: allow one unavailable pod, as upstream does.
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    if not is_rolling_update(d):
        return 0
    ru = _rolling_params(d)
    surge, _ = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), spec_replicas(d))
    return surge


def max_unavailable(d: dict) -> int:
    replicas = spec_replicas(d)
    if not is_rolling_update(d) or replicas == 0:
        return 0
    ru = _rolling_params(d)
    _, unavailable = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas)
    return min(unavailable, replicas)


def min_available(d: dict) -> int:
    if not is_rolling_update(d):
        return 0
    return spec_replicas(d) - max_unavailable(d)


# ---- revisions ---------------------------------------------------------------


def revision(obj: dict | None) -> int:
    """Revision(); raises ValueError on a non-integer annotation, 0 when absent."""
    if obj is None:
        return 0
    value = annotations(obj).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    return int(value)


def _revision_or_none(obj: dict) -> int | None:
    try:
        return revision(obj)
    except ValueError:
        return None


def max_revision(rss: Iterable[dict]) -> int:
    best = 0
    for rs in rss:
        v = _revision_or_none(rs)
        if v is not None and v > best:
            best = v
    return best


def last_revision(rss: Iterable[dict | None]) -> int:
    """The second highest revision (LastRevision)."""
    top = second = 0
    for rs in rss:
        if rs is None:
            continue
        v = _revision_or_none(rs)
        if v is None:
            continue
        if v >= top:
            second, top = top, v
        elif v > second:
            second = v
    return second


def set_deployment_revision(d: dict, rev: str) -> bool:
    ann = meta(d).setdefault("annotations", {})
    if ann.get(REVISION_ANNOTATION) != rev:
        ann[REVISION_ANNOTATION] = rev
        return True
    return False


def _go_atoi(value) -> int | None:
    try:
        return int(str(value), 10)
    except (TypeError, ValueError):
        return None


def set_new_replica_set_annotations(
    d: dict, rs: dict, new_revision: str, exists: bool, rev_history_limit_in_chars: int = MAX_REV_HISTORY_LENGTH_IN_CHARS
) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, bump the
    revision (keeping the old number in revision-history), and on creation add
    the replicas annotations."""
    changed = copy_deployment_annotations_to_replica_set(d, rs)
    ann = meta(rs).setdefault("annotations", {})
    had_revision = REVISION_ANNOTATION in ann
    old_revision = ann.get(REVISION_ANNOTATION, "")
    old_int = _go_atoi(old_revision)
    if old_int is None:
        if old_revision != "":
            return False
        old_int = 0
    new_int = _go_atoi(new_revision)
    if new_int is None:
        return False
    if old_int < new_int:
        ann[REVISION_ANNOTATION] = new_revision
        changed = True
    # An RS that already had a revision and gets a newer one is being rolled back to:
    # keep its previous numbers for `kubectl rollout history`.
    if had_revision and old_int < new_int:
        history = ann.get(REVISION_HISTORY_ANNOTATION, "")
        old_revisions = history.split(",")
        if len(old_revisions[0]) == 0:
            ann[REVISION_HISTORY_ANNOTATION] = old_revision
        else:
            total_len = len(history) + len(old_revision) + 1
            start = 0
            while total_len > rev_history_limit_in_chars and start < len(old_revisions):
                total_len = total_len - len(old_revisions[start]) - 1
                start += 1
            if total_len <= rev_history_limit_in_chars:
                ann[REVISION_HISTORY_ANNOTATION] = ",".join(old_revisions[start:] + [old_revision])
    if not exists and set_replicas_annotations(rs, spec_replicas(d), spec_replicas(d) + max_surge(d)):
        changed = True
    return changed


def copy_deployment_annotations_to_replica_set(d: dict, rs: dict) -> bool:
    changed = False
    ann = meta(rs).setdefault("annotations", {})
    for key, value in annotations(d).items():
        if key in ANNOTATIONS_TO_SKIP or (key in ann and ann[key] == value):
            continue
        ann[key] = value
        changed = True
    return changed


def set_deployment_annotations_to(d: dict, rollback_to_rs: dict) -> None:
    """SetDeploymentAnnotationsTo: on rollback, take the RS's annotations back."""
    kept = {k: v for k, v in annotations(d).items() if k in ANNOTATIONS_TO_SKIP}
    for key, value in annotations(rollback_to_rs).items():
        if key not in ANNOTATIONS_TO_SKIP:
            kept[key] = value
    meta(d)["annotations"] = kept


def set_from_replica_set_template(d: dict, template: dict) -> None:
    """SetFromReplicaSetTemplate: the RS template, minus the hash label."""
    new = clone(template)
    labels = (new.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
    d.setdefault("spec", {})["template"] = new


def _int_annotation(rs: dict, key: str) -> int | None:
    value = annotations(rs).get(key)
    if value is None:
        return None
    return _go_atoi(value)


def desired_replicas_annotation(rs: dict) -> int | None:
    return _int_annotation(rs, DESIRED_REPLICAS_ANNOTATION)


def max_replicas_annotation(rs: dict) -> int | None:
    return _int_annotation(rs, MAX_REPLICAS_ANNOTATION)


def set_replicas_annotations(rs: dict, desired: int, maximum: int) -> bool:
    ann = meta(rs).setdefault("annotations", {})
    updated = False
    if ann.get(DESIRED_REPLICAS_ANNOTATION) != str(desired):
        ann[DESIRED_REPLICAS_ANNOTATION] = str(desired)
        updated = True
    if ann.get(MAX_REPLICAS_ANNOTATION) != str(maximum):
        ann[MAX_REPLICAS_ANNOTATION] = str(maximum)
        updated = True
    return updated


def replicas_annotations_need_update(rs: dict, desired: int, maximum: int) -> bool:
    ann = annotations(rs)
    return ann.get(DESIRED_REPLICAS_ANNOTATION) != str(desired) or ann.get(MAX_REPLICAS_ANNOTATION) != str(maximum)


# ---- finding replica sets ----------------------------------------------------


def _creation_key(rs: dict) -> tuple:
    md = rs.get("metadata", {})
    ts = parse_rfc3339(md.get("creationTimestamp"))
    return (ts if ts is not None else 0.0, md.get("name", ""))


def sort_by_creation(rss: list[dict]) -> list[dict]:
    """controller.ReplicaSetsByCreationTimestamp: oldest first, name breaks ties."""
    return sorted(rss, key=_creation_key)


def sort_by_revision(rss: list[dict]) -> list[dict]:
    """ReplicaSetsByRevision: lowest revision first; creation time breaks ties."""

    def cmp(a: dict, b: dict) -> int:
        ra, rb = _revision_or_none(a), _revision_or_none(b)
        if ra is None or rb is None or ra == rb:
            ka, kb = _creation_key(a), _creation_key(b)
            return (ka > kb) - (ka < kb)
        return -1 if ra < rb else 1

    return sorted(rss, key=functools.cmp_to_key(cmp))


def sort_by_size_newer(rss: list[dict]) -> list[dict]:
    """ReplicaSetsBySizeNewer: biggest first; among equals, newest first."""

    def cmp(a: dict, b: dict) -> int:
        sa, sb = spec_replicas(a), spec_replicas(b)
        if sa == sb:
            ka, kb = _creation_key(a), _creation_key(b)
            return (ka < kb) - (ka > kb)
        return -1 if sa > sb else 1

    return sorted(rss, key=functools.cmp_to_key(cmp))


def sort_by_size_older(rss: list[dict]) -> list[dict]:
    """ReplicaSetsBySizeOlder: biggest first; among equals, oldest first."""

    def cmp(a: dict, b: dict) -> int:
        sa, sb = spec_replicas(a), spec_replicas(b)
        if sa == sb:
            ka, kb = _creation_key(a), _creation_key(b)
            return (ka > kb) - (ka < kb)
        return -1 if sa > sb else 1

    return sorted(rss, key=functools.cmp_to_key(cmp))


def filter_active(rss: Iterable[dict | None]) -> list[dict]:
    """controller.FilterActiveReplicaSets: RSs with spec.replicas > 0."""
    return [rs for rs in rss if rs is not None and spec_replicas(rs) > 0]


def find_new_replica_set(d: dict, rs_list: list[dict]) -> dict | None:
    """The oldest RS whose template equals the Deployment's (ignoring the hash label)."""
    template = d.get("spec", {}).get("template")
    for rs in sort_by_creation(rs_list):
        if equal_ignore_hash(rs.get("spec", {}).get("template"), template):
            return rs
    return None


def find_old_replica_sets(d: dict, rs_list: list[dict]) -> tuple[list[dict], list[dict]]:
    """(old RSs with pods, all old RSs)."""
    new_rs = find_new_replica_set(d, rs_list)
    required, all_old = [], []
    new_uid = new_rs["metadata"].get("uid") if new_rs is not None else None
    for rs in rs_list:
        if new_rs is not None and rs["metadata"].get("uid") == new_uid:
            continue
        all_old.append(rs)
        if spec_replicas(rs) != 0:
            required.append(rs)
    return required, all_old


def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    if new_rs is None and not old_rss:
        return None
    old_sorted = list(reversed(sort_by_creation(old_rss)))
    active = filter_active(old_sorted + [new_rs])
    if len(active) == 0:
        return new_rs if new_rs is not None else old_sorted[0]
    if len(active) == 1:
        return active[0]
    return None


# ---- counting ------------------------------------------------------------------


def replica_count(rss: Iterable[dict | None]) -> int:
    return sum(spec_replicas(rs) for rs in rss if rs is not None)


def actual_replica_count(rss: Iterable[dict | None]) -> int:
    return sum(status_int(rs, "replicas") for rs in rss if rs is not None)


def ready_replica_count(rss: Iterable[dict | None]) -> int:
    return sum(status_int(rs, "readyReplicas") for rs in rss if rs is not None)


def available_replica_count(rss: Iterable[dict | None]) -> int:
    return sum(status_int(rs, "availableReplicas") for rs in rss if rs is not None)


def terminating_replica_count(rss: Iterable[dict | None]) -> int | None:
    """GetTerminatingReplicaCountForReplicaSets: the sum of status.terminatingReplicas.

    ReplicaSets never synced (no observedGeneration) that do not report it
    are skipped; if a synced one does not report it, the sum is unknown (None).
    """
    total = 0
    for rs in rss:
        if rs is None:
            continue
        status = rs.get("status") or {}
        value = status.get("terminatingReplicas")
        if value is None:
            if not status.get("observedGeneration"):
                continue
            return None
        total += int(value)
    return total


# ---- replica arithmetic ----------------------------------------------------------


def _round_half_away(x: float) -> int:
    """Go's math.Round (half away from zero), unlike Python's round()."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def _replica_set_fraction(rs: dict, d: dict) -> int:
    if spec_replicas(d) == 0:
        return -spec_replicas(rs)
    deployment_replicas = spec_replicas(d) + max_surge(d)
    annotated = max_replicas_annotation(rs)
    if annotated is None:
        # Fall back to the current size: not accurate, but the min/max in
        # get_proportion keeps us within limits.
        annotated = status_int(d, "replicas")
    if annotated <= 0:
        annotated = deployment_replicas  # Go would divide by zero here
    new_size = spec_replicas(rs) * deployment_replicas / annotated
    return _round_half_away(new_size) - spec_replicas(rs)


def get_proportion(rs: dict | None, d: dict, to_add: int, added: int) -> int:
    """GetProportion: this RS's share of a scaling event."""
    if rs is None or spec_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def new_rs_new_replicas(d: dict, all_rss: list[dict | None], new_rs: dict) -> int:
    """NewRSNewReplicas: how far the new RS may be scaled up now."""
    kind = strategy_type(d)
    if kind == ROLLING_UPDATE:
        ru = _rolling_params(d)
        surge = scaled_value(ru.get("maxSurge"), spec_replicas(d), True)
        current = replica_count(all_rss)
        max_total = spec_replicas(d) + surge
        if current >= max_total:
            return spec_replicas(new_rs)
        scale_up = max_total - current
        scale_up = min(scale_up, spec_replicas(d) - spec_replicas(new_rs))
        return spec_replicas(new_rs) + scale_up
    if kind == RECREATE:
        return spec_replicas(d)
    raise ValueError(f"deployment type {kind} isn't supported")


def is_saturated(d: dict, rs: dict | None) -> bool:
    if rs is None:
        return False
    desired = desired_replicas_annotation(rs)
    if desired is None:
        return False
    return (
        spec_replicas(rs) == spec_replicas(d)
        and desired == spec_replicas(d)
        and status_int(rs, "availableReplicas") == spec_replicas(d)
    )


# ---- conditions -------------------------------------------------------------------


def new_condition(clock: Clock, type_: str, status: str, reason: str, message: str) -> dict:
    now = rfc3339(clock.now())
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def get_condition(status: dict | None, type_: str) -> dict | None:
    for cond in (status or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond
    return None


def set_condition(status: dict, condition: dict) -> None:
    """SetDeploymentCondition: no-op for the same status and reason; keeps
    lastTransitionTime while the status does not change."""
    current = get_condition(status, condition["type"])
    if current is not None and current.get("status") == condition["status"] and current.get("reason") == condition["reason"]:
        return
    condition = dict(condition)
    if current is not None and current.get("status") == condition["status"]:
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
    kept = [c for c in status.get("conditions") or () if c.get("type") != condition["type"]]
    status["conditions"] = kept + [condition]


def remove_condition(status: dict, type_: str) -> None:
    kept = [c for c in status.get("conditions") or () if c.get("type") != type_]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def replica_set_to_deployment_condition(cond: dict) -> dict:
    return {
        "type": cond.get("type"),
        "status": cond.get("status"),
        "lastUpdateTime": cond.get("lastTransitionTime"),
        "lastTransitionTime": cond.get("lastTransitionTime"),
        "reason": cond.get("reason"),
        "message": cond.get("message"),
    }


# ---- rollout progress ----------------------------------------------------------------


def deployment_complete(d: dict, status: dict) -> bool:
    replicas = spec_replicas(d)
    return (
        int(status.get("updatedReplicas") or 0) == replicas
        and int(status.get("replicas") or 0) == replicas
        and int(status.get("availableReplicas") or 0) == replicas
        and int(status.get("observedGeneration") or 0) >= int(d["metadata"].get("generation") or 0)
    )


def deployment_progressing(d: dict, new_status: dict) -> bool:
    old = d.get("status") or {}

    def g(s: dict, k: str) -> int:
        return int(s.get(k) or 0)

    old_old_replicas = g(old, "replicas") - g(old, "updatedReplicas")
    new_old_replicas = g(new_status, "replicas") - g(new_status, "updatedReplicas")
    return (
        g(new_status, "updatedReplicas") > g(old, "updatedReplicas")
        or new_old_replicas < old_old_replicas
        or g(new_status, "readyReplicas") > g(old, "readyReplicas")
        or g(new_status, "availableReplicas") > g(old, "availableReplicas")
    )


def seconds_since_progress(clock: Clock, condition: dict) -> float | None:
    """Simulated seconds since the condition's lastUpdateTime."""
    ts = parse_rfc3339(condition.get("lastUpdateTime"))
    if ts is None:
        return None
    return clock.elapsed(ts)


def deployment_timed_out(clock: Clock, d: dict, new_status: dict) -> bool:
    """DeploymentTimedOut, with progressDeadlineSeconds counted in simulated seconds."""
    if not has_progress_deadline(d):
        return False
    condition = get_condition(new_status, PROGRESSING)
    if condition is None:
        return False
    if condition.get("reason") == NEW_RS_AVAILABLE_REASON:
        return False
    if condition.get("reason") == TIMED_OUT_REASON:
        return True
    since = seconds_since_progress(clock, condition)
    if since is None:
        return False
    return since > int(d["spec"]["progressDeadlineSeconds"])
