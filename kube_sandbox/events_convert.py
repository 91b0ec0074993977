"""core/v1 Event <-> events.k8s.io/v1 Event: one storage, two views (as upstream)."""

from __future__ import annotations

# (core/v1 field, events.k8s.io/v1 field)
_RENAMES = (
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("reportingComponent", "reportingController"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
)
_SHARED = ("metadata", "reason", "type", "eventTime", "series", "action", "related", "reportingInstance")


def event_to_v1(core: dict) -> dict:
    out = {"kind": "Event", "apiVersion": "events.k8s.io/v1"}
    for name in _SHARED:
        if core.get(name) is not None:
            out[name] = core[name]
    for old, new in _RENAMES:
        if core.get(old) not in (None, "", 0, {}):
            out[new] = core[old]
    return out


def event_from_v1(v1: dict) -> dict:
    if v1.get("apiVersion") != "events.k8s.io/v1":
        return v1
    out = {"kind": "Event", "apiVersion": "v1"}
    for name in _SHARED:
        if v1.get(name) is not None:
            out[name] = v1[name]
    for old, new in _RENAMES:
        if v1.get(new) is not None:
            out[old] = v1[new]
    return out
