"""Planning Rollout actions: one read, an Operation with exactly the body the plugin sends.

Each body is upstream's (argoproj/argo-rollouts pkg/kubectl-argo-rollouts/cmd/<cmd>/<cmd>.go), so what
the console does is what `kubectl argo rollouts <cmd>` does:

- promote (promote.go getPatches, default case): with spec.paused, `{"spec":{"paused":false}}` to the
  Rollout; with pause conditions, `{"status":{"pauseConditions":null}}` to /status; an inconclusive
  step analysis paused by the controller, `{"status":{"pauseConditions":null, "controllerPause":false,
  "currentStepIndex":i+1}}`; a canary step with no pause (analysis or setWeight running),
  `{"status":{"pauseConditions":null, "currentStepIndex":i+1}}`. Status first, then spec; a 404 on
  /status (a controller older than the status subresource) sends the unified patch to the Rollout:
  `{"spec":{"paused":false},"status":{"pauseConditions":null[, "currentStepIndex":i+1]}}`.
- promote --full: `{"status":{"promoteFull":true}}` to /status when the canary is not stable, and
  `{"spec":{"paused":false}}` when paused; unified `{"spec":{"paused":false},"status":{"promoteFull":true}}`.
- abort (abort.go): `{"status":{"abort":true}}` to /status (404: to the Rollout).
- retry (retry.go): `{"status":{"abort":false}}` to /status (404: to the Rollout).
- pause (pause.go): `{"spec":{"paused":true}}` to the Rollout. The plugin has no resume: promote resumes.
- restart (restart.go): `{"spec":{"restartAt":"<now, UTC, RFC 3339>"}}` to the Rollout.
- set image (set_image.go): GET the Rollout, set the image of every container (init, regular,
  ephemeral) of that name ("*": all), PUT it back; up to 5 attempts on 409.
- undo [--to-revision] (undo.go): the ReplicaSet of that revision (or the second newest), its pod
  template without rollouts-pod-template-hash, as a JSON patch
  `[{"op":"replace","path":"/spec/template","value":<template>}]`; "skipped rollback" when it matches.

Planners raise ConsoleError when the plugin would refuse. Everything here blocks (workers only).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...core.errors import ConsoleError
from ...core.operations import Operation
from ...core.rollout import current_step, pod_hash, steps_of, summarize
from ...core.times import rfc3339
from ...core.validate import sanitize_text, validate_name, validate_namespace
from ..base import pick_revision
from ..deployment.diff import pod_template_diff
from ..deployment.history import selector_string
from . import rest
from .history import (
    equal_ignore_hash,
    images_of,
    owned,
    revision_of,
    stable_replicaset,
    template_of,
    without_hash,
)

if TYPE_CHECKING:
    from kubernetes import client

RESOURCE = "rollout.argoproj.io"
SET_IMAGE_ATTEMPTS = 5  # set_image.go maxAttempts


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _check(namespace: str, name: str) -> None:
    validate_namespace(namespace)
    validate_name(name)


def _basis(rollout: dict) -> str:
    """What a plan depends on: the spec (generation) and where the canary stands; not status churn."""
    status = rollout.get("status") or {}
    return json.dumps({"generation": _meta(rollout).get("generation", 0),
                       "stable": status.get("stableRS"), "current": status.get("currentPodHash"),
                       "abort": bool(status.get("abort"))}, sort_keys=True)


def command(verb: list[str], name: str, namespace: str) -> list[str]:
    return ["kubectl", "argo", "rollouts", *verb[:1], name, *verb[1:], "-n", namespace]


def read(api: client.ApiClient, namespace: str, name: str, doing: str) -> dict:
    _check(namespace, name)
    return rest.get_rollout(api, namespace, name, doing)


def replicasets_of(api: client.ApiClient, rollout: dict, doing: str) -> list[dict]:
    """undo.go listReplicaSets: selected by the Rollout's selector, controlled by it."""
    selector = selector_string((rollout.get("spec") or {}).get("selector"))
    items = rest.list_replicasets(api, _meta(rollout).get("namespace", ""), selector, doing)
    return owned(rollout, items)


def _common(rollout: dict, kind: str, verb: list[str]) -> dict:
    meta = _meta(rollout)
    name, namespace = meta.get("name", ""), meta.get("namespace", "")
    return {"kind": kind, "component": name, "namespace": namespace, "command": command(verb, name, namespace),
            "resource_version": meta.get("resourceVersion", ""), "basis": _basis(rollout), "workload": "Rollout",
            "kind_action": kind not in ("rollback", "pause", "resume", "restart")}


def _where(rollout: dict, replicasets: list[dict]) -> str:
    s = summarize(rollout, replicasets)
    step = f", step {s.step_text}" if s.step_text else ""
    return f"now {s.phase}{step}, weight {s.set_weight}% (actual {s.actual_weight}%)"


# ---- promote ---------------------------------------------------------------------------------

def _next_index(rollout: dict) -> int | None:
    _, index = current_step(rollout)
    if index is None:
        return None
    return index + 1 if index < len(steps_of(rollout)) else index


def promote_patches(rollout: dict, full: bool = False) -> tuple[dict | None, dict | None, dict]:
    """promote.go getPatches: (spec patch, status patch, unified patch for a 404 on /status)."""
    spec, status = rollout.get("spec") or {}, rollout.get("status") or {}
    spec_patch = {"spec": {"paused": False}} if spec.get("paused") else None
    if full:
        status_patch = ({"status": {"promoteFull": True}}
                        if status.get("currentPodHash") != status.get("stableRS") else None)
        return spec_patch, status_patch, {"spec": {"paused": False}, "status": {"promoteFull": True}}
    unified: dict = {"spec": {"paused": False}, "status": {"pauseConditions": None}}
    status_patch = None
    step_analysis = ((status.get("canary") or {}).get("currentStepAnalysisRunStatus") or {}).get("status")
    canary = (spec.get("strategy") or {}).get("canary") is not None
    if (canary and step_analysis == "Inconclusive" and status.get("pauseConditions")
            and status.get("controllerPause")):
        index = _next_index(rollout)
        if index is not None:
            status_patch = {"status": {"pauseConditions": None, "controllerPause": False, "currentStepIndex": index}}
    elif status.get("pauseConditions"):
        status_patch = {"status": {"pauseConditions": None}}
    elif canary:
        index = _next_index(rollout)
        if index is not None:
            status_patch = {"status": {"pauseConditions": None, "currentStepIndex": index}}
            unified = {"spec": {"paused": False}, "status": {"pauseConditions": None, "currentStepIndex": index}}
    return spec_patch, status_patch, unified


def _patch_lines(spec_patch: dict | None, status_patch: dict | None) -> list[str]:
    lines = []
    if status_patch is not None:
        lines.append(f"PATCH status (merge): {json.dumps(status_patch, separators=(',', ':'))}")
    if spec_patch is not None:
        lines.append(f"PATCH (merge): {json.dumps(spec_patch, separators=(',', ':'))}")
    return lines


def plan_promote(rollout: dict, replicasets: list[dict], *, full: bool = False, kind: str = "") -> Operation:
    name = _meta(rollout).get("name", "")
    s = summarize(rollout, replicasets)
    spec_patch, status_patch, unified = promote_patches(rollout, full)
    verb = ["promote", "--full"] if full else ["promote"]
    common = _common(rollout, kind or ("promote_full" if full else "promote"), verb)
    if s.promoted and not s.paused_manually:
        return Operation(summary=f"Promote rollout {name}: nothing to do", changes=["nothing: it is fully promoted"],
                         noop=f"rollout '{name}' is fully promoted ({s.phase}); nothing to promote", **common)
    if full:
        changes = [f"skips every remaining step, pause and analysis: {', '.join(s.canary_images) or 'the canary'} "
                   "takes 100% of the pods and becomes stable"]
    elif s.paused_manually and not s.pause_reasons:
        changes = ["resumes the manually paused rollout (spec.paused: true → false)"]
    else:
        changes = [f"ends the current step ({s.step_text or '-'}): the canary goes on to the next one"]
    changes += [_where(rollout, replicasets)] + _patch_lines(spec_patch, status_patch)
    return Operation(summary=f"{'Fully promote' if full else 'Promote'} rollout {name}", changes=changes,
                     patch_type="merge", patch={"spec": spec_patch, "status": status_patch, "fallback": unified},
                     risk="high" if full else "normal", **common)


# ---- abort, retry, pause, restart ------------------------------------------------------------

def plan_abort(rollout: dict, replicasets: list[dict], kind: str = "abort") -> Operation:
    name = _meta(rollout).get("name", "")
    s = summarize(rollout, replicasets)
    common = _common(rollout, kind, ["abort"])
    if s.aborted:
        return Operation(summary=f"Abort rollout {name}: nothing to do", changes=["nothing: it is aborted already"],
                         noop=f"rollout '{name}' is aborted already (retry with R, or undo to make it Healthy)",
                         **common)
    if s.promoted:
        return Operation(summary=f"Abort rollout {name}: nothing to do", changes=["nothing: no canary in flight"],
                         noop=f"rollout '{name}' has no update in flight ({s.phase}); nothing to abort", **common)
    body = {"status": {"abort": True}}
    return Operation(
        summary=f"Abort rollout {name}: every pod back on stable ({', '.join(s.stable_images) or 'stable'})",
        changes=[f"the canary ({', '.join(s.canary_images) or '-'}) scales to 0; stable scales back up",
                 "the rollout then shows Degraded (RolloutAborted) until its template is undone or it is retried",
                 _where(rollout, replicasets), *_patch_lines(None, body)],
        patch_type="merge", patch={"spec": None, "status": body, "fallback": body}, risk="high", **common)


def plan_retry(rollout: dict, replicasets: list[dict]) -> Operation:
    name = _meta(rollout).get("name", "")
    common = _common(rollout, "retry", ["retry", "rollout"])
    common["command"] = ["kubectl", "argo", "rollouts", "retry", "rollout", name, "-n", common["namespace"]]
    if not (rollout.get("status") or {}).get("abort"):
        return Operation(summary=f"Retry rollout {name}: nothing to do", changes=["nothing: it is not aborted"],
                         noop=f"rollout '{name}' is not aborted; nothing to retry", **common)
    body = {"status": {"abort": False}}
    return Operation(summary=f"Retry rollout {name}: the steps and analysis run again from the first step",
                     changes=["the canary scales up again at the first step's weight", _where(rollout, replicasets),
                              *_patch_lines(None, body)],
                     patch_type="merge", patch={"spec": None, "status": body, "fallback": body}, **common)


def plan_pause(rollout: dict) -> Operation:
    name = _meta(rollout).get("name", "")
    if (rollout.get("spec") or {}).get("paused"):
        raise ConsoleError(f"rollout '{name}' is already paused; p again resumes it (kubectl argo rollouts promote).")
    body = {"spec": {"paused": True}}
    return Operation(summary=f"Pause rollout {name}", changes=["spec.paused: false → true: the steps stop where "
                     "they are until promoted", *_patch_lines(body, None)],
                     patch_type="merge", patch={"spec": body, "status": None, "fallback": None},
                     **_common(rollout, "pause", ["pause"]))


def plan_resume(rollout: dict, replicasets: list[dict]) -> Operation:
    """The plugin has no resume: promote unpauses (and, at a pause step, ends it too)."""
    name = _meta(rollout).get("name", "")
    if not (rollout.get("spec") or {}).get("paused"):
        raise ConsoleError(f"rollout '{name}' is not manually paused; P promotes a canary waiting at a pause step.")
    op = plan_promote(rollout, replicasets, kind="resume")
    return Operation(**{**op.__dict__, "summary": f"Resume rollout {name} (promote)", "kind_action": False})


def plan_restart(rollout: dict, now: datetime | None = None) -> Operation:
    name = _meta(rollout).get("name", "")
    at = rfc3339((now or datetime.now(UTC)).astimezone(UTC))
    body = {"spec": {"restartAt": at}}
    return Operation(summary=f"Restart the pods of rollout {name}",
                     changes=["every pod is replaced, one ReplicaSet at a time, within maxUnavailable",
                              *_patch_lines(body, None)],
                     patch_type="merge", patch={"spec": body, "status": None, "fallback": None},
                     **_common(rollout, "restart", ["restart"]))


# ---- set image -------------------------------------------------------------------------------

def with_image(rollout: dict, container: str, image: str) -> dict:
    """set_image.go newRolloutSetImage: every container of that name ("*": all) in init, regular and
    ephemeral containers; ConsoleError when none matches."""
    ro = copy.deepcopy(rollout)
    pod = ((ro.get("spec") or {}).get("template") or {}).get("spec") or {}
    found = False
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(field) or []:
            if c.get("name") == container or container == "*":
                c["image"] = image
                found = True
    if not found:
        raise ConsoleError(f'unable to find container named "{container}"')
    return ro


def plan_set_image(rollout: dict, replicasets: list[dict], container_image: str) -> Operation:
    name = _meta(rollout).get("name", "")
    container, sep, image = container_image.partition("=")
    if not sep or not container or not image or "=" in image or any(ch.isspace() for ch in container_image):
        raise ConsoleError("Give the image as CONTAINER=IMAGE (for example backend=ghcr.io/eli-maor/backend:v2.1.1).")
    if (rollout.get("spec") or {}).get("workloadRef"):
        raise ConsoleError(f"rollout '{name}' takes its template from spec.workloadRef; set the image there.")
    changed = with_image(rollout, container, image)
    before, after = images_of(template_of(rollout)), images_of(template_of(changed))
    common = _common(rollout, "set_image", ["set", "image"])
    common["command"] = ["kubectl", "argo", "rollouts", "set", "image", name, f"{container}={image}", "-n",
                         common["namespace"]]
    if before == after:
        return Operation(summary=f"Set image of rollout {name}: nothing to do",
                         changes=["nothing: the image is already that"], noop=f'rollout "{name}" image unchanged',
                         **common)
    return Operation(
        summary=f"Set image of rollout {name}: {', '.join(after)} (a new canary: the steps and analysis run)",
        changes=[f"image {b} → {a}" for b, a in zip(before, after) if a != b]
        + ["GET the Rollout, PUT it back with the new image (retried up to 5 times on a conflict)"],
        diff=pod_template_diff(template_of(rollout), template_of(changed), f"{name} (current)", f"{name} (new)"),
        patch_type="put", patch={"container": container, "image": image}, **common)


# ---- undo ------------------------------------------------------------------------------------

def revision_replicaset(rollout: dict, replicasets: list[dict], to_revision: int) -> dict:
    """undo.go rolloutRevision: that revision's ReplicaSet, or the second newest for 0."""
    previous = pick_revision(replicasets, to_revision, revision_of)
    if previous is None:
        raise ConsoleError(f'no revision found for rollout "{_meta(rollout).get("name", "")}"')
    return previous


def plan_rollback(rollout: dict, replicasets: list[dict], to_revision: int = 0, *, fast: bool = False) -> Operation:
    """kubectl argo rollouts undo [--to-revision=N]. Onto the stable ReplicaSet while a canary is in flight,
    the controller skips the steps and analysis ("Rollback to stable ReplicaSets"); onto any other
    revision it is a new canary that walks every step again."""
    meta = _meta(rollout)
    name = meta.get("name", "")
    if not isinstance(to_revision, int) or isinstance(to_revision, bool) or to_revision < 0:
        raise ConsoleError(f"unable to find specified revision {to_revision} in history")
    if (rollout.get("spec") or {}).get("workloadRef"):
        raise ConsoleError(f"rollout '{name}' takes its template from spec.workloadRef; undo its "
                           f"{(rollout['spec']['workloadRef'] or {}).get('kind', 'workload')} instead.")
    target = revision_replicaset(rollout, replicasets, to_revision)
    number = revision_of(target)
    verb = ["undo"] + ([f"--to-revision={to_revision}"] if to_revision else [])
    common = {**_common(rollout, "rollback", verb), "revision": number}
    if equal_ignore_hash(template_of(target), template_of(rollout)):
        return Operation(summary=f"Undo rollout {name} to revision {number}: nothing to do",
                         changes=[f"nothing: the current template already matches revision {number}"],
                         noop=f"skipped rollback (current template already matches revision {number})", **common)
    template = without_hash(template_of(target))
    s = summarize(rollout, replicasets)
    stable = stable_replicaset(rollout, replicasets)
    onto_stable = stable is not None and target is stable and not s.promoted
    current = (meta.get("annotations") or {}).get("rollout.argoproj.io/revision", "?")
    if onto_stable:
        how = ("onto the stable ReplicaSet: the controller skips the remaining steps and analysis "
               "(\"Rollback to stable ReplicaSets\"); the canary scales to 0 at once")
    else:
        how = "a new canary: every step and the analysis run again (only the stable revision skips them)"
    patch = [{"op": "replace", "path": "/spec/template", "value": template}]
    images = ", ".join(images_of(template)) or "no containers"
    changes = [f"image {b} → {a}" for b, a in zip(images_of(template_of(rollout)), images_of(template)) if a != b]
    changes += [how, f"ReplicaSet {meta_name(target)} (revision {number}, hash {pod_hash(target)}) "
                     f"becomes the next revision", _where(rollout, replicasets),
                f"PATCH (json): replace /spec/template with revision {number}'s (rollouts-pod-template-hash removed)"]
    lead = "Roll back" if fast else "Undo"
    return Operation(
        summary=f"{lead} rollout {name} from revision {current} to {'stable ' if onto_stable else ''}revision "
                f"{number} ({images})",
        changes=changes,
        diff=pod_template_diff(template_of(rollout), template, f"{name} revision {current} (current)",
                               f"{name} revision {number}"),
        patch_type="json", patch=patch, risk="high", **common)


def meta_name(obj: dict) -> str:
    return _meta(obj).get("name", "")


def plan_back_to_stable(rollout: dict, replicasets: list[dict]) -> Operation:
    """The incident fast path: undo onto the stable revision (steps skipped, as upstream) when a canary is in
    flight and its stable ReplicaSet is in the history; abort when the stable revision cannot be restored
    (no ReplicaSet for it, or the template comes from a workloadRef); nothing in flight: say so."""
    name = meta_name(rollout)
    s = summarize(rollout, replicasets)
    if s.promoted:
        raise ConsoleError(f"rollout '{name}' has no update in flight (it is {s.phase} on its stable revision); "
                           "u rolls back to the previous revision, which runs the steps and analysis again.")
    stable = stable_replicaset(rollout, replicasets)
    reason = ""
    if stable is None:
        reason = "its stable ReplicaSet is not in the history"
    elif (rollout.get("spec") or {}).get("workloadRef"):
        reason = "its template comes from spec.workloadRef"
    else:
        try:
            number = revision_of(stable)
        except ValueError:
            reason = "its stable ReplicaSet has no revision number"
    if reason:
        op = plan_abort(rollout, replicasets, kind="back_to_stable")
        if op.noop:
            raise ConsoleError(f"rollout '{name}' is aborted and {reason}: nothing faster to do; "
                               "retry (R) or set the image back (g).")
        return Operation(**{**op.__dict__, "changes": [f"abort, not undo: {reason}", *op.changes]})
    op = plan_rollback(rollout, replicasets, number, fast=True)
    return Operation(**{**op.__dict__, "changes": ["undo onto stable (the fast path: no steps, no analysis)",
                                                   *op.changes]})


def plan_scale(api: client.ApiClient, namespace: str, name: str, replicas: int) -> Operation:
    """kubectl scale rollout/x --current-replicas=N --replicas=M, through the Rollout's /scale subresource (the
    plugin has no scale command; the CRD's scale subresource is what kubectl and an HPA use)."""
    _check(namespace, name)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ConsoleError("The replicas must be a whole number greater than or equal to 0.")
    scale = rest.request(api, "GET", rest.ROLLOUTS + "/{name}/scale", namespace,
                         f"planning to scale {RESOURCE}/{name}", name=name)
    current = (scale.get("spec") or {}).get("replicas", 0)
    changes = [f"replicas {current} → {replicas}"]
    if replicas == 0:
        changes.append("every pod, canary and stable, is terminated: it serves nothing until scaled back")
    else:
        changes.append("a canary in flight keeps its weight: the controller splits the new count between canary "
                       "and stable")
    return Operation(
        kind="scale", component=name, namespace=namespace, workload="Rollout",
        summary=f"Scale {RESOURCE}/{name} from {current} to {replicas} replicas", changes=changes,
        command=["kubectl", "scale", f"rollout/{name}", f"--current-replicas={current}", f"--replicas={replicas}",
                 "-n", namespace],
        risk="high" if replicas == 0 else "normal", resource_version=_meta(scale).get("resourceVersion", ""),
        patch_type="scale", patch={"spec": {"replicas": replicas}}, replicas=replicas, previous_replicas=current)


def plan(api: client.ApiClient, namespace: str, name: str, action: str, *, revision: int = 0, image: str = "",
         reason: str = "") -> Operation:
    """Read the Rollout (and its ReplicaSets when needed) once and plan `action` on it."""
    _check(namespace, name)
    doing = f"planning to {action.replace('_', ' ')} {RESOURCE}/{name}"
    rollout = read(api, namespace, name, doing)
    if action == "pause":
        return plan_pause(rollout)
    if action == "restart":
        return plan_restart(rollout)
    replicasets = replicasets_of(api, rollout, doing)
    sanitize_text(reason)  # the plugin's undo records no reason; the audit log has it
    planners = {
        "promote": lambda: plan_promote(rollout, replicasets),
        "promote_full": lambda: plan_promote(rollout, replicasets, full=True),
        "abort": lambda: plan_abort(rollout, replicasets),
        "retry": lambda: plan_retry(rollout, replicasets),
        "resume": lambda: plan_resume(rollout, replicasets),
        "set_image": lambda: plan_set_image(rollout, replicasets, image),
        "rollback": lambda: plan_rollback(rollout, replicasets, revision),
        "back_to_stable": lambda: plan_back_to_stable(rollout, replicasets),
    }
    if action not in planners:
        raise ConsoleError(f"{action} is not an action of a Rollout.")
    return planners[action]()
