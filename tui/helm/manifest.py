"""A release's rendered manifest, read for the workloads it holds."""

from __future__ import annotations

from collections.abc import Collection

import yaml

from ..core.workload import Ref


def workload_docs(manifest: str, kinds: Collection[str]) -> dict[Ref, dict]:
    """The documents of the given workload kinds in a rendered manifest, by (kind, name); {} if unreadable."""
    try:
        docs = list(yaml.safe_load_all(manifest or ""))
    except yaml.YAMLError:
        return {}
    return {Ref(d["kind"], d["metadata"]["name"]): d for d in docs
            if isinstance(d, dict) and d.get("kind") in kinds and isinstance(d.get("metadata"), dict)
            and d["metadata"].get("name")}
