"""The Deployment controller, after kube-controller-manager's
`pkg/controller/deployment` (deployment_controller.go, sync.go, rolling.go,
recreate.go, progress.go, rollback.go).

One ReplicaSet per distinct pod template, named `<deployment>-<hash>`;
revisions and revision-history annotations that `kubectl rollout
history/undo` read; RollingUpdate (maxSurge/maxUnavailable) and Recreate
rollouts; proportional scaling of a scaling event in mid-rollout; pause and
resume; the Available/Progressing conditions with progressDeadlineSeconds
counted on the sandbox clock; revisionHistoryLimit cleanup; and the
ScalingReplicaSet events, worded as the current upstream words them.

Reads go straight to `Api` (the sandbox has no informer lag), so a sync sees
every write it made itself; writes go through `Api` as manager
`kube-controller-manager`, like the real controller's do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..errors import ApiError
from ..jsoncopy import clone
from ..resources import DEPLOYMENT, POD, REPLICASET
from ..store import DELETED, Change
from . import deployment_util as du
from . import podutil
from .base import Context, Controller, Key
from .recorder import NORMAL, WARNING, EventRecorder

log = logging.getLogger(__name__)

MANAGER = "kube-controller-manager"
COMPONENT = "deployment-controller"
# status.terminatingReplicas: DeploymentReplicaSetTerminatingReplicas, beta (on) from 1.35,
# the same gate the ReplicaSet controller follows.
TERMINATING_REPLICAS = podutil.server_minor() >= 35


class _InvalidScale(Exception):
    """A scale-down computed from a stale status that would scale up."""


class _NamespaceTerminating(Exception):
    """Creating in a terminating namespace: upstream drops the key without retrying."""


class DeploymentController(Controller):
    name = "deployment"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.recorder = EventRecorder(self.api, COMPONENT)
        # Progress-check requeues already on the clock: key -> due (clock time).
        self._progress_checks: dict[Key, float] = {}
        # ReplicaSets written during the current sync, by uid, so a second
        # pass over the listed ReplicaSets sees them as an informer would.
        self._written: dict[str, dict] = {}

    # ---- what to sync -------------------------------------------------------

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == DEPLOYMENT.key:
            return [(change.namespace, change.name)]
        if change.key == REPLICASET.key:
            return self._keys_for_replica_set(change)
        if change.key == POD.key and change.type == DELETED:
            d = self._deployment_for_pod(change.obj)
            # Only a Recreate rollout waits for old pods to be gone.
            if d is not None and du.strategy_type(d) == du.RECREATE:
                return [(d["metadata"]["namespace"], d["metadata"]["name"])]
        return []

    def all_keys(self) -> Iterable[Key]:
        return [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in self.ctx.storage.items(DEPLOYMENT.key)]

    def _keys_for_replica_set(self, change: Change) -> list[Key]:
        rs = change.obj
        ns = change.namespace
        ref = du.controller_of(rs)
        if ref is not None:
            d = self._resolve_controller_ref(ns, ref)
            return [(ns, d["metadata"]["name"])] if d is not None else []
        if change.type == DELETED:
            return []
        # An orphan: every Deployment whose selector matches may want to adopt it.
        labels = rs["metadata"].get("labels")
        if not labels:
            return []
        keys = []
        for d in self.ctx.storage.items(DEPLOYMENT.key, ns):
            selector = d.get("spec", {}).get("selector")
            if not du.selector_is_empty(selector) and du.selector_matches(selector, labels):
                keys.append((ns, d["metadata"]["name"]))
        return keys

    def _resolve_controller_ref(self, namespace: str, ref: dict) -> dict | None:
        if ref.get("kind") != "Deployment":
            return None
        d = self.ctx.storage.get(DEPLOYMENT.key, namespace, ref.get("name", ""))
        if d is None or d["metadata"].get("uid") != ref.get("uid"):
            return None
        return d

    def _deployment_for_pod(self, pod: dict) -> dict | None:
        ns = pod["metadata"].get("namespace", "")
        ref = du.controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return None
        rs = self.ctx.storage.get(REPLICASET.key, ns, ref.get("name", ""))
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        rs_ref = du.controller_of(rs)
        return self._resolve_controller_ref(ns, rs_ref) if rs_ref is not None else None

    # ---- syncDeployment -------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        try:
            current = self.api.get(DEPLOYMENT, namespace, name)
        except ApiError as exc:
            if exc.code == 404:
                self._progress_checks.pop((namespace, name), None)
                return
            raise
        self._written = {}
        d = clone(current)
        try:
            self._sync_deployment(d)
        except _NamespaceTerminating:
            return
        finally:
            self._written = {}

    def _sync_deployment(self, d: dict) -> None:
        if du.selector_is_empty(d.get("spec", {}).get("selector")):
            self.recorder.event(d, WARNING, "SelectingAll",
                                "This deployment is selecting all pods. A non-empty selector is required.")
            status = d.setdefault("status", {})
            if int(status.get("observedGeneration") or 0) < int(d["metadata"].get("generation") or 0):
                status["observedGeneration"] = d["metadata"]["generation"]
                try:
                    self._update_status(d)
                except ApiError:
                    pass  # upstream ignores this error too
            return

        rs_list = self._get_replica_sets_for_deployment(d)
        pod_map = self._get_pod_map_for_deployment(d, rs_list)

        if d["metadata"].get("deletionTimestamp"):
            # Being deleted: the garbage collector handles the ReplicaSets; only report status.
            self._sync_status_only(d, rs_list)
            return

        # Unknown-status conditions on pause/resume, so a resumed Deployment
        # does not time out for the time it spent paused.
        self._check_paused_conditions(d)

        if d["spec"].get("paused"):
            self._sync(d, rs_list)
            return

        # Rollback is not re-entrant: clear the rollback request before anything else.
        if _get_rollback_to(d) is not None:
            self._rollback(d, rs_list)
            return

        if self._is_scaling_event(d, rs_list):
            self._sync(d, rs_list)
            return

        kind = du.strategy_type(d)
        if kind == du.RECREATE:
            self._rollout_recreate(d, rs_list, pod_map)
        elif kind == du.ROLLING_UPDATE:
            self._rollout_rolling(d, rs_list)
        else:
            log.warning("deployment %s/%s: unexpected deployment strategy type: %s",
                        d["metadata"]["namespace"], d["metadata"]["name"], kind)

    # ---- ReplicaSets and pods of a Deployment ----------------------------------

    def _get_replica_sets_for_deployment(self, d: dict) -> list[dict]:
        """getReplicaSetsForDeployment: claim (adopt/release) like ClaimReplicaSets."""
        ns = d["metadata"]["namespace"]
        uid = d["metadata"]["uid"]
        selector = d["spec"].get("selector")
        deleting = bool(d["metadata"].get("deletionTimestamp"))
        claimed: list[dict] = []
        first_error: ApiError | None = None
        for rs in self.api.list(REPLICASET, ns):
            ref = du.controller_of(rs)
            matches = du.selector_matches(selector, rs["metadata"].get("labels"))
            if ref is not None:
                if ref.get("uid") != uid:
                    continue  # someone else's
                if matches:
                    claimed.append(rs)
                    continue
                if deleting:
                    continue
                try:
                    self._release(rs, d)
                except ApiError as exc:
                    if exc.code != 404 and first_error is None:
                        first_error = exc
                continue
            if deleting or not matches or rs["metadata"].get("deletionTimestamp"):
                continue
            try:
                claimed.append(self._adopt(rs, d))
            except ApiError as exc:
                if exc.code != 404 and first_error is None:
                    first_error = exc
        if first_error is not None:
            raise first_error
        return claimed

    def _adopt(self, rs: dict, d: dict) -> dict:
        # canAdopt: recheck with a fresh read that the Deployment is not going away.
        fresh = self.api.get(DEPLOYMENT, d["metadata"]["namespace"], d["metadata"]["name"])
        if fresh["metadata"].get("uid") != d["metadata"]["uid"]:
            raise ApiError(409, "Conflict", f"original Deployment {d['metadata']['namespace']}/{d['metadata']['name']} is gone: "
                           f"got uid {fresh['metadata'].get('uid')}, wanted {d['metadata']['uid']}")
        if fresh["metadata"].get("deletionTimestamp"):
            raise ApiError(409, "Conflict", f"{d['metadata']['namespace']}/{d['metadata']['name']} has just been deleted at "
                           f"{fresh['metadata']['deletionTimestamp']}")
        body = clone(rs)
        refs = [r for r in body["metadata"].get("ownerReferences") or () if r.get("uid") != d["metadata"]["uid"]]
        body["metadata"]["ownerReferences"] = refs + [du.new_controller_ref(d)]
        return self._write_rs(body)

    def _release(self, rs: dict, d: dict) -> None:
        body = clone(rs)
        refs = [r for r in body["metadata"].get("ownerReferences") or () if r.get("uid") != d["metadata"]["uid"]]
        if refs:
            body["metadata"]["ownerReferences"] = refs
        else:
            body["metadata"].pop("ownerReferences", None)
        self._write_rs(body)

    def _get_pod_map_for_deployment(self, d: dict, rs_list: list[dict]) -> dict[str, list[dict]]:
        """Pods grouped by the uid of their controlling ReplicaSet (inactive pods included)."""
        selector = d["spec"].get("selector")
        pod_map: dict[str, list[dict]] = {rs["metadata"]["uid"]: [] for rs in rs_list}
        for pod in self.api.list(POD, d["metadata"]["namespace"]):
            if not du.selector_matches(selector, pod["metadata"].get("labels")):
                continue
            ref = du.controller_of(pod)
            if ref is not None and ref.get("uid") in pod_map:
                pod_map[ref["uid"]].append(pod)
        return pod_map

    # ---- writes ---------------------------------------------------------------

    def _write_rs(self, body: dict) -> dict:
        du.sort_string_maps(body)
        md = body["metadata"]
        result = self.api.update(REPLICASET, md["namespace"], md["name"], body, manager=MANAGER)
        self._written[result["metadata"]["uid"]] = result
        return result

    def _update_status(self, d: dict) -> None:
        """UpdateStatus (which also carries the revision annotation), then refresh `d` from the response."""
        md = d["metadata"]
        if md.get("annotations"):
            md["annotations"] = dict(sorted(md["annotations"].items()))
        result = self.api.update(DEPLOYMENT, md["namespace"], md["name"], d, subresource="status", manager=MANAGER)
        d.clear()
        d.update(clone(result))

    def _update_deployment(self, d: dict) -> None:
        du.sort_string_maps(d)
        md = d["metadata"]
        result = self.api.update(DEPLOYMENT, md["namespace"], md["name"], d, manager=MANAGER)
        d.clear()
        d.update(clone(result))

    # ---- sync.go --------------------------------------------------------------

    def _sync_status_only(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self._get_all_replica_sets_and_sync_revision(d, rs_list, False)
        self._sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def _sync(self, d: dict, rs_list: list[dict]) -> None:
        """Scaling events and paused Deployments: scale, never roll out."""
        new_rs, old_rss = self._get_all_replica_sets_and_sync_revision(d, rs_list, False)
        self._scale(d, new_rs, old_rss)
        if d["spec"].get("paused") and _get_rollback_to(d) is None:
            self._cleanup_deployment(old_rss, d)
        self._sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def _check_paused_conditions(self, d: dict) -> None:
        if not du.has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = du.get_condition(status, du.PROGRESSING)
        if cond is not None and cond.get("reason") == du.TIMED_OUT_REASON:
            return  # a reported lack of progress is not overwritten
        paused_cond_exists = cond is not None and cond.get("reason") == du.PAUSED_DEPLOY_REASON
        if d["spec"].get("paused") and not paused_cond_exists:
            du.set_condition(status, du.new_condition(
                self.clock, du.PROGRESSING, "Unknown", du.PAUSED_DEPLOY_REASON, "Deployment is paused"))
        elif not d["spec"].get("paused") and paused_cond_exists:
            du.set_condition(status, du.new_condition(
                self.clock, du.PROGRESSING, "Unknown", du.RESUMED_DEPLOY_REASON, "Deployment is resumed"))
        else:
            return
        self._update_status(d)

    def _get_all_replica_sets_and_sync_revision(
        self, d: dict, rs_list: list[dict], create_if_not_existed: bool
    ) -> tuple[dict | None, list[dict]]:
        rs_list[:] = [self._written.get(rs["metadata"]["uid"], rs) for rs in rs_list]
        _, all_old = du.find_old_replica_sets(d, rs_list)
        new_rs = self._get_new_replica_set(d, rs_list, all_old, create_if_not_existed)
        return new_rs, all_old

    def _get_new_replica_set(
        self, d: dict, rs_list: list[dict], old_rss: list[dict], create_if_not_existed: bool
    ) -> dict | None:
        existing = du.find_new_replica_set(d, rs_list)
        new_revision = str(du.max_revision(old_rss) + 1)

        if existing is not None:
            rs_copy = clone(existing)
            annotations_updated = du.set_new_replica_set_annotations(d, rs_copy, new_revision, True)
            min_ready = int(d["spec"].get("minReadySeconds") or 0)
            if annotations_updated or int(rs_copy["spec"].get("minReadySeconds") or 0) != min_ready:
                _set_min_ready_seconds(rs_copy, min_ready)
                return self._write_rs(rs_copy)

            # The RS's own revision is the reliable one.
            needs_update = du.set_deployment_revision(d, du.annotations(rs_copy).get(du.REVISION_ANNOTATION, ""))
            status = d.setdefault("status", {})
            if du.has_progress_deadline(d) and du.get_condition(status, du.PROGRESSING) is None:
                du.set_condition(status, du.new_condition(
                    self.clock, du.PROGRESSING, "True", du.FOUND_NEW_RS_REASON,
                    f'Found new replica set "{rs_copy["metadata"]["name"]}"'))
                needs_update = True
            if needs_update:
                self._update_status(d)
            return rs_copy

        if not create_if_not_existed:
            return None

        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        template = clone(d["spec"].get("template") or {})
        collision_count = (d.get("status") or {}).get("collisionCount")
        pod_template_hash = du.compute_hash(template, collision_count)
        template_meta = template.setdefault("metadata", {})
        template_meta["labels"] = {**(template_meta.get("labels") or {}), du.HASH_LABEL: pod_template_hash}
        new_rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                # Deterministic, so a retried create finds its own RS.
                "name": f"{name}-{pod_template_hash}",
                "namespace": ns,
                "labels": dict(template_meta["labels"]),
                "ownerReferences": [du.new_controller_ref(d)],
            },
            "spec": {
                "replicas": 0,
                "selector": du.clone_selector_and_add_label(d["spec"].get("selector"), du.HASH_LABEL, pod_template_hash),
                "template": template,
            },
        }
        _set_min_ready_seconds(new_rs, int(d["spec"].get("minReadySeconds") or 0))
        new_replicas = du.new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
        new_rs["spec"]["replicas"] = new_replicas
        du.set_new_replica_set_annotations(d, new_rs, new_revision, False)

        already_exists = False
        try:
            created = self.api.create(REPLICASET, ns, du.sort_string_maps(new_rs), manager=MANAGER)
        except ApiError as exc:
            if exc.code == 409 and exc.reason == "AlreadyExists":
                found = self.api.get(REPLICASET, ns, new_rs["metadata"]["name"])
                ref = du.controller_of(found)
                if ref is not None and ref.get("uid") == d["metadata"]["uid"] and du.equal_ignore_hash(
                    d["spec"].get("template"), found.get("spec", {}).get("template")
                ):
                    # Ours already (a retried create).
                    created = found
                    already_exists = True
                else:
                    # A hash collision: bump collisionCount and retry with a new hash on the next sync.
                    status = d.setdefault("status", {})
                    status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
                    try:
                        self._update_status(d)
                    except ApiError:
                        pass
                    raise
            elif exc.code == 403 and "because it is being terminated" in exc.message:
                raise _NamespaceTerminating() from exc
            else:
                msg = f'Failed to create new replica set "{new_rs["metadata"]["name"]}": {exc.message}'
                if du.has_progress_deadline(d):
                    du.set_condition(d.setdefault("status", {}), du.new_condition(
                        self.clock, du.PROGRESSING, "False", du.FAILED_RS_CREATE_REASON, msg))
                    try:
                        self._update_status(d)
                    except ApiError:
                        pass  # the bigger issue is reported below
                self.recorder.event(d, WARNING, du.FAILED_RS_CREATE_REASON, msg)
                raise

        if not already_exists:
            self._written[created["metadata"]["uid"]] = created
            if new_replicas > 0:
                self.recorder.event(d, NORMAL, "ScalingReplicaSet",
                                    f"Scaled up replica set {created['metadata']['name']} from 0 to {new_replicas}")

        needs_update = du.set_deployment_revision(d, new_revision)
        if not already_exists and du.has_progress_deadline(d):
            du.set_condition(d.setdefault("status", {}), du.new_condition(
                self.clock, du.PROGRESSING, "True", du.NEW_REPLICA_SET_REASON,
                f'Created new replica set "{created["metadata"]["name"]}"'))
            needs_update = True
        if needs_update:
            self._update_status(d)
        return created

    def _scale(self, d: dict, new_rs: dict | None, old_rss: list[dict]) -> None:
        """Scale proportionally, so a scaling event mid-rollout neither hastens
        nor slows the rollout."""
        replicas = du.spec_replicas(d)
        active_or_latest = du.find_active_or_latest(new_rs, old_rss)
        if active_or_latest is not None:
            if du.spec_replicas(active_or_latest) == replicas:
                return
            self._scale_replica_set_and_record_event(active_or_latest, replicas, d)
            return

        # A saturated new RS: old ones go to zero (adoption during a saturated rollout).
        if du.is_saturated(d, new_rs):
            for old in du.filter_active(old_rss):
                self._scale_replica_set_and_record_event(old, 0, d)
            return

        if not du.is_rolling_update(d):
            return
        all_rss = du.filter_active(old_rss + [new_rs])
        all_rss_replicas = du.replica_count(all_rss)
        allowed_size = replicas + du.max_surge(d) if replicas > 0 else 0
        # Replicas to add (or remove, if negative), shared out in proportion.
        to_add = allowed_size - all_rss_replicas
        if to_add > 0:
            all_rss = du.sort_by_size_newer(all_rss)
        elif to_add < 0:
            all_rss = du.sort_by_size_older(all_rss)

        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rss:
            rs_name = rs["metadata"]["name"]
            if to_add != 0:
                proportion = du.get_proportion(rs, d, to_add, added)
                sizes[rs_name] = du.spec_replicas(rs) + proportion
                added += proportion
            else:
                sizes[rs_name] = du.spec_replicas(rs)

        for i, rs in enumerate(all_rss):
            rs_name = rs["metadata"]["name"]
            if i == 0 and to_add != 0:
                # Leftovers go to the largest replica set.
                sizes[rs_name] = max(0, sizes[rs_name] + to_add - added)
            self._scale_replica_set(rs, sizes[rs_name], d)

    def _scale_replica_set_and_record_event(self, rs: dict, new_scale: int, d: dict) -> tuple[bool, dict]:
        if du.spec_replicas(rs) == new_scale:
            return False, rs
        return self._scale_replica_set(rs, new_scale, d)

    def _scale_replica_set(self, rs: dict, new_scale: int, d: dict) -> tuple[bool, dict]:
        replicas = du.spec_replicas(d)
        maximum = replicas + du.max_surge(d)
        size_needs_update = du.spec_replicas(rs) != new_scale
        annotations_need_update = du.replicas_annotations_need_update(rs, replicas, maximum)
        if not (size_needs_update or annotations_need_update):
            return False, rs
        old_scale = du.spec_replicas(rs)
        rs_copy = clone(rs)
        rs_copy["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(rs_copy, replicas, maximum)
        updated = self._write_rs(rs_copy)
        if size_needs_update:
            operation = "up" if old_scale < new_scale else "down"
            self.recorder.event(d, NORMAL, "ScalingReplicaSet",
                                f"Scaled {operation} replica set {updated['metadata']['name']} from {old_scale} to {new_scale}")
            return True, updated
        return False, updated

    def _cleanup_deployment(self, old_rss: list[dict], d: dict) -> None:
        """Keep only the newest revisionHistoryLimit old ReplicaSets (fully scaled down ones only)."""
        if not du.has_revision_history_limit(d):
            return
        cleanable = [rs for rs in old_rss if rs is not None and not rs["metadata"].get("deletionTimestamp")]
        diff = len(cleanable) - int(d["spec"]["revisionHistoryLimit"])
        if diff <= 0:
            return
        cleanable = du.sort_by_revision(cleanable)
        for rs in cleanable[:diff]:
            if (
                du.status_int(rs, "replicas") != 0
                or du.spec_replicas(rs) != 0
                or int(rs["metadata"].get("generation") or 0) > du.status_int(rs, "observedGeneration")
                or rs["metadata"].get("deletionTimestamp")
            ):
                continue
            try:
                self.api.delete(REPLICASET, rs["metadata"]["namespace"], rs["metadata"]["name"])
            except ApiError as exc:
                if exc.code != 404:
                    raise

    def _sync_deployment_status(self, all_rss: list[dict | None], new_rs: dict | None, d: dict) -> None:
        new_status = self._calculate_status(all_rss, new_rs, d)
        if (d.get("status") or {}) == new_status:
            return
        d["status"] = new_status
        self._update_status(d)

    def _calculate_status(self, all_rss: list[dict | None], new_rs: dict | None, d: dict) -> dict:
        available = du.available_replica_count(all_rss)
        total = du.replica_count(all_rss)
        # More available than desired (scaling down): not negative.
        unavailable = max(total - available, 0)
        status: dict = {}

        def put(key: str, value: int) -> None:
            if value:  # omitempty, as the Go type serializes
                status[key] = value

        put("observedGeneration", int(d["metadata"].get("generation") or 0))
        put("replicas", du.actual_replica_count(all_rss))
        put("updatedReplicas", du.actual_replica_count([new_rs]))
        put("readyReplicas", du.ready_replica_count(all_rss))
        put("availableReplicas", available)
        put("unavailableReplicas", unavailable)
        if TERMINATING_REPLICAS:
            terminating = du.terminating_replica_count(all_rss)
            if terminating is not None:
                status["terminatingReplicas"] = terminating
        conditions = clone((d.get("status") or {}).get("conditions") or [])
        if conditions:
            status["conditions"] = conditions
        collision_count = (d.get("status") or {}).get("collisionCount")
        if collision_count is not None:
            status["collisionCount"] = collision_count

        if available >= du.spec_replicas(d) - du.max_unavailable(d):
            du.set_condition(status, du.new_condition(
                self.clock, du.AVAILABLE, "True", du.MINIMUM_REPLICAS_AVAILABLE, "Deployment has minimum availability."))
        else:
            du.set_condition(status, du.new_condition(
                self.clock, du.AVAILABLE, "False", du.MINIMUM_REPLICAS_UNAVAILABLE,
                "Deployment does not have minimum availability."))
        return status

    def _is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        """A scaling event: an active RS's desired-replicas annotation differs from spec.replicas."""
        new_rs, old_rss = self._get_all_replica_sets_and_sync_revision(d, rs_list, False)
        for rs in du.filter_active(old_rss + [new_rs]):
            desired = du.desired_replicas_annotation(rs)
            if desired is None:
                continue
            if desired != du.spec_replicas(d):
                return True
        return False

    # ---- rolling.go -----------------------------------------------------------

    def _rollout_rolling(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self._get_all_replica_sets_and_sync_revision(d, rs_list, True)
        all_rss = old_rss + [new_rs]

        if self._reconcile_new_replica_set(all_rss, new_rs, d):
            self._sync_rollout_status(all_rss, new_rs, d)
            return

        if self._reconcile_old_replica_sets(all_rss, du.filter_active(old_rss), new_rs, d):
            self._sync_rollout_status(all_rss, new_rs, d)
            return

        if du.deployment_complete(d, d.get("status") or {}):
            self._cleanup_deployment(old_rss, d)

        self._sync_rollout_status(all_rss, new_rs, d)

    def _reconcile_new_replica_set(self, all_rss: list[dict], new_rs: dict, d: dict) -> bool:
        replicas = du.spec_replicas(d)
        if du.spec_replicas(new_rs) == replicas:
            return False
        if du.spec_replicas(new_rs) > replicas:
            scaled, _ = self._scale_replica_set_and_record_event(new_rs, replicas, d)
            return scaled
        new_count = du.new_rs_new_replicas(d, all_rss, new_rs)
        scaled, _ = self._scale_replica_set_and_record_event(new_rs, new_count, d)
        return scaled

    def _reconcile_old_replica_sets(self, all_rss: list[dict], old_rss: list[dict], new_rs: dict, d: dict) -> bool:
        if du.replica_count(old_rss) == 0:
            return False  # nothing left to scale down
        all_pods_count = du.replica_count(all_rss)
        min_available = du.spec_replicas(d) - du.max_unavailable(d)
        new_rs_unavailable = du.spec_replicas(new_rs) - du.status_int(new_rs, "availableReplicas")
        # Beyond maxUnavailable and surge pods, the new RS's unavailable pods must not
        # let us scale old RSs further down.
        max_scaled_down = all_pods_count - min_available - new_rs_unavailable
        if max_scaled_down <= 0:
            return False

        # Unhealthy old replicas first, or they would block the rollout.
        # Upstream drops errors of both steps here (`return false, nil`); the next sync retries.
        try:
            old_rss, cleanup_count = self._cleanup_unhealthy_replicas(old_rss, d, max_scaled_down)
        except (ApiError, _InvalidScale):
            return False
        all_rss = old_rss + [new_rs]
        try:
            scaled_down_count = self._scale_down_old_replica_sets_for_rolling_update(all_rss, old_rss, d)
        except (ApiError, _InvalidScale):
            return False
        return cleanup_count + scaled_down_count > 0

    def _cleanup_unhealthy_replicas(self, old_rss: list[dict], d: dict, max_cleanup: int) -> tuple[list[dict], int]:
        old_rss = du.sort_by_creation(old_rss)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            replicas = du.spec_replicas(rs)
            if replicas == 0:
                continue
            available = du.status_int(rs, "availableReplicas")
            if replicas == available:
                continue  # no unhealthy replicas
            scaled_down = min(max_cleanup - total, replicas - available)
            new_count = replicas - scaled_down
            if new_count > replicas:
                # A stale status (more available than wanted) lands here, as upstream.
                raise _InvalidScale(f"when cleaning up unhealthy replicas, got invalid request to scale down "
                                 f"{rs['metadata']['namespace']}/{rs['metadata']['name']} {replicas} -> {new_count}")
            _, updated = self._scale_replica_set_and_record_event(rs, new_count, d)
            total += scaled_down
            old_rss[i] = updated
        return old_rss, total

    def _scale_down_old_replica_sets_for_rolling_update(self, all_rss: list[dict], old_rss: list[dict], d: dict) -> int:
        min_available = du.spec_replicas(d) - du.max_unavailable(d)
        available = du.available_replica_count(all_rss)
        if available <= min_available:
            return 0
        total_scaled_down = 0
        total_scale_down_count = available - min_available
        for rs in du.sort_by_creation(old_rss):
            if total_scaled_down >= total_scale_down_count:
                break
            replicas = du.spec_replicas(rs)
            if replicas == 0:
                continue
            scale_down = min(replicas, total_scale_down_count - total_scaled_down)
            self._scale_replica_set_and_record_event(rs, replicas - scale_down, d)
            total_scaled_down += scale_down
        return total_scaled_down

    # ---- recreate.go ------------------------------------------------------------

    def _rollout_recreate(self, d: dict, rs_list: list[dict], pod_map: dict[str, list[dict]]) -> None:
        # No new RS before the old ones are down, so nothing scales up before scaling down.
        new_rs, old_rss = self._get_all_replica_sets_and_sync_revision(d, rs_list, False)
        all_rss = old_rss + [new_rs]

        scaled_down = False
        for rs in du.filter_active(old_rss):
            scaled, _ = self._scale_replica_set_and_record_event(rs, 0, d)
            scaled_down = scaled_down or scaled
        if scaled_down:
            self._sync_rollout_status(all_rss, new_rs, d)
            return

        if _old_pods_running(new_rs, old_rss, pod_map):
            self._sync_rollout_status(all_rss, new_rs, d)
            return

        if new_rs is None:
            new_rs, old_rss = self._get_all_replica_sets_and_sync_revision(d, rs_list, True)
            all_rss = old_rss + [new_rs]

        self._scale_replica_set_and_record_event(new_rs, du.spec_replicas(d), d)

        if du.deployment_complete(d, d.get("status") or {}):
            self._cleanup_deployment(old_rss, d)

        self._sync_rollout_status(all_rss, new_rs, d)

    # ---- progress.go ------------------------------------------------------------

    def _sync_rollout_status(self, all_rss: list[dict | None], new_rs: dict | None, d: dict) -> None:
        new_status = self._calculate_status(all_rss, new_rs, d)
        name = d["metadata"]["name"]
        has_deadline = du.has_progress_deadline(d)
        if not has_deadline:
            du.remove_condition(new_status, du.PROGRESSING)

        current = du.get_condition(d.get("status"), du.PROGRESSING)
        # A finished rollout being resynced: no progress to estimate.
        is_complete = (
            int(new_status.get("replicas") or 0) == int(new_status.get("updatedReplicas") or 0)
            and current is not None
            and current.get("reason") == du.NEW_RS_AVAILABLE_REASON
        )
        if has_deadline and not is_complete:
            if du.deployment_complete(d, new_status):
                msg = (f'ReplicaSet "{new_rs["metadata"]["name"]}" has successfully progressed.' if new_rs is not None
                       else f'Deployment "{name}" has successfully progressed.')
                du.set_condition(new_status, du.new_condition(
                    self.clock, du.PROGRESSING, "True", du.NEW_RS_AVAILABLE_REASON, msg))
            elif du.deployment_progressing(d, new_status):
                msg = (f'ReplicaSet "{new_rs["metadata"]["name"]}" is progressing.' if new_rs is not None
                       else f'Deployment "{name}" is progressing.')
                condition = du.new_condition(self.clock, du.PROGRESSING, "True", du.REPLICA_SET_UPDATED_REASON, msg)
                # Same reason, but lastUpdateTime moves on every sign of progress.
                if current is not None:
                    if current.get("status") == "True":
                        condition["lastTransitionTime"] = current.get("lastTransitionTime")
                    du.remove_condition(new_status, du.PROGRESSING)
                du.set_condition(new_status, condition)
            elif du.deployment_timed_out(self.clock, d, new_status):
                msg = (f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.' if new_rs is not None
                       else f'Deployment "{name}" has timed out progressing.')
                du.set_condition(new_status, du.new_condition(
                    self.clock, du.PROGRESSING, "False", du.TIMED_OUT_REASON, msg))

        failures = _replica_failures(all_rss, new_rs)
        if failures:
            du.set_condition(new_status, failures[0])
        else:
            du.remove_condition(new_status, du.REPLICA_FAILURE)

        if (d.get("status") or {}) == new_status:
            self._requeue_stuck_deployment(d, new_status)
            return
        d["status"] = new_status
        self._update_status(d)

    def _requeue_stuck_deployment(self, d: dict, new_status: dict) -> None:
        """Come back when the progress deadline would pass, so the timeout shows on time."""
        current = du.get_condition(d.get("status"), du.PROGRESSING)
        if not du.has_progress_deadline(d) or current is None:
            return
        if du.deployment_complete(d, new_status) or current.get("reason") == du.TIMED_OUT_REASON:
            return
        since = du.seconds_since_progress(self.clock, current)
        if since is None:
            return
        after = int(d["spec"]["progressDeadlineSeconds"]) - since
        key = (d["metadata"]["namespace"], d["metadata"]["name"])
        # Less than a second left: check again shortly; otherwise a second past the deadline.
        self._schedule_progress_check(key, 1.0 if after < 1 else after + 1)

    def _schedule_progress_check(self, key: Key, sim_seconds: float) -> None:
        speed = getattr(self.clock, "speed", 1.0) or 1.0
        now = self.clock.now()
        due = now + sim_seconds / speed
        pending = self._progress_checks.get(key)
        if pending is not None and now <= pending <= due:
            return  # an earlier check is queued; it will requeue again if needed

        def fire() -> None:
            if self._progress_checks.get(key) == due:
                del self._progress_checks[key]
            self.enqueue(*key)

        self._progress_checks[key] = due
        self.clock.after(sim_seconds, fire)

    # ---- rollback.go (the deprecated rollbackTo, round-tripped as an annotation) ----

    def _rollback(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, all_old = self._get_all_replica_sets_and_sync_revision(d, rs_list, True)
        all_rss = all_old + [new_rs]
        to_revision = _get_rollback_to(d)
        if to_revision == 0:
            to_revision = du.last_revision(all_rss)
            if to_revision == 0:
                self.recorder.event(d, WARNING, du.ROLLBACK_REVISION_NOT_FOUND, "Unable to find last revision.")
                self._update_deployment_and_clear_rollback_to(d)
                return
        for rs in all_rss:
            if rs is None:
                continue
            try:
                v = du.revision(rs)
            except ValueError:
                continue
            if v == to_revision:
                if self._rollback_to_template(d, rs):
                    self.recorder.event(d, NORMAL, du.ROLLBACK_DONE,
                                        f'Rolled back deployment "{d["metadata"]["name"]}" to revision {to_revision}')
                return
        self.recorder.event(d, WARNING, du.ROLLBACK_REVISION_NOT_FOUND, "Unable to find the revision to rollback to.")
        self._update_deployment_and_clear_rollback_to(d)

    def _rollback_to_template(self, d: dict, rs: dict) -> bool:
        performed = False
        if not du.equal_ignore_hash(d["spec"].get("template"), rs.get("spec", {}).get("template")):
            du.set_from_replica_set_template(d, rs["spec"]["template"])
            # The RS's annotations (change-cause...) come back with its template.
            du.set_deployment_annotations_to(d, rs)
            performed = True
        else:
            name = d["metadata"]["name"]
            self.recorder.event(d, WARNING, du.ROLLBACK_TEMPLATE_UNCHANGED,
                                f'The rollback revision contains the same template as current deployment "{name}"')
        self._update_deployment_and_clear_rollback_to(d)
        return performed

    def _update_deployment_and_clear_rollback_to(self, d: dict) -> None:
        ann = d["metadata"].get("annotations") or {}
        ann.pop(du.ROLLBACK_TO_ANNOTATION, None)
        self._update_deployment(d)


# ---- module helpers ------------------------------------------------------------


def _get_rollback_to(d: dict) -> int | None:
    value = du.annotations(d).get(du.ROLLBACK_TO_ANNOTATION)
    if not value:
        return None
    try:
        return int(value, 10)
    except ValueError:
        return None  # invalid: ignored


def _set_min_ready_seconds(rs: dict, value: int) -> None:
    if value:
        rs["spec"]["minReadySeconds"] = value
    else:
        rs["spec"].pop("minReadySeconds", None)


def _old_pods_running(new_rs: dict | None, old_rss: list[dict], pod_map: dict[str, list[dict]]) -> bool:
    """Whether old pods still run, or an old RS still thinks it has some."""
    if du.actual_replica_count(old_rss) > 0:
        return True
    new_uid = new_rs["metadata"]["uid"] if new_rs is not None else None
    for rs_uid, pods in pod_map.items():
        if rs_uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
                continue  # terminal pods do not count
            return True  # Pending, Running, Unknown or terminating
    return False


def _replica_failures(all_rss: list[dict | None], new_rs: dict | None) -> list[dict]:
    """ReplicaFailure conditions of the RSs, the new RS's first."""
    conditions = []
    if new_rs is not None:
        for c in (new_rs.get("status") or {}).get("conditions") or ():
            if c.get("type") == du.REPLICA_FAILURE:
                conditions.append(du.replica_set_to_deployment_condition(c))
    if conditions:
        return conditions
    for rs in all_rss:
        if rs is None:
            continue
        for c in (rs.get("status") or {}).get("conditions") or ():
            if c.get("type") == du.REPLICA_FAILURE:
                conditions.append(du.replica_set_to_deployment_condition(c))
    return conditions
