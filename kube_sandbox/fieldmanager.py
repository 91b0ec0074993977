"""managedFields and server-side apply, simplified.

A field set is a set of paths; a path is a tuple of elements in fieldsV1's own
spelling: `f:<field>` for a map field, `k:{"name":"web"}` for an element of a
keyed list, `v:"x"` for a member of a set-like list of strings. Keyed lists
are recognised by their elements' key fields (name, containerPort, ...), which
covers the built-in types' listMapKeys without carrying the OpenAPI schema.

Apply merges the configuration into the live object, removes the fields this
manager applied before and no longer applies (unless someone else owns them),
and reports conflicts with other managers unless forced, as the apiserver does.
"""

from __future__ import annotations

import json
from typing import Any

from .jsoncopy import clone

# Tried in order: the first key(s) every element has names the element.
_LIST_KEYS = (
    ("containerPort", "protocol"),
    ("port", "protocol"),
    ("name",),
    ("mountPath",),
    ("devicePath",),
    ("type",),
    ("uid",),
    ("ip",),
    ("topologyKey", "whenUnsatisfiable"),
    ("resourceName",),
)
# Lists of strings the apiserver treats as sets.
_SET_LISTS = {"finalizers"}
# Server-owned metadata, never owned by a manager.
_SKIP_META = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}

Path = tuple[str, ...]


class ApplyConflict(Exception):
    def __init__(self, message: str, causes: list[dict]):
        super().__init__(message)
        self.causes = causes


def _list_key(items: list) -> tuple[str, ...] | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for keys in _LIST_KEYS:
        if all(keys[0] in i for i in items):
            return tuple(k for k in keys if all(k in i for i in items))
    return None


def _key_element(item: dict, keys: tuple[str, ...]) -> str:
    return "k:" + json.dumps({k: item[k] for k in keys}, separators=(",", ":"), sort_keys=True)


def fieldset(obj: Any, prefix: Path = ()) -> set[Path]:
    """Every leaf and keyed element path in `obj`."""
    paths: set[Path] = set()
    if isinstance(obj, dict):
        for name, value in obj.items():
            if not prefix and name in ("apiVersion", "kind"):
                continue
            if prefix == ("f:metadata",) and name in _SKIP_META:
                continue
            path = prefix + (f"f:{name}",)
            child = fieldset(value, path)
            paths |= child if child else {path}
    elif isinstance(obj, list):
        keys = _list_key(obj)
        if keys:
            for item in obj:
                element = prefix + (_key_element(item, keys),)
                paths.add(element + (".",))
                paths |= fieldset(item, element)
        elif prefix and prefix[-1][2:] in _SET_LISTS and all(isinstance(i, str) for i in obj):
            paths |= {prefix + ("v:" + json.dumps(i),) for i in obj}
        elif prefix:
            paths.add(prefix)
    return paths


def to_fields_v1(paths: set[Path]) -> dict:
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return tree


def from_fields_v1(tree: dict, prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    for element, child in tree.items():
        path = prefix + (element,)
        paths |= from_fields_v1(child, path) if child else {path}
    return paths


def _lookup(obj: Any, path: Path) -> Any:
    for element in path:
        if element == ".":
            continue
        kind, _, rest = element.partition(":")
        if kind == "f" and isinstance(obj, dict):
            obj = obj.get(rest)
        elif kind == "k" and isinstance(obj, list):
            want = json.loads(rest)
            obj = next((i for i in obj if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())), None)
        elif kind == "v" and isinstance(obj, list):
            value = json.loads(rest)
            obj = value if value in obj else None
        else:
            return None
        if obj is None:
            return None
    return obj


def _remove(obj: Any, path: Path) -> None:
    if path and path[-1] == ".":
        path = path[:-1]
    parent = _lookup(obj, path[:-1])
    kind, _, rest = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind == "k" and isinstance(parent, list):
        want = json.loads(rest)
        parent[:] = [i for i in parent if not (isinstance(i, dict) and all(i.get(k) == v for k, v in want.items()))]
    elif kind == "v" and isinstance(parent, list):
        value = json.loads(rest)
        parent[:] = [i for i in parent if i != value]


def merge(live: Any, config: Any) -> Any:
    """Apply's merge: maps recursively, keyed lists by key, other lists replaced."""
    if isinstance(live, dict) and isinstance(config, dict):
        out = dict(live)
        for name, value in config.items():
            out[name] = merge(live.get(name), value) if name in live else clone(value)
        return out
    if isinstance(live, list) and isinstance(config, list):
        keys = _list_key(live + config)
        if keys:
            out = [clone(i) for i in live]
            index = {_key_element(i, keys): n for n, i in enumerate(out)}
            for item in config:
                k = _key_element(item, keys)
                if k in index:
                    out[index[k]] = merge(out[index[k]], item)
                else:
                    out.append(clone(item))
            return out
    return clone(config)


def _entries(obj: dict | None) -> list[dict]:
    return clone((obj or {}).get("metadata", {}).get("managedFields") or [])


def _entry(manager: str, operation: str, api_version: str, now: str, paths: set[Path], subresource: str) -> dict:
    entry = {"manager": manager, "operation": operation, "apiVersion": api_version, "time": now,
             "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def _replace_entry(entries: list[dict], new: dict) -> list[dict]:
    same = (new["manager"], new["operation"], new.get("subresource", ""))
    kept = [e for e in entries if (e["manager"], e["operation"], e.get("subresource", "")) != same]
    return kept + ([new] if new["fieldsV1"] else [])


def _without(entries: list[dict], paths: set[Path]) -> list[dict]:
    """Take `paths` away from every entry (a new writer owns them now)."""
    out = []
    for e in entries:
        owned = from_fields_v1(e.get("fieldsV1") or {}) - paths
        if owned:
            out.append({**e, "fieldsV1": to_fields_v1(owned)})
    return out


def _skipped(prefix: Path, name: str) -> bool:
    return (not prefix and name in ("apiVersion", "kind")) or (prefix == ("f:metadata",) and name in _SKIP_META)


def _subtree(value: Any, path: Path) -> set[Path]:
    return fieldset(value, path) or {path}


def diff(old: Any, new: Any, prefix: Path = ()) -> tuple[set[Path], set[Path]]:
    """(paths set or changed in `new`, subtrees gone from `old`), walking only what differs."""
    changed: set[Path] = set()
    removed: set[Path] = set()
    if old == new:
        return changed, removed
    if isinstance(old, dict) and isinstance(new, dict):
        for name, value in new.items():
            if _skipped(prefix, name):
                continue
            path = prefix + (f"f:{name}",)
            if name not in old:
                changed |= _subtree(value, path)
            elif old[name] != value:
                c, r = diff(old[name], value, path)
                changed |= c
                removed |= r
        removed |= {prefix + (f"f:{name}",) for name in old.keys() - new.keys() if not _skipped(prefix, name)}
        return changed, removed
    if isinstance(old, list) and isinstance(new, list) and prefix:
        keys = _list_key(old + new)
        if keys:
            before = {_key_element(i, keys): i for i in old}
            after = {_key_element(i, keys): i for i in new}
            for k, item in after.items():
                element = prefix + (k,)
                if k not in before:
                    changed |= {element + (".",)} | fieldset(item, element)
                elif before[k] != item:
                    c, r = diff(before[k], item, element)
                    changed |= c
                    removed |= r
            removed |= {prefix + (k,) for k in before.keys() - after.keys()}
            return changed, removed
    if isinstance(old, (dict, list)) and old:
        removed.add(prefix)  # a structure replaced wholesale: its old parts are gone
    changed |= _subtree(new, prefix) if prefix else set()
    return changed, removed


def _owns_any(tree: dict, paths: set[Path]) -> bool:
    """Whether an entry's fieldsV1 tree owns any of `paths` or anything below one."""
    for path in paths:
        node = tree
        for element in path:
            if not node:  # a leaf owned atomically above the path
                break
            if element not in node:
                node = None
                break
            node = node[element]
        if node is not None:
            return True
    return False


def _prune(paths: set[Path], changed: set[Path], removed: set[Path]) -> set[Path]:
    return {p for p in paths if p not in changed and not any(p[: len(r)] == r for r in removed)}


def record_update(old: dict | None, new: dict, manager: str, *, now: str, api_version: str, subresource: str = "") -> None:
    """An Update operation owns the fields it changed or added; nobody keeps fields that are gone."""
    entries = _entries(old) if old else []
    changed, removed = diff(old or {}, new)
    if changed or removed:
        touched = changed | removed
        kept = []
        mine_paths: set[Path] = set()
        for e in entries:
            is_mine = (e["manager"], e["operation"], e.get("subresource", "")) == (manager, "Update", subresource)
            tree = e.get("fieldsV1") or {}
            if is_mine:
                mine_paths = _prune(from_fields_v1(tree), set(), removed)
            elif _owns_any(tree, touched):
                owned = _prune(from_fields_v1(tree), changed, removed)
                if owned:
                    kept.append({**e, "fieldsV1": to_fields_v1(owned)})
            else:
                kept.append(e)
        entries = _replace_entry(kept, _entry(manager, "Update", api_version, now, mine_paths | changed, subresource))
    if entries:
        new["metadata"]["managedFields"] = entries
    else:
        new["metadata"].pop("managedFields", None)


def server_side_apply(live: dict | None, config: dict, *, manager: str, force: bool, now: str, api_version: str) -> dict:
    applied = fieldset(config)
    entries = _entries(live)
    conflicts = []
    for e in entries:
        if e["manager"] == manager:
            continue
        for path in sorted(from_fields_v1(e.get("fieldsV1") or {}) & applied):
            if path[-1] != "." and _lookup(live, path) != _lookup(config, path):
                conflicts.append((e["manager"], e.get("apiVersion", api_version), path))
    if conflicts and not force:
        raise _conflict_error(conflicts)
    if conflicts:
        entries = _without(entries, {c[2] for c in conflicts})
    result = merge(live or {}, config)
    mine = next((e for e in entries if e["manager"] == manager and e["operation"] == "Apply"), None)
    others = set().union(*(from_fields_v1(e.get("fieldsV1") or {}) for e in entries if e is not mine))
    if mine:
        for path in sorted(from_fields_v1(mine["fieldsV1"]) - applied - others, key=len, reverse=True):
            _remove(result, path)
    result.setdefault("metadata", {})["managedFields"] = _replace_entry(
        entries, _entry(manager, "Apply", api_version, now, applied, "")
    )
    return result


def _conflict_error(conflicts: list[tuple[str, str, Path]]) -> ApplyConflict:
    def dotted(path: Path) -> str:
        return "".join("." + p[2:] if p.startswith("f:") else f"[{p[2:]}]" for p in path if p != ".")

    causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using {v}', "field": dotted(p)}
              for m, v, p in conflicts]
    if len(conflicts) == 1:
        m, v, p = conflicts[0]
        return ApplyConflict(f'Apply failed with 1 conflict: conflict with "{m}" using {v}: {dotted(p)}', causes)
    lines = "\n".join(f'- conflict with "{m}" using {v}: {dotted(p)}' for m, v, p in conflicts)
    return ApplyConflict(f"Apply failed with {len(conflicts)} conflicts:\n{lines}", causes)
