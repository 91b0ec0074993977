"""The apiserver's registry layer: what happens to an object on each verb.

Metadata the server owns (uid, resourceVersion, generation, timestamps),
defaulting, validation, optimistic concurrency, status and scale
subresources, graceful deletion and finalizers, dryRun. The HTTP layer and
the controllers both go through here, so a Pod made by the ReplicaSet
controller is defaulted exactly like one posted by kubectl.
"""

from __future__ import annotations

import ipaddress
import secrets as _secrets
import uuid

from . import errors, fields
from .clock import Clock, rfc3339
from .defaults import apply_defaults
from .events_convert import event_from_v1, event_to_v1
from .fieldmanager import ApplyConflict, record_update, server_side_apply
from .jsoncopy import clone
from .patch import STRATEGIC_KINDS, PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch
from .resources import EVENTS_V1, NAMESPACE, POD, SERVICE, ResourceType
from .selectors import FieldSelector, LabelSelector
from .store import Storage
from .validation import invalid_status, validate

# generateName suffixes and pod-name suffixes use this alphabet (no vowels, no 0/1/3).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)


def random_suffix(n: int = 5) -> str:
    return "".join(_secrets.choice(NAME_ALPHABET) for _ in range(n))


def _is_deleted_status(rt: ResourceType, name: str, uid: str) -> dict:
    details = {"name": name, "kind": rt.plural, "uid": uid}
    if rt.group:
        details["group"] = rt.group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


class Api:
    def __init__(self, storage: Storage, clock: Clock):
        self.storage = storage
        self.clock = clock
        self._service_ips = (str(ip) for ip in ipaddress.ip_network("10.96.0.0/16").hosts())
        next(self._service_ips)  # 10.96.0.1 is the kubernetes Service's, as on a real cluster

    # ---- reads -----------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict:
        obj = self.storage.get(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rt, name)
        return self._present(rt, obj)

    def list(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        labels: LabelSelector | None = None,
        field_selector: FieldSelector | None = None,
    ) -> list[dict]:
        if field_selector is not None:
            fields.check_supported(rt, field_selector)
        found = []
        for obj in self.storage.items(rt.key, namespace if rt.namespaced else None):
            if labels is not None and not labels.matches(obj["metadata"].get("labels")):
                continue
            if field_selector is not None and not field_selector.matches(fields.field_set(rt, obj)):
                continue
            found.append(self._present(rt, obj))
        return found

    def _present(self, rt: ResourceType, obj: dict) -> dict:
        return event_to_v1(obj) if rt is EVENTS_V1 else obj

    # ---- create ----------------------------------------------------------

    def create(
        self, rt: ResourceType, namespace: str, body: dict, *, dry_run: bool = False, manager: str | None = None
    ) -> dict:
        obj = self._decode(rt, body)
        meta = obj.setdefault("metadata", {})
        if rt.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
            self._require_namespace(rt, namespace, meta.get("name") or meta.get("generateName", ""))
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        now = rfc3339(self.clock.now())
        for owned in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(owned, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now
        if rt.tracks_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        self._reset_status_on_create(rt, obj)
        apply_defaults(rt.group, obj["kind"], obj)
        self._allocate(rt, obj)
        self._validate(rt, obj, None)
        name = meta.get("name", "")
        if self.storage.get(rt.key, meta.get("namespace", ""), name) is not None:
            raise errors.already_exists(rt, name)
        record_update(None, obj, manager or "unknown", now=now, api_version=rt.group_version)
        if dry_run:
            return self._present(rt, obj)
        return self._present(rt, self.storage.put(rt.key, obj))

    def _reset_status_on_create(self, rt: ResourceType, obj: dict) -> None:
        if rt is POD:
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        elif rt is NAMESPACE:
            obj["status"] = {"phase": "Active"}
        elif rt.has_status and rt is not SERVICE:
            obj["status"] = {}

    def _allocate(self, rt: ResourceType, obj: dict) -> None:
        if rt is SERVICE:
            spec = obj.setdefault("spec", {})
            if spec.get("type", "ClusterIP") != "ExternalName" and not spec.get("clusterIP"):
                spec["clusterIP"] = next(self._service_ips)
            if spec.get("clusterIP") and "clusterIPs" not in spec:
                spec["clusterIPs"] = [spec["clusterIP"]]
            obj.setdefault("status", {"loadBalancer": {}})

    def _require_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self.storage.get(NAMESPACE.key, "", namespace)
        if ns is None:
            raise errors.not_found(NAMESPACE, namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden(
                rt, name, f"unable to create new content in namespace {namespace} because it is being terminated"
            )

    # ---- update ----------------------------------------------------------

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: dict,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        manager: str | None = None,
    ) -> dict:
        ns = namespace if rt.namespaced else ""
        old = self.storage.get(rt.key, ns, name)
        if old is None:
            raise errors.not_found(rt, name)
        new = self._decode(rt, body)
        meta = new.setdefault("metadata", {})
        if meta.get("name") not in (None, name):
            raise errors.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})")
        if rt.namespaced and meta.get("namespace") not in (None, "", namespace):
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        sent_rv = meta.get("resourceVersion")
        if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, name, errors.STALE)
        merged = self._merge_for_subresource(rt, old, new, subresource)
        return self._store_update(rt, old, merged, dry_run=dry_run, manager=manager, subresource=subresource)

    def _merge_for_subresource(self, rt: ResourceType, old: dict, new: dict, subresource: str | None) -> dict:
        """Status writes touch only status; main writes leave status alone."""
        if subresource == "status":
            # Status strategies keep the old spec and labels but take other
            # metadata: the deployment controller sets its revision annotation so.
            merged = clone(old)
            merged["status"] = new.get("status", {})
            annotations = new.get("metadata", {}).get("annotations")
            if annotations:
                merged["metadata"]["annotations"] = annotations
            else:
                merged["metadata"].pop("annotations", None)
            return merged
        if rt.has_status and "status" in old:
            new["status"] = clone(old["status"])
        return new

    def _store_update(
        self,
        rt: ResourceType,
        old: dict,
        new: dict,
        *,
        dry_run: bool = False,
        manager: str | None = None,
        subresource: str | None = None,
        operation: str = "Update",
    ) -> dict:
        meta = new["metadata"]
        old_meta = old["metadata"]
        for owned in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if owned in old_meta:
                meta[owned] = old_meta[owned]
            else:
                meta.pop(owned, None)
        meta["name"] = old_meta["name"]
        if rt.namespaced:
            meta["namespace"] = old_meta["namespace"]
        if rt.tracks_generation:
            changed = new.get("spec") != old.get("spec")
            meta["generation"] = old_meta.get("generation", 1) + (1 if changed else 0)
        apply_defaults(rt.group, new["kind"], new)
        if rt is SERVICE:
            self._keep_cluster_ip(old, new)
        self._validate(rt, new, old)
        if _same(old, new):
            # A no-op write does not bump the resourceVersion or notify watchers.
            return self._present(rt, old)
        if operation == "Update":
            record_update(old, new, manager or "unknown", now=rfc3339(self.clock.now()),
                          api_version=rt.group_version, subresource=subresource or "")
        if dry_run:
            meta["resourceVersion"] = old_meta["resourceVersion"]
            return self._present(rt, new)
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and not self._awaits_kubelet(rt, new):
            self.storage.remove(rt.key, new)
            return self._present(rt, new)
        meta.pop("resourceVersion", None)
        return self._present(rt, self.storage.put(rt.key, new))

    def _keep_cluster_ip(self, old: dict, new: dict) -> None:
        spec, old_spec = new.setdefault("spec", {}), old.get("spec", {})
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
            spec["clusterIPs"] = old_spec.get("clusterIPs", [old_spec["clusterIP"]])

    def _awaits_kubelet(self, rt: ResourceType, obj: dict) -> bool:
        """A bound pod deleted gracefully stays until its kubelet confirms."""
        meta = obj["metadata"]
        return rt is POD and bool(obj.get("spec", {}).get("nodeName")) and meta.get("deletionGracePeriodSeconds", 0) > 0

    # ---- patch -----------------------------------------------------------

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        patch_type: str,
        body,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        manager: str | None = None,
        force: bool = False,
    ) -> dict:
        ns = namespace if rt.namespaced else ""
        old = self.storage.get(rt.key, ns, name)
        if patch_type == APPLY_PATCH:
            return self._apply(rt, namespace, name, old, body, subresource, dry_run, manager, force)
        if old is None:
            raise errors.not_found(rt, name)
        current = self._present(rt, old)
        try:
            if patch_type == JSON_PATCH:
                patched = apply_json_patch(current, body)
            elif patch_type == MERGE_PATCH:
                patched = apply_merge_patch(current, body)
            elif patch_type == STRATEGIC_PATCH:
                if current.get("kind") not in STRATEGIC_KINDS:
                    raise errors.unsupported_media_type(patch_type)
                patched = apply_strategic_merge_patch(current, body, current["kind"])
            else:
                raise errors.unsupported_media_type(patch_type)
        except PatchError as exc:
            raise errors.ApiError(exc.code, exc.reason, exc.message) from None
        patched = self._decode(rt, patched)
        sent_rv = patched.get("metadata", {}).get("resourceVersion")
        if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, name, errors.STALE)
        merged = self._merge_for_subresource(rt, old, patched, subresource)
        return self._store_update(rt, old, merged, dry_run=dry_run, manager=manager, subresource=subresource)

    def _apply(self, rt, namespace, name, old, body, subresource, dry_run, manager, force) -> dict:
        if not manager:
            raise errors.bad_request("PATCH, application/apply-patch+yaml requires fieldManager parameter")
        if not isinstance(body, dict):
            raise errors.bad_request("the apply configuration is not an object")
        meta = body.get("metadata") or {}
        if meta.get("name") not in (None, name):
            raise errors.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})")
        now = rfc3339(self.clock.now())
        try:
            merged = server_side_apply(old, body, manager=manager, force=force, now=now, api_version=rt.group_version)
        except ApplyConflict as exc:
            raise errors.ApiError(409, "Conflict", str(exc), {"causes": exc.causes}) from None
        except PatchError as exc:
            raise errors.ApiError(exc.code, exc.reason, exc.message) from None
        if old is None:
            merged.setdefault("metadata", {})["name"] = name
            return self._create_applied(rt, namespace, merged, dry_run)
        merged = self._merge_for_subresource(rt, old, merged, subresource)
        return self._store_update(rt, old, merged, dry_run=dry_run, operation="Apply")

    def _create_applied(self, rt: ResourceType, namespace: str, obj: dict, dry_run: bool) -> dict:
        managed = obj["metadata"].get("managedFields")
        created = self.create(rt, namespace, obj, dry_run=True)
        created["metadata"]["managedFields"] = managed
        if dry_run:
            return created
        return self._present(rt, self.storage.put(rt.key, created))

    # ---- delete ----------------------------------------------------------

    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        *,
        propagation: str | None = None,
        grace_period: int | None = None,
        preconditions: dict | None = None,
        dry_run: bool = False,
    ) -> dict:
        ns = namespace if rt.namespaced else ""
        old = self.storage.get(rt.key, ns, name)
        if old is None:
            raise errors.not_found(rt, name)
        self._check_preconditions(rt, old, preconditions or {})
        if propagation not in (None, "Background", "Foreground", "Orphan"):
            raise errors.ApiError(422, "Invalid", f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "{propagation}": supported values: "Foreground", "Background", "Orphan", "nil"')
        obj = clone(old)
        meta = obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        elif propagation == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        grace = self._grace_period(rt, old, grace_period)
        if meta.get("deletionTimestamp"):
            # Already terminating: only a shorter grace period changes anything.
            if grace is not None and grace < meta.get("deletionGracePeriodSeconds", 0):
                meta["deletionGracePeriodSeconds"] = grace
                return self._write_deleting(rt, obj, dry_run)
            return self._present(rt, old)
        if grace or finalizers:
            meta["deletionTimestamp"] = rfc3339(self.clock.now() + (grace or 0))
            meta["deletionGracePeriodSeconds"] = grace or 0
            meta["finalizers"] = finalizers
            if rt.tracks_generation:
                meta["generation"] = meta.get("generation", 1) + 1
            return self._write_deleting(rt, obj, dry_run)
        if dry_run:
            return self._present(rt, old)
        self.storage.remove(rt.key, old)
        return _is_deleted_status(rt, name, meta["uid"])

    def _write_deleting(self, rt: ResourceType, obj: dict, dry_run: bool) -> dict:
        if dry_run:
            return self._present(rt, obj)
        if not obj["metadata"].get("finalizers") and not self._awaits_kubelet(rt, obj):
            self.storage.remove(rt.key, obj)
            return self._present(rt, obj)
        obj["metadata"].pop("resourceVersion", None)
        return self._present(rt, self.storage.put(rt.key, obj))

    def _grace_period(self, rt: ResourceType, obj: dict, requested: int | None) -> int | None:
        """Only pods bound to a node terminate gracefully, as with a real kubelet."""
        if rt is not POD or not obj.get("spec", {}).get("nodeName"):
            return None
        if obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is None:
            requested = obj["spec"].get("terminationGracePeriodSeconds", 30)
        return max(0, int(requested))

    def _check_preconditions(self, rt: ResourceType, obj: dict, pre: dict) -> None:
        meta = obj["metadata"]
        if pre.get("uid") and pre["uid"] != meta["uid"]:
            raise errors.conflict(rt, meta["name"], f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {meta['uid']}")
        if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
            raise errors.conflict(
                rt,
                meta["name"],
                f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, ResourceVersion in object meta: {meta['resourceVersion']}",
            )

    def finish_deletion(self, rt: ResourceType, obj: dict) -> None:
        """The kubelet's final delete of a terminated pod (grace period 0)."""
        current = self.storage.get(rt.key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if current is None or current["metadata"]["uid"] != obj["metadata"]["uid"]:
            return
        if current["metadata"].get("finalizers"):
            updated = clone(current)
            updated["metadata"]["deletionGracePeriodSeconds"] = 0
            updated["metadata"].pop("resourceVersion", None)
            self.storage.put(rt.key, updated)
        else:
            self.storage.remove(rt.key, current)

    # ---- helpers ---------------------------------------------------------

    def _decode(self, rt: ResourceType, body) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("the object provided is not a JSON object")
        obj = clone(body)
        if rt is EVENTS_V1:
            obj = event_from_v1(obj)
            want_api, want_kind = "v1", "Event"
        else:
            want_api, want_kind = rt.group_version, rt.kind
        kind = obj.get("kind") or want_kind
        api_version = obj.get("apiVersion") or want_api
        if (api_version, kind) != (want_api, want_kind) and rt is not EVENTS_V1:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version ({want_api})"
                if api_version != want_api
                else f"{kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: no kind \"{kind}\" is registered"
            )
        obj["kind"], obj["apiVersion"] = want_kind, want_api
        if not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: metadata must be an object")
        return obj

    def _validate(self, rt: ResourceType, obj: dict, old: dict | None) -> None:
        kind = "Event" if rt is EVENTS_V1 else rt.kind
        problems = validate(rt.group if rt is not EVENTS_V1 else "", kind, obj, old)
        if problems:
            status = invalid_status(rt.group, rt.kind, obj["metadata"].get("name", ""), problems)
            raise errors.ApiError(422, "Invalid", status["message"], status.get("details"))


def _same(old: dict, new: dict) -> bool:
    """Equal but for what the server itself rewrites on every write."""
    def strip(obj: dict) -> dict:
        meta = {k: v for k, v in obj["metadata"].items() if k not in ("resourceVersion", "managedFields")}
        return {**obj, "metadata": meta}
    return strip(old) == strip(new)
