"""The protocols a workload adapter implements, one per concern, and the adapter's base.

A kind implements the concerns it has (a Deployment all of them; an Argo
Rollout adds promote, abort and retry as `KindAction`s). Each planner makes
one read of the cluster and returns a frozen Operation; `execute` carries it
out and answers with an Outcome. Everything here blocks: the console calls
it from workers, never on the UI loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..core.errors import ConsoleError
from ..core.names import TIMED_OUT_REASON
from ..core.operations import Operation, Outcome
from ..core.requests import Request
from ..core.workload import Replicas, Revision, WorkloadReader

if TYPE_CHECKING:
    from kubernetes import client


@dataclass(frozen=True)
class KindAction:
    """An action only some kinds have (Argo Rollouts' promote, abort, retry): the key table and the
    palette learn it from the adapter."""

    action: str  # the Request's action
    key: str  # the key that starts it on a component of this kind
    description: str  # for help and the palette
    verb: str  # "promoting": said while it runs
    asks: str = ""  # a question whose answer the action takes (set image: "CONTAINER=IMAGE"); "" asks nothing
    placeholder: str = ""


class ReplicaFields:
    """What a Deployment and an Argo Rollout keep in the same fields: replica counts, spec.paused and the
    Progressing condition's ProgressDeadlineExceeded (their readers share these)."""

    def replicas(self, obj: dict) -> Replicas:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return Replicas(spec.get("replicas", 1), status.get("readyReplicas", 0), status.get("updatedReplicas", 0),
                        status.get("availableReplicas", 0))

    def paused(self, obj: dict) -> bool:
        return bool((obj.get("spec") or {}).get("paused"))

    def stalled(self, obj: dict) -> bool:
        return any(c.get("type") == "Progressing" and c.get("reason") == TIMED_OUT_REASON
                   for c in (obj.get("status") or {}).get("conditions") or [])


def pick_revision(replicasets: list[dict], to_revision: int, revision_of) -> dict | None:
    """The ReplicaSet of `to_revision`, or for 0 the one before the newest (None: there is none), as kubectl's
    rollback.go deploymentRevision and the plugin's undo.go rolloutRevision both pick it; ReplicaSets whose
    revision is not a number are skipped."""
    latest_rev, previous, previous_rev = -1, None, -1
    latest = None
    for rs in replicasets:
        try:
            v = revision_of(rs)
        except ValueError:
            continue
        if to_revision == 0:
            if latest_rev < v:
                previous, previous_rev, latest, latest_rev = latest, latest_rev, rs, v
            elif previous_rev < v:
                previous, previous_rev = rs, v
        elif to_revision == v:
            return rs
    if to_revision > 0:
        raise ConsoleError(f"unable to find specified revision {to_revision} in history")
    return previous


@runtime_checkable
class HistoryViewer(Protocol):
    def history(self, api: client.ApiClient, namespace: str, name: str) -> list[Revision]: ...


@runtime_checkable
class Rollbacker(Protocol):
    def plan_rollback(self, api: client.ApiClient, namespace: str, name: str, to_revision: int = 0,
                      reason: str = "") -> Operation: ...


@runtime_checkable
class Pauser(Protocol):
    def plan_pause(self, api: client.ApiClient, namespace: str, name: str) -> Operation: ...

    def plan_resume(self, api: client.ApiClient, namespace: str, name: str) -> Operation: ...


@runtime_checkable
class Restarter(Protocol):
    def plan_restart(self, api: client.ApiClient, namespace: str, name: str) -> Operation: ...


@runtime_checkable
class Scaler(Protocol):
    def plan_scale(self, api: client.ApiClient, namespace: str, name: str, replicas: int) -> Operation: ...


@runtime_checkable
class TrafficDiverter(Protocol):
    def plan_divert_traffic(self, api: client.ApiClient, namespace: str, name: str, serving: bool) -> Operation: ...


@runtime_checkable
class Annotator(Protocol):
    def plan_annotate(self, api: client.ApiClient, namespace: str, name: str, change_cause: str) -> Operation: ...


# Which protocol each generic action needs.
NEEDS: dict[str, type] = {
    "rollback": Rollbacker, "pause": Pauser, "resume": Pauser, "restart": Restarter, "scale": Scaler,
    "divert_traffic": TrafficDiverter, "annotate": Annotator,
}


class Workload:
    """One kind's adapter. Subclasses set the class attributes and implement the protocols they support."""

    kind: str = ""  # "Deployment"
    resource: str = ""  # kubectl's name for it: "deployment.apps"
    reader: WorkloadReader
    kind_actions: tuple[KindAction, ...] = ()

    def supports(self, action: str) -> bool:
        needed = NEEDS.get(action)
        if needed is not None:
            return isinstance(self, needed)
        return any(a.action == action for a in self.kind_actions)

    def plan(self, api: client.ApiClient, namespace: str, request: Request) -> Operation:
        """The Operation for a request (one read of the cluster); ConsoleError when it cannot be done."""
        name, action = request.component.name, request.action
        if not self.supports(action):
            raise ConsoleError(f"{self.resource}/{name} cannot be {action.replace('_', ' ')}d from the console; "
                               "use the kind's own tooling.")
        if action == "rollback":
            return self.plan_rollback(api, namespace, name, request.revision)  # type: ignore[attr-defined]
        if action in ("pause", "resume", "restart"):
            return getattr(self, f"plan_{action}")(api, namespace, name)
        if action == "scale":
            return self.plan_scale(api, namespace, name, int(request.replicas or 0))  # type: ignore[attr-defined]
        if action == "divert_traffic":
            return self.plan_divert_traffic(api, namespace, name, bool(request.serving))  # type: ignore[attr-defined]
        if action == "annotate":
            return self.plan_annotate(api, namespace, name, request.change_cause)  # type: ignore[attr-defined]
        return self.plan_kind_action(api, namespace, request)

    def plan_kind_action(self, api: client.ApiClient, namespace: str, request: Request) -> Operation:
        """A kind-specific action (a KindAction's `action`); `request.argument` is the answer to its `asks`."""
        raise ConsoleError(f"{request.action} is not an action of {self.kind}.")

    def sources(self, api: client.ApiClient, namespace: str, selected: dict) -> list:
        """What to list and watch for this kind (tui.kube.watch.Source): the kind itself and the objects its
        revisions are; `selected` is the label selector's keyword arguments."""
        raise NotImplementedError

    def read(self, api: client.ApiClient, namespace: str, name: str, doing: str) -> dict:
        """The workload as the server stores it (raw JSON); ConsoleError with `doing` in it when it cannot."""
        raise NotImplementedError

    def execute(self, api: client.ApiClient, op: Operation, *, settle_timeout: float = 10.0) -> Outcome:
        raise NotImplementedError
