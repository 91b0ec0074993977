"""What a controller may ask of the console: the one boundary between behaviour and the Textual App.

The App implements this protocol; controllers (Helm, the plan, the checklist,
incidents) take it and touch nothing else of the App. Everything a controller
does off the UI loop goes through `run_off_loop`, and comes back with
`call_soon`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ..core.checklist import Checklist
from ..core.guard import Guard
from ..core.ledger import Ledger
from ..core.state import ClusterState
from ..core.workload import Ref

W = TypeVar("W")


class Console(Protocol):
    target: Any  # tui.kube.config.Target: context, namespace, server, api (None offline)
    state: ClusterState
    ledger: Ledger
    guard: Guard
    checklist: Checklist
    config: Any  # tui.appconfig.AppConfig
    clock: Callable[[], float]
    read_only: bool
    production: bool

    @property
    def selected(self) -> Ref | None:
        """The component selected in Components."""
        ...

    @property
    def alive(self) -> bool:
        """False while the console shuts down: late results are then dropped, not shown."""
        ...

    def say(self, sentence: str, severity: str = "information", title: str = "") -> None:
        """A notification (kept in the console's notices)."""
        ...

    def refuse(self, sentence: str) -> None:
        """Say why something cannot be done now (with the bell)."""
        ...

    def bell(self) -> None:
        """Ring the terminal bell (a refusal already said where the user looks)."""
        ...

    def note(self, component: Ref | str, severity: str, text: str) -> None:
        """A line of the console's own in the Rollout stream (a name goes to the workload of that name)."""
        ...

    def record(self, kind: str, component: Any, text: str, command: str = "", ok: bool | None = None, *,
               payload: dict | None = None) -> None:
        """One entry of the incident's timeline (audit-logged when an incident is open)."""
        ...

    def run_off_loop(self, work: Callable[[], object], *, group: str, name: str = "") -> None:
        """Run blocking work on a worker thread."""
        ...

    def call_soon(self, callback: Callable[..., object], *args: object) -> None:
        """From a worker thread: run `callback` on the UI loop."""
        ...

    def ask(self, screen: Any, then: Callable[[Any], None] | None = None) -> None:
        """Show a modal screen (a question, a confirmation); `then` gets its answer."""
        ...

    def type_into(self, screen: Any, keys: list[tuple[str, str | None]]) -> None:
        """Keys typed while `screen` was being prepared: delivered to it once it has opened and focused."""
        ...

    def widget(self, kind: type[W]) -> W:
        """The console screen's pane of this type (a controller repaints the pane it owns)."""
        ...

    def show_all_components(self) -> None:
        """Widen the Rollout stream to every component (a Helm rollback moves several)."""
        ...

    def focus_components(self) -> None: ...

    def show_alerts(self, alerts: Any) -> None:
        """Repaint the header's alert badge and the rows' alerts (tui.controllers.metrics.AlertsState)."""
        ...
