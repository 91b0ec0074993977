"""What a mutating action will do, described before it runs, and what it did.

An Operation is made by a workload adapter's planner (`tui/workloads/<kind>/`)
from one read of the cluster. The confirmation screen shows its summary,
changes, diff and equivalent kubectl command; the adapter's `execute` carries
it out and answers with an Outcome. The command line is for the
reader only: nothing here ever runs it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from .workload import Ref

# The generic actions; a kind may add its own (an Argo Rollout's promote, abort, retry).
KINDS = ("rollback", "pause", "resume", "restart", "scale", "divert_traffic", "annotate")
RISKS = ("normal", "high")


@dataclass(frozen=True)
class Operation:
    kind: str  # one of KINDS, or a kind-specific action of the workload's adapter
    component: str  # the workload's name
    namespace: str
    summary: str  # one line
    changes: list[str]  # what will change, one human-readable line each
    command: list[str]  # the equivalent kubectl argv
    risk: str = "normal"  # "normal" | "high"
    diff: str = ""  # unified diff of the pod template (rollbacks), else ""
    dry_run: bool = False  # run with dryRun=All: validated by the server, nothing stored

    # What the executor needs; planners fill these from what they read.
    resource_version: str = ""  # the Deployment's resourceVersion when planned
    basis: str = ""  # fingerprint of what the plan depended on (spec generation, annotations)
    patch_type: str = ""  # "json" | "merge" | "strategic" | "" (kinds that do not patch the Deployment)
    patch: Any = None  # the body sent, as kubectl would send it
    revision: int = 0  # rollback: the revision restored
    replicas: int | None = None  # scale: the target
    previous_replicas: int | None = None  # scale: replicas when planned (kubectl's --current-replicas)
    selector: str = ""  # divert_traffic: the pods labelled
    labels: dict[str, str] = field(default_factory=dict)  # divert_traffic: the labels set
    noop: str = ""  # when set, executing changes nothing and reports this (kubectl's words)
    workload: str = "Deployment"  # the component's kind: which adapter executes it
    kind_action: bool = False  # `kind` is one the workload's adapter declares (promote, abort), not in KINDS

    def __post_init__(self) -> None:
        if self.kind not in KINDS and not self.kind_action:
            raise ValueError(f"unknown operation kind {self.kind!r}")
        if self.risk not in RISKS:
            raise ValueError(f"unknown risk {self.risk!r}")

    @property
    def ref(self) -> Ref:
        return Ref(self.workload, self.component)

    @property
    def command_line(self) -> str:
        """The kubectl command, shell-quoted for display (never executed)."""
        return shlex.join(self.command)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str  # one sentence: kubectl's success wording, or what failed and what to do
    changed: bool = False  # whether anything was (or, in a dry run, would be) written
    details: list[str] = field(default_factory=list)  # kubectl's per-object lines (label: one per pod)
    previous_replicas: int | None = None  # scale: so the UI can scale back
    endpoints_before: dict[str, list[str]] = field(default_factory=dict)  # divert_traffic: service -> ready IPs
    endpoints_after: dict[str, list[str]] = field(default_factory=dict)
    object: dict | None = None  # the Deployment (or Scale) as the server returned it
