"""Messages between the console's widgets, workers and app: small dataclasses.

Widgets post what the user asked for; workers post what the cluster
answered. The app is the only place that turns one into the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui.core.operations import Operation, Outcome
from tui.core.requests import Request
from tui.core.workload import Ref


@dataclass
class WatchBatch(Message):
    """The watchers queued items the UI has not drained yet (posted from a watcher thread)."""


@dataclass
class ComponentHighlighted(Message):
    """The cursor moved to a component in Components."""

    ref: Ref


@dataclass
class ChecklistToggled(Message):
    """Space (check or tick) or `m` (by hand, by_hand=True) on a checklist item."""

    key: str
    by_hand: bool = False


@dataclass
class OperationPlanned(Message):
    """A worker planned an action: the confirmation screen shows it next."""

    request: Request
    operation: Operation


@dataclass
class OperationFinished(Message):
    """A worker executed (or failed to plan or execute) an action."""

    request: Request
    ok: bool
    message: str
    planning: bool = False  # the failure happened while planning: nothing was changed
    operation: Operation | None = None  # the Operation executed, when it got that far
    outcome: Outcome | None = None  # its Outcome


@dataclass
class HelmDiffRequested(Message):
    """enter/d on a Helm revision: its manifests and values against the deployed revision."""

    release: str
    revision: int


@dataclass
class HelmRollbackRequested(Message):
    """r on a Helm revision: preview, options and confirmation of `helm rollback`."""

    release: str
    revision: int
