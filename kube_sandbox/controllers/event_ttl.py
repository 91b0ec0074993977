"""Events expire, as the apiserver's --event-ttl (default one hour) makes them do.

Without it the seed's week of releases would leave its events in
`kubectl get events` forever; with it, what an engineer sees is recent news.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import parse_rfc3339
from ..errors import ApiError
from ..resources import EVENT
from ..store import DELETED, Change
from .base import Controller, Key

EVENT_TTL = 3600.0  # simulated seconds


class EventTTLController(Controller):
    name = "event-ttl"

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == EVENT.key and change.type != DELETED:
            # Checked again when it would expire; a later update re-arms the check.
            self.enqueue_after(EVENT_TTL, change.namespace, change.name)
        return ()

    def sync(self, namespace: str, name: str) -> None:
        event = self.ctx.storage.get(EVENT.key, namespace, name)
        if event is None:
            return
        last = parse_rfc3339(event.get("lastTimestamp") or event["metadata"].get("creationTimestamp"))
        if last is not None and (age := self.clock.elapsed(last)) < EVENT_TTL:
            self.enqueue_after(EVENT_TTL - age + 1, namespace, name)  # timestamps are whole seconds
            return
        try:
            self.api.delete(EVENT, namespace, name)
        except ApiError:
            pass  # already gone
