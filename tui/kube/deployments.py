"""The Deployment adapter: history, rollback, pause, resume, restart, scale, traffic, status.

Modelled on kubectl's polymorphic helpers (rollback.go, history.go,
rollout_status.go, objectpauser/resumer/restarter.go), `kubectl scale`,
`kubectl label`, `kubectl annotate` and pkg/util/deployment: the same
ReplicaSet ownership, the same choice of revision, the same patches and the
same messages, so what the console does is what the runbook's commands do.

Objects are read as raw JSON rather than client models: a rollback patches
the ReplicaSet's pod template back exactly as the server stored it, and a
model round trip could drop fields this client version does not know.

Everything here is synchronous and blocking; the UI calls it from workers.
Planners raise ConsoleError when kubectl would refuse; `execute` never
raises ConsoleError, it answers with an Outcome (ok or not) instead.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import urllib3
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from ..errors import ConsoleError, from_api_exception, one_line
from .operations import Operation, Outcome

# Annotations and labels kubectl and the deployment controller use (k8s.io/api, deploymentutil).
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

# rollback.go: kept from the Deployment, never copied from the ReplicaSet.
ANNOTATIONS_TO_SKIP = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
                                 DEPRECATED_ROLLBACK_TO})

PAUSED_ROLLBACK = "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
CONTENT_TYPES = {"json": JSON_PATCH, "merge": MERGE_PATCH, "strategic": STRATEGIC_PATCH}
CONFLICT_RETRIES = 5  # attempts when only status churn caused a 409
MAX_TEXT = 512  # change-causes and reasons are kept to one readable line

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Revision:
    """One revision of a Deployment: one ReplicaSet it owns (kubectl rollout history)."""

    number: int
    change_cause: str
    images: tuple[str, ...]
    template: dict  # the ReplicaSet's pod template, as stored (with its pod-template-hash label)
    replicaset: str
    created: str  # RFC 3339 creation time of the ReplicaSet
    desired: int  # .spec.replicas of the ReplicaSet
    replicas: int  # .status.replicas
    ready: int  # .status.readyReplicas
    current: bool  # the ReplicaSet whose template is the Deployment's


# ---- names and texts ---------------------------------------------------------------------------


def validate_name(name: str) -> str:
    """A Deployment name is a DNS-1123 subdomain; check it before it reaches a command line."""
    if not isinstance(name, str) or len(name) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(name):
        raise ConsoleError(f"{name!r} is not a valid Deployment name (lower-case letters, digits, '-' and '.'); "
                           "pick the component from the list.")
    return name


def validate_namespace(namespace: str) -> str:
    """A namespace is a DNS-1123 label."""
    if not isinstance(namespace, str) or len(namespace) > 63 or not _DNS1123_LABEL.fullmatch(namespace):
        raise ConsoleError(f"{namespace!r} is not a valid namespace (lower-case letters, digits and '-'); "
                           "check the namespace you passed.")
    return namespace


def validate_label(key: str, value: str) -> tuple[str, str]:
    """A label key is a qualified name (optional DNS prefix + '/'), its value at most 63 safe characters."""
    prefix, _, local = key.rpartition("/") if isinstance(key, str) else ("", "", "")
    ok = bool(local) and len(local) <= 63 and _QUALIFIED_NAME.fullmatch(local)
    ok = ok and (not prefix or (len(prefix) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(prefix)))
    if not ok:
        raise ConsoleError(f"{key!r} is not a valid label key; use letters, digits, '-', '_' and '.'.")
    if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        raise ConsoleError(f"{value!r} is not a valid label value; use at most 63 letters, digits, '-', '_' and '.'.")
    return key, value


def sanitize_text(text: str, limit: int = MAX_TEXT) -> str:
    """One line, no control characters, bounded: what may go into an annotation."""
    return one_line(text or "", limit)


# ---- reading -----------------------------------------------------------------------------------


def _call(doing: str, method: Callable, *args, **kwargs) -> dict:
    """Call a client method for raw JSON; API and connection failures become one sentence."""
    try:
        response = method(*args, _preload_content=False, **kwargs)
        return json.loads(response.data or b"{}")
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise from_api_exception(exc, doing) from None


def _read_deployment(apps: client.AppsV1Api, namespace: str, name: str, doing: str) -> dict:
    return _call(doing, apps.read_namespaced_deployment, name, namespace)


def _list(doing: str, method: Callable, namespace: str, **kwargs) -> list[dict]:
    """All items of a namespaced list, following continue tokens as kubectl's FollowContinue."""
    items: list[dict] = []
    token = None
    while True:
        extra = {"_continue": token} if token else {}
        body = _call(doing, method, namespace, **kwargs, **extra)
        items.extend(body.get("items") or [])
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return items


def _as_dict(obj) -> dict:
    """A Deployment as API JSON (camelCase), from a dict or a client model."""
    if isinstance(obj, dict):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(by_alias=True, exclude_none=True, mode="json")
    return client.ApiClient().sanitize_for_serialization(obj)


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _annotations(obj: dict) -> dict[str, str]:
    return dict(_meta(obj).get("annotations") or {})


def revision_of(obj: dict) -> int:
    """deploymentutil.Revision: the revision annotation, 0 when absent; ValueError when not a number."""
    value = _annotations(obj).get(REVISION)
    return 0 if value is None else int(value)


def selector_string(selector: dict | None) -> str:
    """metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key."""
    requirements: list[tuple[str, str]] = []
    for key, value in ((selector or {}).get("matchLabels") or {}).items():
        requirements.append((key, f"{key}={value}"))
    for expr in (selector or {}).get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), sorted(expr.get("values") or [])
        text = {"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op)
        if text is None:
            raise ConsoleError(f"The selector operator {op!r} is not one Kubernetes knows; check the Deployment.")
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def _controller_uid(obj: dict) -> str | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def _owned_replicasets(apps: client.AppsV1Api, deployment: dict, doing: str) -> list[dict]:
    """ReplicaSets selected by the Deployment and controlled by it (listReplicaSets: controllerRef by UID)."""
    meta = _meta(deployment)
    selector = selector_string((deployment.get("spec") or {}).get("selector"))
    items = _list(doing, apps.list_namespaced_replica_set, meta.get("namespace", ""), label_selector=selector)
    return [rs for rs in items if _controller_uid(rs) == meta.get("uid")]


def _semantic(value):
    """Go's semantic equality treats nil and empty maps and slices alike; so do we."""
    if isinstance(value, dict):
        cleaned = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def without_hash(template: dict | None) -> dict:
    """A copy of a pod template without the pod-template-hash label (the Deployment's template has none)."""
    copied = copy.deepcopy(template or {})
    labels = (copied.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
        if not labels:
            del copied["metadata"]["labels"]
    return copied


def equal_ignore_hash(a: dict | None, b: dict | None) -> bool:
    """deploymentutil.EqualIgnoreHash."""
    return _semantic(without_hash(a)) == _semantic(without_hash(b))


def _template(obj: dict) -> dict:
    return (obj.get("spec") or {}).get("template") or {}


def _split_replicasets(deployment: dict, replicasets: list[dict]) -> tuple[list[dict], dict | None]:
    """(all old ReplicaSets, the new one) as GetAllReplicaSets: by creation then name; the oldest match is new."""
    ordered = sorted(replicasets, key=lambda rs: (_created_key(rs), _meta(rs).get("name", "")))
    new = next((rs for rs in ordered if equal_ignore_hash(_template(rs), _template(deployment))), None)
    return [rs for rs in ordered if rs is not new], new


def _created_key(obj: dict) -> str:
    # RFC 3339 in UTC ("...Z") sorts as text; the API server always writes that form.
    return _meta(obj).get("creationTimestamp") or ""


def _images(template: dict) -> tuple[str, ...]:
    return tuple(c.get("image", "") for c in (template.get("spec") or {}).get("containers") or [])


def history(apps: client.AppsV1Api, namespace: str, name: str) -> list[Revision]:
    """kubectl rollout history: one Revision per owned ReplicaSet, by revision number."""
    validate_namespace(namespace)
    validate_name(name)
    doing = f"reading the history of deployment.apps/{name}"
    deployment = _read_deployment(apps, namespace, name, doing)
    return revisions(deployment, _owned_replicasets(apps, deployment, doing))


def revisions(deployment: dict, replicasets: list[dict]) -> list[Revision]:
    """The history from objects already read (a watcher's cache, say); same rules as `history`."""
    old, new = _split_replicasets(deployment, replicasets)
    by_number: dict[int, Revision] = {}
    for rs in old + ([new] if new is not None else []):
        try:
            number = revision_of(rs)
        except ValueError:
            continue  # kubectl warns and skips a ReplicaSet whose revision is not a number
        status = rs.get("status") or {}
        by_number[number] = Revision(
            number=number,
            change_cause=_annotations(rs).get(CHANGE_CAUSE, ""),
            images=_images(_template(rs)),
            template=copy.deepcopy(_template(rs)),
            replicaset=_meta(rs).get("name", ""),
            created=_meta(rs).get("creationTimestamp", ""),
            desired=(rs.get("spec") or {}).get("replicas", 0),
            replicas=status.get("replicas", 0),
            ready=status.get("readyReplicas", 0),
            current=rs is new,
        )
    return [by_number[n] for n in sorted(by_number)]


# ---- status ------------------------------------------------------------------------------------


def _condition(deployment: dict, kind: str) -> dict | None:
    for cond in (deployment.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def rollout_status(deployment, revision: int = 0) -> tuple[str, bool, bool]:
    """kubectl rollout status for one reading of a Deployment: (message, done, error).

    The message is kubectl's, without its trailing newline; on error it is the
    text kubectl prints after "error: ".
    """
    d = _as_dict(deployment)
    meta, spec, status = _meta(d), d.get("spec") or {}, d.get("status") or {}
    name = json.dumps(meta.get("name", ""))  # Go's %q for a DNS name
    if revision > 0:
        try:
            running = revision_of(d)
        except ValueError as exc:
            return f"cannot get the revision of deployment {name}: {exc}", False, True
        if revision != running:
            return f"desired revision ({revision}) is different from the running revision ({running})", False, True
    if meta.get("generation", 0) <= status.get("observedGeneration", 0):
        cond = _condition(d, "Progressing")
        if cond is not None and cond.get("reason") == TIMED_OUT_REASON:
            return f"deployment {name} exceeded its progress deadline", False, True
        replicas = spec.get("replicas")
        updated = status.get("updatedReplicas", 0)
        if replicas is not None and updated < replicas:
            return (f"Waiting for deployment {name} rollout to finish: "
                    f"{updated} out of {replicas} new replicas have been updated..."), False, False
        if status.get("replicas", 0) > updated:
            return (f"Waiting for deployment {name} rollout to finish: "
                    f"{status.get('replicas', 0) - updated} old replicas are pending termination..."), False, False
        available = status.get("availableReplicas", 0)
        if available < updated:
            return (f"Waiting for deployment {name} rollout to finish: "
                    f"{available} of {updated} updated replicas are available..."), False, False
        return f"deployment {name} successfully rolled out", True, False
    return "Waiting for deployment spec update to be observed...", False, False


# ---- diff --------------------------------------------------------------------------------------


def _template_yaml(template: dict | None) -> list[str]:
    text = yaml.safe_dump(without_hash(template), sort_keys=True, default_flow_style=False, allow_unicode=True)
    return text.splitlines(keepends=True)


def pod_template_diff(from_template: dict | None, to_template: dict | None,
                      from_label: str = "current", to_label: str = "target") -> str:
    """Unified diff of two pod templates as YAML, pod-template-hash left out; "" when equal."""
    return "".join(difflib.unified_diff(_template_yaml(from_template), _template_yaml(to_template),
                                        fromfile=from_label, tofile=to_label))


# ---- planning ----------------------------------------------------------------------------------


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
    latest, latest_rev, previous, previous_rev = None, -1, None, -1
    for rs in old + ([new] if new is not None else []):
        try:
            v = revision_of(rs)
        except ValueError:
            continue
        if to_revision == 0:
            if latest_rev < v:
                previous, previous_rev = latest, latest_rev
                latest, latest_rev = rs, v
            elif previous_rev < v:
                previous, previous_rev = rs, v
        elif to_revision == v:
            return rs
    if to_revision > 0:
        raise ConsoleError(f"unable to find specified revision {to_revision} in history")
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


def rfc3339(moment: datetime) -> str:
    """Go's time.Format(time.RFC3339): seconds, and "Z" for a zero offset."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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


# ---- traffic -----------------------------------------------------------------------------------


def _pod_ready(pod: dict) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _ip_key(ip: str):
    try:
        return (0, ipaddress.ip_address(ip))
    except ValueError:
        return (1, ip)


def _services_of(core: client.CoreV1Api, namespace: str, pod_labels: dict, label: str, doing: str) -> list[str]:
    """Services whose selector picks the component's pods, the diversion label aside."""
    names = []
    for svc in _list(doing, core.list_namespaced_service, namespace):
        selector = (svc.get("spec") or {}).get("selector") or {}
        if selector and all(pod_labels.get(k) == v for k, v in selector.items() if k != label):
            names.append(_meta(svc).get("name", ""))
    return sorted(names)


def ready_endpoints(api: client.ApiClient, namespace: str, service: str, doing: str = "") -> list[str]:
    """A Service's ready endpoint addresses, from its EndpointSlices (core Endpoints when slices are absent)."""
    doing = doing or f"reading the endpoints of service/{service}"
    try:
        slices = _list(doing, client.DiscoveryV1Api(api).list_namespaced_endpoint_slice, namespace,
                       label_selector=f"{SERVICE_NAME_LABEL}={service}")
    except ConsoleError as err:
        if err.status != 404:
            raise
        slices = None
    addresses: set[str] = set()
    if slices is not None:
        for s in slices:
            for endpoint in s.get("endpoints") or []:
                # A nil "ready" means ready (discovery/v1 EndpointConditions).
                if (endpoint.get("conditions") or {}).get("ready") is not False:
                    addresses.update(endpoint.get("addresses") or [])
    else:
        endpoints = _call(doing, client.CoreV1Api(api).read_namespaced_endpoints, service, namespace)
        for subset in endpoints.get("subsets") or []:
            addresses.update(a.get("ip", "") for a in subset.get("addresses") or [])
    return sorted(addresses, key=_ip_key)


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


# ---- executing ---------------------------------------------------------------------------------


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


def _service_endpoints(api: client.ApiClient, namespace: str, services: list[str], doing: str) -> dict[str, list[str]]:
    return {svc: ready_endpoints(api, namespace, svc, doing) for svc in services}


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
