"""The default scheduler: binds each unscheduled pod to a node, as kube-scheduler does.

Follows pkg/scheduler/schedule_one.go (scheduleOne / schedulePod): the filter
plugins the sandbox needs (NodeUnschedulable, the not-ready taint,
NodeAffinity's nodeSelector, TaintToleration) pick the feasible nodes, the
least-loaded of them wins (a stand-in for the scoring plugins; ties go to
the first name), and a "Scheduled" event records the assignment. Binding is
the DefaultBinder plugin's (pkg/scheduler/framework/plugins/defaultbinder):
POST pods/binding, whose registry side (pkg/registry/core/pod/storage,
BindingREST.assignPod) sets spec.nodeName and PodScheduled=True without
managedFields; `bind_pod` does that write straight in storage.

A pod no node fits gets handleSchedulingFailure's treatment: PodScheduled=False
with reason Unschedulable and the FitError message ("0/3 nodes are
available: ..."), written as a status update by "kube-scheduler", and a
FailedScheduling warning; both only when the message changes. Any Node
change re-queues the pods still waiting, as the scheduling queue's
MoveAllToActiveOrBackoffQueue does on node events.

Only the nodes given (those the sandbox's kubelets run) are candidates, so a
pod is never bound to a node nothing would run it on. Pod IPs are not the
scheduler's: the kubelet allocates them from the node's podCIDR.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import rfc3339
from ..jsoncopy import clone
from ..resources import NODE, POD
from ..store import DELETED, Change
from . import podutil
from .base import Controller, Key
from .kubelet import NODE_NAMES
from .recorder import NORMAL, WARNING, EventRecorder

SCHEDULER_NAME = "default-scheduler"


class Scheduler(Controller):
    """kube-scheduler with the default profile, for the pods whose schedulerName is its own."""

    name = "scheduler"

    def __init__(self, ctx, nodes: Iterable[str] = NODE_NAMES):
        super().__init__(ctx)
        self.nodes = tuple(nodes)
        self.events = EventRecorder(self.api, SCHEDULER_NAME)
        self._unschedulable_seen: dict[Key, str] = {}
        # node -> its non-terminal pods, kept from storage changes for scoring (the scheduler's cache).
        self._node_pods: dict[str, set[Key]] = {name: set() for name in self.nodes}
        for pod in self.ctx.storage.items(POD.key):
            self._index_pod(pod, deleted=False)

    def _index_pod(self, pod: dict, deleted: bool) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        for pods in self._node_pods.values():
            pods.discard(key)
        node = (pod.get("spec") or {}).get("nodeName")
        if not deleted and node in self._node_pods and not podutil.is_terminal(pod):
            self._node_pods[node].add(key)

    # ---- queue -----------------------------------------------------------

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == NODE.key:
            if change.type == DELETED:
                return []
            return [(p["metadata"]["namespace"], p["metadata"]["name"])
                    for p in self.ctx.storage.items(POD.key) if needs_scheduling(p)]
        if change.key != POD.key:
            return []
        key = (change.namespace, change.name)
        pod = change.obj
        self._index_pod(pod, deleted=change.type == DELETED)
        if change.type == DELETED:
            return [key] if key in self._unschedulable_seen else []
        return [key] if needs_scheduling(pod) else []

    def all_keys(self) -> Iterable[Key]:
        return [(p["metadata"]["namespace"], p["metadata"]["name"])
                for p in self.ctx.storage.items(POD.key) if needs_scheduling(p)]

    # ---- sync ------------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        pod = self.ctx.storage.get(POD.key, namespace, name)
        if pod is None:
            self._unschedulable_seen.pop(key, None)
            return
        if needs_scheduling(pod):
            self.schedule(pod)

    def schedule(self, pod: dict) -> dict | None:
        """Bind `pod` to the least-loaded feasible node: the bound pod, or None when nothing was bound."""
        nodes = [n for n in self.ctx.storage.items(NODE.key) if n["metadata"]["name"] in self._node_pods]
        feasible, reasons = [], {}
        for node in nodes:
            why = unfit(pod, node)
            if why:
                reasons[why] = reasons.get(why, 0) + 1
            else:
                feasible.append(node["metadata"]["name"])
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if not feasible:
            self._mark_unschedulable(pod, len(nodes), reasons)
            return None
        target = min(feasible, key=lambda n: (len(self._node_pods[n]), n))
        bound = bind_pod(self.ctx.storage, pod, target, self.clock.now())
        if bound is None:
            return None
        self._unschedulable_seen.pop(key, None)
        self.events.event(bound, NORMAL, "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {target}")
        return bound

    def _mark_unschedulable(self, pod: dict, total: int, reasons: dict[str, int]) -> None:
        detail = " ".join(f"{count} {why}." for why, count in sorted(reasons.items()))
        message = (f"0/{total} nodes are available: {detail or 'no nodes available to schedule pods.'} "
                   f"preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling.")
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if self._unschedulable_seen.get(key) == message:
            return
        self._unschedulable_seen[key] = message
        updated = clone(pod)
        status = updated.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                           "lastTransitionTime": rfc3339(self.clock.now()), "reason": "Unschedulable",
                           "message": message})
        status["conditions"] = conditions
        updated["metadata"].pop("resourceVersion", None)
        self.api.update(POD, key[0], key[1], updated, subresource="status", manager="kube-scheduler")
        self.events.event(pod, WARNING, "FailedScheduling", message)


# ---- helpers -------------------------------------------------------------------


def needs_scheduling(pod: dict) -> bool:
    """Unbound, ours to place, not going away, not gated (schedulingGates)."""
    spec = pod.get("spec") or {}
    return (not spec.get("nodeName") and spec.get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME
            and not pod["metadata"].get("deletionTimestamp") and not podutil.is_terminal(pod)
            and not spec.get("schedulingGates"))


def unfit(pod: dict, node: dict) -> str:
    """Why `node` cannot take `pod` (the scheduler's filter plugins, the common ones), or ""."""
    spec = node.get("spec") or {}
    if spec.get("unschedulable"):
        return "node(s) were unschedulable"
    ready = podutil.get_condition(node.get("status"), "Ready")
    if ready is None or ready.get("status") != "True":
        return "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
    labels = node["metadata"].get("labels") or {}
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return "node(s) didn't match Pod's node affinity/selector"
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in spec.get("taints") or ():
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not any(tolerates(t, taint) for t in tolerations):
            return f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value', '')}}}"
    return ""


def tolerates(toleration: dict, taint: dict) -> bool:
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    if toleration.get("operator") == "Exists":
        return not toleration.get("key") or toleration.get("key") == taint.get("key")
    return toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get("value", "")


def bind_pod(storage, pod: dict, node: str, now: float) -> dict | None:
    """What POST pods/binding does: set spec.nodeName and PodScheduled=True, straight in storage.

    The binding registry writes without managedFields, as upstream's BindingREST does.
    """
    meta = pod["metadata"]
    current = storage.get(POD.key, meta["namespace"], meta["name"])
    if current is None or current["metadata"]["uid"] != meta["uid"] or current["spec"].get("nodeName"):
        return None
    bound = clone(current)
    bound["spec"]["nodeName"] = node
    status = bound.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
    conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                       "lastTransitionTime": rfc3339(now)})
    status["conditions"] = conditions
    bound["metadata"].pop("resourceVersion", None)
    return storage.put(POD.key, bound)
