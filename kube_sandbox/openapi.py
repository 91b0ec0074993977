"""OpenAPI documents (/openapi/v3, /openapi/v2): the paths kubectl reads.

kubectl's `create`/`apply`/`replace` validate before they send: they look in
/openapi/v3 for the PATCH operation of the object's kind and, finding the
`fieldValidation` parameter there, leave validation to the server (and send
`fieldValidation=Strict`). A `kind: List` document is validated client-side
against /openapi/v2 instead. Without either document every one of those
commands fails with "failed to download openapi" unless --validate=false.

The documents here describe the sandbox's operations, not its object schemas:
each kind's schema is a bare object carrying `x-kubernetes-group-version-kind`.
With no properties to look up, kubectl's client-side validation and its
OpenAPI-driven strategic-merge-patch calculation find nothing for a kind and
fall back to kubectl's compiled-in types, which is exact for these built-in
kinds. The v2 document is served as protobuf, the only encoding client-go
asks for; it holds just `swagger` and `info`.
"""

from __future__ import annotations

import hashlib
import json

from .discovery import SERVER_VERSION
from .resources import GROUPS, RESOURCES, ResourceType

# The type client-go asks for has an "@" (application/com.github.proto-openapi.spec.v2@v1.0+protobuf),
# which Go's mime parser rejects in a response; the apiserver answers with the dotted form.
V2_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
TITLE = "Kubernetes"

_COMMON_QUERY = ("dryRun", "fieldManager", "fieldValidation")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _gvk(group: str, version: str, kind: str) -> dict:
    return {"group": group, "version": version, "kind": kind}


def _param(name: str, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": {"type": "string", "uniqueItems": True}}


def _op(verb: str, action: str, rt: ResourceType, gvk: dict, query: tuple[str, ...] = ()) -> dict:
    return {
        "operationId": f"{verb}{rt.kind}",
        "parameters": [_param(q) for q in query],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    }


def _paths(rt: ResourceType) -> dict:
    base = f"/{_gv_path(rt.group, rt.version)}"
    scope = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
    path_params = [_param("namespace", "path")] if rt.namespaced else []
    gvk = _gvk(rt.group, rt.version, rt.kind)
    collection = {
        "get": _op("list", "list", rt, gvk, ("labelSelector", "fieldSelector", "watch")),
        "post": _op("create", "post", rt, gvk, _COMMON_QUERY),
        "delete": _op("deletecollection", "deletecollection", rt, gvk, ("dryRun",)),
        "parameters": path_params,
    }
    item = {
        "get": _op("read", "get", rt, gvk),
        "put": _op("replace", "put", rt, gvk, _COMMON_QUERY),
        "patch": _op("patch", "patch", rt, gvk, (*_COMMON_QUERY, "force")),
        "delete": _op("delete", "delete", rt, gvk, ("dryRun", "gracePeriodSeconds", "propagationPolicy")),
        "parameters": [*path_params, _param("name", "path")],
    }
    paths = {scope: collection, f"{scope}/{{name}}": item}
    if rt.namespaced:
        paths[f"{base}/{rt.plural}"] = {"get": _op("listAllNamespaces", "list", rt, gvk, ("labelSelector",))}
    for sub in rt.subresources:
        sub_gvk = _gvk("autoscaling", "v1", "Scale") if sub == "scale" else gvk
        ops: dict = {"get": _op(f"read{sub.title()}", "get", rt, sub_gvk), "parameters": item["parameters"]}
        if sub != "log":
            ops["put"] = _op(f"replace{sub.title()}", "put", rt, sub_gvk, _COMMON_QUERY)
            ops["patch"] = _op(f"patch{sub.title()}", "patch", rt, sub_gvk, (*_COMMON_QUERY, "force"))
        paths[f"{scope}/{{name}}/{sub}"] = ops
    return paths


def _schema_name(rt: ResourceType) -> str:
    group = rt.group.split(".")[0] if rt.group else "core"
    return f"io.k8s.api.{group}.{rt.version}.{rt.kind}"


def group_version_doc(group: str, version: str) -> dict | None:
    resources = [rt for rt in RESOURCES if rt.group == group and rt.version == version]
    if not resources:
        return None
    paths: dict = {}
    schemas: dict = {}
    for rt in resources:
        paths.update(_paths(rt))
        schemas[_schema_name(rt)] = {
            "description": f"{rt.kind} ({rt.group_version}); the sandbox does not publish field schemas.",
            "type": "object",
            "x-kubernetes-group-version-kind": [_gvk(rt.group, rt.version, rt.kind)],
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": TITLE, "version": SERVER_VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _hash(doc: dict) -> str:
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:128].upper()


def index() -> dict:
    paths = {}
    for group, versions in GROUPS.items():
        for version in versions:
            gv = _gv_path(group, version)
            doc = group_version_doc(group, version)
            paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={_hash(doc)}"}
    return {"paths": paths}


def v3(path: str) -> dict | None:
    """The document for a path under /openapi/v3 (the index for the root)."""
    rest = path[len("/openapi/v3"):].strip("/")
    if not rest:
        return index()
    parts = rest.split("/")
    if parts[0] == "api" and len(parts) == 2:
        return group_version_doc("", parts[1])
    if parts[0] == "apis" and len(parts) == 3:
        return group_version_doc(parts[1], parts[2])
    return None


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2)."""
    key = (number << 3) | 2
    size = len(payload)
    varint = bytearray()
    while True:
        byte = size & 0x7F
        size >>= 7
        varint.append(byte | (0x80 if size else 0))
        if not size:
            break
    return bytes([key]) + bytes(varint) + payload


def v2_protobuf() -> bytes:
    """openapi.v2.Document{swagger: "2.0", info: {title, version}}, protobuf-encoded."""
    info = _field(1, TITLE.encode()) + _field(2, SERVER_VERSION["gitVersion"].encode())
    return _field(1, b"2.0") + _field(2, info)
