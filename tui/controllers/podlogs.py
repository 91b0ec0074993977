"""The logs view's behaviour (L): which pods, and one log at a time followed or read on a worker thread.

Each start bumps a generation; lines and endings of an older stream (another pod, the previous run) are
dropped, so switching never mixes two logs. The view closing stops the stream (`close`), which ends the
worker's blocking read at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ..core.errors import ConsoleError
from ..core.podlogs import TAIL, pods_newest_first
from ..core.workload import Ref
from .console import Console

ENDED = "the stream ended (the container exited or the pod is gone); s follows it again"


class LogsController:
    def __init__(self, console: Console, tail: int = TAIL) -> None:
        self.console = console
        self.tail = tail
        self.generation = 0
        self._stream = None

    def pods(self, ref: Ref) -> list[dict]:
        """The component's pods, the newest ReplicaSet's first."""
        return pods_newest_first(self.console.state.pods_of(ref), self.console.state.owned_of(ref))

    def follow(self, pod: str, container: str, on_lines: Callable[[list[str]], None],
               on_end: Callable[[str], None]) -> int:
        """Follow `container` of `pod` from its last `tail` lines; the callbacks run on the UI loop."""
        self.stop()
        from ..kube.logs import LogStream

        stream = LogStream(self.console.target.api, self.console.target.namespace, pod, container, self.tail)
        self._stream = stream
        self.generation += 1
        self.console.run_off_loop(partial(self._follow_in_thread, self.generation, stream, on_lines, on_end),
                                  group="logs", name=f"logs of {pod}/{container}")
        return self.generation

    def previous(self, pod: str, container: str, on_lines: Callable[[list[str]], None],
                 on_end: Callable[[str], None]) -> int:
        """Read the previous run's last lines once (it has ended: nothing to follow)."""
        self.stop()
        self.generation += 1
        self.console.run_off_loop(partial(self._previous_in_thread, self.generation, pod, container, on_lines,
                                          on_end), group="logs", name=f"previous logs of {pod}/{container}")
        return self.generation

    def stop(self) -> None:
        """Stop following (the lines already shown stay); later lines of that stream are dropped."""
        self.generation += 1
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()

    close = stop

    def _deliver(self, generation: int, callback: Callable, *args) -> None:
        """On the UI loop: only the current stream's news, and only while the console lives."""
        if generation == self.generation and self.console.alive:
            callback(*args)

    def _follow_in_thread(self, generation: int, stream, on_lines, on_end) -> None:
        why = ENDED
        try:
            stream.run(lambda lines: self.console.call_soon(self._deliver, generation, on_lines, lines))
        except ConsoleError as err:
            why = err.message
        if not stream.stopped.is_set():
            self.console.call_soon(self._deliver, generation, on_end, why)

    def _previous_in_thread(self, generation: int, pod: str, container: str, on_lines, on_end) -> None:
        from ..kube.logs import read_previous

        try:
            text = read_previous(self.console.target.api, self.console.target.namespace, pod, container, self.tail)
        except ConsoleError as err:
            self.console.call_soon(self._deliver, generation, on_end, err.message)
            return
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.console.call_soon(self._deliver, generation, on_lines, lines)
        self.console.call_soon(self._deliver, generation, on_end, "")
