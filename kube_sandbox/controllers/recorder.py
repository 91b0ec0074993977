"""Events as client-go's recorder writes them: core/v1, aggregated by count."""

from __future__ import annotations

from ..api import Api
from ..clock import rfc3339
from ..errors import ApiError
from ..jsoncopy import clone
from ..resources import EVENT

NORMAL, WARNING = "Normal", "Warning"


class EventRecorder:
    def __init__(self, api: Api, component: str, host: str = ""):
        self.api = api
        self.component = component
        self.host = host
        # (uid, reason, message) -> event name, to bump `count` like the correlator does.
        self._seen: dict[tuple[str, str, str], str] = {}

    def event(self, obj: dict, type_: str, reason: str, message: str, field_path: str = "") -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        now = self.api.clock.now()
        stamp = rfc3339(now)
        key = (meta.get("uid", ""), reason, message)
        existing = self._seen.get(key)
        if existing:
            try:
                current = self.api.get(EVENT, namespace, existing)
            except ApiError:
                current = None
            if current is not None:
                bumped = clone(current)
                bumped["count"] = bumped.get("count", 1) + 1
                bumped["lastTimestamp"] = stamp
                self.api.update(EVENT, namespace, existing, bumped, manager=self.component)
                return
        involved = {
            "kind": obj.get("kind"),
            "namespace": meta.get("namespace"),
            "name": meta["name"],
            "uid": meta.get("uid"),
            "apiVersion": obj.get("apiVersion"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        if field_path:
            involved["fieldPath"] = field_path
        nanos = int(now * 1e9)
        while self.api.storage.get(EVENT.key, namespace, f"{meta['name']}.{nanos:x}") is not None:
            nanos += 1  # two events for one object at one instant (a manual clock) must not collide
        name = f"{meta['name']}.{nanos:x}"
        source = {"component": self.component}
        if self.host:
            source["host"] = self.host
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {k: v for k, v in involved.items() if v},
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        try:
            self.api.create(EVENT, namespace, body, manager=self.component)
        except ApiError:
            return  # events are best effort, as in client-go
        self._seen[key] = name
