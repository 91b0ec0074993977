"""`kubectl argo rollouts status` for one reading of a Rollout: its phase decides (status.go).

The plugin's status command waits for Healthy and fails on Degraded; between, it prints the
phase and message. Healthy ends in "successfully rolled out", the words the checklist and the
incident timeline take as "the rollout finished", as they do for a Deployment.
"""

from __future__ import annotations

from ...core.rollout import DEGRADED, HEALTHY, phase
from ...core.workload import RolloutStatus


def rollout_status(rollout: dict) -> RolloutStatus:
    name = (rollout.get("metadata") or {}).get("name", "")
    ph, message = phase(rollout)
    if ph == HEALTHY:
        return RolloutStatus(f'rollout "{name}" successfully rolled out', True, False)
    text = f'rollout "{name}" {ph}' + (f": {message}" if message else "")
    return RolloutStatus(text, False, ph == DEGRADED)
