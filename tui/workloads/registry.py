"""Kind -> adapter, as kubectl's polymorphichelpers and k9s's dao accessor registry.

A new kind is one folder under tui/workloads/, one line here, and its config
name in tui/appconfig.py's KINDS.
"""

from __future__ import annotations

from ..core.errors import ConsoleError
from ..core.workload import WorkloadReader
from .base import Workload
from .deployment import Deployment
from .rollout import Rollout

ADAPTERS: dict[str, Workload] = {adapter.kind: adapter for adapter in (Deployment(), Rollout())}
READERS: dict[str, WorkloadReader] = {kind: adapter.reader for kind, adapter in ADAPTERS.items()}


def adapter_for(kind: str) -> Workload:
    try:
        return ADAPTERS[kind]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise ConsoleError(f"The console has no adapter for {kind} (it knows {known}).") from None
