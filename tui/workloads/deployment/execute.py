"""Carrying out a planned Deployment Operation, and what it did (an Outcome, never an exception).

Each executor sends exactly the body its planner showed, refuses when the
Deployment changed since it was planned, and answers in kubectl's words.
"""

from __future__ import annotations

import time

from kubernetes import client

from ...core.errors import ConsoleError
from ...core.names import RESTARTED_AT
from ...core.operations import Operation, Outcome
from ...core.validate import validate_label, validate_name, validate_namespace
from ...kube.endpoints import pod_ready as _pod_ready
from ...kube.endpoints import service_endpoints as _service_endpoints
from ...kube.endpoints import services_of as _services_of
from ...kube.rest import call as _call
from ...kube.rest import list_all as _list
from .history import _meta, _template
from .plan import CONTENT_TYPES, MERGE_PATCH, _basis, _read_deployment, _restart_refusal

CONFLICT_RETRIES = 5  # attempts when only status churn caused a 409


_VERBS = {"rollback": "rolling back", "pause": "pausing", "resume": "resuming", "restart": "restarting",
          "scale": "scaling", "divert_traffic": "labelling the pods of", "annotate": "annotating"}


def execute(apps: client.AppsV1Api, op: Operation, *, settle_timeout: float = 10.0) -> Outcome:
    """Carry out a planned Operation. Never raises ConsoleError: failures are an Outcome with ok=False."""
    runner = {"rollback": _run_rollback, "pause": _run_pause, "resume": _run_resume, "restart": _run_restart,
              "scale": _run_scale, "divert_traffic": _run_divert, "annotate": _run_annotate}[op.kind]
    try:
        validate_namespace(op.namespace)
        validate_name(op.component)
        if op.kind == "divert_traffic":
            return runner(apps, op, settle_timeout)
        return runner(apps, op)
    except ConsoleError as err:
        return Outcome(ok=False, message=err.message)


def _doing(op: Operation) -> str:
    return f"{_VERBS[op.kind]} deployment.apps/{op.component}"


def _done(op: Operation, word: str) -> str:
    """kubectl's printer: "deployment.apps/x rolled back", with " (server dry run)" in a dry run."""
    return f"deployment.apps/{op.component} {word}{' (server dry run)' if op.dry_run else ''}"


def _patch(apps: client.AppsV1Api, op: Operation, body, doing: str) -> dict:
    kwargs = {"dry_run": "All"} if op.dry_run else {}
    return _call(doing, apps.patch_namespaced_deployment, op.component, op.namespace, body,
                 _content_type=CONTENT_TYPES[op.patch_type], **kwargs)


def _changed_since(op: Operation) -> ConsoleError:
    return ConsoleError(f"deployment.apps/{op.component} changed since you looked (someone else updated it); "
                        "re-read and try again.", status=409, reason="Conflict")


def _run_rollback(apps: client.AppsV1Api, op: Operation) -> Outcome:
    if op.noop:
        return Outcome(ok=True, message=op.noop, changed=False)
    doing, body = _doing(op), op.patch
    for _ in range(CONFLICT_RETRIES):
        try:
            obj = _patch(apps, op, body, doing)
            return Outcome(ok=True, message=_done(op, "rolled back"), changed=True, object=obj)
        except ConsoleError as err:
            if err.status != 409:
                raise
        # A 409 from status churn alone (same spec, same annotations) still means the confirmed change
        # is the change that would be made: retry on the fresh resourceVersion. Anything else is news.
        fresh = _read_deployment(apps, op.namespace, op.component, doing)
        if _basis(fresh) != op.basis:
            raise _changed_since(op)
        body = [dict(o, value=_meta(fresh).get("resourceVersion", "")) if o["path"] == "/metadata/resourceVersion"
                else o for o in body]
    raise _changed_since(op)


def _run_pause(apps: client.AppsV1Api, op: Operation) -> Outcome:
    # Like kubectl: read, refuse when there is nothing to do, else patch.
    deployment = _read_deployment(apps, op.namespace, op.component, _doing(op))
    if (deployment.get("spec") or {}).get("paused"):
        return Outcome(ok=False, message=f'deployments.apps "{op.component}" is already paused')
    obj = _patch(apps, op, op.patch, _doing(op))
    return Outcome(ok=True, message=_done(op, "paused"), changed=True, object=obj)


def _run_resume(apps: client.AppsV1Api, op: Operation) -> Outcome:
    deployment = _read_deployment(apps, op.namespace, op.component, _doing(op))
    if not (deployment.get("spec") or {}).get("paused"):
        return Outcome(ok=False, message=f'deployments.apps "{op.component}" is not paused')
    obj = _patch(apps, op, op.patch, _doing(op))
    return Outcome(ok=True, message=_done(op, "resumed"), changed=True, object=obj)


def _run_restart(apps: client.AppsV1Api, op: Operation) -> Outcome:
    deployment = _read_deployment(apps, op.namespace, op.component, _doing(op))
    restarted_at = op.patch["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
    refusal = _restart_refusal(deployment, restarted_at)
    if refusal:
        return Outcome(ok=False, message=refusal)
    obj = _patch(apps, op, op.patch, _doing(op))
    return Outcome(ok=True, message=_done(op, "restarted"), changed=True, object=obj)


def _run_annotate(apps: client.AppsV1Api, op: Operation) -> Outcome:
    obj = _patch(apps, op, op.patch, _doing(op))
    return Outcome(ok=True, message=_done(op, "annotated"), changed=True, object=obj)


def _run_scale(apps: client.AppsV1Api, op: Operation) -> Outcome:
    """kubectl's scaler with a precondition: get the Scale, check --current-replicas, write it; retry on 409."""
    doing = _doing(op)
    kwargs = {"dry_run": "All"} if op.dry_run else {}
    for _ in range(CONFLICT_RETRIES):
        scale = _call(doing, apps.read_namespaced_deployment_scale, op.component, op.namespace)
        current = (scale.get("spec") or {}).get("replicas", 0)
        if op.previous_replicas is not None and current != op.previous_replicas:
            raise ConsoleError(f"Expected replicas to be {op.previous_replicas}, was {current}; "
                               "re-read and try again.")
        # The Scale's resourceVersion makes this write conditional, as kubectl's Update of the Scale is.
        body = {"metadata": {"resourceVersion": _meta(scale).get("resourceVersion", "")},
                "spec": {"replicas": op.replicas}}
        try:
            obj = _call(doing, apps.patch_namespaced_deployment_scale, op.component, op.namespace, body,
                        _content_type=MERGE_PATCH, **kwargs)
        except ConsoleError as err:
            if err.status == 409:
                continue  # kubectl's ScaleCondition: a conflict is retried
            raise
        return Outcome(ok=True, message=_done(op, "scaled"), changed=True, previous_replicas=current, object=obj)
    raise _changed_since(op)


def _run_divert(apps: client.AppsV1Api, op: Operation, settle_timeout: float) -> Outcome:
    doing = _doing(op)
    core = client.CoreV1Api(apps.api_client)
    ((label, value),) = op.labels.items()
    validate_label(label, value)
    deployment = _read_deployment(apps, op.namespace, op.component, doing)
    services = _services_of(core, op.namespace, _meta(_template(deployment)).get("labels") or {}, label, doing)
    before = _service_endpoints(apps.api_client, op.namespace, services, doing)
    pods = _list(doing, core.list_namespaced_pod, op.namespace, label_selector=op.selector)
    if not pods:
        raise ConsoleError(f"No pods match {op.selector} in namespace {op.namespace}; there is nothing to label.")
    kwargs = {"dry_run": "All"} if op.dry_run else {}
    details, labelled = [], []
    for pod in sorted(pods, key=lambda p: _meta(p).get("name", "")):
        pod_name = _meta(pod).get("name", "")
        if (_meta(pod).get("labels") or {}).get(label) == value:
            details.append(f"pod/{pod_name} not labeled")  # kubectl: nothing added, no request
            continue
        pod = _call(doing, core.patch_namespaced_pod, pod_name, op.namespace, op.patch,
                    _content_type=MERGE_PATCH, **kwargs)
        details.append(f"pod/{pod_name} labeled{' (server dry run)' if op.dry_run else ''}")
        labelled.append(pod)
    after = before
    if labelled and not op.dry_run:
        after = _settle(apps.api_client, op.namespace, services, labelled, value == "true", settle_timeout, doing)
    shown = "; ".join(details[:4]) + (f"; and {len(details) - 4} more" if len(details) > 4 else "")
    return Outcome(ok=True, message=shown, changed=bool(labelled), details=details,
                   endpoints_before=before, endpoints_after=after)


def _settle(api: client.ApiClient, namespace: str, services: list[str], pods: list[dict], serving: bool,
            timeout: float, doing: str) -> dict[str, list[str]]:
    """Wait (bounded) until the endpoints controller has caught up with the new labels; return what it shows."""
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while True:
        current = _service_endpoints(api, namespace, services, doing)
        fresh = [_call(doing, core.read_namespaced_pod, _meta(p)["name"], namespace) for p in pods] if serving else pods
        ips = {(p.get("status") or {}).get("podIP") for p in fresh if not serving or _pod_ready(p)} - {None}
        if serving:
            settled = all(ips <= set(addrs) for svc, addrs in current.items())
        else:
            settled = all(not (ips & set(addrs)) for addrs in current.values())
        if settled or time.monotonic() >= deadline:
            return current
        time.sleep(0.1)
