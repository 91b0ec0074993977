"""The resource types the sandbox serves, as discovery describes them."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    # Kinds whose spec changes bump metadata.generation (and status is a subresource).
    tracks_generation: bool = False
    verbs: tuple[str, ...] = ALL_VERBS
    storage: str = field(default="")  # resources sharing storage (events) name the owner

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """Storage key: resources that are views of one another share it."""
        return self.storage or self.qualified

    @property
    def qualified(self) -> str:
        """`deployments.apps`, the name the apiserver uses in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "Namespace", "namespaces", namespaced=False, short_names=("ns",),
                 subresources=("status",)),
    ResourceType("", "v1", "Node", "nodes", namespaced=False, short_names=("no",),
                 subresources=("status",)),
    ResourceType("", "v1", "Pod", "pods", short_names=("po",), categories=("all",),
                 subresources=("status", "log")),
    ResourceType("", "v1", "Service", "services", short_names=("svc",), categories=("all",),
                 subresources=("status",)),
    ResourceType("", "v1", "Endpoints", "endpoints", short_names=("ep",)),
    ResourceType("", "v1", "Secret", "secrets"),
    ResourceType("", "v1", "ConfigMap", "configmaps", short_names=("cm",)),
    ResourceType("", "v1", "Event", "events", short_names=("ev",)),
    ResourceType("apps", "v1", "Deployment", "deployments", short_names=("deploy",),
                 categories=("all",), subresources=("status", "scale"), tracks_generation=True),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", short_names=("rs",),
                 categories=("all",), subresources=("status", "scale"), tracks_generation=True),
    ResourceType("batch", "v1", "Job", "jobs", categories=("all",), subresources=("status",),
                 tracks_generation=True),
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short_names=("pdb",),
                 subresources=("status",), tracks_generation=True),
    ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    # events.k8s.io/v1 is another view of the core events: one storage, converted on the way out.
    ResourceType("events.k8s.io", "v1", "Event", "events", short_names=("ev",), storage="events"),
    ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                 namespaced=False, short_names=("crd", "crds"), categories=("api-extensions",),
                 subresources=("status",), tracks_generation=True),
    # Argo Rollouts' custom resources (argo.py holds their CustomResourceDefinitions).
    ResourceType("argoproj.io", "v1alpha1", "Rollout", "rollouts", short_names=("ro",),
                 subresources=("status", "scale"), tracks_generation=True),
    ResourceType("argoproj.io", "v1alpha1", "AnalysisTemplate", "analysistemplates", short_names=("at",)),
    ResourceType("argoproj.io", "v1alpha1", "ClusterAnalysisTemplate", "clusteranalysistemplates",
                 namespaced=False, short_names=("cat",)),
    ResourceType("argoproj.io", "v1alpha1", "AnalysisRun", "analysisruns", short_names=("ar",),
                 subresources=("status",), tracks_generation=True),
    ResourceType("argoproj.io", "v1alpha1", "Experiment", "experiments", short_names=("exp",),
                 subresources=("status",), tracks_generation=True),
)

GROUPS: dict[str, list[str]] = {}
for _r in RESOURCES:
    GROUPS.setdefault(_r.group, [])
    if _r.version not in GROUPS[_r.group]:
        GROUPS[_r.group].append(_r.version)

_BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
_BY_KIND = {}
for _r in RESOURCES:
    _BY_KIND.setdefault((_r.group, _r.kind), _r)


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    return _BY_PATH.get((group, version, plural))


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    group, _, _version = api_version.rpartition("/")
    return _BY_KIND.get((group, kind))


NAMESPACE = lookup("", "v1", "namespaces")
NODE = lookup("", "v1", "nodes")
POD = lookup("", "v1", "pods")
SERVICE = lookup("", "v1", "services")
ENDPOINTS = lookup("", "v1", "endpoints")
SECRET = lookup("", "v1", "secrets")
CONFIGMAP = lookup("", "v1", "configmaps")
EVENT = lookup("", "v1", "events")
DEPLOYMENT = lookup("apps", "v1", "deployments")
REPLICASET = lookup("apps", "v1", "replicasets")
PDB = lookup("policy", "v1", "poddisruptionbudgets")
JOB = lookup("batch", "v1", "jobs")
ENDPOINTSLICE = lookup("discovery.k8s.io", "v1", "endpointslices")
EVENTS_V1 = lookup("events.k8s.io", "v1", "events")
CRD = lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
ROLLOUT = lookup("argoproj.io", "v1alpha1", "rollouts")
ANALYSIS_TEMPLATE = lookup("argoproj.io", "v1alpha1", "analysistemplates")
CLUSTER_ANALYSIS_TEMPLATE = lookup("argoproj.io", "v1alpha1", "clusteranalysistemplates")
ANALYSIS_RUN = lookup("argoproj.io", "v1alpha1", "analysisruns")
EXPERIMENT = lookup("argoproj.io", "v1alpha1", "experiments")
