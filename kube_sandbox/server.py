"""The sandbox's HTTP front: Kubernetes API paths onto `Api` calls.

One aiohttp application on the same event loop as the controllers, so every
request sees a consistent store without locks. Errors always leave as a
`Status` body with the apiserver's code and reason; an unexpected exception
becomes a 500 Status and is logged, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass

import yaml
from aiohttp import web

from . import discovery, errors, openapi, printers, protobuf
from .api import APPLY_PATCH, PATCH_TYPES, Api
from .clock import Clock
from .fields import check_supported, field_set
from .patch import PatchError, apply_json_patch, apply_merge_patch
from .resources import ENDPOINTS, EVENTS_V1, POD, ROLLOUT, ResourceType, lookup
from .selectors import FieldSelector, LabelSelector, SelectorError, parse_field_selector, parse_label_selector
from .service_proxy import PROXY_PATH
from .store import ADDED, DELETED, MODIFIED, Change, Expired

log = logging.getLogger(__name__)

TABLE = "as=Table"
PARTIAL_LIST = "as=PartialObjectMetadataList"
PARTIAL = "as=PartialObjectMetadata"
BOOKMARK_EVERY = 5.0  # real seconds; the apiserver sends them about once a minute
WATCH_DEFAULT_TIMEOUT = 1800.0
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # prometheus_client's text format
# Sent with every v1 Endpoints request since Kubernetes 1.33.
ENDPOINTS_DEPRECATED = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


@dataclass
class Target:
    """A parsed resource path."""

    rt: ResourceType
    namespace: str
    name: str | None
    subresource: str | None


def parse_path(path: str) -> Target | None:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api" and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if rest and rest[0] == "watch":  # the deprecated /watch/ prefix
        rest = rest[1:]
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return None
    rt = lookup(group, version, rest[0])
    if rt is None or len(rest) > 3:
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in rt.subresources:
        return None
    if rt.namespaced and name is not None and not namespace:
        return None
    return Target(rt, namespace, name, sub)


def _json(body, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(), status=status, content_type="application/json"
    )


def _status(exc: errors.ApiError) -> web.Response:
    return _json(exc.status(), exc.code)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def _list_item(obj: dict) -> dict:
    """List items are served without kind/apiVersion, as the apiserver does."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _partial(obj: dict) -> dict:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


class SandboxServer:
    def __init__(self, api: Api, clock: Clock, logs=None, metrics=None, proxy=None):
        self.api = api
        self.clock = clock
        self.logs = logs  # callable(namespace, pod, container, tail_lines, previous) -> str
        self.metrics = metrics  # metrics.Metrics: GET /metrics
        self.proxy = proxy  # service_proxy.ServiceProxy: .../services/{name}/proxy/...
        self.app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[self._errors])
        self.app.router.add_route("*", "/{tail:.*}", self._route)
        self.app.on_response_prepare.append(self._add_warnings)
        self.address = "127.0.0.1:0"

    # ---- plumbing --------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler):
        try:
            return await handler(request)
        except errors.ApiError as exc:
            return _status(exc)
        except SelectorError as exc:
            return _status(errors.bad_request(str(exc)))
        except (web.HTTPException, asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:
            log.exception("internal error serving %s %s", request.method, request.path)
            return _status(errors.ApiError(500, "InternalError", "an internal error occurred in the sandbox"))

    @staticmethod
    async def _add_warnings(request: web.Request, response: web.StreamResponse) -> None:
        """Warning headers (RFC 7234 form, code 299), which kubectl prints as "Warning: ..."."""
        for text in request.get("warnings", ()):
            response.headers.add("Warning", f'299 - "{text}"')

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if self.proxy is not None and "/proxy" in path:
            match = PROXY_PATH.match(request.path)
            if match:
                return await self.proxy.handle(request, match)
        if request.method == "GET":
            if path == "/metrics" and self.metrics is not None:
                # Read from the store right now; formatted on a thread (metrics/__init__.py).
                body = await self.metrics.exposition_async()
                return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})
            doc = self._discovery(path)
            if doc is not None:
                return _json(doc)
            if path in ("/healthz", "/readyz", "/livez"):
                return web.Response(text="ok")
            if path == "/openapi/v2":
                return web.Response(body=openapi.v2_protobuf(), content_type=openapi.V2_CONTENT_TYPE)
            if path.startswith("/openapi/v3"):
                doc = openapi.v3(path)
                if doc is not None:
                    return _json(doc)
        target = parse_path(path)
        if target is None:
            return _status(errors.ApiError(404, "NotFound", "the server could not find the requested resource"))
        if target.rt is ENDPOINTS:
            request["warnings"] = [ENDPOINTS_DEPRECATED]
        handler = {
            "GET": self._get,
            "POST": self._post,
            "PUT": self._put,
            "PATCH": self._patch,
            "DELETE": self._delete,
        }.get(request.method)
        if handler is None:
            raise errors.method_not_allowed()
        return await handler(request, target)

    def _discovery(self, path: str) -> dict | None:
        if path == "/version":
            return discovery.SERVER_VERSION
        if path == "/api":
            return discovery.api_versions(self.address)
        if path == "/apis":
            return discovery.api_group_list()
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            return discovery.api_resource_list("", parts[1])
        if parts[0] == "apis" and len(parts) == 2:
            return discovery.api_group(parts[1])
        if parts[0] == "apis" and len(parts) == 3:
            return discovery.api_resource_list(parts[1], parts[2])
        return None

    async def _body(self, request: web.Request, *, yaml_ok: bool = False):
        raw = await request.read()
        ctype = request.content_type
        if "protobuf" in ctype:
            # client-go's typed clients (helm's storage driver) send protobuf: decoded for the kinds they write.
            try:
                return protobuf.decode(raw) if raw else None
            except protobuf.ProtobufError:
                raise errors.ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml") from None
        if "cbor" in ctype:
            raise errors.ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        try:
            if yaml_ok:
                return yaml.safe_load(raw) if raw else None
            return json.loads(raw) if raw else None
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"error decoding request body: {str(exc).splitlines()[0]}") from None

    @staticmethod
    def _selectors(request: web.Request) -> tuple[LabelSelector | None, FieldSelector | None]:
        q = request.query
        labels = parse_label_selector(q["labelSelector"]) if q.get("labelSelector") else None
        fields = parse_field_selector(q["fieldSelector"]) if q.get("fieldSelector") else None
        return labels, fields

    @staticmethod
    def _dry_run(request: web.Request) -> bool:
        values = request.query.getall("dryRun", [])
        for v in values:
            if v != "All":
                raise errors.bad_request(f'Invalid dry run value: "{v}"; the only supported value is All')
        return bool(values)

    def _represent(self, request: web.Request, target: Target, obj: dict) -> web.Response:
        accept = request.headers.get("Accept", "")
        if TABLE in accept and "status" not in (target.subresource or ""):
            return _json(self._table(target.rt, [obj], request))
        if PARTIAL in accept and PARTIAL_LIST not in accept:
            return _json(_partial(obj))
        return _json(obj)

    def _table(self, rt: ResourceType, objects: list[dict], request: web.Request, rv: str | None = None) -> dict:
        table = printers.table(rt.group, rt.plural, objects, self.clock.now())
        include = request.query.get("includeObject", "Metadata")
        for row in table["rows"]:
            obj = row.get("object") or {}
            if include == "None":
                row.pop("object", None)
            elif include == "Metadata":
                row["object"] = _partial(obj)
            else:
                row["object"] = obj
        return {
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": rv or str(self.api.storage.rv)},
            **table,
        }

    # ---- verbs -----------------------------------------------------------

    async def _get(self, request: web.Request, target: Target) -> web.StreamResponse:
        q = request.query
        if target.name is None:
            if _truthy(q.get("watch")):
                return await self._watch(request, target)
            return self._list(request, target)
        if target.subresource == "log":
            return await self._log(request, target)
        if _truthy(q.get("watch")):
            # Watching one object by name: the same as a list watch narrowed to it.
            return await self._watch(request, target, name=target.name)
        obj = self.api.get(target.rt, target.namespace, target.name)
        if target.subresource == "scale":
            return _json(self._scale(target.rt, obj))
        return self._represent(request, target, obj)

    def _list(self, request: web.Request, target: Target) -> web.Response:
        labels, fields = self._selectors(request)
        items = self.api.list(target.rt, target.namespace or None, labels, fields)
        rv = str(self.api.storage.rv)
        metadata: dict = {"resourceVersion": rv}
        limit = int(request.query.get("limit") or 0)
        token = request.query.get("continue")
        if token:
            start = self._decode_continue(token)
            items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
        if limit > 0 and len(items) > limit:
            last = items[limit - 1]["metadata"]
            metadata["continue"] = base64.urlsafe_b64encode(
                json.dumps({"rv": rv, "start": [last.get("namespace", ""), last["name"]]}).encode()
            ).decode()
            metadata["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        accept = request.headers.get("Accept", "")
        if TABLE in accept:
            return _json(self._table(target.rt, items, request, rv))
        if PARTIAL_LIST in accept:
            return _json({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                          "metadata": metadata, "items": [_partial(o) for o in items]})
        return _json({
            "kind": f"{target.rt.kind}List",
            "apiVersion": target.rt.group_version,
            "metadata": metadata,
            "items": [_list_item(o) for o in items],
        })

    @staticmethod
    def _decode_continue(token: str) -> tuple[str, str]:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            return (data["start"][0], data["start"][1])
        except (ValueError, KeyError, IndexError, TypeError):
            raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)") from None

    async def _post(self, request: web.Request, target: Target) -> web.Response:
        if target.name is not None:
            raise errors.method_not_allowed()
        body = await self._body(request)
        obj = self.api.create(
            target.rt, target.namespace, body, dry_run=self._dry_run(request), manager=self._manager(request)
        )
        return _json(obj, 201)

    async def _put(self, request: web.Request, target: Target) -> web.Response:
        if target.name is None:
            raise errors.method_not_allowed()
        body = await self._body(request)
        dry_run = self._dry_run(request)
        if target.subresource == "scale":
            return _json(self._write_scale(target, body, dry_run, request))
        obj = self.api.update(
            target.rt, target.namespace, target.name, body,
            subresource=target.subresource, dry_run=dry_run, manager=self._manager(request),
        )
        return _json(obj)

    async def _patch(self, request: web.Request, target: Target) -> web.Response:
        if target.name is None:
            raise errors.method_not_allowed()
        ctype = request.content_type
        if ctype not in PATCH_TYPES:
            raise errors.unsupported_media_type(ctype)
        body = await self._body(request, yaml_ok=ctype == APPLY_PATCH)
        dry_run = self._dry_run(request)
        if target.subresource == "scale":
            current = self._scale(target.rt, self.api.get(target.rt, target.namespace, target.name))
            try:
                patched = (apply_json_patch if ctype.startswith("application/json-patch") else apply_merge_patch)(current, body)
            except PatchError as exc:
                raise errors.ApiError(exc.code, exc.reason, exc.message) from None
            return _json(self._write_scale(target, patched, dry_run, request))
        obj = self.api.patch(
            target.rt, target.namespace, target.name, ctype, body,
            subresource=target.subresource, dry_run=dry_run, manager=self._manager(request),
            force=_truthy(request.query.get("force")),
        )
        return _json(obj)

    async def _delete(self, request: web.Request, target: Target) -> web.Response:
        options = await self._body(request) or {}
        if not isinstance(options, dict):
            raise errors.bad_request("the DeleteOptions body is not an object")
        q = request.query
        propagation = q.get("propagationPolicy") or options.get("propagationPolicy")
        if options.get("orphanDependents") is True and not propagation:
            propagation = "Orphan"
        grace = q.get("gracePeriodSeconds", options.get("gracePeriodSeconds"))
        try:
            grace = int(grace) if grace is not None else None
        except ValueError:
            raise errors.bad_request(f"invalid gracePeriodSeconds: {grace}") from None
        dry_run = self._dry_run(request) or "All" in (options.get("dryRun") or [])
        kwargs = dict(propagation=propagation, grace_period=grace, dry_run=dry_run)
        if target.name is not None:
            obj = self.api.delete(target.rt, target.namespace, target.name,
                                  preconditions=options.get("preconditions"), **kwargs)
            return _json(obj)
        labels, fields = self._selectors(request)
        deleted = []
        for obj in self.api.list(target.rt, target.namespace or None, labels, fields):
            try:
                self.api.delete(target.rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"], **kwargs)
                deleted.append(_list_item(obj))
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
        return _json({"kind": f"{target.rt.kind}List", "apiVersion": target.rt.group_version,
                      "metadata": {"resourceVersion": str(self.api.storage.rv)}, "items": deleted})

    @staticmethod
    def _manager(request: web.Request) -> str:
        manager = request.query.get("fieldManager")
        if manager:
            return manager
        agent = request.headers.get("User-Agent", "unknown")
        return agent.split("/")[0] or "unknown"

    # ---- scale and log ---------------------------------------------------

    def _scale(self, rt: ResourceType, obj: dict) -> dict:
        meta = obj["metadata"]
        selector = obj.get("spec", {}).get("selector") or {}
        match = selector.get("matchLabels") or {}
        status = obj.get("status", {})
        if rt is ROLLOUT:  # the Rollout CRD's scale paths: .status.HPAReplicas, .status.selector
            replicas, selector_text = status.get("HPAReplicas", 0), status.get("selector", "")
        else:
            replicas, selector_text = status.get("replicas", 0), ",".join(f"{k}={v}" for k, v in sorted(match.items()))
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
            "status": {"replicas": replicas, "selector": selector_text},
        }

    def _write_scale(self, target: Target, scale: dict, dry_run: bool, request: web.Request) -> dict:
        if not isinstance(scale, dict) or not isinstance(scale.get("spec", {}), dict):
            raise errors.bad_request("the Scale object is not valid")
        # Go clients omit a zero replicas field (omitempty): absent means 0, as the apiserver reads it.
        replicas = scale.get("spec", {}).get("replicas", 0)
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.ApiError(422, "Invalid", f'Scale.autoscaling "{target.name}" is invalid: spec.replicas: Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0')
        current = self.api.get(target.rt, target.namespace, target.name)
        sent_rv = scale.get("metadata", {}).get("resourceVersion")
        if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(target.rt, target.name, errors.STALE)
        updated = {**current, "spec": {**current.get("spec", {}), "replicas": replicas}}
        obj = self.api.update(target.rt, target.namespace, target.name, updated,
                              dry_run=dry_run, manager=self._manager(request))
        return self._scale(target.rt, obj)

    async def _log(self, request: web.Request, target: Target) -> web.StreamResponse:
        q = request.query
        container = q.get("container") or None
        tail = int(q["tailLines"]) if (q.get("tailLines") or "").isdigit() else None

        def read(tail_lines: int | None, previous: bool) -> str:
            if self.logs is None:
                return ""
            return self.logs(target.namespace, target.name, container, tail_lines, previous)

        previous = _truthy(q.get("previous"))
        text = read(tail, previous)
        if not _truthy(q.get("follow")):
            return web.Response(text=text, content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(text.encode())
        # As the kubelet: a follow lasts while the container that was running when it began runs (a
        # crash-looping container's follow ends when it exits; a previous run, or one not running, ends at once).
        running = None if previous else self._running_container(target.namespace, target.name, container)
        # Lines carry timestamps, so the last one sent anchors what is new even
        # after the kubelet's bounded buffer has dropped older lines.
        last = text.splitlines(keepends=True)[-1:] or [""]
        try:
            while running is not None:
                await asyncio.sleep(0.5)
                now_running = self._running_container(target.namespace, target.name, container)
                try:
                    lines = read(None, False).splitlines(keepends=True) if now_running in (running, None) else []
                except errors.ApiError:
                    break
                fresh = lines[len(lines) - lines[::-1].index(last[0]):] if last[0] in lines else lines
                if fresh:
                    await response.write("".join(fresh).encode())
                    last = fresh[-1:]
                if now_running != running:
                    break  # it exited (its last lines are sent) or the pod is gone
        except ConnectionResetError:
            pass  # the client stopped following
        return response

    def _running_container(self, namespace: str, pod: str, container: str | None) -> str | None:
        """The id of the named (or only) container while it runs; None when it is not running or the pod is gone."""
        obj = self.api.storage.get(POD.key, namespace, pod)
        status = (obj or {}).get("status") or {}
        statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
        if container is None and len(status.get("containerStatuses") or []) == 1:
            container = status["containerStatuses"][0].get("name")
        for cs in statuses:
            if cs.get("name") == container and "running" in (cs.get("state") or {}):
                return cs.get("containerID") or None
        return None

    # ---- watch -----------------------------------------------------------

    async def _watch(self, request: web.Request, target: Target, name: str | None = None) -> web.StreamResponse:
        q = request.query
        rt = target.rt
        labels, fields = self._selectors(request)
        if fields is not None:
            check_supported(rt, fields)
        if name is not None:
            fields = parse_field_selector(f"metadata.name={name}" + (f",{q['fieldSelector']}" if q.get("fieldSelector") else ""))
        namespace = target.namespace or None
        bookmarks = _truthy(q.get("allowWatchBookmarks"))
        initial_events = q.get("sendInitialEvents")
        rv_text = q.get("resourceVersion", "")
        if initial_events is not None:
            if q.get("resourceVersionMatch") != "NotOlderThan" or not bookmarks:
                raise errors.ApiError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan and allowWatchBookmarks is set to true')
        try:
            rv = int(rv_text) if rv_text not in ("", "0") else None
        except ValueError:
            raise errors.bad_request(f'resourceVersion: Invalid value: "{rv_text}": must be a number') from None
        as_table = TABLE in request.headers.get("Accept", "")
        timeout = float(q.get("timeoutSeconds") or WATCH_DEFAULT_TIMEOUT)

        def matches(obj: dict) -> bool:
            meta = obj["metadata"]
            if namespace is not None and meta.get("namespace") != namespace:
                return False
            if labels is not None and not labels.matches(meta.get("labels")):
                return False
            return fields is None or fields.matches(field_set(rt, obj))

        queue: asyncio.Queue[Change | None] = asyncio.Queue()
        key = rt.key

        def on_change(change: Change) -> None:
            if change.key == key:
                queue.put_nowait(change)

        # Backlog and subscription in one synchronous step: nothing can slip between them.
        send_initial = _truthy(initial_events) or rv is None
        if send_initial:
            backlog = [Change(ADDED, key, o, self.api.storage.rv) for o in self.api.storage.items(key, namespace)]
        else:
            try:
                backlog = [c for c in self.api.storage.changes_since(rv) if c.key == key]
            except Expired:
                # Like the watch cache: a 200 stream carrying one ERROR event with the 410 Status.
                return await self._watch_error(request, errors.gone(f"too old resource version: {rv} ({self._oldest_rv()})"))
        start_rv = self.api.storage.rv
        unsubscribe = self.api.storage.subscribe(on_change)
        # What the client already holds: whatever matches now (after replay it is corrected).
        visible: set[tuple[str, str]] = set()
        if not send_initial:
            visible = {(o["metadata"].get("namespace", ""), o["metadata"]["name"])
                       for o in self.api.storage.items(key, namespace) if matches(o)}

        response = web.StreamResponse(headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        await response.prepare(request)
        first_table = [True]

        async def send(kind: str, obj: dict) -> None:
            if as_table and kind != "BOOKMARK":
                table = self._table(rt, [obj], request)
                if not first_table[0]:
                    table["columnDefinitions"] = []
                first_table[0] = False
                obj = table
            elif rt is EVENTS_V1 and kind != "BOOKMARK":
                obj = self.api._present(rt, obj)
            await response.write(json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n")

        async def emit(change: Change) -> None:
            # Selector watches turn objects that stop matching into DELETED, and
            # objects that start matching into ADDED, like the watch cache.
            ident = (change.namespace, change.name)
            if change.type == DELETED:
                if ident in visible or matches(change.obj):
                    visible.discard(ident)
                    await send(DELETED, change.obj)
            elif matches(change.obj):
                kind = MODIFIED if change.type == MODIFIED and ident in visible else ADDED
                visible.add(ident)
                await send(kind, change.obj)
            elif ident in visible:
                visible.discard(ident)
                await send(DELETED, change.obj)

        def bookmark(rv_now: int, initial_end: bool = False) -> dict:
            meta: dict = {"resourceVersion": str(rv_now)}
            if initial_end:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            return {"kind": rt.kind, "apiVersion": rt.group_version, "metadata": meta}

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            for change in backlog:
                await emit(change)
            if _truthy(initial_events):
                await send("BOOKMARK", bookmark(start_rv, initial_end=True))
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    change = await asyncio.wait_for(queue.get(), timeout=min(remaining, BOOKMARK_EVERY))
                except TimeoutError:
                    if bookmarks:
                        await send("BOOKMARK", bookmark(self.api.storage.rv))
                    continue
                await emit(change)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            unsubscribe()
        return response

    async def _watch_error(self, request: web.Request, exc: errors.ApiError) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        event = {"type": "ERROR", "object": exc.status()}
        await response.write(json.dumps(event, separators=(",", ":")).encode() + b"\n")
        return response

    def _oldest_rv(self) -> int:
        try:
            return self.api.storage.changes_since(0)[0].rv
        except (Expired, IndexError):
            return self.api.storage.rv
