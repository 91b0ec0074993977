"""The garbage collector (pkg/controller/garbagecollector).

A graph of ownerReferences is kept up to date from storage changes (no
periodic scans): for each object its owners, and for each owner uid the
uids of its dependents. Then, as upstream:

* an object whose owners are all gone is deleted (background propagation,
  or the policy its own finalizers ask for); references to owners that are
  gone are removed from objects that still have a live owner;
* an owner being deleted with the `foregroundDeletion` finalizer gets its
  blocking dependents (blockOwnerDeletion) deleted first, and loses the
  finalizer once none is left;
* an owner being deleted with the `orphan` finalizer has its references
  removed from every dependent, then loses the finalizer.

Keys are (storage key, uid), so sync(storage_key, uid).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import errors
from ..jsoncopy import clone
from ..resources import EVENT, EVENTS_V1, RESOURCES, ResourceType, by_kind
from ..store import DELETED, Change
from .base import Controller, Key

MANAGER = "kube-controller-manager"
ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"


@dataclass(frozen=True)
class _Node:
    key: str
    namespace: str
    name: str
    uid: str
    owners: tuple[tuple[str, bool], ...]  # (owner uid, blockOwnerDeletion)
    refs: tuple[tuple[str, str], ...]  # (apiVersion, kind) per owner, for resolving unknown kinds
    deleting: bool
    finalizers: tuple[str, ...]

    @property
    def foreground(self) -> bool:
        return self.deleting and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.deleting and ORPHAN in self.finalizers

    @classmethod
    def of(cls, key: str, obj: dict) -> _Node:
        meta = obj["metadata"]
        refs = [r for r in meta.get("ownerReferences") or () if r.get("uid")]
        return cls(
            key=key,
            namespace=meta.get("namespace", ""),
            name=meta["name"],
            uid=meta["uid"],
            owners=tuple((r["uid"], bool(r.get("blockOwnerDeletion"))) for r in refs),
            refs=tuple((r.get("apiVersion", ""), r.get("kind", "")) for r in refs),
            deleting=bool(meta.get("deletionTimestamp")),
            finalizers=tuple(meta.get("finalizers") or ()),
        )


class GarbageCollector(Controller):
    name = "garbage-collector"

    def __init__(self, ctx):
        super().__init__(ctx)
        self._types: dict[str, ResourceType] = {
            rt.key: rt for rt in RESOURCES if rt is not EVENTS_V1 and rt is not EVENT
        }
        self._nodes: dict[str, _Node] = {}
        self._dependents: dict[str, set[str]] = {}
        for key in self._types:
            for obj in self.ctx.storage.items(key):
                self._observe(key, obj)

    # ---- the graph -------------------------------------------------------

    def _observe(self, key: str, obj: dict) -> tuple[_Node | None, _Node]:
        node = _Node.of(key, obj)
        old = self._nodes.get(node.uid)
        self._nodes[node.uid] = node
        old_owners = {uid for uid, _ in old.owners} if old else set()
        new_owners = {uid for uid, _ in node.owners}
        for owner in old_owners - new_owners:
            self._unlink(owner, node.uid)
        for owner in new_owners - old_owners:
            self._dependents.setdefault(owner, set()).add(node.uid)
        return old, node

    def _unlink(self, owner: str, dependent: str) -> None:
        deps = self._dependents.get(owner)
        if deps is not None:
            deps.discard(dependent)
            if not deps:
                del self._dependents[owner]

    def _key(self, node: _Node) -> Key:
        return (node.key, node.uid)

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key not in self._types:
            return []
        meta = change.obj["metadata"]
        uid = meta.get("uid")
        if not uid:
            return []
        keys: list[Key] = []
        if change.type == DELETED:
            old = self._nodes.pop(uid, None)
            if old is None:
                return []
            for owner, _ in old.owners:
                self._unlink(owner, uid)
                owner_node = self._nodes.get(owner)
                if owner_node is not None and owner_node.foreground:
                    keys.append(self._key(owner_node))  # one blocking dependent fewer
            for dependent in sorted(self._dependents.get(uid, ())):
                dep = self._nodes.get(dependent)
                if dep is not None:
                    keys.append(self._key(dep))  # its owner is gone
            return keys
        old, node = self._observe(change.key, change.obj)
        old_owners = dict(old.owners) if old else {}
        new_owners = dict(node.owners)
        if old_owners != new_owners:
            # An owner waiting for its dependents may have lost a blocking one.
            for owner in old_owners.keys() | new_owners.keys():
                if old_owners.get(owner) and not new_owners.get(owner):
                    owner_node = self._nodes.get(owner)
                    if owner_node is not None and owner_node.foreground:
                        keys.append(self._key(owner_node))
            if new_owners:
                keys.append(self._key(node))  # verify its owners exist
        if node.deleting and (node.foreground or node.orphaning):
            if old is None or not old.deleting or old.finalizers != node.finalizers:
                keys.append(self._key(node))
        return keys

    def all_keys(self) -> Iterable[Key]:
        return [self._key(n) for n in self._nodes.values() if n.owners or n.foreground or n.orphaning]

    # ---- sync ------------------------------------------------------------

    def sync(self, storage_key: str, uid: str) -> None:
        node = self._nodes.get(uid)
        if node is None:
            return
        obj = self.ctx.storage.get(storage_key, node.namespace, node.name)
        if obj is None or obj["metadata"]["uid"] != uid:
            return
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            finalizers = meta.get("finalizers") or ()
            if ORPHAN in finalizers:
                self._orphan_dependents(node, obj)
            elif FOREGROUND in finalizers:
                self._delete_dependents_first(node, obj)
            # Otherwise it is on its way out; its dependents are handled once it is gone.
            return
        if meta.get("ownerReferences"):
            self._attempt_to_delete(node, obj)

    # ---- attemptToDeleteItem ---------------------------------------------------

    def _attempt_to_delete(self, node: _Node, obj: dict) -> None:
        solid, dangling, waiting = [], [], []
        for ref in obj["metadata"].get("ownerReferences") or ():
            owner = self._nodes.get(ref.get("uid", ""))
            if owner is None:
                if by_kind(ref.get("apiVersion", ""), ref.get("kind", "")) is None:
                    solid.append(ref)  # a kind the sandbox does not serve: cannot tell, keep it
                else:
                    dangling.append(ref)
            elif owner.foreground:
                waiting.append(ref)
            else:
                solid.append(ref)
        if solid:
            if dangling or waiting:
                gone = {r.get("uid") for r in dangling + waiting}
                self._remove_owner_refs(node, gone)
            return
        if waiting and self._dependents.get(node.uid):
            # It has dependents of its own: let them go first.
            self._delete(node, "Foreground")
            return
        finalizers = obj["metadata"].get("finalizers") or ()
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        self._delete(node, policy)

    def _delete(self, node: _Node, policy: str) -> None:
        rt = self._types[node.key]
        try:
            self.api.delete(rt, node.namespace, node.name, propagation=policy, preconditions={"uid": node.uid})
        except errors.ApiError as exc:
            if exc.code not in (404, 409):
                raise

    # ---- foreground ------------------------------------------------------------

    def _delete_dependents_first(self, node: _Node, obj: dict) -> None:
        blocking = []
        for dependent in sorted(self._dependents.get(node.uid, ())):
            dep = self._nodes.get(dependent)
            if dep is not None and dict(dep.owners).get(node.uid):
                blocking.append(dep)
        if not blocking:
            self._remove_finalizer(node, FOREGROUND)
            return
        for dep in blocking:
            if not dep.foreground:
                self.enqueue(*self._key(dep))

    # ---- orphan ----------------------------------------------------------------

    def _orphan_dependents(self, node: _Node, obj: dict) -> None:
        for dependent in sorted(self._dependents.get(node.uid, ())):
            dep = self._nodes.get(dependent)
            if dep is not None:
                self._remove_owner_refs(dep, {node.uid})
        self._remove_finalizer(node, ORPHAN)

    # ---- writes ----------------------------------------------------------------

    def _remove_owner_refs(self, node: _Node, uids: set[str]) -> None:
        rt = self._types[node.key]
        current = self.ctx.storage.get(node.key, node.namespace, node.name)
        if current is None or current["metadata"]["uid"] != node.uid:
            return
        refs = current["metadata"].get("ownerReferences") or []
        kept = [r for r in refs if r.get("uid") not in uids]
        if len(kept) == len(refs):
            return
        updated = clone(current)
        if kept:
            updated["metadata"]["ownerReferences"] = kept
        else:
            updated["metadata"].pop("ownerReferences", None)
        updated["metadata"].pop("resourceVersion", None)
        try:
            self.api.update(rt, node.namespace, node.name, updated, manager=MANAGER)
        except errors.ApiError as exc:
            if exc.code != 404:
                raise

    def _remove_finalizer(self, node: _Node, finalizer: str) -> None:
        rt = self._types[node.key]
        current = self.ctx.storage.get(node.key, node.namespace, node.name)
        if current is None or current["metadata"]["uid"] != node.uid:
            return
        finalizers = current["metadata"].get("finalizers") or []
        if finalizer not in finalizers:
            return
        updated = clone(current)
        updated["metadata"]["finalizers"] = [f for f in finalizers if f != finalizer]
        updated["metadata"].pop("resourceVersion", None)
        try:
            self.api.update(rt, node.namespace, node.name, updated, manager=MANAGER)
        except errors.ApiError as exc:
            if exc.code != 404:
                raise
