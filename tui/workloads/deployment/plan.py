"""Planning Deployment actions: one read of the cluster, an Operation that says exactly what will change.

Modelled on kubectl's polymorphic helpers (rollback.go, objectpauser.go,
objectresumer.go, objectrestarter.go), `kubectl scale`, `kubectl label` and
`kubectl annotate`: the same ReplicaSet ownership, the same choice of
revision, the same patches and the same messages, so what the console does is
what the runbook's commands do. Planners raise ConsoleError when kubectl would
refuse. Everything here blocks; the console calls it from workers.
"""

from __future__ import annotations

import json
from datetime import datetime

from kubernetes import client

from ...core.errors import ConsoleError
from ...core.names import (
    CHANGE_CAUSE,
    DEPRECATED_ROLLBACK_TO,
    DESIRED_REPLICAS,
    LAST_APPLIED,
    MAX_REPLICAS,
    RESTARTED_AT,
    REVISION,
    REVISION_HISTORY,
    SERVING_LABEL,
)
from ...core.operations import Operation
from ...core.times import rfc3339
from ...core.validate import sanitize_text, validate_label, validate_name, validate_namespace
from ...core.workload import Revision
from ...kube.endpoints import _ip_key, ready_endpoints
from ...kube.endpoints import pod_ready as _pod_ready
from ...kube.endpoints import services_of as _services_of
from ...kube.rest import call as _call
from ...kube.rest import list_all as _list
from ..base import pick_revision
from .diff import pod_template_diff
from .history import (
    _annotations,
    _controller_uid,
    _images,
    _meta,
    _semantic,
    _split_replicasets,
    _template,
    equal_ignore_hash,
    revision_of,
    revisions,
    selector_string,
    without_hash,
)

ANNOTATIONS_TO_SKIP = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
                                 DEPRECATED_ROLLBACK_TO})


PAUSED_ROLLBACK = "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"


JSON_PATCH = "application/json-patch+json"


MERGE_PATCH = "application/merge-patch+json"


STRATEGIC_PATCH = "application/strategic-merge-patch+json"


CONTENT_TYPES = {"json": JSON_PATCH, "merge": MERGE_PATCH, "strategic": STRATEGIC_PATCH}


def _read_deployment(apps: client.AppsV1Api, namespace: str, name: str, doing: str) -> dict:
    return _call(doing, apps.read_namespaced_deployment, name, namespace)


def _owned_replicasets(apps: client.AppsV1Api, deployment: dict, doing: str) -> list[dict]:
    """ReplicaSets selected by the Deployment and controlled by it (listReplicaSets: controllerRef by UID)."""
    meta = _meta(deployment)
    selector = selector_string((deployment.get("spec") or {}).get("selector"))
    items = _list(doing, apps.list_namespaced_replica_set, meta.get("namespace", ""), label_selector=selector)
    return [rs for rs in items if _controller_uid(rs) == meta.get("uid")]


def history(apps: client.AppsV1Api, namespace: str, name: str) -> list[Revision]:
    """kubectl rollout history: one Revision per owned ReplicaSet, by revision number."""
    validate_namespace(namespace)
    validate_name(name)
    doing = f"reading the history of deployment.apps/{name}"
    deployment = _read_deployment(apps, namespace, name, doing)
    return revisions(deployment, _owned_replicasets(apps, deployment, doing))


def _check(namespace: str, name: str) -> None:
    validate_namespace(namespace)
    validate_name(name)


def _basis(deployment: dict) -> str:
    """What a plan depends on: the spec (its generation) and the annotations. Status churn is not in it."""
    meta = _meta(deployment)
    return json.dumps({"generation": meta.get("generation", 0), "annotations": meta.get("annotations") or {}},
                      sort_keys=True)


def _quoted(text: str | None) -> str:
    return "(none)" if text is None else json.dumps(text, ensure_ascii=False)


def _container_changes(current: dict, target: dict) -> list[str]:
    lines: list[str] = []
    for field_name, noun in (("initContainers", "init container"), ("containers", "container")):
        before = {c.get("name"): c.get("image", "") for c in (current.get("spec") or {}).get(field_name) or []}
        after = {c.get("name"): c.get("image", "") for c in (target.get("spec") or {}).get(field_name) or []}
        for cname in list(before) + [n for n in after if n not in before]:
            if cname in before and cname in after and before[cname] != after[cname]:
                lines.append(f"{noun} {cname}: image {before[cname]} → {after[cname]}")
            elif cname not in after:
                lines.append(f"{noun} {cname}: removed ({before[cname]})")
            elif cname not in before:
                lines.append(f"{noun} {cname}: added ({after[cname]})")
    return lines


def _blank_images(template: dict) -> dict:
    blank = _semantic(without_hash(template))
    for field_name in ("initContainers", "containers"):
        for c in (blank.get("spec") or {}).get(field_name) or []:
            c.pop("image", None)
    return blank


def _annotation_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    lines = []
    for key in sorted(set(before) | set(after)):
        if key == REVISION or before.get(key) == after.get(key):
            continue  # the controller owns the revision number
        lines.append(f"annotation {key}: {_quoted(before.get(key))} → {_quoted(after.get(key))}")
    return lines


def _rollback_annotations(deployment: dict, rs: dict) -> dict[str, str]:
    """rollback.go: the skipped annotations from the Deployment, every other one from the ReplicaSet."""
    current, source = _annotations(deployment), _annotations(rs)
    annotations = {k: current[k] for k in ANNOTATIONS_TO_SKIP if k in current}
    annotations.update({k: v for k, v in source.items() if k not in ANNOTATIONS_TO_SKIP})
    return annotations


def _revision_replicaset(deployment: dict, replicasets: list[dict], to_revision: int) -> dict:
    """rollback.go deploymentRevision: the ReplicaSet of `to_revision`, or the second newest for 0."""
    old, new = _split_replicasets(deployment, replicasets)
    previous = pick_revision(old + ([new] if new is not None else []), to_revision, revision_of)
    if previous is None:
        raise ConsoleError(f"no rollout history found for deployment {json.dumps(_meta(deployment).get('name', ''))}")
    return previous


def plan_rollback(apps: client.AppsV1Api, namespace: str, name: str, to_revision: int = 0, reason: str = "",
                  *, dry_run: bool = False) -> Operation:
    """kubectl rollout undo [--to-revision=N], described before it runs.

    Refusals are kubectl's: unknown revision, paused Deployment. A template
    that already matches gives an Operation whose `noop` is kubectl's
    "skipped rollback" message. With a reason, the same patch also sets
    kubernetes.io/change-cause to "Rollback to revision N: <reason>", which
    the controller copies to the ReplicaSet that becomes the new revision.
    """
    _check(namespace, name)
    if not isinstance(to_revision, int) or isinstance(to_revision, bool):
        raise ConsoleError(f"The revision must be a whole number, not {to_revision!r}.")
    if to_revision < 0:
        raise ConsoleError(f"unable to find specified revision {to_revision} in history")
    doing = f"planning the rollback of deployment.apps/{name}"
    deployment = _read_deployment(apps, namespace, name, doing)
    replicasets = _owned_replicasets(apps, deployment, doing)
    return plan_rollback_from(deployment, replicasets, to_revision, sanitize_text(reason), dry_run=dry_run)


def plan_rollback_from(deployment: dict, replicasets: list[dict], to_revision: int = 0, reason: str = "",
                       *, dry_run: bool = False) -> Operation:
    """plan_rollback on objects already read; the checks come in kubectl's order."""
    meta, spec = _meta(deployment), deployment.get("spec") or {}
    name, namespace = meta.get("name", ""), meta.get("namespace", "")
    target = _revision_replicaset(deployment, replicasets, to_revision)
    number = revision_of(target)
    if spec.get("paused"):
        raise ConsoleError(PAUSED_ROLLBACK)
    command = ["kubectl", "rollout", "undo", f"deployment/{name}"]
    command += [f"--to-revision={to_revision}"] if to_revision else []
    command += ["-n", namespace] + (["--dry-run=server"] if dry_run else [])
    common = {"kind": "rollback", "component": name, "namespace": namespace, "command": command,
              "dry_run": dry_run, "resource_version": meta.get("resourceVersion", ""),
              "basis": _basis(deployment), "revision": number}
    if equal_ignore_hash(_template(target), _template(deployment)):
        return Operation(
            summary=f"Roll back deployment.apps/{name} to revision {number}: nothing to do",
            changes=[f"nothing: the current template already matches revision {number}"],
            noop=f"deployment.apps/{name} skipped rollback (current template already matches revision {number})",
            **common)

    template = without_hash(_template(target))
    annotations = _rollback_annotations(deployment, target)
    if reason:
        annotations[CHANGE_CAUSE] = f"Rollback to revision {number}: {reason}"
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        # Not in kubectl's patch: the resourceVersion read, so a concurrent change is a 409.
        {"op": "replace", "path": "/metadata/resourceVersion", "value": meta.get("resourceVersion", "")},
    ]
    current_number = _annotations(deployment).get(REVISION, "?")
    changes = _container_changes(_template(deployment), template)
    if _blank_images(_template(deployment)) != _blank_images(template):
        changes.append("other pod template fields change too (see the diff)")
    changes += _annotation_changes(_annotations(deployment), annotations)
    changes.append(_replicaset_line(deployment, replicasets, target, number))
    if LAST_APPLIED in _annotations(deployment):
        changes.append(f"warning: deployment.apps/{name} was managed with 'kubectl apply'; the rollback does not "
                       f"update {LAST_APPLIED}, so a later apply may undo it")
    tags = ", ".join(_images(template)) or "no containers"
    return Operation(
        summary=f"{'[dry run] ' if dry_run else ''}Roll back deployment.apps/{name} from revision "
                f"{current_number} to revision {number} ({tags})",
        changes=changes,
        diff=pod_template_diff(_template(deployment), _template(target),
                               f"{name} revision {current_number} (current)", f"{name} revision {number}"),
        patch_type="json",
        patch=patch,
        **common,
    )


def _replicaset_line(deployment: dict, replicasets: list[dict], target: dict, number: int) -> str:
    numbers = []
    for rs in replicasets:
        try:
            numbers.append(revision_of(rs))
        except ValueError:
            pass
    _, new = _split_replicasets(deployment, replicasets)
    replicas = (deployment.get("spec") or {}).get("replicas", 1)
    down = f"{_meta(new).get('name')} scales down" if new is not None else "the current pods are replaced"
    return (f"ReplicaSet {_meta(target).get('name')} (revision {number}) becomes revision {max(numbers) + 1} "
            f"and scales up to {replicas}; {down}")


def plan_pause(apps: client.AppsV1Api, namespace: str, name: str) -> Operation:
    """kubectl rollout pause: refused as kubectl does when already paused."""
    _check(namespace, name)
    deployment = _read_deployment(apps, namespace, name, f"planning to pause deployment.apps/{name}")
    if (deployment.get("spec") or {}).get("paused"):
        raise ConsoleError(f'deployments.apps "{name}" is already paused')
    return Operation(
        kind="pause", component=name, namespace=namespace,
        summary=f"Pause rollouts of deployment.apps/{name}",
        changes=["spec.paused: false → true",
                 "template changes are no longer rolled out (and rollbacks are refused) until resumed"],
        command=["kubectl", "rollout", "pause", f"deployment/{name}", "-n", namespace],
        resource_version=_meta(deployment).get("resourceVersion", ""), basis=_basis(deployment),
        patch_type="strategic", patch={"spec": {"paused": True}},
    )


def plan_resume(apps: client.AppsV1Api, namespace: str, name: str) -> Operation:
    """kubectl rollout resume: refused as kubectl does when not paused."""
    _check(namespace, name)
    deployment = _read_deployment(apps, namespace, name, f"planning to resume deployment.apps/{name}")
    if not (deployment.get("spec") or {}).get("paused"):
        raise ConsoleError(f'deployments.apps "{name}" is not paused')
    return Operation(
        kind="resume", component=name, namespace=namespace,
        summary=f"Resume rollouts of deployment.apps/{name}",
        changes=["spec.paused: true → false", "a template change made while paused rolls out now"],
        command=["kubectl", "rollout", "resume", f"deployment/{name}", "-n", namespace],
        resource_version=_meta(deployment).get("resourceVersion", ""), basis=_basis(deployment),
        # kubectl's patch is the diff of the object: paused=false is omitted in Go, so it is removed.
        patch_type="strategic", patch={"spec": {"paused": None}},
    )




def _restart_refusal(deployment: dict, restarted_at: str) -> str:
    name = _meta(deployment).get("name", "")
    if (deployment.get("spec") or {}).get("paused"):
        return f"deployments.apps \"{name}\" can't restart paused deployment (run rollout resume first)"
    if (_meta(_template(deployment)).get("annotations") or {}).get(RESTARTED_AT) == restarted_at:
        return (f"failed to create patch for {name}: if restart has already been triggered within the past "
                "second, please wait before attempting to trigger another")
    return ""


def plan_restart(apps: client.AppsV1Api, namespace: str, name: str, *, now: datetime | None = None) -> Operation:
    """kubectl rollout restart: a restartedAt template annotation (RFC 3339, taken now), refused when paused."""
    _check(namespace, name)
    deployment = _read_deployment(apps, namespace, name, f"planning to restart deployment.apps/{name}")
    restarted_at = rfc3339(now or datetime.now().astimezone())
    refusal = _restart_refusal(deployment, restarted_at)
    if refusal:
        raise ConsoleError(refusal)
    spec = deployment.get("spec") or {}
    previous = (_meta(_template(deployment)).get("annotations") or {}).get(RESTARTED_AT)
    how = ("all pods are stopped, then recreated (Recreate strategy: a gap in service)"
           if (spec.get("strategy") or {}).get("type") == "Recreate"
           else "every pod is replaced by a rolling update")
    return Operation(
        kind="restart", component=name, namespace=namespace,
        summary=f"Restart deployment.apps/{name} ({spec.get('replicas', 1)} pods)",
        changes=[f"pod template annotation {RESTARTED_AT}: {_quoted(previous)} → {_quoted(restarted_at)}", how],
        command=["kubectl", "rollout", "restart", f"deployment/{name}", "-n", namespace],
        resource_version=_meta(deployment).get("resourceVersion", ""), basis=_basis(deployment),
        patch_type="strategic",
        patch={"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: restarted_at}}}}},
    )


def plan_scale(apps: client.AppsV1Api, namespace: str, name: str, replicas: int, *,
               dry_run: bool = False) -> Operation:
    """kubectl scale --current-replicas=N --replicas=M, through the /scale subresource. Scaling to 0 is high risk."""
    _check(namespace, name)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ConsoleError("The replicas must be a whole number greater than or equal to 0.")
    scale = _call(f"planning to scale deployment.apps/{name}", apps.read_namespaced_deployment_scale, name, namespace)
    current = (scale.get("spec") or {}).get("replicas", 0)
    changes = [f"replicas {current} → {replicas}"]
    if replicas == 0:
        changes.append("every pod is terminated: the component serves nothing until scaled back")
    return Operation(
        kind="scale", component=name, namespace=namespace,
        summary=f"{'[dry run] ' if dry_run else ''}Scale deployment.apps/{name} from {current} to {replicas} replicas",
        changes=changes,
        command=["kubectl", "scale", f"deployment/{name}", f"--current-replicas={current}", f"--replicas={replicas}",
                 "-n", namespace] + (["--dry-run=server"] if dry_run else []),
        risk="high" if replicas == 0 else "normal",
        dry_run=dry_run,
        resource_version=_meta(scale).get("resourceVersion", ""),
        patch_type="merge", patch={"spec": {"replicas": replicas}},
        replicas=replicas, previous_replicas=current,
    )


def plan_annotate(apps: client.AppsV1Api, namespace: str, name: str, change_cause: str, *,
                  dry_run: bool = False) -> Operation:
    """kubectl annotate deployment/x kubernetes.io/change-cause=... --overwrite."""
    _check(namespace, name)
    value = sanitize_text(change_cause)
    if not value:
        raise ConsoleError("The change-cause is empty; say what changed and why.")
    deployment = _read_deployment(apps, namespace, name, f"planning to annotate deployment.apps/{name}")
    old = _annotations(deployment).get(CHANGE_CAUSE)
    return Operation(
        kind="annotate", component=name, namespace=namespace,
        summary=f"{'[dry run] ' if dry_run else ''}Record the change-cause of deployment.apps/{name}",
        changes=[f"annotation {CHANGE_CAUSE}: {_quoted(old)} → {_quoted(value)}",
                 "the controller copies it to the current revision's ReplicaSet (rollout history shows it)"],
        command=["kubectl", "annotate", f"deployment/{name}", f"{CHANGE_CAUSE}={value}", "--overwrite",
                 "-n", namespace] + (["--dry-run=server"] if dry_run else []),
        dry_run=dry_run,
        resource_version=_meta(deployment).get("resourceVersion", ""), basis=_basis(deployment),
        patch_type="merge", patch={"metadata": {"annotations": {CHANGE_CAUSE: value}}},
    )


def plan_divert_traffic(apps: client.AppsV1Api, namespace: str, name: str, serving: bool, *,
                        label: str = SERVING_LABEL, dry_run: bool = False) -> Operation:
    """kubectl label pods -l <the Deployment's selector> --overwrite serving=false|true.

    Services select `serving=true`, so labelling the pods false takes them out
    of the Service's endpoints without stopping them; true puts them back.
    """
    _check(namespace, name)
    value = "true" if serving else "false"
    validate_label(label, value)
    doing = f"planning to divert traffic of deployment.apps/{name}"
    deployment = _read_deployment(apps, namespace, name, doing)
    selector = selector_string((deployment.get("spec") or {}).get("selector"))
    core = client.CoreV1Api(apps.api_client)
    pods = _list(doing, core.list_namespaced_pod, namespace, label_selector=selector)
    if not pods:
        raise ConsoleError(f"No pods match {selector} in namespace {namespace}; there is nothing to label.")
    changes = []
    relabelled = set()
    for pod in sorted(pods, key=lambda p: _meta(p).get("name", "")):
        current = (_meta(pod).get("labels") or {}).get(label)
        if current == value:
            changes.append(f"pod/{_meta(pod).get('name')}: already {label}={value}")
        else:
            changes.append(f"pod/{_meta(pod).get('name')}: {label} {current or '(unset)'} → {value}")
            relabelled.add(pod.get("status", {}).get("podIP"))
    for svc in _services_of(core, namespace, _meta(_template(deployment)).get("labels") or {}, label, doing):
        before = ready_endpoints(apps.api_client, namespace, svc, doing)
        if serving:
            ready = {p.get("status", {}).get("podIP") for p in pods if _pod_ready(p)} - {None}
            after = sorted(set(before) | ready, key=_ip_key)
        else:
            after = [ip for ip in before if ip not in relabelled]
        changes.append(f"service/{svc}: {len(before)} → {len(after)} ready endpoints (expected)")
    direction = "back to" if serving else "away from"
    return Operation(
        kind="divert_traffic", component=name, namespace=namespace,
        summary=f"{'[dry run] ' if dry_run else ''}Divert traffic {direction} deployment.apps/{name}: "
                f"label its pods {label}={value}",
        changes=changes,
        command=["kubectl", "label", "pods", "-l", selector, "--overwrite", f"{label}={value}", "-n", namespace]
        + (["--dry-run=server"] if dry_run else []),
        risk="normal" if serving else "high",
        dry_run=dry_run,
        resource_version=_meta(deployment).get("resourceVersion", ""), basis=_basis(deployment),
        patch_type="merge", patch={"metadata": {"labels": {label: value}}},
        selector=selector, labels={label: value},
    )
