"""What the core needs to know of a workload kind, and how components are named.

A component is keyed by (kind, name): a Deployment and an Argo Rollout may
share a name (a Rollout's workloadRef points at a Deployment of the same
name while it migrates). Each kind's adapter (tui/workloads/<kind>/) gives the
core a `WorkloadReader`, the pure read side: its history, its rollout status
and its replica counts, read from objects already watched. The core never
imports an adapter; the registry hands readers in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol


class Ref(NamedTuple):
    """A component: its kind and name. Shown as the name; the kind is a column of its own."""

    kind: str
    name: str

    def __str__(self) -> str:
        return self.name


RELEASE_KIND = "HelmRelease"


def release_ref(release: str) -> Ref:
    """A Helm release's key in the ledger and the Rollout stream (it is not a workload)."""
    return Ref(RELEASE_KIND, release)


class RolloutStatus(NamedTuple):
    """kubectl rollout status for one reading: its message, whether done, whether failed."""

    message: str
    done: bool
    failed: bool


class Replicas(NamedTuple):
    desired: int
    ready: int
    updated: int
    available: int


@dataclass(frozen=True)
class Revision:
    """One revision of a workload: one object it owns (a ReplicaSet for a Deployment), as kubectl's history."""

    number: int
    change_cause: str
    images: tuple[str, ...]
    template: dict  # the owned object's pod template, as stored (with its pod-template-hash label)
    replicaset: str
    created: str  # RFC 3339 creation time of the owned object
    desired: int  # its .spec.replicas
    replicas: int  # .status.replicas
    ready: int  # .status.readyReplicas
    current: bool  # the one whose template is the workload's


class WorkloadReader(Protocol):
    """The pure read side of one kind (kubectl's HistoryViewer and StatusViewer, over watched objects)."""

    kind: str  # "Deployment"
    owns: str  # the kind of the objects its revisions are: "ReplicaSet"

    def revisions(self, obj: dict, owned: list[dict]) -> list[Revision]:
        """Oldest first, kubectl's rules."""
        ...

    def rollout_status(self, obj: dict) -> RolloutStatus: ...

    def replicas(self, obj: dict) -> Replicas: ...

    def revision(self, obj: dict) -> str:
        """The current revision, as its annotation says ("" when none yet)."""
        ...

    def paused(self, obj: dict) -> bool: ...

    def stalled(self, obj: dict) -> bool:
        """The rollout gave up (ProgressDeadlineExceeded for a Deployment)."""
        ...

    def failed(self, obj: dict) -> str:
        """Why the current revision's update failed, as the kind says it ("" when it did not): an Argo
        Rollout aborted by its analysis. Known-bad evidence against that revision."""
        ...

    def status_detail(self, obj: dict, owned: list[dict]) -> tuple[str, tuple[str, ...], str] | None:
        """A kind's own status for its row: (word, what follows it in parts, most telling first, its message);
        None: the console's generic
        word (Complete, Progressing, Paused, Stalled, Degraded). An Argo Rollout says upstream's phase."""
        ...
