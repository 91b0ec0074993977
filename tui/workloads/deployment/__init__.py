"""The Deployment adapter: every concern, with kubectl's exact semantics (see plan.py and execute.py).

The read side (history, status) is plain Python; plan.py and execute.py, which load the kubernetes
client, are imported on first use, from a worker."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ...core.names import REVISION
from ...core.operations import Operation, Outcome
from ...core.workload import Revision, RolloutStatus
from ..base import ReplicaFields, Workload
from .history import revisions
from .status import rollout_status

if TYPE_CHECKING:
    from kubernetes import client


class DeploymentReader(ReplicaFields):
    """The pure read side, over watched objects."""

    kind = "Deployment"
    owns = "ReplicaSet"

    def revisions(self, obj: dict, owned: list[dict]) -> list[Revision]:
        return revisions(obj, owned)

    def rollout_status(self, obj: dict) -> RolloutStatus:
        return rollout_status(obj)

    def revision(self, obj: dict) -> str:
        return ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, "")

    def failed(self, obj: dict) -> str:
        return ""  # a Deployment's failure is its progress deadline (`stalled`)

    def status_detail(self, obj: dict, owned: list[dict]) -> None:
        return None  # the console's generic words are kubectl's view of a Deployment


class Deployment(Workload):
    kind = "Deployment"
    resource = "deployment.apps"
    reader = DeploymentReader()

    def __init__(self) -> None:
        self._apps: dict[int, client.AppsV1Api] = {}
        self._lock = threading.Lock()

    def apps(self, api: client.ApiClient) -> client.AppsV1Api:
        """The client's API class for this ApiClient, built once (it is slow to build: callers are workers)."""
        from kubernetes import client

        with self._lock:
            apps = self._apps.get(id(api))
            if apps is None or apps.api_client is not api:
                apps = self._apps[id(api)] = client.AppsV1Api(api)
            return apps

    def sources(self, api: client.ApiClient, namespace: str, selected: dict) -> list:
        from ...kube.collection import Collection
        from ...kube.watch import Source

        # By path: AppsV1Api is slow to import and only actions need it (see tui/kube/collection.py).
        return [Source(kind, Collection(api, f"/apis/apps/v1/namespaces/{{namespace}}/{plural}"), (namespace,),
                       dict(selected)) for kind, plural in (("Deployment", "deployments"), ("ReplicaSet", "replicasets"))]

    def read(self, api: client.ApiClient, namespace: str, name: str, doing: str) -> dict:
        from . import plan as planner

        return planner._read_deployment(self.apps(api), namespace, name, doing)

    def history(self, api: client.ApiClient, namespace: str, name: str) -> list[Revision]:
        from . import plan as planner

        return planner.history(self.apps(api), namespace, name)

    def plan_rollback(self, api: client.ApiClient, namespace: str, name: str, to_revision: int = 0,
                      reason: str = "") -> Operation:
        from . import plan as planner

        return planner.plan_rollback(self.apps(api), namespace, name, to_revision, reason)

    def plan_pause(self, api: client.ApiClient, namespace: str, name: str) -> Operation:
        from . import plan as planner

        return planner.plan_pause(self.apps(api), namespace, name)

    def plan_resume(self, api: client.ApiClient, namespace: str, name: str) -> Operation:
        from . import plan as planner

        return planner.plan_resume(self.apps(api), namespace, name)

    def plan_restart(self, api: client.ApiClient, namespace: str, name: str) -> Operation:
        from . import plan as planner

        return planner.plan_restart(self.apps(api), namespace, name)

    def plan_scale(self, api: client.ApiClient, namespace: str, name: str, replicas: int) -> Operation:
        from . import plan as planner

        return planner.plan_scale(self.apps(api), namespace, name, replicas)

    def plan_divert_traffic(self, api: client.ApiClient, namespace: str, name: str, serving: bool) -> Operation:
        from . import plan as planner

        return planner.plan_divert_traffic(self.apps(api), namespace, name, serving)

    def plan_annotate(self, api: client.ApiClient, namespace: str, name: str, change_cause: str) -> Operation:
        from . import plan as planner

        return planner.plan_annotate(self.apps(api), namespace, name, change_cause)

    def execute(self, api: client.ApiClient, op: Operation, *, settle_timeout: float = 10.0) -> Outcome:
        from . import execute as executor

        return executor.execute(self.apps(api), op, settle_timeout=settle_timeout)
