"""Annotation and label names the console reads and writes: the one home for them.

They are Kubernetes' and kubectl's own (k8s.io/api, pkg/controller/deployment/util,
kubectl's polymorphichelpers), so what the console writes is what kubectl writes.
"""

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
HASH_LABEL = "pod-template-hash"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
SERVING_LABEL = "serving"  # the runbook's traffic-diversion label
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
HELM_RELEASE_ANNOTATION = "meta.helm.sh/release-name"  # set by helm on what a release manages
