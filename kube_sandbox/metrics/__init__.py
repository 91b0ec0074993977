"""What the sandbox serves at `GET /metrics`, in Prometheus's text format.

Two collectors, both computed at scrape time from the store's objects:
`ksm.py` (kube-state-metrics' Deployment and Pod series, with upstream's
names and labels) and `traffic.py` (the application's own HTTP metrics,
simulated per Ready pod on the sandbox clock). prometheus_client writes the
text.

Cheap at scale: kube-state-metrics' part is a function of the store alone,
so its text is kept until the store's resourceVersion moves; and the text is
formatted on a worker thread from families collected on the event loop (the
store is only read there), so a big scrape never stalls the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric

from ..clock import Clock
from ..store import Storage
from .ksm import KubeStateMetrics
from .traffic import Traffic

__all__ = ["Metrics"]


@dataclass(eq=False)  # hashable by identity: the registry keys collectors by them
class _Families:
    """Families already collected: a custom collector that hands them over as they are."""

    families: list[Metric]

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        return self.families


def _text(families: _Families) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(families)
    return generate_latest(registry)


@dataclass
class _Snapshot:
    rv: int
    ksm_text: bytes | None  # None: to be formatted from ksm
    ksm: _Families
    traffic: _Families


class Metrics:
    def __init__(self, storage: Storage, clock: Clock):
        self.storage = storage
        self.ksm = KubeStateMetrics(storage)
        self.traffic = Traffic(storage, clock)
        self._ksm_cache: tuple[int, bytes] = (-1, b"")

    def snapshot(self) -> _Snapshot:
        """On the event loop: everything read from the store, nothing formatted yet."""
        rv = self.storage.rv
        cached_rv, cached = self._ksm_cache
        ksm = _Families([] if cached_rv == rv else list(self.ksm.collect()))
        return _Snapshot(rv, cached if cached_rv == rv else None, ksm, _Families(list(self.traffic.collect())))

    def render(self, snap: _Snapshot) -> bytes:
        """Anywhere (a worker thread): the text of a snapshot."""
        ksm_text = snap.ksm_text
        if ksm_text is None:
            ksm_text = _text(snap.ksm)
            self._ksm_cache = (snap.rv, ksm_text)
        return ksm_text + _text(snap.traffic)

    def exposition(self) -> bytes:
        return self.render(self.snapshot())

    async def exposition_async(self) -> bytes:
        return await asyncio.to_thread(self.render, self.snapshot())
