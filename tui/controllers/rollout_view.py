"""The Rollout view's reading: one Rollout, its ReplicaSets, their pods and its AnalysisRuns, listed then watched.

Everything runs off the UI loop: a worker reads the Rollout once (for its selector, and to say at once when there
is no such Rollout), then a WatchHub of its own lists and watches the four kinds by path (Collection: the
generated API classes are slow to import), reconnecting as the console's watchers do. Each batch comes back to
the UI loop, into `LiveObjects`, and the screen repaints from it. A watch that is down keeps its last objects and
the view says it is stale. Each `open` bumps a generation; news of an older one (a closed view) is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

from ..core import rollout_view as rv
from ..core.errors import ConsoleError
from .console import Console

ROLLOUTS = "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts"
ANALYSISRUNS = "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/analysisruns"
REPLICASETS = "/apis/apps/v1/namespaces/{namespace}/replicasets"
PODS = "/api/v1/namespaces/{namespace}/pods"
NOT_INSTALLED = ("This cluster serves no Argo Rollouts (rollouts.argoproj.io is not found); "
                 "install Argo Rollouts or pick a Deployment.")

# What the screen is told: the live objects (None before anything came) and one sentence when it cannot read.
Shown = Callable[[rv.LiveObjects | None, str], None]


def selector_of(rollout: dict) -> str:
    """The Rollout's spec.selector as a label selector string (matchLabels and matchExpressions)."""
    selector = (rollout.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or ():
        op, values = e.get("operator", ""), ",".join(e.get("values") or ())
        parts.append({"In": f"{e.get('key')} in ({values})", "NotIn": f"{e.get('key')} notin ({values})",
                      "Exists": f"{e.get('key')}", "DoesNotExist": f"!{e.get('key')}"}.get(op, ""))
    return ",".join(p for p in parts if p)


class Closing:
    """A watch source's method (a Collection) whose open response `close()` shuts from any thread.

    A watcher notices a stopped hub only at its next line or its watch's 60 s timeout; a view opened and closed
    a few times during an incident would leave that many long polls open. Shutting the response ends the
    blocking read at once (the watcher then sees its hub stopped and ends), as the logs view's stream does."""

    def __init__(self, method) -> None:
        self.method = method
        self._lock = threading.Lock()
        self._response = None
        self._closed = False

    def __call__(self, *args, **kwargs):
        with self._lock:
            if self._closed:
                raise OSError("the Rollout view was closed")  # a watcher's retry after close: it ends quietly
        response = self.method(*args, **kwargs)
        with self._lock:
            self._response = response
            closed = self._closed
        if closed:
            self._shut(response)
        return response

    def close(self) -> None:
        with self._lock:
            self._closed = True
            response, self._response = self._response, None
        if response is not None:
            self._shut(response)

    @staticmethod
    def _shut(response) -> None:
        try:
            response.shutdown()  # unblocks a read in progress on the watcher's thread
            response.close()
        except Exception:  # noqa: BLE001 - closing a connection that is already gone
            pass


class RolloutViewController:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.generation = 0
        self._hub = None
        self._methods: list[Closing] = []
        self.live: rv.LiveObjects | None = None

    def open(self, namespace: str, name: str, shown: Shown) -> int:
        """Start reading `name` in `namespace`; `shown(live, error)` runs on the UI loop after each batch."""
        self.close()
        self.generation += 1
        self.live = rv.LiveObjects(namespace, name)
        self.console.run_off_loop(partial(self._start_in_thread, self.generation, namespace, name, shown),
                                  group="rollout-view", name=f"rollout view of {name}")
        return self.generation

    def close(self) -> None:
        """Stop the watches now (their open responses are shut, so each thread ends at once; late news is dropped)."""
        self.generation += 1
        hub, self._hub = self._hub, None
        methods, self._methods = self._methods, []
        if hub is not None:
            hub.stop()
        for method in methods:
            method.close()

    def _start_in_thread(self, generation: int, namespace: str, name: str, shown: Shown) -> None:
        from ..kube.collection import Collection
        from ..kube.rest import call
        from ..kube.watch import Source, WatchHub

        api = self.console.target.api
        try:
            listed = call(f"reading rollout {name}", Collection(api, ROLLOUTS), namespace,
                          field_selector=f"metadata.name={name}")
        except ConsoleError as err:
            # A 404 on the collection itself: the cluster serves no rollouts.argoproj.io at all.
            sentence = NOT_INSTALLED if err.status == 404 else err.message
            self.console.call_soon(self._say, generation, shown, sentence)
            return
        items = listed.get("items") or []
        if not items:
            self.console.call_soon(self._say, generation, shown,
                                   f"Rollout {name} is not in namespace {namespace} (kubectl get ro -n {namespace}).")
            return
        selected = {"label_selector": selector_of(items[0])} if selector_of(items[0]) else {}
        hub = WatchHub(self.console.target.server, clock=self.console.clock,
                       notify=lambda: self._notify(generation, shown))
        if generation != self.generation:
            return  # closed while reading
        rollouts, replicasets, pods, runs = methods = [
            Closing(Collection(api, path)) for path in (ROLLOUTS, REPLICASETS, PODS, ANALYSISRUNS)]
        self._hub, self._methods = hub, methods
        if generation != self.generation:  # closed just now, before close() could see this hub
            hub.stop()
            for method in methods:
                method.close()
            return
        hub.start([
            Source(rv.ROLLOUT, rollouts, (namespace,), {"field_selector": f"metadata.name={name}"}),
            Source(rv.REPLICASET, replicasets, (namespace,), dict(selected)),
            Source(rv.POD, pods, (namespace,), dict(selected)),
            # AnalysisRuns carry the template's labels, not the Rollout's: the namespace's, picked by owner.
            Source(rv.ANALYSISRUN, runs, (namespace,)),
        ])

    def _notify(self, generation: int, shown: Shown) -> None:
        """From a watcher thread, once per batch not drained yet."""
        if generation != self.generation:
            return
        try:
            self.console.call_soon(self._drain, generation, shown)
        except RuntimeError:  # the app's loop has closed: nobody is looking
            pass

    def _drain(self, generation: int, shown: Shown) -> None:
        hub = self._hub
        if generation != self.generation or hub is None or self.live is None or not self.console.alive:
            return
        if self.live.apply(hub.drain()):
            shown(self.live, "")

    def _say(self, generation: int, shown: Shown, error: str) -> None:
        if generation == self.generation and self.console.alive:
            shown(None, error)
