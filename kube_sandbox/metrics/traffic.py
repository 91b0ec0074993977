"""The application's own HTTP metrics, simulated per pod on the sandbox clock.

Every Ready pod of a Deployment serves `REQUESTS_PER_SECOND` requests per
simulated second (so in real time, `rate()` sees that times the speed).
What it answers follows its first container's image tag, like the kubelet's
faults: a tag ending in ``-errors`` answers a third of them with 5xx (500 and
503 alternately), ``-slow`` answers slowly (p95 about 3 s; normally about
0.1 s). A pod that is not Ready (crash-looping, unready, starting) serves
nothing, and its counters stand still.

Counts are derived from the simulated seconds each pod has spent Ready, kept
per pod across scrapes, so counters only grow, whatever Ready does, and the
figures are exact functions of time (deterministic for tests): n requests
give floor(n * cdf) in each latency bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from ..clock import Clock
from ..controllers import podutil
from ..resources import POD, REPLICASET
from ..store import Storage

REQUESTS_PER_SECOND = 10.0  # per Ready pod, per simulated second
ERROR_SHARE = 3  # a "-errors" pod answers every third request with 5xx
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Share of requests answered within each bucket's bound (cumulative, one per BUCKETS entry).
NORMAL_CDF = (0.02, 0.10, 0.45, 0.80, 0.97, 0.995, 1.0, 1.0, 1.0, 1.0, 1.0)  # p95 ~0.09 s
SLOW_CDF = (0.0, 0.0, 0.0, 0.01, 0.03, 0.10, 0.30, 0.65, 0.93, 0.99, 1.0)  # p95 ~3.3 s
NORMAL_MEAN = 0.04  # seconds, for _sum
SLOW_MEAN = 1.2
LABELS = ["namespace", "deployment", "pod", "version"]


def traffic_mode(image: str) -> str:
    tag = podutil.image_tag(image)
    for mode in ("errors", "slow"):
        if tag.endswith(f"-{mode}"):
            return mode
    return "ok"


@dataclass
class _Served:
    seconds: float = 0.0  # simulated seconds spent Ready, up to `mark`
    mark: float = 0.0  # real time of the last look


class Traffic:
    def __init__(self, storage: Storage, clock: Clock):
        self.storage = storage
        self.clock = clock
        self._served: dict[str, _Served] = {}
        self._start = clock.now()  # traffic is counted from here: a seeded pod's past is not traffic anyone saw

    def describe(self) -> list[Metric]:
        return []

    def served_seconds(self, pod: dict) -> float:
        """Simulated seconds `pod` has served so far (since the sandbox first saw it), brought up to now."""
        now = self.clock.now()
        uid = pod["metadata"].get("uid", "")
        served = self._served.get(uid)
        if served is None:
            # First look: it has served since it became Ready (or since the sandbox started serving).
            served = self._served[uid] = _Served(mark=self._start)
        since = podutil.ready_since(pod)
        if since is not None:
            served.seconds += max(0.0, now - max(served.mark, since)) * self.clock.speed
        served.mark = now
        return served.seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("http_requests", "HTTP requests served, by status code.",
                                       labels=[*LABELS, "code"])
        latency = HistogramMetricFamily("http_request_duration_seconds", "HTTP request latency.", labels=LABELS)
        owners = self._deployments_of_replicasets()
        seen: set[str] = set()
        for pod in self.storage.items(POD.key):
            meta = pod["metadata"]
            if (pod.get("status") or {}).get("phase") != "Running":
                continue
            ref = podutil.controller_ref(pod)
            deployment = owners.get((meta.get("namespace", ""), ref["name"])) if ref and ref.get("kind") == "ReplicaSet" else None
            containers = (pod.get("spec") or {}).get("containers") or ()
            if deployment is None or not containers:
                continue
            seen.add(meta.get("uid", ""))
            image = containers[0].get("image", "")
            mode = traffic_mode(image)
            n = int(self.served_seconds(pod) * REQUESTS_PER_SECOND)
            errors = n // ERROR_SHARE if mode == "errors" else 0
            ident = [meta.get("namespace", ""), deployment, meta["name"], podutil.image_tag(image) or "latest"]
            requests.add_metric([*ident, "200"], float(n - errors))
            requests.add_metric([*ident, "500"], float((errors + 1) // 2))
            requests.add_metric([*ident, "503"], float(errors // 2))
            cdf, mean = (SLOW_CDF, SLOW_MEAN) if mode == "slow" else (NORMAL_CDF, NORMAL_MEAN)
            buckets = [(str(le), float(int(n * share))) for le, share in zip(BUCKETS, cdf, strict=True)]
            buckets.append(("+Inf", float(n)))
            latency.add_metric(ident, buckets, n * mean)
        for uid in self._served.keys() - seen:
            del self._served[uid]  # the pod is gone
        yield requests
        yield latency

    def _deployments_of_replicasets(self) -> dict[tuple[str, str], str]:
        owners = {}
        for rs in self.storage.items(REPLICASET.key):
            ref = podutil.controller_ref(rs)
            if ref and ref.get("kind") in ("Deployment", "Rollout"):  # the workload's name either way
                owners[(rs["metadata"].get("namespace", ""), rs["metadata"]["name"])] = ref["name"]
        return owners
