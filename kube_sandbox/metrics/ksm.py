"""kube-state-metrics' Deployment and Pod series, from the store's objects.

Names, labels and values follow kube-state-metrics' internal/store/
deployment.go and pod.go (v2.17+): every condition gives three 0/1 series
(status "true", "false", "unknown"), its `reason` label is one of the
controller's known reasons or "unknown"; pod series carry `uid`.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..resources import DEPLOYMENT, POD
from ..store import Storage

CONDITION_STATUSES = ("True", "False", "Unknown")
# allowedDeploymentReasons in kube-state-metrics' deployment.go; anything else is reported as "unknown".
DEPLOYMENT_REASONS = frozenset({
    "ReplicaSetUpdated", "ReplicaSetCreateError", "NewReplicaSetCreated", "FoundNewReplicaSet",
    "NewReplicaSetAvailable", "ProgressDeadlineExceeded", "DeploymentPaused", "DeploymentResumed",
    "MinimumReplicasAvailable", "MinimumReplicasUnavailable", "",
})
DEPLOYMENT_LABELS = ["namespace", "deployment"]
POD_LABELS = ["namespace", "pod", "uid"]

# (name, help, where in the Deployment) for the one-number gauges.
_DEPLOYMENT_GAUGES = (
    ("kube_deployment_spec_replicas", "Number of desired pods for a deployment.", "spec", "replicas"),
    ("kube_deployment_status_replicas", "The number of replicas per deployment.", "status", "replicas"),
    ("kube_deployment_status_replicas_ready", "The number of ready replicas per deployment.",
     "status", "readyReplicas"),
    ("kube_deployment_status_replicas_available", "The number of available replicas per deployment.",
     "status", "availableReplicas"),
    ("kube_deployment_status_replicas_unavailable", "The number of unavailable replicas per deployment.",
     "status", "unavailableReplicas"),
    ("kube_deployment_status_replicas_updated", "The number of updated replicas per deployment.",
     "status", "updatedReplicas"),
    ("kube_deployment_status_observed_generation", "The generation observed by the deployment controller.",
     "status", "observedGeneration"),
    ("kube_deployment_metadata_generation", "Sequence number representing a specific generation of the desired state.",
     "metadata", "generation"),
)


class KubeStateMetrics:
    def __init__(self, storage: Storage):
        self.storage = storage

    def describe(self) -> list[Metric]:
        return []  # computed at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        yield from self._deployments()
        yield from self._pods()

    def _deployments(self) -> Iterator[Metric]:
        gauges = [(GaugeMetricFamily(name, text, labels=DEPLOYMENT_LABELS), part, key)
                  for name, text, part, key in _DEPLOYMENT_GAUGES]
        conditions = GaugeMetricFamily("kube_deployment_status_condition",
                                       "The current status conditions of a deployment.",
                                       labels=[*DEPLOYMENT_LABELS, "reason", "condition", "status"])
        for d in self.storage.items(DEPLOYMENT.key):
            meta = d["metadata"]
            ident = [meta.get("namespace", ""), meta["name"]]
            for family, part, key in gauges:
                value = (d.get(part) or {}).get(key)
                if key == "replicas" and part == "spec" and value is None:
                    continue  # upstream skips a nil spec.replicas
                family.add_metric(ident, float(value or 0))
            for c in (d.get("status") or {}).get("conditions") or ():
                reason = c.get("reason", "")
                reason = reason if reason in DEPLOYMENT_REASONS else "unknown"
                for status in CONDITION_STATUSES:
                    conditions.add_metric([*ident, reason, c.get("type", ""), status.lower()],
                                          1.0 if c.get("status") == status else 0.0)
        for family, _, _ in gauges:
            yield family
        yield conditions

    def _pods(self) -> Iterator[Metric]:
        restarts = CounterMetricFamily("kube_pod_container_status_restarts_total",
                                       "The number of container restarts per container.",
                                       labels=[*POD_LABELS, "container"])
        ready = GaugeMetricFamily("kube_pod_status_ready", "Describes whether the pod is ready to serve requests.",
                                  labels=[*POD_LABELS, "condition"])
        for pod in self.storage.items(POD.key):
            meta = pod["metadata"]
            ident = [meta.get("namespace", ""), meta["name"], meta.get("uid", "")]
            status = pod.get("status") or {}
            for cs in status.get("containerStatuses") or ():
                restarts.add_metric([*ident, cs.get("name", "")], float(cs.get("restartCount", 0)))
            for c in status.get("conditions") or ():
                if c.get("type") == "Ready":
                    for s in CONDITION_STATUSES:
                        ready.add_metric([*ident, s.lower()], 1.0 if c.get("status") == s else 0.0)
        yield restarts
        yield ready
