"""Field selectors: which fields each resource can be selected by, and their values."""

from __future__ import annotations

from . import errors
from .resources import EVENT, EVENTS_V1, NAMESPACE, NODE, POD, REPLICASET, SECRET, ResourceType
from .selectors import FieldSelector


def _path(obj: dict, dotted: str) -> str:
    value: object = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_EVENT_FIELDS = (
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
    "reason", "reportingComponent", "source", "type",
)
# events.k8s.io names the same fields differently; they are stored as core events.
_EVENTS_V1_ALIASES = {
    "regarding." + f.split(".", 1)[1]: f for f in _EVENT_FIELDS if f.startswith("involvedObject.")
} | {"reportingController": "reportingComponent", "deprecatedSource": "source"}

_EXTRA: dict[ResourceType, tuple[str, ...]] = {
    POD: ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
          "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    EVENT: _EVENT_FIELDS,
    EVENTS_V1: _EVENT_FIELDS + tuple(_EVENTS_V1_ALIASES),
    SECRET: ("type",),
    REPLICASET: ("status.replicas",),
    NODE: ("spec.unschedulable",),
    NAMESPACE: ("status.phase",),
}


def supported(rt: ResourceType) -> tuple[str, ...]:
    return ("metadata.name", "metadata.namespace") + _EXTRA.get(rt, ())


def check_supported(rt: ResourceType, selector: FieldSelector) -> None:
    allowed = supported(rt)
    for key in sorted(selector.keys):
        if key not in allowed:
            raise errors.bad_request(f'field label not supported: {key}')


def field_set(rt: ResourceType, obj: dict) -> dict[str, str]:
    """The selectable fields of a stored object (events are stored in core form)."""
    values = {name: _path(obj, name) for name in supported(rt) if name not in _EVENTS_V1_ALIASES}
    if rt is EVENT or rt is EVENTS_V1:
        values["source"] = obj.get("source", {}).get("component", "") or obj.get("reportingComponent", "")
    if rt is EVENTS_V1:
        values.update({alias: values[core] for alias, core in _EVENTS_V1_ALIASES.items()})
    return values
