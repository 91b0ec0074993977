"""The logs view's state: which pods and containers there are, the lines shown (bounded), and which are errors.

Plain Python: the kube side (tui/kube/logs.py) reads and follows, the screen renders.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

TAIL = 500  # lines read when a log is opened, and the most kept while following (k9s keeps a bounded buffer too)
FOLLOWING, STOPPED = "following", "stopped"


def _revision(replicaset: dict) -> int:
    text = ((replicaset.get("metadata") or {}).get("annotations") or {}).get("deployment.kubernetes.io/revision", "")
    return int(text) if text.isdigit() else 0


def pods_newest_first(pods: Iterable[dict], replicasets: Iterable[dict]) -> list[dict]:
    """The newest ReplicaSet's pods first (they are what a rollout just made), then by creation, newest first."""
    revision = {(rs.get("metadata") or {}).get("name"): _revision(rs) for rs in replicasets}

    def owner(pod: dict) -> str:
        refs = (pod.get("metadata") or {}).get("ownerReferences") or []
        return next((r.get("name", "") for r in refs if r.get("kind") == "ReplicaSet"), "")

    def key(pod: dict) -> tuple:
        meta = pod.get("metadata") or {}
        return revision.get(owner(pod), 0), meta.get("creationTimestamp") or "", meta.get("name") or ""

    return sorted(pods, key=key, reverse=True)


def containers(pod: dict) -> list[str]:
    """The pod's containers, then its init containers (kubectl logs -c accepts both)."""
    spec = pod.get("spec") or {}
    return [c["name"] for c in spec.get("containers") or []] + [c["name"] for c in spec.get("initContainers") or []]


def restarts(pod: dict, container: str) -> int:
    status = pod.get("status") or {}
    for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            return int(cs.get("restartCount") or 0)
    return 0


def no_previous(pod: str, container: str) -> str:
    return (f"Container {container} of pod {pod} has not restarted, so there is no previous run to show; "
            "p shows the current one again.")


@dataclass
class LogBuffer:
    """The lines on screen: the last `limit` of them, how many arrived in all, and whether the stream is followed."""

    pattern: re.Pattern
    limit: int = TAIL
    lines: deque = field(default_factory=deque)
    total: int = 0
    errors: int = 0
    state: str = STOPPED
    why: str = ""  # why it stopped, when it was not asked to

    def __post_init__(self) -> None:
        self.lines = deque(self.lines, maxlen=self.limit)

    def clear(self) -> None:
        self.lines.clear()
        self.total = self.errors = 0
        self.why = ""

    def is_error(self, line: str) -> bool:
        return bool(self.pattern.search(line))

    def add(self, lines: Iterable[str]) -> list[tuple[str, bool]]:
        """Append lines; returns them with whether each is an error line."""
        added = []
        for line in lines:
            error = self.is_error(line)
            self.lines.append((line, error))
            self.total += 1
            self.errors += error
            added.append((line, error))
        return added

    def summary(self) -> str:
        """`412 lines (last 500 kept) · 3 error lines · following`."""
        kept = f" (last {self.limit} kept)" if self.total > self.limit else ""
        errors = f" · {self.errors} error line{'s' * (self.errors != 1)}" if self.errors else ""
        why = f": {self.why}" if self.state == STOPPED and self.why else ""
        return f"{self.total} line{'s' * (self.total != 1)}{kept}{errors} · {self.state}{why}"


def split_lines(pending: str, chunk: str) -> tuple[list[str], str]:
    """Complete lines out of what arrived so far, and the unfinished rest (a chunk may end mid-line)."""
    text = pending + chunk
    *lines, rest = text.split("\n")
    return [line.rstrip("\r") for line in lines], rest
