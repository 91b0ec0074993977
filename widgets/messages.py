"""Messages between the console's widgets, workers and app: small dataclasses.

Widgets post what the user asked for; workers post what the cluster
answered. The app is the only place that turns one into the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class WatchBatch(Message):
    """The watchers queued items the UI has not drained yet (posted from a watcher thread)."""


@dataclass
class ComponentHighlighted(Message):
    name: str


@dataclass
class RevisionHighlighted(Message):
    component: str
    revision: int


@dataclass
class FilterChanged(Message):
    text: str


@dataclass
class FilterSubmitted(Message):
    text: str


@dataclass
class FilterCancelled(Message):
    pass


@dataclass
class ChecklistToggled(Message):
    """Space (check or tick) or `m` (by hand, by_hand=True) on a checklist item."""

    key: str
    by_hand: bool = False


@dataclass
class OperationPlanned(Message):
    """A worker planned an action: the confirmation screen shows it next."""

    request: Any  # tui.app.Request
    operation: Any  # tui.kube.operations.Operation


@dataclass
class OperationFinished(Message):
    """A worker executed (or failed to plan or execute) an action."""

    request: Any
    ok: bool
    message: str
    planning: bool = False  # the failure happened while planning: nothing was changed
    operation: Any = None  # the Operation executed, when it got that far
    outcome: Any = None  # its Outcome


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
