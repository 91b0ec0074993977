"""The CustomResourceDefinition objects for Argo Rollouts' kinds.

Upstream's generated CRDs carry full OpenAPI schemas (the Rollout's is
574 KB); these keep what clients read from them: names, scope, short names,
subresources and printer columns, with a schema that preserves unknown
fields, so `kubectl get crd` and `kubectl explain`-free workflows see them.
"""

from __future__ import annotations

from .api import Api
from .jsoncopy import clone
from .resources import (
    ANALYSIS_RUN,
    ANALYSIS_TEMPLATE,
    CLUSTER_ANALYSIS_TEMPLATE,
    CRD,
    EXPERIMENT,
    ROLLOUT,
    ResourceType,
)

ARGO_KINDS = (ROLLOUT, ANALYSIS_TEMPLATE, CLUSTER_ANALYSIS_TEMPLATE, ANALYSIS_RUN, EXPERIMENT)
_AGE = {"description": "Time since resource was created", "jsonPath": ".metadata.creationTimestamp",
        "name": "Age", "type": "date"}
# As in upstream's manifests/crds/*-crd.yaml.
_COLUMNS = {
    "rollouts": [
        {"description": "Number of desired pods", "jsonPath": ".spec.replicas", "name": "Desired", "type": "integer"},
        {"description": "Total number of non-terminated pods targeted by this rollout",
         "jsonPath": ".status.replicas", "name": "Current", "type": "integer"},
        {"description": "Total number of non-terminated pods targeted by this rollout that have the desired "
         "template spec", "jsonPath": ".status.updatedReplicas", "name": "Up-to-date", "type": "integer"},
        {"description": "Total number of available pods (ready for at least minReadySeconds) targeted by this "
         "rollout", "jsonPath": ".status.availableReplicas", "name": "Available", "type": "integer"},
        _AGE,
    ],
    "analysisruns": [{"description": "AnalysisRun status", "jsonPath": ".status.phase", "name": "Status",
                      "type": "string"}, _AGE],
    "experiments": [{"description": "Experiment status", "jsonPath": ".status.phase", "name": "Status",
                     "type": "string"}, _AGE],
    "analysistemplates": [_AGE],
    "clusteranalysistemplates": [_AGE],
}


def crd(rt: ResourceType) -> dict:
    subresources: dict = {}
    if "status" in rt.subresources:
        subresources["status"] = {}
    if "scale" in rt.subresources:
        subresources["scale"] = {"labelSelectorPath": ".status.selector", "specReplicasPath": ".spec.replicas",
                                 "statusReplicasPath": ".status.HPAReplicas"}
    version = {
        "name": rt.version,
        "served": True,
        "storage": True,
        "additionalPrinterColumns": _COLUMNS[rt.plural],
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    }
    if subresources:
        version["subresources"] = subresources
    names = {"kind": rt.kind, "listKind": f"{rt.kind}List", "plural": rt.plural, "singular": rt.singular}
    if rt.short_names:
        names["shortNames"] = list(rt.short_names)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": rt.qualified, "labels": {"app.kubernetes.io/name": "argo-rollouts",
                                                      "app.kubernetes.io/part-of": "argo-rollouts"}},
        "spec": {"group": rt.group, "names": names, "scope": "Namespaced" if rt.namespaced else "Cluster",
                 "versions": [version]},
    }


def install_argo_crds(api: Api) -> None:
    """Create the five CRDs and mark them Established, as the apiextensions controller does."""
    for rt in ARGO_KINDS:
        created = clone(api.create(CRD, "", crd(rt), manager="sandbox"))
        names = created["spec"]["names"]
        created["status"] = {
            "acceptedNames": names,
            "storedVersions": [rt.version],
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found",
                 "lastTransitionTime": created["metadata"]["creationTimestamp"]},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted",
                 "lastTransitionTime": created["metadata"]["creationTimestamp"]},
            ],
        }
        api.update(CRD, "", created["metadata"]["name"], created, subresource="status", manager="sandbox")
