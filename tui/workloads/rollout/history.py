"""A Rollout's revisions from the ReplicaSets it owns (pure), as the plugin's undo and get read them.

Each ReplicaSet carries `rollout.argoproj.io/revision`; the current one is the ReplicaSet whose
`rollouts-pod-template-hash` is status.currentPodHash (the canary while one is in flight), and the
stable one is status.stableRS. Templates are kept as stored, hash label included (known-bad evidence
matches pods by it); undo and diffs leave it out.
"""

from __future__ import annotations

import copy

from ...core.names import CHANGE_CAUSE
from ...core.rollout import ROLLOUT_HASH_LABEL, ROLLOUT_REVISION, pod_hash
from ...core.workload import Revision
from ..deployment.history import _semantic


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def revision_of(obj: dict) -> int:
    """The revision annotation as a number, 0 when absent; ValueError when not a number."""
    value = (_meta(obj).get("annotations") or {}).get(ROLLOUT_REVISION)
    return 0 if value is None else int(value)


def without_hash(template: dict | None) -> dict:
    """A copy of a pod template without rollouts-pod-template-hash (undo.go deletes it before patching)."""
    copied = copy.deepcopy(template or {})
    labels = (copied.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(ROLLOUT_HASH_LABEL, None)
    return copied


def equal_ignore_hash(a: dict | None, b: dict | None) -> bool:
    """undo.go equalIgnoreHash: the templates, hash label aside, semantically equal."""
    return _semantic(without_hash(a)) == _semantic(without_hash(b))


def template_of(obj: dict) -> dict:
    return (obj.get("spec") or {}).get("template") or {}


def images_of(template: dict) -> tuple[str, ...]:
    return tuple(c.get("image", "") for c in (template.get("spec") or {}).get("containers") or [])


def owned(rollout: dict, replicasets: list[dict]) -> list[dict]:
    """The ReplicaSets this Rollout controls (by controller ownerReference UID, or kind and name)."""
    meta = _meta(rollout)
    mine = []
    for rs in replicasets:
        for ref in _meta(rs).get("ownerReferences") or []:
            if ref.get("controller") and (ref.get("uid") == meta.get("uid") if meta.get("uid") and ref.get("uid")
                                          else ref.get("kind") == "Rollout" and ref.get("name") == meta.get("name")):
                mine.append(rs)
    return mine


def current_replicaset(rollout: dict, replicasets: list[dict]) -> dict | None:
    status = rollout.get("status") or {}
    current = status.get("currentPodHash")
    found = next((rs for rs in replicasets if current and pod_hash(rs) == current), None)
    if found is None:  # before the controller wrote currentPodHash: the template decides
        found = next((rs for rs in replicasets if equal_ignore_hash(template_of(rs), template_of(rollout))), None)
    return found


def stable_replicaset(rollout: dict, replicasets: list[dict]) -> dict | None:
    stable = (rollout.get("status") or {}).get("stableRS")
    return next((rs for rs in replicasets if stable and pod_hash(rs) == stable), None)


def revisions(rollout: dict, replicasets: list[dict]) -> list[Revision]:
    """Oldest first, one per numbered ReplicaSet (an unnumbered or garbled one is skipped, as undo does)."""
    current = current_replicaset(rollout, replicasets)
    by_number: dict[int, Revision] = {}
    for rs in replicasets:
        try:
            number = revision_of(rs)
        except ValueError:
            continue
        status = rs.get("status") or {}
        by_number[number] = Revision(
            number=number,
            change_cause=(_meta(rs).get("annotations") or {}).get(CHANGE_CAUSE, ""),
            images=images_of(template_of(rs)),
            template=copy.deepcopy(template_of(rs)),
            replicaset=_meta(rs).get("name", ""),
            created=_meta(rs).get("creationTimestamp", ""),
            desired=(rs.get("spec") or {}).get("replicas", 0),
            replicas=status.get("replicas", 0),
            ready=status.get("readyReplicas", 0),
            current=rs is current,
        )
    return [by_number[n] for n in sorted(by_number)]
