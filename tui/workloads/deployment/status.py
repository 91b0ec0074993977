"""kubectl rollout status for a Deployment, from one reading of it (rollout_status.go's DeploymentStatusViewer)."""

from __future__ import annotations

import json

from ...core.names import TIMED_OUT_REASON
from ...core.workload import RolloutStatus
from .history import _as_dict, _meta, revision_of


def _condition(deployment: dict, kind: str) -> dict | None:
    for cond in (deployment.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def rollout_status(deployment, revision: int = 0) -> RolloutStatus:
    """kubectl rollout status for one reading of a Deployment: (message, done, failed)."""
    return RolloutStatus(*_rollout_status(deployment, revision))


def _rollout_status(deployment, revision: int) -> tuple[str, bool, bool]:
    """kubectl rollout status for one reading of a Deployment: (message, done, error).

    The message is kubectl's, without its trailing newline; on error it is the
    text kubectl prints after "error: ".
    """
    d = _as_dict(deployment)
    meta, spec, status = _meta(d), d.get("spec") or {}, d.get("status") or {}
    name = json.dumps(meta.get("name", ""))  # Go's %q for a DNS name
    if revision > 0:
        try:
            running = revision_of(d)
        except ValueError as exc:
            return f"cannot get the revision of deployment {name}: {exc}", False, True
        if revision != running:
            return f"desired revision ({revision}) is different from the running revision ({running})", False, True
    if meta.get("generation", 0) <= status.get("observedGeneration", 0):
        cond = _condition(d, "Progressing")
        if cond is not None and cond.get("reason") == TIMED_OUT_REASON:
            return f"deployment {name} exceeded its progress deadline", False, True
        replicas = spec.get("replicas")
        updated = status.get("updatedReplicas", 0)
        if replicas is not None and updated < replicas:
            return (f"Waiting for deployment {name} rollout to finish: "
                    f"{updated} out of {replicas} new replicas have been updated..."), False, False
        if status.get("replicas", 0) > updated:
            return (f"Waiting for deployment {name} rollout to finish: "
                    f"{status.get('replicas', 0) - updated} old replicas are pending termination..."), False, False
        available = status.get("availableReplicas", 0)
        if available < updated:
            return (f"Waiting for deployment {name} rollout to finish: "
                    f"{available} of {updated} updated replicas are available..."), False, False
        return f"deployment {name} successfully rolled out", True, False
    return "Waiting for deployment spec update to be observed...", False, False
