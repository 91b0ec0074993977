"""PodDisruptionBudget status, as kube-controller-manager's disruption controller keeps it.

`kubectl get pdb` shows ALLOWED DISRUPTIONS from here, and the console's
readiness checks read it. Expected pods are counted from the pods' owning
workloads' desired replicas for percentages and maxUnavailable (as upstream
`getExpectedScale` does), and from the matching pods for an integer
minAvailable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..clock import rfc3339
from ..jsoncopy import clone
from ..resources import DEPLOYMENT, PDB, POD, REPLICASET
from ..selectors import selector_from_spec
from ..store import Change
from . import podutil
from .base import Controller, Key

MANAGER = "kube-controller-manager"


def _int_or_percent(value, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        fraction = int(value[:-1]) * total / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(value)


class DisruptionController(Controller):
    name = "disruption-controller"

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == PDB.key:
            return [(change.namespace, change.name)]
        if change.key == POD.key:
            labels = change.obj["metadata"].get("labels")
            return [
                (change.namespace, pdb["metadata"]["name"])
                for pdb in self.ctx.storage.items(PDB.key, change.namespace)
                if selector_from_spec(pdb.get("spec", {}).get("selector")).matches(labels)
            ]
        return []

    def all_keys(self) -> Iterable[Key]:
        return [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in self.ctx.storage.items(PDB.key)]

    def _expected_scale(self, pods: list[dict]) -> int:
        """Desired replicas of the workloads owning the pods (Deployment over ReplicaSet)."""
        total, seen = 0, set()
        for pod in pods:
            ref = podutil.controller_ref(pod)
            if ref is None or ref.get("kind") != "ReplicaSet":
                total += 1
                continue
            ns = pod["metadata"]["namespace"]
            rs = self.ctx.storage.get(REPLICASET.key, ns, ref["name"])
            owner = podutil.controller_ref(rs) if rs else None
            workload = self.ctx.storage.get(DEPLOYMENT.key, ns, owner["name"]) if owner else rs
            if workload is None or workload["metadata"]["uid"] in seen:
                continue
            seen.add(workload["metadata"]["uid"])
            total += workload.get("spec", {}).get("replicas", 1)
        return total

    def sync(self, namespace: str, name: str) -> None:
        pdb = self.ctx.storage.get(PDB.key, namespace, name)
        if pdb is None or pdb["metadata"].get("deletionTimestamp"):
            return
        spec = pdb.get("spec", {})
        selector = selector_from_spec(spec.get("selector"))
        pods = [p for p in self.ctx.storage.items(POD.key, namespace)
                if selector.matches(p["metadata"].get("labels")) and not p["metadata"].get("deletionTimestamp")]
        healthy = sum(1 for p in pods if podutil.is_pod_ready(p))
        if "maxUnavailable" in spec:
            expected = self._expected_scale(pods)
            desired = max(0, expected - _int_or_percent(spec["maxUnavailable"], expected, round_up=True))
        elif isinstance(spec.get("minAvailable"), str):
            expected = self._expected_scale(pods)
            desired = _int_or_percent(spec["minAvailable"], expected, round_up=True)
        else:
            expected = len(pods)
            desired = int(spec.get("minAvailable", 1))
        allowed = max(0, healthy - desired)
        old = pdb.get("status", {})
        reason, status, message = ("SufficientPods", "True", "") if allowed else ("InsufficientPods", "False", "")
        previous = next((c for c in old.get("conditions") or [] if c.get("type") == "DisruptionAllowed"), None)
        condition = {
            "type": "DisruptionAllowed",
            "status": status,
            "reason": reason,
            "message": message,
            "observedGeneration": pdb["metadata"].get("generation", 1),
            "lastTransitionTime": previous["lastTransitionTime"]
            if previous and previous.get("status") == status
            else rfc3339(self.clock.now()),
        }
        new_status = {
            "observedGeneration": pdb["metadata"].get("generation", 1),
            "disruptionsAllowed": allowed,
            "currentHealthy": healthy,
            "desiredHealthy": desired,
            "expectedPods": expected,
            "conditions": [condition],
        }
        if new_status == {k: old.get(k) for k in new_status}:
            return
        updated = clone(pdb)
        updated["status"] = {**old, **new_status}
        self.api.update(PDB, namespace, name, updated, subresource="status", manager=MANAGER)
