"""The ReplicaSet controller (pkg/controller/replicaset/replica_set.go).

Each sync claims the pods of the ReplicaSet (adopting orphans that match the
selector, releasing owned pods that no longer do), creates or deletes pods
toward spec.replicas counting only active pods, and writes the status.

The sandbox reads storage synchronously, so the informer-cache lag that
upstream's expectations guard against does not exist here: every sync sees
its own earlier writes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

from .. import errors
from ..clock import parse_rfc3339, rfc3339
from ..jsoncopy import clone
from ..resources import POD, REPLICASET
from ..selectors import LabelSelector, SelectorError, selector_from_spec
from ..store import DELETED, Change
from . import podutil
from .base import Controller, Key
from .recorder import NORMAL, WARNING, EventRecorder

MANAGER = "kube-controller-manager"
# Upstream caps the creations/deletions of one sync (burstReplicas).
BURST_REPLICAS = 500
# status.terminatingReplicas exists from 1.33 behind DeploymentReplicaSetTerminatingReplicas,
# on by default from 1.35 (beta).
TERMINATING_REPLICAS = podutil.server_minor() >= 35

_PHASE_ORDINAL = {podutil.PENDING: 0, podutil.UNKNOWN: 1, podutil.RUNNING: 2}


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.recorder = EventRecorder(self.api, "replicaset-controller")
        # Pod indexes kept from storage changes, so a sync never scans the namespace:
        # (namespace, pod) -> (uid, kind, name) of its controller (None for an orphan),
        # controller uid -> its pods, namespace -> orphan pod names.
        self._pod_controller: dict[Key, tuple[str, str, str] | None] = {}
        self._owned: dict[str, set[Key]] = {}
        self._orphans: dict[str, set[str]] = {}
        for pod in self.ctx.storage.items(POD.key):
            self._index_pod(pod, deleted=False)

    # ---- event handlers --------------------------------------------------

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == REPLICASET.key:
            return [(change.namespace, change.name)]
        if change.key != POD.key:
            return []
        pod = change.obj
        ns = change.namespace
        previous = self._index_pod(pod, deleted=change.type == DELETED)
        current = self._pod_controller.get((ns, change.name))
        keys: list[Key] = []
        # updatePod: a pod whose controller changed also wakes the previous one.
        if previous and previous != current and previous[1] == "ReplicaSet":
            keys.append((ns, previous[2]))
        ref = podutil.controller_ref(pod)
        if ref is not None:
            if ref.get("kind") == "ReplicaSet":
                keys.append((ns, ref["name"]))
        elif change.type != DELETED and not pod["metadata"].get("deletionTimestamp"):
            # An orphan: every ReplicaSet whose selector matches may adopt it.
            keys.extend((ns, rs["metadata"]["name"]) for rs in self._matching_replica_sets(pod))
        return keys

    def _index_pod(self, pod: dict, deleted: bool) -> tuple[str, str, str] | None:
        """Record `pod` in the indexes; answer its controller as previously indexed."""
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        key = (ns, name)
        previous = self._pod_controller.pop(key, None)
        if previous is not None:
            owned = self._owned.get(previous[0])
            if owned is not None:
                owned.discard(key)
                if not owned:
                    del self._owned[previous[0]]
        else:
            orphans = self._orphans.get(ns)
            if orphans is not None:
                orphans.discard(name)
        if deleted:
            return previous
        ref = podutil.controller_ref(pod)
        if ref is not None and ref.get("uid"):
            current = (ref["uid"], ref.get("kind", ""), ref.get("name", ""))
            self._pod_controller[key] = current
            self._owned.setdefault(current[0], set()).add(key)
        else:
            self._pod_controller[key] = None
            self._orphans.setdefault(ns, set()).add(name)
        return previous

    def all_keys(self) -> Iterable[Key]:
        return [(rs["metadata"]["namespace"], rs["metadata"]["name"]) for rs in self.storage_items(REPLICASET)]

    def storage_items(self, rt, namespace: str | None = None):
        return self.ctx.storage.items(rt.key, namespace)

    def _matching_replica_sets(self, pod: dict) -> list[dict]:
        found = []
        labels = pod["metadata"].get("labels") or {}
        for rs in self.storage_items(REPLICASET, pod["metadata"]["namespace"]):
            selector = _selector(rs)
            if selector is not None and not selector.empty and selector.matches(labels):
                found.append(rs)
        return found

    # ---- sync ------------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        rs = self.ctx.storage.get(REPLICASET.key, namespace, name)
        if rs is None:
            return
        selector = _selector(rs)
        if selector is None:
            return  # an invalid selector is reported by validation; nothing to manage
        all_pods = self._candidate_pods(rs)
        active = [p for p in all_pods if podutil.is_pod_active(p)]
        active = self._claim_pods(rs, selector, active)
        terminating = [
            p for p in all_pods
            if podutil.is_pod_terminating(p) and _owned_by(p, rs) and selector.matches(p["metadata"].get("labels"))
        ]
        manage_error = None
        if not rs["metadata"].get("deletionTimestamp"):
            manage_error = self._manage_replicas(rs, active)
        rs = self.ctx.storage.get(REPLICASET.key, namespace, name) or rs
        self._update_status(rs, active, terminating, manage_error)
        min_ready = rs["spec"].get("minReadySeconds") or 0
        if min_ready > 0:
            waits = [w for p in active if (w := podutil.available_in(p, min_ready, self.clock))]
            if waits:
                # Requeue for the moment the next ready pod becomes available.
                self.enqueue_after(min(waits), namespace, name)

    def _pods(self, keys: Iterable[Key]) -> list[dict]:
        found = (self.ctx.storage.get(POD.key, ns, name) for ns, name in sorted(keys))
        return [p for p in found if p is not None]

    def _candidate_pods(self, rs: dict) -> list[dict]:
        """What ClaimPods looks at: the pods this ReplicaSet controls, and the namespace's orphans."""
        ns = rs["metadata"]["namespace"]
        keys = set(self._owned.get(rs["metadata"]["uid"], ()))
        keys.update((ns, name) for name in self._orphans.get(ns, ()))
        return self._pods(keys)

    # ---- adoption (ControllerRefManager.ClaimPods) -------------------------

    def _claim_pods(self, rs: dict, selector: LabelSelector, pods: list[dict]) -> list[dict]:
        claimed = []
        uid = rs["metadata"]["uid"]
        deleting = bool(rs["metadata"].get("deletionTimestamp"))
        for pod in pods:
            ref = podutil.controller_ref(pod)
            matches = selector.matches(pod["metadata"].get("labels"))
            if ref is not None:
                if ref.get("uid") != uid:
                    continue  # someone else's
                if matches:
                    claimed.append(pod)
                elif not deleting:
                    self._release(rs, pod)
                continue
            if deleting or not matches or pod["metadata"].get("deletionTimestamp"):
                continue
            adopted = self._adopt(rs, pod)
            if adopted is not None:
                claimed.append(adopted)
        return claimed

    def _adopt(self, rs: dict, pod: dict) -> dict | None:
        # canAdopt: re-check the live ReplicaSet, as upstream does with an uncached read.
        fresh = self.ctx.storage.get(REPLICASET.key, rs["metadata"]["namespace"], rs["metadata"]["name"])
        if fresh is None or fresh["metadata"]["uid"] != rs["metadata"]["uid"] or fresh["metadata"].get("deletionTimestamp"):
            return None
        updated = clone(pod)
        refs = [r for r in updated["metadata"].get("ownerReferences") or () if r.get("uid") != rs["metadata"]["uid"]]
        refs.append(podutil.owner_reference(rs))
        updated["metadata"]["ownerReferences"] = refs
        try:
            return self.api.update(POD, pod["metadata"]["namespace"], pod["metadata"]["name"], updated, manager=MANAGER)
        except errors.ApiError as exc:
            if exc.code == 404:
                return None
            raise

    def _release(self, rs: dict, pod: dict) -> None:
        updated = clone(pod)
        refs = [r for r in updated["metadata"].get("ownerReferences") or () if r.get("uid") != rs["metadata"]["uid"]]
        if refs:
            updated["metadata"]["ownerReferences"] = refs
        else:
            updated["metadata"].pop("ownerReferences", None)
        try:
            self.api.update(POD, pod["metadata"]["namespace"], pod["metadata"]["name"], updated, manager=MANAGER)
        except errors.ApiError as exc:
            if exc.code != 404:
                raise

    # ---- manageReplicas ------------------------------------------------------

    def _manage_replicas(self, rs: dict, active: list[dict]) -> errors.ApiError | None:
        wanted = rs["spec"].get("replicas", 1)
        diff = len(active) - wanted
        if diff < 0:
            return self._create_pods(rs, min(-diff, BURST_REPLICAS))
        if diff > 0:
            victims = self._pods_to_delete(rs, active, min(diff, BURST_REPLICAS))
            return self._delete_pods(rs, victims)
        return None

    def _create_pods(self, rs: dict, count: int) -> errors.ApiError | None:
        namespace = rs["metadata"]["namespace"]
        for _ in range(count):
            body = pod_from_template(rs)
            try:
                pod = self._create_with_retry(namespace, body)
            except errors.ApiError as exc:
                # Like slowStartBatch: stop at the first failure, report it, try again later.
                self.recorder.event(rs, WARNING, "FailedCreate", f"Error creating: {exc.message}")
                return exc
            self.recorder.event(rs, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return None

    def _create_with_retry(self, namespace: str, body: dict) -> dict:
        # A generated name can collide; the apiserver retries generateName a few times.
        for attempt in range(8):
            try:
                return self.api.create(POD, namespace, clone(body), manager=MANAGER)
            except errors.ApiError as exc:
                if exc.reason != "AlreadyExists" or attempt == 7:
                    raise
        raise AssertionError("unreachable")

    def _delete_pods(self, rs: dict, victims: list[dict]) -> errors.ApiError | None:
        failure = None
        for pod in victims:
            meta = pod["metadata"]
            try:
                self.api.delete(POD, meta["namespace"], meta["name"], preconditions={"uid": meta["uid"]})
            except errors.ApiError as exc:
                if exc.code == 404:
                    continue
                self.recorder.event(rs, WARNING, "FailedDelete", f"Error deleting: {exc.message}")
                failure = failure or exc
                continue
            self.recorder.event(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta['name']}")
        return failure

    def _pods_to_delete(self, rs: dict, active: list[dict], count: int) -> list[dict]:
        if count >= len(active):
            return list(active)
        related = self._related_pods(rs)
        on_node: dict[str, int] = {}
        for pod in related:
            if podutil.is_pod_active(pod):
                node = pod["spec"].get("nodeName", "")
                on_node[node] = on_node.get(node, 0) + 1
        ranked = rank_pods_for_deletion(active, on_node, self.clock.now())
        return ranked[:count]

    def _related_pods(self, rs: dict) -> list[dict]:
        """getIndirectlyRelatedPods: pods of every ReplicaSet with the same controller as this one."""
        owner = podutil.controller_ref(rs)
        uids = {rs["metadata"]["uid"]}
        if owner is not None:
            uids |= {
                other["metadata"]["uid"]
                for other in self.storage_items(REPLICASET, rs["metadata"]["namespace"])
                if (ref := podutil.controller_ref(other)) is not None and ref.get("uid") == owner.get("uid")
            }
        return self._pods(key for uid in uids for key in self._owned.get(uid, ()))

    # ---- status --------------------------------------------------------------

    def _update_status(self, rs: dict, active: list[dict], terminating: list[dict], manage_error) -> None:
        status = calculate_status(rs, active, terminating, manage_error, self.clock)
        current = rs.get("status") or {}
        if status == current:
            return
        meta = {k: v for k, v in rs["metadata"].items() if k != "resourceVersion"}
        updated = {**rs, "metadata": meta, "status": status}  # the Api copies it
        self.api.update(REPLICASET, rs["metadata"]["namespace"], rs["metadata"]["name"], updated,
                        subresource="status", manager=MANAGER)


# ---- pure helpers ------------------------------------------------------------


def _selector(rs: dict) -> LabelSelector | None:
    try:
        return selector_from_spec((rs.get("spec") or {}).get("selector"))
    except SelectorError:
        return None


def _owned_by(pod: dict, rs: dict) -> bool:
    ref = podutil.controller_ref(pod)
    return ref is not None and ref.get("uid") == rs["metadata"]["uid"]


def pod_from_template(rs: dict) -> dict:
    """controller.GetPodFromTemplate: labels, annotations, finalizers and spec of the template."""
    template = rs["spec"].get("template") or {}
    tmeta = template.get("metadata") or {}
    meta: dict = {"generateName": f"{rs['metadata']['name']}-"}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    meta["ownerReferences"] = [podutil.owner_reference(rs)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": clone(template.get("spec") or {})}


def calculate_status(rs: dict, active: list[dict], terminating: list[dict], manage_error, clock) -> dict:
    """calculateStatus + updateReplicaSetStatus's observedGeneration, with Go's omitempty."""
    old = rs.get("status") or {}
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    min_ready = rs["spec"].get("minReadySeconds") or 0
    fully = ready = available = 0
    for pod in active:
        labels = pod["metadata"].get("labels") or {}
        if all(labels.get(k) == v for k, v in template_labels.items()):
            fully += 1
        if podutil.is_pod_ready(pod):
            ready += 1
            if podutil.is_pod_available(pod, min_ready, clock):
                available += 1
    status: dict = {"replicas": len(active)}
    if fully:
        status["fullyLabeledReplicas"] = fully
    if ready:
        status["readyReplicas"] = ready
    if available:
        status["availableReplicas"] = available
    if TERMINATING_REPLICAS:
        status["terminatingReplicas"] = len(terminating)
    generation = rs["metadata"].get("generation")
    if generation:
        status["observedGeneration"] = generation
    conditions = [dict(c) for c in old.get("conditions") or ()]
    failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
    if manage_error is not None and failure is None:
        wanted = rs["spec"].get("replicas", 1)
        reason = "FailedCreate" if len(active) < wanted else "FailedDelete" if len(active) > wanted else ""
        conditions.append({
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": rfc3339(clock.now()),
            "reason": reason,
            "message": manage_error.message,
        })
    elif manage_error is None and failure is not None:
        conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    if conditions:
        status["conditions"] = conditions
    return status


def rank_pods_for_deletion(pods: list[dict], on_node: dict[str, int], now: float) -> list[dict]:
    """Sort by controller.ActivePodsWithRanks (LogarithmicScaleDown on): victims first."""

    def ranks(pod: dict) -> int:
        return on_node.get(pod["spec"].get("nodeName", ""), 0)

    def compare(a: dict, b: dict) -> int:
        na, nb = a["spec"].get("nodeName", ""), b["spec"].get("nodeName", "")
        # 1. unassigned < assigned
        if na != nb and (not na or not nb):
            return -1 if not na else 1
        # 2. Pending < Unknown < Running
        pa, pb = _PHASE_ORDINAL.get(podutil.phase(a), 0), _PHASE_ORDINAL.get(podutil.phase(b), 0)
        if pa != pb:
            return -1 if pa < pb else 1
        # 3. not ready < ready
        ra, rb = podutil.is_pod_ready(a), podutil.is_pod_ready(b)
        if ra != rb:
            return -1 if not ra else 1
        # 4. lower pod-deletion-cost first
        ca, cb = _deletion_cost(a), _deletion_cost(b)
        if ca != cb:
            return -1 if ca < cb else 1
        # 5. doubled up (more related pods on the node) first
        ka, kb = ranks(a), ranks(b)
        if ka != kb:
            return -1 if ka > kb else 1
        # 6. ready for a shorter time first (log2 buckets)
        if ra and rb:
            ta, tb = podutil.ready_since(a), podutil.ready_since(b)
            if ta != tb:
                result = _newer_first(ta, tb, a, b, now)
                if result:
                    return result
        # 7. more restarts first
        xa, xb = podutil.max_restarts(a), podutil.max_restarts(b)
        if xa != xb:
            return -1 if xa > xb else 1
        # 8. newer first (log2 buckets, then uid)
        ta = parse_rfc3339(a["metadata"].get("creationTimestamp"))
        tb = parse_rfc3339(b["metadata"].get("creationTimestamp"))
        if ta != tb:
            return _newer_first(ta, tb, a, b, now)
        return 0

    return sorted(pods, key=functools.cmp_to_key(compare))


def _newer_first(ta: float | None, tb: float | None, a: dict, b: dict, now: float) -> int:
    if ta is None or tb is None:
        return -1 if ta is None else 1  # the zero time sorts first
    diff = _log_rank(now - ta) - _log_rank(now - tb)
    if diff == 0:
        return -1 if a["metadata"]["uid"] < b["metadata"]["uid"] else 1
    return -1 if diff < 0 else 1


def _log_rank(seconds: float) -> int:
    nanos = seconds * 1e9
    return int(math.log2(nanos)) if nanos > 0 else -1


def _deletion_cost(pod: dict) -> int:
    value = (pod["metadata"].get("annotations") or {}).get("controller.kubernetes.io/pod-deletion-cost")
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0
