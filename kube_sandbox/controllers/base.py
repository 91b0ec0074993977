"""What every sandbox controller shares: a deduplicating work queue fed by
storage changes, timed requeues on the sandbox clock, and an event recorder.

Controllers are synchronous: `sync(namespace, name)` reads and writes through
`Api` like kube-controller-manager's sync handlers do through the apiserver.
The manager drains the queues on the clock, so the same code runs live (on
the asyncio loop) and under `ManualClock` (seeds and unit tests).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from ..api import Api
from ..clock import Clock, ManualClock
from ..errors import ApiError
from ..store import Change

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (namespace, name)


@dataclass
class Context:
    api: Api
    clock: Clock

    @property
    def storage(self):
        return self.api.storage


class Controller:
    """Subclasses set `name` and implement `keys_for` and `sync`."""

    name = "controller"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.api = ctx.api
        self.clock = ctx.clock
        self.manager: ControllerManager | None = None

    def keys_for(self, change: Change) -> Iterable[Key]:
        """The keys of this controller's objects that `change` may affect."""
        return ()

    def sync(self, namespace: str, name: str) -> None:
        raise NotImplementedError

    def enqueue(self, namespace: str, name: str) -> None:
        assert self.manager is not None
        self.manager.enqueue(self, (namespace, name))

    def enqueue_after(self, sim_seconds: float, namespace: str, name: str) -> None:
        self.clock.after(sim_seconds, lambda: self.enqueue(namespace, name))


class ControllerManager:
    # A sync that keeps re-queueing itself within one drain is a bug; stop it
    # from spinning the loop forever and let the clock try again later.
    MAX_SYNCS_PER_DRAIN = 100_000

    def __init__(self, ctx: Context, controllers: list[Controller]):
        self.ctx = ctx
        self.controllers = controllers
        self._queue: dict[tuple[int, Key], Controller] = {}
        self._scheduled = False
        for c in controllers:
            c.manager = self
        self._unsubscribe = ctx.storage.subscribe(self._on_change)

    def stop(self) -> None:
        self._unsubscribe()

    def _on_change(self, change: Change) -> None:
        for c in self.controllers:
            for key in c.keys_for(change):
                self.enqueue(c, key)

    def enqueue(self, controller: Controller, key: Key) -> None:
        self._queue[(id(controller), key)] = controller
        if not self._scheduled:
            self._scheduled = True
            self.ctx.clock.after(0, self.drain)

    def resync_all(self) -> None:
        """Queue every object each controller owns, as an informer resync does."""
        for c in self.controllers:
            for key in getattr(c, "all_keys", lambda: ())():
                self.enqueue(c, key)

    def drain(self) -> None:
        self._scheduled = False
        for _ in range(self.MAX_SYNCS_PER_DRAIN):
            if not self._queue:
                return
            (ident, key), controller = next(iter(self._queue.items()))
            del self._queue[(ident, key)]
            try:
                controller.sync(*key)
            except ApiError as exc:
                # Conflicts and races resolve on a later sync, as upstream requeues with backoff.
                log.debug("%s sync %s/%s: %s", controller.name, *key, exc.message)
                controller.enqueue_after(1, *key)
            except Exception:
                log.exception("%s sync %s/%s failed", controller.name, *key)
                controller.enqueue_after(5, *key)
        if self._queue and not self._scheduled:
            self._scheduled = True
            self.ctx.clock.after(0.1, self.drain)

    def run_until_idle(self, max_sim_seconds: float = 3600.0) -> None:
        """Under a ManualClock: drain and fire timers until nothing is due within the horizon."""
        clock = self.ctx.clock
        assert isinstance(clock, ManualClock)
        horizon = clock.now() + max_sim_seconds
        self.drain()
        while (due := clock.next_due()) is not None and due <= horizon:
            clock.fire_next()
            self.drain()
