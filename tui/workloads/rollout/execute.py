"""Carrying out a planned Rollout Operation with the plugin's requests, answered in the plugin's words.

Merge patches go as the plugin sends them: the status part to /status (404 there: the unified patch to
the Rollout), then the spec part to the Rollout. Undo re-reads the Rollout first and refuses when its
spec or canary moved since the plan (the plugin's JSON patch carries no resourceVersion). Never raises
ConsoleError: failures are an Outcome with ok=False.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.errors import ConsoleError
from ...core.operations import Operation, Outcome
from . import rest
from .plan import RESOURCE, SET_IMAGE_ATTEMPTS, _basis, with_image

if TYPE_CHECKING:
    from kubernetes import client

# The plugin's success lines (fmt.Fprintf in each cmd/<cmd>.go).
DONE = {"promote": "rollout '{}' promoted", "promote_full": "rollout '{}' fully promoted",
        "resume": "rollout '{}' promoted", "abort": "rollout '{}' aborted", "retry": "rollout '{}' retried",
        "pause": "rollout '{}' paused", "restart": "rollout '{}' restarts in 0s",
        "set_image": 'rollout "{}" image updated', "rollback": "rollout '{}' undo",
        "back_to_stable": "rollout '{}' aborted"}  # the fast path's abort (its undo is a "rollback")
VERBS = {"promote": "promoting", "promote_full": "fully promoting", "resume": "resuming", "abort": "aborting",
         "retry": "retrying", "pause": "pausing", "restart": "restarting", "set_image": "setting the image of",
         "rollback": "undoing", "back_to_stable": "aborting", "scale": "scaling"}


def execute(api: client.ApiClient, op: Operation) -> Outcome:
    doing = f"{VERBS.get(op.kind, op.kind)} {RESOURCE}/{op.component}"
    if op.noop:
        return Outcome(ok=True, message=op.noop, changed=False)
    try:
        if op.patch_type == "merge":
            obj = _merge(api, op, doing)
        elif op.patch_type == "json":
            obj = _undo(api, op, doing)
        elif op.patch_type == "put":
            obj = _set_image(api, op, doing)
        elif op.patch_type == "scale":
            return _scale(api, op, doing)
        else:
            raise ConsoleError(f"{doing} failed: the plan has no request to send ({op.patch_type!r}).")
    except ConsoleError as err:
        return Outcome(ok=False, message=err.message)
    word = DONE.get(op.kind, "rollout '{}' " + op.kind).format(op.component)
    return Outcome(ok=True, message=word + (" (server dry run)" if op.dry_run else ""), changed=True, object=obj)


def _merge(api: client.ApiClient, op: Operation, doing: str) -> dict:
    spec_patch, status_patch, fallback = op.patch["spec"], op.patch["status"], op.patch["fallback"]
    obj: dict = {}
    if status_patch is not None:
        try:
            obj = rest.patch(api, op.namespace, op.component, status_patch, doing, status=True, dry_run=op.dry_run)
        except ConsoleError as err:
            if err.status != 404:
                raise
            spec_patch = fallback  # no status subresource: the plugin sends it all to the Rollout
    if spec_patch is not None:
        obj = rest.patch(api, op.namespace, op.component, spec_patch, doing, dry_run=op.dry_run)
    return obj


def _undo(api: client.ApiClient, op: Operation, doing: str) -> dict:
    fresh = rest.get_rollout(api, op.namespace, op.component, doing)
    if _basis(fresh) != op.basis:
        raise ConsoleError(f"{RESOURCE}/{op.component} changed since you looked (someone else updated it, or its "
                           "canary moved on); re-read and try again.", status=409, reason="Conflict")
    return rest.patch(api, op.namespace, op.component, op.patch, doing, content_type=rest.JSON_PATCH,
                      dry_run=op.dry_run)


def _scale(api: client.ApiClient, op: Operation, doing: str) -> Outcome:
    """kubectl's scaler: read the Scale, check --current-replicas, write it conditionally; retry on 409."""
    path = rest.ROLLOUTS + "/{name}/scale"
    for _ in range(SET_IMAGE_ATTEMPTS):
        scale = rest.request(api, "GET", path, op.namespace, doing, name=op.component)
        current = (scale.get("spec") or {}).get("replicas", 0)
        if op.previous_replicas is not None and current != op.previous_replicas:
            raise ConsoleError(f"Expected replicas to be {op.previous_replicas}, was {current}; re-read and try again.")
        body = {"metadata": {"resourceVersion": (scale.get("metadata") or {}).get("resourceVersion", "")},
                "spec": {"replicas": op.replicas}}
        try:
            obj = rest.request(api, "PATCH", path, op.namespace, doing, name=op.component, body=body,
                               content_type=rest.MERGE_PATCH, query=[("dryRun", "All")] if op.dry_run else [])
        except ConsoleError as err:
            if err.status == 409:
                continue
            raise
        return Outcome(ok=True, message=f"{RESOURCE}/{op.component} scaled", changed=True, previous_replicas=current,
                       object=obj)
    raise ConsoleError(f"{RESOURCE}/{op.component} changed since you looked; re-read and try again.", status=409)


def _set_image(api: client.ApiClient, op: Operation, doing: str) -> dict:
    err: ConsoleError | None = None
    for _ in range(SET_IMAGE_ATTEMPTS):
        rollout = rest.get_rollout(api, op.namespace, op.component, doing)
        try:
            return rest.put(api, op.namespace, op.component, with_image(rollout, op.patch["container"],
                                                                        op.patch["image"]), doing, dry_run=op.dry_run)
        except ConsoleError as exc:
            if exc.status != 409:
                raise
            err = exc
    raise err or ConsoleError(f"{doing} failed.")
