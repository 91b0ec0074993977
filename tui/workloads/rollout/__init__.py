"""The Argo Rollout adapter (argoproj.io/v1alpha1 Rollout): the generic concerns where they fit (undo is
the rollback, pause, resume as promote, restart, scale through the /scale subresource) and the plugin's own actions as KindActions (promote,
promote --full, abort, retry, set image) plus the incident fast path back to stable.

The read side (history, status) is plain Python over watched objects; plan.py and execute.py send the
plugin's exact bodies by API path through the ApiClient (see rest.py), imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import ConsoleError
from ...core.operations import Operation, Outcome
from ...core.requests import Request
from ...core.rollout import (
    ABORTED_REASON,
    DEGRADED,
    PAUSED,
    ROLLOUT_KIND,
    ROLLOUT_REVISION,
    RolloutSummary,
    summarize,
)
from ...core.state import image_tag
from ...core.workload import Revision, RolloutStatus
from ..base import KindAction, ReplicaFields, Workload
from .history import revisions
from .status import rollout_status

if TYPE_CHECKING:
    from kubernetes import client

ROLLOUTS_PATH = "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts"


class RolloutReader(ReplicaFields):
    """The pure read side, over watched objects."""

    kind = ROLLOUT_KIND
    owns = "ReplicaSet"

    def revisions(self, obj: dict, owned: list[dict]) -> list[Revision]:
        return revisions(obj, owned)

    def rollout_status(self, obj: dict) -> RolloutStatus:
        return rollout_status(obj)

    # paused() is spec.paused (p resumes it); a canary waiting at a pause step is not paused: P promotes it.

    def revision(self, obj: dict) -> str:
        return ((obj.get("metadata") or {}).get("annotations") or {}).get(ROLLOUT_REVISION, "")

    def failed(self, obj: dict) -> str:
        """An aborted update, from upstream's RolloutAborted message: "aborted by the analysis: Metric
        "success-rate" assessed Failed due to failed (4) > failureLimit (3)", or "aborted by hand"."""
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == ABORTED_REASON:
                _, _, why = cond.get("message", "").partition(": ")  # after "Rollout aborted update to revision N"
                # rollout/analysis.go's messages: "<Background|Step-based|Blue/green ...> analysis phase
                # error/failed: <the AnalysisRun's message>".
                _, sep, detail = why.partition(" analysis phase error/failed: ")
                if sep:
                    return f"aborted by the analysis: {detail}"
                return f"aborted: {why}" if why else "aborted by hand"
        return ""

    def summary(self, obj: dict, owned: list[dict]) -> RolloutSummary:
        return summarize(obj, owned)

    def status_detail(self, obj: dict, owned: list[dict]) -> tuple[str, tuple[str, ...], str]:
        """The row's status word (upstream's phase), what follows it, most telling first (aborted; step i/n;
        set/actual weight; the stable image while a canary is in flight; the pause reason), and upstream's
        message."""
        s = summarize(obj, owned)
        parts = ["aborted"] if s.phase == DEGRADED and s.aborted else []
        parts += [s.step_text] if s.step_text else []
        if s.strategy == "Canary":
            parts.append(f"w{s.weight_text}")
        if s.canary_images and s.stable_images:
            parts.append("stable " + ",".join(image_tag(i) for i in s.stable_images))
        if s.phase == PAUSED and s.pause_reasons and not s.paused_manually:
            parts.append(s.pause_reasons[0])
        return s.phase, tuple(parts), s.message


# Keys free on the console (screens/console.py KEYS): P F X R g b.
ACTIONS = (
    KindAction("promote", "P", "promote: end the current step (or resume a manual pause) "
               "(kubectl argo rollouts promote)", "promoting"),
    KindAction("promote_full", "F", "promote fully: skip every remaining step and analysis "
               "(kubectl argo rollouts promote --full)", "fully promoting"),
    KindAction("abort", "X", "abort the canary: every pod back on stable, Degraded until undone or retried "
               "(kubectl argo rollouts abort)", "aborting"),
    KindAction("retry", "R", "retry an aborted rollout: the steps run again (kubectl argo rollouts retry rollout)",
               "retrying"),
    KindAction("set_image", "g", "set a container's image: a new canary (kubectl argo rollouts set image)",
               "setting the image of", asks="Set which container to which image? CONTAINER=IMAGE",
               placeholder="backend=ghcr.io/eli-maor/backend:v2.1.1"),
    KindAction("back_to_stable", "b", "incident fast path: undo onto the stable revision (skips the steps, as "
               "upstream) or, when that is not possible, abort", "rolling back to stable"),
)


class Rollout(Workload):
    kind = ROLLOUT_KIND
    resource = "rollout.argoproj.io"
    reader = RolloutReader()
    kind_actions = ACTIONS

    def sources(self, api: client.ApiClient, namespace: str, selected: dict) -> list:
        from ...kube.collection import Collection
        from ...kube.watch import Source

        # By path (no CustomObjectsApi: slow to import). A cluster without the CRD lists none (optional).
        return [Source(ROLLOUT_KIND, Collection(api, ROLLOUTS_PATH), (namespace,), dict(selected), optional=True),
                Source("ReplicaSet", Collection(api, "/apis/apps/v1/namespaces/{namespace}/replicasets"),
                       (namespace,), dict(selected))]

    def read(self, api: client.ApiClient, namespace: str, name: str, doing: str) -> dict:
        from . import plan as planner

        return planner.read(api, namespace, name, doing)

    def history(self, api: client.ApiClient, namespace: str, name: str) -> list[Revision]:
        from . import plan as planner

        doing = f"reading the history of rollout.argoproj.io/{name}"
        rollout = planner.read(api, namespace, name, doing)
        return revisions(rollout, planner.replicasets_of(api, rollout, doing))

    def plan_rollback(self, api: client.ApiClient, namespace: str, name: str, to_revision: int = 0,
                      reason: str = "") -> Operation:
        from . import plan as planner

        return planner.plan(api, namespace, name, "rollback", revision=to_revision, reason=reason)

    def plan_pause(self, api: client.ApiClient, namespace: str, name: str) -> Operation:
        from . import plan as planner

        return planner.plan(api, namespace, name, "pause")

    def plan_resume(self, api: client.ApiClient, namespace: str, name: str) -> Operation:
        from . import plan as planner

        return planner.plan(api, namespace, name, "resume")

    def plan_restart(self, api: client.ApiClient, namespace: str, name: str) -> Operation:
        from . import plan as planner

        return planner.plan(api, namespace, name, "restart")

    def plan_scale(self, api: client.ApiClient, namespace: str, name: str, replicas: int) -> Operation:
        from . import plan as planner

        return planner.plan_scale(api, namespace, name, replicas)

    def plan_kind_action(self, api: client.ApiClient, namespace: str, request: Request) -> Operation:
        from . import plan as planner

        if request.action not in {a.action for a in ACTIONS}:
            raise ConsoleError(f"{request.action} is not an action of a Rollout.")
        return planner.plan(api, namespace, request.component.name, request.action, image=request.argument)

    def execute(self, api: client.ApiClient, op: Operation, *, settle_timeout: float = 10.0) -> Outcome:
        from . import execute as executor

        return executor.execute(api, op)
