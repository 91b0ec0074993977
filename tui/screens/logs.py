"""`L`: the selected component's pod logs: followed as they come, the previous run of a crash-looping container,
error lines (the config's log_error_patterns) marked, the last 500 lines kept, and "following"/"stopped" said.

k9s opens logs with `l`; here `l` is the Rollout stream's scope (the runbook's console had it first), so `L`.
In the view: `[`/`]` the pod (newest ReplicaSet first), `c` the container, `p` the previous run, `s` stops
or resumes following (k9s's autoscroll key), Esc closes and stops the stream.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.log_lines import LogLines

from ..core import podlogs
from ..core.workload import Ref

OFFLINE = "the console shows a fixed state (offline): there is no cluster to read logs from"


class LogsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    LogsScreen { align: center middle; background: $background 60%; }
    LogsScreen > #frame {
        width: 100%; height: 100%;
        border: thick $primary; background: $surface;
    }
    LogsScreen #where, LogsScreen #status { padding: 0 1; height: auto; }
    LogsScreen #where { color: $text-muted; }
    LogsScreen #log { height: 1fr; background: $surface; overflow-x: hidden; }
    """

    BINDINGS = [
        Binding("escape,q,L", "close", "Close"),
        Binding("s", "follow", "Follow/stop"),
        Binding("p", "previous", "Previous run"),
        Binding("right_square_bracket", "pod(1)", "Next pod"),
        Binding("left_square_bracket", "pod(-1)", "Prev pod"),
        Binding("c", "container", "Container"),
    ]

    def __init__(self, controller, ref: Ref, pattern: re.Pattern, offline: bool = False) -> None:
        super().__init__()
        self.controller = controller
        self.ref = ref
        self.offline = offline
        self.buffer = podlogs.LogBuffer(pattern, limit=controller.tail)
        self.pods: list[dict] = []
        self.pod_index = 0
        self.container_index = 0
        self.showing_previous = False
        self.generation = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="frame") as frame:
            frame.border_title = f"Logs · {self.ref.name}"
            frame.border_subtitle = "s follow/stop · p previous · [ ] pod · c container · Esc closes"
            yield Static(id="where", markup=False)
            yield Static(id="status", markup=False)
            yield LogLines(self.controller.tail, id="log")

    def on_mount(self) -> None:
        self.pods = self.controller.pods(self.ref)
        self.query_one(LogLines).focus()
        self._begin()

    def on_unmount(self) -> None:
        self.controller.close()

    # ---- what is shown -----------------------------------------------------------------------------

    @property
    def pod(self) -> str:
        return self.pods[self.pod_index]["metadata"]["name"] if self.pods else ""

    @property
    def containers(self) -> list[str]:
        return podlogs.containers(self.pods[self.pod_index]) if self.pods else []

    @property
    def container(self) -> str:
        names = self.containers
        return names[self.container_index % len(names)] if names else ""

    def _where(self) -> None:
        if not self.pods:
            text = f"No pods of {self.ref.name} are watched now; scale it up or wait for its pods, then press L again."
        else:
            pod = self.pods[self.pod_index]
            restarts = podlogs.restarts(pod, self.container)
            run = "previous run" if self.showing_previous else "current run"
            many = f" ({self.container_index % len(self.containers) + 1}/{len(self.containers)})" \
                if len(self.containers) > 1 else ""
            text = (f"pod {self.pod_index + 1}/{len(self.pods)} {self.pod} · container {self.container}{many} · "
                    f"{run} · {restarts} restart{'s' * (restarts != 1)}")
        self.query_one("#where", Static).update(text)

    def _status(self) -> None:
        self.query_one("#status", Static).update(self.buffer.summary())

    # ---- the stream's news (on the UI loop) -------------------------------------------------------

    def add_lines(self, lines: list[str]) -> None:
        self.query_one(LogLines).add(self.buffer.add(lines))
        self._status()

    def ended(self, why: str) -> None:
        """The stream ended or could not be read (`why`: one sentence; "" once a previous run was read)."""
        self.buffer.state = podlogs.STOPPED
        self.buffer.why = why
        self._status()

    # ---- starting and stopping --------------------------------------------------------------------

    def _begin(self) -> None:
        self.controller.stop()
        self.buffer.clear()
        self.query_one(LogLines).reset()
        self._where()
        if self.offline or not self.pods:
            self.ended(OFFLINE if self.offline else "")
            return
        if self.showing_previous:
            self.buffer.state = podlogs.STOPPED
            self.generation = self.controller.previous(self.pod, self.container, self.add_lines, self.ended)
        else:
            self.buffer.state = podlogs.FOLLOWING
            self.generation = self.controller.follow(self.pod, self.container, self.add_lines, self.ended)
        self._status()

    def action_follow(self) -> None:
        if self.buffer.state == podlogs.FOLLOWING:
            self.controller.stop()
            self.ended("s follows again")
            return
        self.showing_previous = False
        self._begin()

    def action_previous(self) -> None:
        if not self.pods:
            return
        self.showing_previous = not self.showing_previous
        self._begin()

    def action_pod(self, step: int) -> None:
        if len(self.pods) > 1:
            self.pod_index = (self.pod_index + step) % len(self.pods)
            self.container_index = 0
            self._begin()

    def action_container(self) -> None:
        if len(self.containers) > 1:
            self.container_index = (self.container_index + 1) % len(self.containers)
            self._begin()

    def action_close(self) -> None:
        self.dismiss(None)
