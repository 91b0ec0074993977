"""Watchers: list, then watch, off the UI loop; reconnect with back-off; relist on 410.

Each watched kind runs in its own daemon thread (the kubernetes client
blocks). Everything a watcher learns goes into one `WatchHub` queue as small
immutable items; the UI drains the queue in batches, so a burst of events
becomes one repaint. A watcher that loses its server says so (`Health` with
live=False and since when) and keeps trying; it never pretends to be live.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import urllib3
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

from ..core.errors import ConsoleError
from ..core.flash import CONNECTING
from ..core.items import Changed, Health, Relisted
from .errors import from_api_exception

LIST_PAGE = 500  # objects per list request (kubectl's --chunk-size, client-go's pager)
WATCH_SECONDS = 60  # a watch request's server-side timeout; the watcher then resumes from its resourceVersion
# A server back after an outage is seen within a few seconds; a retry every 3 s costs a down server nothing.
BACKOFF_START, BACKOFF_MAX = 0.5, 3.0
ABSENT_RECHECK = 60.0  # an optional kind the server does not serve (no CRD) is asked for again this often


@dataclass
class Source:
    """How to list and watch one kind: a `Collection` (or a client method taking the same arguments)."""

    kind: str
    method: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    # Turns each object into what the UI wants (e.g. decodes Helm's release Secrets), on the watcher's
    # thread so the UI loop never does that work; None passes objects through.
    transform: Callable[[dict], object] | None = None
    # A kind from a CRD that a cluster may not have (Argo Rollouts): a 404 lists nothing and stays live,
    # rechecked now and then, instead of a watch shown as down forever.
    optional: bool = False


def namespaced_sources(api: client.ApiClient, namespace: str, label_selector: str = "",
                       workloads: Iterable = ()) -> list[Source]:
    """What the console watches: each workload kind's own sources (its adapter's `sources()`: the kind and
    what its revisions are), then the pods and events every kind shares."""
    from .collection import Collection

    selected = {"label_selector": label_selector} if label_selector else {}
    sources: list[Source] = []
    for adapter in workloads:  # a kind two adapters need (ReplicaSets) is watched once
        sources += [s for s in adapter.sources(api, namespace, dict(selected)) if s.kind not in {o.kind for o in sources}]
    return sources + [
        Source("Pod", Collection(api, "/api/v1/namespaces/{namespace}/pods"), (namespace,), dict(selected)),
        # Events carry no app labels: all of the namespace's, matched to components by the state.
        Source("Event", Collection(api, "/api/v1/namespaces/{namespace}/events"), (namespace,)),
    ]


class Watcher(threading.Thread):
    def __init__(self, source: Source, hub: WatchHub):
        super().__init__(name=f"watch-{source.kind}", daemon=True)
        self.source = source
        self.hub = hub

    def run(self) -> None:
        backoff = BACKOFF_START
        while not self.hub.stopped.is_set():
            try:
                rv = self._relist()
                backoff = BACKOFF_START
                while not self.hub.stopped.is_set() and rv is not None:
                    rv = self._watch(rv)
            except ApiException as exc:
                if exc.status == 410:
                    continue  # expired: relist at once, nothing is down
                if exc.status == 404 and self.source.optional:
                    self.hub.put(Relisted(self.source.kind, ()))
                    self.hub.health(self.source.kind, True)
                    if self.hub.stopped.wait(ABSENT_RECHECK):
                        return
                    continue
                self._down(from_api_exception(exc, f"watching {self.source.kind}s").message)
            except (urllib3.exceptions.HTTPError, OSError, ValueError):
                self._down(_unreachable(self.hub.server))
            except ConsoleError as exc:
                self._down(exc.message)
            if self.hub.stopped.wait(backoff):
                return
            backoff = min(BACKOFF_MAX, backoff * 2)

    def _down(self, error: str) -> None:
        self.hub.health(self.source.kind, False, error)

    def _relist(self) -> str:
        """List in pages of LIST_PAGE, as client-go's reflector and kubectl do: decoding 6,000 pods in one
        json.loads held the GIL for 0.4 s, and the UI loop with it; a page is a few tens of ms. The pages
        go to the UI as one Relisted, so it never shows half a list as the whole."""
        s = self.source
        objects: list = []
        token = None
        while True:
            response = s.method(*s.args, **s.kwargs, limit=LIST_PAGE, _continue=token, _preload_content=False,
                                _request_timeout=30)
            body = json.loads(response.data)
            if not isinstance(body, dict):
                raise ConsoleError(f"The API server's list of {s.kind}s is not a JSON object; retrying.")
            page = (o for o in map(_slim, body.get("items") or ()) if o is not None)
            objects.extend(map(s.transform, page) if s.transform else page)
            metadata = body.get("metadata") or {}
            token = metadata.get("continue")
            if not token:  # the last page's resourceVersion is the list's: the watch resumes from it
                break
        self.hub.put(Relisted(s.kind, tuple(objects)))
        self.hub.health(s.kind, True)
        return metadata.get("resourceVersion", "")

    def _watch(self, rv: str) -> str | None:
        """Stream from `rv`; return the rv to resume from, or None to relist (410 Gone)."""
        s = self.source
        response = s.method(
            *s.args, **s.kwargs, watch=True, resource_version=rv, timeout_seconds=WATCH_SECONDS,
            allow_watch_bookmarks=True, _preload_content=False, _request_timeout=WATCH_SECONDS + 30,
        )
        try:
            for line in iter_resp_lines(response):
                if self.hub.stopped.is_set():
                    return None
                if not line.strip():
                    continue
                event = json.loads(line)
                if not isinstance(event, dict) or not isinstance(event.get("object") or {}, dict):
                    raise ConsoleError(f"The API server sent a malformed {s.kind} watch event; reconnecting.")
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        return None
                    raise ConsoleError(obj.get("message") or "the watch failed")
                rv = (obj.get("metadata") or {}).get("resourceVersion") or rv
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    obj = _slim(obj)
                    if obj is None:
                        continue
                    self.hub.put(Changed(s.kind, kind, s.transform(obj) if s.transform else obj))
        finally:
            response.release_conn()
        return rv


def _slim(obj) -> dict | None:
    """Drop managedFields: half of an object's JSON, never shown, and all of it garbage-collector work.
    None for what is not an object with a name (a broken server or proxy): the state keys everything by name."""
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        return None
    metadata.pop("managedFields", None)
    return obj


def _unreachable(server: str) -> str:
    return f"Cannot reach the API server at {server}; retrying (check the cluster and your network)."


class WatchHub:
    """The watchers' one outbox; `notify` is called once per batch the UI has not drained yet."""

    def __init__(self, server: str, notify: Callable[[], None] = lambda: None, clock: Callable[[], float] = time.time):
        self.server = server
        self.notify = notify
        self.clock = clock
        self.stopped = threading.Event()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._signalled = threading.Lock()
        self._pending = False
        self._watchers: list[Watcher] = []

    def start(self, sources: list[Source]) -> None:
        for source in sources:
            self.health(source.kind, False, CONNECTING)
            watcher = Watcher(source, self)
            self._watchers.append(watcher)
            watcher.start()

    def stop(self) -> None:
        self.stopped.set()

    def put(self, item) -> None:
        self._queue.put(item)
        with self._signalled:
            if self._pending:
                return
            self._pending = True
        self.notify()

    def health(self, kind: str, live: bool, error: str = "") -> None:
        self.put(Health(kind, live, self.clock(), error))

    def drain(self) -> list:
        """Everything queued so far, in order (called on the UI loop)."""
        with self._signalled:
            self._pending = False
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items
