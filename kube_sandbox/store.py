"""In-memory storage with one resourceVersion counter and a watch log.

It plays etcd's part: it assigns resourceVersions, keeps a bounded window of
change events (older watches get 410 Gone, as after an etcd compaction) and
tells listeners about every change. It knows nothing of kinds or
validation; `api.py` does. Stored objects are never mutated in place: a
write stores a new dict, so readers may hold on to what they were given.
"""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(frozen=True)
class Change:
    type: str
    key: str  # storage key of the resource type, e.g. "deployments.apps"
    obj: dict
    rv: int

    @property
    def namespace(self) -> str:
        return self.obj["metadata"].get("namespace", "")

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]


class Expired(Exception):
    """The requested resourceVersion is older than the retained window."""


class Storage:
    def __init__(self, window: int = 20000):
        self.rv = 1
        self._objects: dict[str, dict[tuple[str, str], dict]] = defaultdict(dict)
        # Sorted keys per bucket, rebuilt only after an add or a removal.
        self._order: dict[str, list[tuple[str, str]]] = {}
        self._log: deque[Change] = deque(maxlen=window)
        self._listeners: list[Callable[[Change], None]] = []

    def get(self, key: str, namespace: str, name: str) -> dict | None:
        return self._objects[key].get((namespace, name))

    def items(self, key: str, namespace: str | None = None) -> Iterator[dict]:
        """Objects in key order (namespace, then name), like etcd's range reads."""
        bucket = self._objects[key]
        order = self._order.get(key)
        if order is None:
            order = self._order[key] = sorted(bucket)
        if namespace is not None:
            start = bisect.bisect_left(order, (namespace, ""))
            end = bisect.bisect_left(order, (namespace + "\0", ""))
            order = order[start:end]
        for ns_name in order:
            obj = bucket.get(ns_name)
            if obj is not None:
                yield obj

    def count(self, key: str) -> int:
        return len(self._objects[key])

    def put(self, key: str, obj: dict) -> dict:
        """Store `obj` (a new dict the caller gives up) with a fresh resourceVersion."""
        meta = obj["metadata"]
        ns_name = (meta.get("namespace", ""), meta["name"])
        kind = MODIFIED if ns_name in self._objects[key] else ADDED
        if kind == ADDED:
            self._order.pop(key, None)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self._objects[key][ns_name] = obj
        self._emit(Change(kind, key, obj, self.rv))
        return obj

    def remove(self, key: str, obj: dict) -> dict:
        """Delete; the DELETED event carries the object at a new resourceVersion."""
        meta = obj["metadata"]
        self._objects[key].pop((meta.get("namespace", ""), meta["name"]), None)
        self._order.pop(key, None)
        self.rv += 1
        gone = {**obj, "metadata": {**meta, "resourceVersion": str(self.rv)}}
        self._emit(Change(DELETED, key, gone, self.rv))
        return gone

    def changes_since(self, rv: int) -> list[Change]:
        """Every change strictly after `rv`; Expired if some were dropped."""
        if rv >= self.rv:
            return []
        oldest = self._log[0].rv if self._log else self.rv + 1
        if rv < oldest - 1:
            raise Expired(rv)
        return [c for c in self._log if c.rv > rv]

    def subscribe(self, listener: Callable[[Change], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, change: Change) -> None:
        self._log.append(change)
        for listener in list(self._listeners):
            listener(change)
