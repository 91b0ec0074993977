"""The diff of two pod templates, as the confirmation and the Revisions pane show it."""

from __future__ import annotations

import difflib

import yaml

from .history import without_hash

ROLLOUT_HASH_LABEL = "rollouts-pod-template-hash"  # an Argo Rollout's ReplicaSets carry this one instead


def _template_yaml(template: dict | None) -> list[str]:
    plain = without_hash(template)
    labels = (plain.get("metadata") or {}).get("labels")
    if isinstance(labels, dict) and ROLLOUT_HASH_LABEL in labels:
        labels.pop(ROLLOUT_HASH_LABEL)
        if not labels:
            del plain["metadata"]["labels"]
    text = yaml.safe_dump(plain, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return text.splitlines(keepends=True)


def pod_template_diff(from_template: dict | None, to_template: dict | None,
                      from_label: str = "current", to_label: str = "target") -> str:
    """Unified diff of two pod templates as YAML, pod-template-hash left out; "" when equal."""
    return "".join(difflib.unified_diff(_template_yaml(from_template), _template_yaml(to_template),
                                        fromfile=from_label, tofile=to_label))
