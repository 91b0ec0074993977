"""What the sandbox serves at `GET /metrics`, in Prometheus's text format.

Two collectors on one registry, both computed at scrape time from the
store's objects: `ksm.py` (kube-state-metrics' Deployment and Pod series,
with upstream's names and labels) and `traffic.py` (the application's own
HTTP metrics, simulated per Ready pod on the sandbox clock).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from ..clock import Clock
from ..store import Storage
from .ksm import KubeStateMetrics
from .traffic import Traffic

__all__ = ["Metrics"]


class Metrics:
    def __init__(self, storage: Storage, clock: Clock):
        self.traffic = Traffic(storage, clock)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(KubeStateMetrics(storage))
        self.registry.register(self.traffic)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
