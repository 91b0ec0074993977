"""The describe/YAML view's reading (y): the live object and its events, on a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ..core import describe
from ..core.errors import ConsoleError
from ..core.workload import Ref
from ..workloads.registry import adapter_for
from .console import Console


class DescribeController:
    def __init__(self, console: Console) -> None:
        self.console = console

    def read(self, ref: Ref, then: Callable[[str, list[str], str], None]) -> None:
        """`then(yaml_text, describe_lines, error)` on the UI loop once read (error: one sentence, else "")."""
        self.console.run_off_loop(partial(self._read_in_thread, ref, then), group="describe",
                                  name=f"describe {ref.name}")

    def _read_in_thread(self, ref: Ref, then) -> None:
        from ..kube.logs import read_events

        api, namespace = self.console.target.api, self.console.target.namespace
        adapter = adapter_for(ref.kind)
        try:
            obj = adapter.read(api, namespace, ref.name, f"reading {adapter.resource}/{ref.name}")
            events = read_events(api, namespace, ref.kind, ref.name)
        except ConsoleError as err:
            self.console.call_soon(self._deliver, then, "", [], err.message)
            return
        self.console.call_soon(self._deliver, then, describe.to_yaml(obj),
                               describe.describe(obj, events, self.console.clock()), "")

    def _deliver(self, then, *args) -> None:
        if self.console.alive:
            then(*args)
