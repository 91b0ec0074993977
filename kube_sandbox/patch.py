"""PATCH bodies applied the way the apiserver applies them.

JSON patch (RFC 6902) and JSON merge patch (RFC 7386) follow the
gopkg.in/evanphx/json-patch.v4 library the apiserver uses; strategic merge
patch follows k8s.io/apimachinery/pkg/util/strategicpatch, driven by a small
declarative schema of the built-in kinds' `patchStrategy`/`patchMergeKey` tags.
Failures carry the status code, reason and message the apiserver answers with
(staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

import jsonpatch
import jsonpointer

from .jsoncopy import clone


class PatchError(Exception):
    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message


# errors.NewGenericServerResponse(422, ...) discards the library's own message for this sentence.
_REJECTED = "the server rejected our request due to an error in our request"


def _bad_request(message: str) -> PatchError:
    return PatchError(400, "BadRequest", message)


def _rejected() -> PatchError:
    return PatchError(422, "Invalid", _REJECTED)


def _internal(message: str) -> PatchError:
    # Errors the apiserver does not classify become a 500 whose reason is StatusReasonUnknown ("").
    return PatchError(500, "", message)


# ---- JSON patch -------------------------------------------------------------

MAX_JSON_PATCH_OPERATIONS = 10000


def apply_json_patch(obj: dict, ops: Any) -> dict:
    """Apply an RFC 6902 patch (already JSON-decoded) to a copy of obj."""
    if ops is None:  # JSON null decodes to an empty jsonpatch.Patch
        return clone(obj)
    if not isinstance(ops, list):
        raise _bad_request(f"json: cannot unmarshal {_json_type(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if op is not None and not isinstance(op, dict):
            raise _bad_request(f"json: cannot unmarshal {_json_type(op)} into Go value of type jsonpatch.Operation")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise PatchError(413, "RequestEntityTooLarge", "Request entity too large: The allowed maximum operations "
                         f"in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}")
    doc: Any = clone(obj)
    for op in clone(ops):  # values get spliced into doc: they must not alias the caller's patch
        if op is None:
            raise _rejected()  # json-patch finds no operation kind in it
        op = _as_upstream_applies(doc, op)
        if op is None:
            continue
        try:
            doc = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
            raise _rejected() from None
    return _require_object(doc)


def _as_upstream_applies(doc: Any, op: dict) -> dict | None:
    """The operation that makes the jsonpatch library act like json-patch v4, or None to skip it.

    v4 reads a missing object member as null: `replace` then adds the member and
    a `test` for null passes. kubectl rollout undo relies on the former when it
    replaces /metadata/annotations.
    """
    if op.get("op") not in ("replace", "test") or not isinstance(op.get("path"), str):
        return op
    try:
        parent, member = jsonpointer.JsonPointer(op["path"]).to_last(doc)
    except jsonpointer.JsonPointerException:
        return op
    if not isinstance(parent, dict) or member is None or member in parent:
        return op
    if op["op"] == "replace":
        return {**op, "op": "add"}
    return None if op.get("value") is None else op


# ---- JSON merge patch -------------------------------------------------------

def apply_merge_patch(obj: dict, patch: Any) -> dict:
    """Apply an RFC 7386 merge patch (already JSON-decoded) to a copy of obj."""
    if isinstance(patch, list):
        # json-patch returns the array itself; decoding that into an object then fails.
        return _require_object(_pruned(patch))
    if not isinstance(patch, dict):
        raise _bad_request("Invalid JSON Patch")
    return _merge_json(clone(obj), patch)


def _merge_json(target: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = _merge_json(target[key], value)
        else:
            target[key] = _pruned(value)
    return target


def _pruned(value: Any) -> Any:
    """A copy of merge patch content without null object members (json-patch's pruneNulls)."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


# The anonymous struct the apiserver's decoder reads apiVersion/kind into, as Go prints its type.
_KIND_PROBE = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'


def _require_object(result: Any) -> dict:
    """JSON and merge patches may produce any JSON value; only an object decodes into a resource."""
    if isinstance(result, dict):
        return result
    if isinstance(result, list):
        shown = json.dumps(json.dumps(result, separators=(",", ":")), ensure_ascii=False)
        raise PatchError(422, "Invalid", f' "" is invalid: patch: Invalid value: {shown}: couldn\'t get version/kind; '
                         f"json parse error: json: cannot unmarshal array into Go value of type {_KIND_PROBE}")
    raise _rejected()  # json-patch v4 refuses to replace the root with a scalar


# ---- strategic merge patch: schema ------------------------------------------

class _Field(NamedTuple):
    """A field's patch metadata: its struct tags plus the schema of what it holds."""

    strategy: str = ""  # "merge" (lists merge) or "replace" (maps are replaced); "" = maps merge, lists are replaced
    merge_key: str = ""  # identifies list elements that are objects; none for lists of scalars
    fields: Mapping[str, _Field] = MappingProxyType({})  # nested struct, or the list's element struct


_UNTAGGED = _Field()


def _struct(**fields: _Field) -> Mapping[str, _Field]:
    return MappingProxyType(fields)


def _merged_list(merge_key: str = "", of: Mapping[str, _Field] = _UNTAGGED.fields) -> _Field:
    return _Field("merge", merge_key, of)


def _holding(fields: Mapping[str, _Field]) -> _Field:
    return _Field(fields=fields)


# Only fields with a patch strategy, and the fields leading to them, are listed: everything
# else is untagged, so maps merge recursively and lists are replaced as a whole.
_OBJECT_META = _struct(finalizers=_merged_list(), ownerReferences=_merged_list("uid"))
_CONTAINER = _struct(
    ports=_merged_list("containerPort"),
    env=_merged_list("name"),
    volumeMounts=_merged_list("mountPath"),
    volumeDevices=_merged_list("devicePath"),
)
_POD_SPEC = _struct(
    volumes=_merged_list("name"),
    initContainers=_merged_list("name", _CONTAINER),
    containers=_merged_list("name", _CONTAINER),
    ephemeralContainers=_merged_list("name", _CONTAINER),
    imagePullSecrets=_merged_list("name"),
    hostAliases=_merged_list("ip"),
    topologySpreadConstraints=_merged_list("topologyKey"),
    schedulingGates=_merged_list("name"),
    resourceClaims=_merged_list("name"),
)
_POD_STATUS = _struct(
    conditions=_merged_list("type"),
    hostIPs=_merged_list("ip"),
    podIPs=_merged_list("ip"),
    resourceClaimStatuses=_merged_list("name"),
)
_CONDITIONS = _struct(conditions=_merged_list("type"))
# Deployment's spec.strategy is tagged retainKeys, which only matters when a client builds a
# patch: the server honours a `$retainKeys` directive wherever one appears.
_WORKLOAD_SPEC = _struct(template=_holding(_struct(metadata=_holding(_OBJECT_META), spec=_holding(_POD_SPEC))))


def _kind(spec: Mapping[str, _Field] = _UNTAGGED.fields, status: Mapping[str, _Field] = _UNTAGGED.fields):
    return _struct(metadata=_holding(_OBJECT_META), spec=_holding(spec), status=_holding(status))


_KINDS: Mapping[str, Mapping[str, _Field]] = MappingProxyType({
    "Pod": _kind(_POD_SPEC, _POD_STATUS),
    "Deployment": _kind(_WORKLOAD_SPEC, _CONDITIONS),
    "ReplicaSet": _kind(_WORKLOAD_SPEC, _CONDITIONS),
    "StatefulSet": _kind(_WORKLOAD_SPEC, _CONDITIONS),
    "DaemonSet": _kind(_WORKLOAD_SPEC, _CONDITIONS),
    "Service": _kind(_struct(ports=_merged_list("port")), _CONDITIONS),
    "Node": _kind(_struct(podCIDRs=_merged_list()), _struct(conditions=_merged_list("type"),
                                                             addresses=_merged_list("type"))),
    "Namespace": _kind(status=_CONDITIONS),
    "PodDisruptionBudget": _kind(_struct(selector=_Field("replace")), _CONDITIONS),
    "Endpoints": _kind(),
    "EndpointSlice": _kind(),
    "Secret": _kind(),
    "ConfigMap": _kind(),
    "Event": _kind(),
})

STRATEGIC_KINDS: frozenset[str] = frozenset(_KINDS)

# What the apiserver answers for kinds without Go types (custom resources), which lack the tags.
_NO_STRATEGIC_MERGE = ("the body of the request was in an unknown format - accepted media types include: "
                       "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")


# ---- strategic merge patch: merging -----------------------------------------

_PATCH = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ORDER = "$setElementOrder"
_DELETE_FROM = "$deleteFromPrimitiveList"
_MAP = "map[string]interface {}"
_LIST = "[]interface {}"


def apply_strategic_merge_patch(obj: dict, patch: Any, kind: str) -> dict:
    """Apply a strategic merge patch (already JSON-decoded) to a copy of obj, an object of `kind`."""
    schema = _KINDS.get(kind)
    if schema is None:
        raise PatchError(415, "UnsupportedMediaType", _NO_STRATEGIC_MERGE)
    if patch is None:  # JSON null decodes to an empty patch map
        return clone(obj)
    if not isinstance(patch, dict):
        raise _bad_request(f"json: cannot unmarshal {_json_type(patch)} into Go value of type {_MAP}")
    # Merging consumes the patch and edits the original in place, so both are private copies.
    return _merge_map(clone(obj), clone(patch), schema)


def _merge_map(original: dict, patch: dict, schema: Mapping[str, _Field]) -> dict:
    if _PATCH in patch:
        return _map_directive(patch)
    _retain_keys(original, patch)
    _merge_ordered_lists(original, patch, schema)
    for key, value in patch.items():
        from_delete_list = key.startswith(_DELETE_FROM)
        if from_delete_list:
            key = _directive_target(key, _DELETE_FROM, "invalid patch format of primitive list")
        if value is None:
            original.pop(key, None)
        elif key not in original or _go_type(original[key]) != _go_type(value):
            if not from_delete_list:  # nothing to delete from
                _adopt(original, key, value)
        else:
            _merge_field(original, key, value, schema.get(key, _UNTAGGED), from_delete_list)
    return original


def _merge_field(original: dict, key: str, value: Any, field: _Field, from_delete_list: bool) -> None:
    """Merge a patch value into an original value of the same JSON type."""
    current = original[key]
    if isinstance(current, dict):
        original[key] = _decoded(value) if field.strategy == "replace" else _merge_map(current, value, field.fields)
    elif isinstance(current, list):
        merge = field.strategy == "merge" or from_delete_list
        original[key] = _merge_list(current, value, field, from_delete_list) if merge else _decoded(value)
    else:
        _adopt(original, key, value)


def _map_directive(patch: dict) -> dict:
    directive = patch[_PATCH]
    if directive == "replace":
        return _decoded({k: v for k, v in patch.items() if k != _PATCH})
    if directive == "delete":
        return {}
    raise _internal(_bad_patch_type(directive, patch))


def _retain_keys(original: dict, patch: dict) -> None:
    """`$retainKeys`: drop original fields not listed; the patch may only set listed ones."""
    if _RETAIN_KEYS not in patch:
        return
    retained = patch.pop(_RETAIN_KEYS)
    if not isinstance(retained, list):
        raise _bad_request("invalid patch format of retainKeys")
    for key, value in patch.items():
        if value is not None and not key.startswith((_DELETE_FROM, _SET_ORDER)) and key not in retained:
            raise _bad_request("invalid patch format of retainKeys")
    for key in [k for k in original if k not in retained]:
        del original[key]


def _merge_ordered_lists(original: dict, patch: dict, schema: Mapping[str, _Field]) -> None:
    """Merge each list that has a `$setElementOrder/<list>` and put it in that order.

    Consumes both the directive and the list from the patch. Listed elements
    take the directive's order; the others keep their place relative to them.
    """
    for directive in [k for k in patch if k.startswith(_SET_ORDER)]:
        order = patch.pop(directive)
        if not isinstance(order, list):
            raise _internal(_bad_arg_type(_LIST, order))
        key = _directive_target(directive, _SET_ORDER, "invalid patch format of setElementOrder list")
        in_original, in_patch = key in original, key in patch
        current, change = original.get(key, []), patch.pop(key, [])
        for value in (current, change):
            if not isinstance(value, list):
                raise _internal(_bad_arg_type(_LIST, value))
        field = schema.get(key, _UNTAGGED)
        _check_order(change, order, field.merge_key)
        if not in_original and not in_patch:
            continue
        if not in_patch:
            merged = current
        elif not in_original:
            merged = _decoded(change, drop_directive_objects=True)
        elif field.strategy != "merge":
            merged = _decoded(change)
        else:
            merged = _merge_list(current, change, field, from_delete_list=False)
        listed, unlisted = _partition(merged, order, field.merge_key)
        element_type = _element_type(current, change)
        original[key] = _interleave(listed, unlisted, order, current, field.merge_key, element_type)


def _check_order(change: list, order: list, merge_key: str) -> None:
    """The patch list's elements must appear in `$setElementOrder` in the same relative order."""
    if not change or not order:
        return
    items = [i for i in change if not _is_delete(i)] if merge_key else change
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and _PATCH in items[i]:
            i += 1
            continue
        if _merge_key_equal(items[i], order[j], merge_key):
            i += 1
        j += 1
    if i < len(items):
        raise _internal(f"The order in patch list:\n{_go_v(change)}\n doesn't match {_SET_ORDER} list:\n"
                        f"{_go_v(order)}\n")


def _is_delete(item: Any) -> bool:
    if not isinstance(item, dict):
        raise _internal(_bad_arg_type(_MAP, item))
    return item.get(_PATCH) == "delete"


def _merge_key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _eq(left, right)
    for item in (left, right):
        if not isinstance(item, dict):
            raise _internal(_bad_arg_type(_MAP, item))
        if merge_key not in item:
            raise _internal(_no_merge_key(item, merge_key))
    return _eq(left[merge_key], right[merge_key])


def _merge_list(original: list, patch: list, field: _Field, from_delete_list: bool) -> list:
    if not original and not patch:
        return original
    element_type = _element_type(original, patch)
    key = field.merge_key
    if element_type != _MAP:
        if from_delete_list:  # `$deleteFromPrimitiveList/<list>`
            return [v for v in original if not _contains(patch, v)]
        merged = _dedupe(original + patch)
    else:
        if not key:
            raise _internal("cannot merge lists without merge key for struct")
        original, patch = _list_directives(original, patch, key)
        merged = _merge_by_key(original, patch, key, field.fields)
    in_patch, server_only = _partition(merged, patch, key)
    return _interleave(in_patch, server_only, patch, original, key, element_type)


def _list_directives(original: list, patch: list, key: str) -> tuple[list, list]:
    """Apply `$patch` elements: delete removes by merge key, replace makes the rest the whole list."""
    plain, replace = [], False
    for item in patch:
        if _PATCH not in item:
            plain.append(item)
            continue
        directive = item[_PATCH]
        if directive == "delete":
            if key not in item:
                raise _internal(_no_merge_key(item, key))
            original = [o for o in original if not (key in o and _eq(o[key], item[key]))]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _internal("merging lists cannot yet be specified in the patch")
        else:
            raise _internal(_bad_patch_type(directive, item))
    return ([_decoded(i) for i in plain], []) if replace else (original, plain)


def _merge_by_key(original: list, patch: list, key: str, fields: Mapping[str, _Field]) -> list:
    merged = list(original)
    for item in patch:
        if key not in item:
            raise _internal(_no_merge_key(item, key))
        index = _find(merged, key, item[key])
        if index is None:
            merged.append(_decoded(item))
        else:
            merged[index] = _merge_map(merged[index], item, fields)
    return merged


def _partition(items: list, by: list, key: str) -> tuple[list, list]:
    """Split items into those present in `by` (by merge key for objects) and the rest."""
    inside: list = []
    outside: list = []
    for item in items:
        if key:
            if not isinstance(item, dict):
                raise _internal(_bad_arg_type(_MAP, item))
            if key not in item:
                raise _internal(_no_merge_key(item, key))
            present = _find(by, key, item[key]) is not None
        else:
            present = _contains(by, item)
        (inside if present else outside).append(item)
    return inside, outside


def _interleave(in_patch: list, server_only: list, patch_order: list, server_order: list,
                key: str, element_type: str) -> list:
    """Order the patch's elements as the patch does and the rest as the server did, then
    merge the two, putting a server-only element first only where the server had it first."""
    if element_type == _MAP:
        for items in (in_patch, patch_order, server_only, server_order):
            for item in items:
                if not isinstance(item, dict):
                    raise _internal(_bad_arg_type(_MAP, item))
                if key not in item:
                    raise _internal(_no_merge_key(item, key))

    def position(order: list, item: Any) -> int | None:
        probe = item[key] if element_type == _MAP else item
        found = (i for i, o in enumerate(order) if _eq(o[key] if element_type == _MAP else o, probe))
        return next(found, None)

    def ordered(items: list, order: list) -> list:
        # sort.SliceStable's insertion sort with upstream's comparator, under which an
        # element missing from `order` sorts before anything (exact for up to 20 elements).
        ranked = [(position(order, item), item) for item in items]
        for i in range(1, len(ranked)):
            j = i
            while j > 0 and _sorts_before(ranked[j][0], ranked[j - 1][0]):
                ranked[j - 1], ranked[j] = ranked[j], ranked[j - 1]
                j -= 1
        return [item for _, item in ranked]

    left, right = ordered(server_only, server_order), ordered(in_patch, patch_order)
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        li, ri = position(server_order, left[i]), position(server_order, right[j])
        if li is not None and ri is not None and li < ri:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def _sorts_before(left: int | None, right: int | None) -> bool:
    return left is None or right is None or left < right


def _element_type(*lists: list) -> str:
    """The one Go type all elements share (sliceElementType)."""
    types = [_go_type(v) for values in lists for v in values]
    if not types:
        raise _internal("no elements in any of the given slices")
    if types[0] == _LIST:
        raise _rejected()  # mergepatch.ErrNoListOfLists is answered as a generic 422
    if any(t != types[0] for t in types):
        raise _internal(f"list element types are not identical: {_go_v(list(lists))}")
    return types[0]


def _directive_target(key: str, prefix: str, malformed: str) -> str:
    head, slash, target = key.partition("/")
    if not slash or head != prefix:
        raise _bad_request(malformed)
    return target


def _adopt(original: dict, key: str, value: Any) -> None:
    """Take a patch value that has nothing to merge with."""
    cleaned = _decoded(value, drop_directive_objects=True)
    if cleaned is _DROP:
        original.pop(key, None)
    else:
        original[key] = cleaned


_DROP = object()


def _decoded(value: Any, drop_directive_objects: bool = False) -> Any:
    """A copy of patch content as the typed decoder keeps it: without null object members or directives.

    Upstream inserts such content raw and lets decoding into the Go type drop
    nulls and unknown `$` keys; the sandbox stores plain JSON, so this does it.
    Content adopted where the original had nothing first loses whole `$patch`
    objects (removeDirectives); those come back as _DROP.
    """
    if isinstance(value, dict):
        if drop_directive_objects and _PATCH in value:
            return _DROP
        kept = {k: _decoded(v, drop_directive_objects) for k, v in value.items()
                if v is not None and not k.startswith((_PATCH, _RETAIN_KEYS, _SET_ORDER, _DELETE_FROM))}
        return {k: v for k, v in kept.items() if v is not _DROP}
    if isinstance(value, list):
        return [c for c in (_decoded(v, drop_directive_objects) for v in value) if c is not _DROP]
    return value


def _find(items: list, key: str, value: Any) -> int | None:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _internal(f"value for key {index} is not a map")
        if key in item and _eq(item[key], value):
            return index
    return None


def _contains(items: list, value: Any) -> bool:
    return any(_eq(item, value) for item in items)


def _dedupe(items: list) -> list:
    unique: list = []
    for item in items:
        if not _contains(unique, item):
            unique.append(item)
    return unique


def _eq(left: Any, right: Any) -> bool:
    """Go interface equality: JSON 1, 1.0 and true are all different."""
    return type(left) is type(right) and left == right


# ---- Go's spelling of values and types in error messages -----------------------

def _json_type(value: Any) -> str:
    """How encoding/json names a JSON value it cannot unmarshal."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "bool" if isinstance(value, bool) else "number"


def _go_type(value: Any) -> str:
    """The Go type a JSON value decodes to (ints are kept as int64)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    return {dict: _MAP, list: _LIST, str: "string", int: "int64", float: "float64"}[type(value)]


def _go_v(value: Any) -> str:
    """fmt's %v."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_v(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(map(_go_v, value)) + "]"
    return str(value)


def _go_s(value: Any, nested: bool = False) -> str:
    """fmt's %s, which flags values that are not strings."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>" if nested else "%!s(<nil>)"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_s(value[k], True)}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_s(v, True) for v in value) + "]"
    return f"%!s({_go_type(value)}={_go_v(value)})"


def _go_float(value: float) -> str:
    """%v of a float64: shortest digits, exponent form outside 1e-4 <= |x| < 1e6."""
    number = Decimal(repr(value)).normalize()
    exponent = number.adjusted()
    if -4 <= exponent < 6:
        return format(number, "f")
    digits = "".join(map(str, number.as_tuple().digits))
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if number.is_signed() else ''}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _bad_arg_type(expected: str, actual: Any) -> str:
    shown = "%!s(<nil>)" if actual is None else _go_type(actual)
    return f"expected a {expected}, but received a {shown}"


def _no_merge_key(item: dict, key: str) -> str:
    return f"map: {_go_v(item)} does not contain declared merge key: {key}"


def _bad_patch_type(directive: Any, item: dict) -> str:
    return f"unknown patch type: {_go_s(directive)} in map: {_go_v(item)}"
