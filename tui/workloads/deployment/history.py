"""Deployment history from objects already read: kubectl's history.go and deploymentutil's rules (pure).

Which ReplicaSets a Deployment owns, which one is new (EqualIgnoreHash), and
one Revision per ReplicaSet by its revision annotation.
"""

from __future__ import annotations

import copy

from ...core.errors import ConsoleError
from ...core.names import CHANGE_CAUSE, HASH_LABEL, REVISION
from ...core.workload import Revision


def _as_dict(obj) -> dict:
    """A Deployment as API JSON (camelCase), from a dict or a client model."""
    if isinstance(obj, dict):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(by_alias=True, exclude_none=True, mode="json")
    raise TypeError(f"expected the API's JSON as a dict, not {type(obj).__name__}")


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
    return _comparable(a) == _comparable(b)


def _comparable(template: dict | None) -> dict:
    """What EqualIgnoreHash compares: the semantic form (a new dict at every level, so no deep copy is
    needed first: at 2,000 Deployments those copies were a third of a relist's work) without the hash label."""
    cleaned = _semantic(template or {})
    metadata = cleaned.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("labels"), dict):
        metadata["labels"].pop(HASH_LABEL, None)
        if not metadata["labels"]:
            del metadata["labels"]
        if not metadata:
            del cleaned["metadata"]
    return cleaned


def _template(obj: dict) -> dict:
    return (obj.get("spec") or {}).get("template") or {}


def _split_replicasets(deployment: dict, replicasets: list[dict]) -> tuple[list[dict], dict | None]:
    """(all old ReplicaSets, the new one) as GetAllReplicaSets: by creation then name; the oldest match is new."""
    ordered = sorted(replicasets, key=lambda rs: (_created_key(rs), _meta(rs).get("name", "")))
    wanted = _comparable(_template(deployment))
    new = next((rs for rs in ordered if _comparable(_template(rs)) == wanted), None)
    return [rs for rs in ordered if rs is not new], new


def _created_key(obj: dict) -> str:
    # RFC 3339 in UTC ("...Z") sorts as text; the API server always writes that form.
    return _meta(obj).get("creationTimestamp") or ""


def _images(template: dict) -> tuple[str, ...]:
    return tuple(c.get("image", "") for c in (template.get("spec") or {}).get("containers") or [])


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
            template=_template(rs),  # shared with the watch cache, not copied: nothing edits either in place
            replicaset=_meta(rs).get("name", ""),
            created=_meta(rs).get("creationTimestamp", ""),
            desired=(rs.get("spec") or {}).get("replicas", 0),
            replicas=status.get("replicas", 0),
            ready=status.get("readyReplicas", 0),
            current=rs is new,
        )
    return [by_number[n] for n in sorted(by_number)]
