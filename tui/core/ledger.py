"""The console's ledger: what is busy, what is executing, what was rolled back (one owner, plain Python).

Every operation, a component's action, a Helm rollback or a plan, takes one
`Busy` entry from the moment it is asked for until its outcome is said, so a
second one on the same thing is refused and quitting can say what would be
left running.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass
class Busy:
    """One operation, from request to outcome."""

    key: Hashable  # a component's Ref, or the release's
    doing: str  # "rolling back eli-maor-backend": said when something else is refused
    executing: bool = False  # confirmed and running now (not only planned or awaiting confirmation)
    exclusive: bool = False  # while it runs nothing else may start (a Helm rollback changes many components)


class Ledger:
    def __init__(self) -> None:
        self._busy: dict[Hashable, Busy] = {}
        self.rolled_back: set = set()  # components rolled back in this session (checklist evidence)
        self.remembered_replicas: dict = {}  # component -> replicas before an emergency scale-down

    def start(self, key: Hashable, doing: str, *, exclusive: bool = False) -> Busy:
        busy = self._busy[key] = Busy(key, doing, exclusive=exclusive)
        return busy

    def executing(self, key: Hashable) -> None:
        if key in self._busy:
            self._busy[key].executing = True

    def finish(self, key: Hashable) -> None:
        self._busy.pop(key, None)

    def get(self, key: Hashable) -> Busy | None:
        return self._busy.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._busy

    def __bool__(self) -> bool:
        return bool(self._busy)

    def entries(self) -> list[Busy]:
        return list(self._busy.values())

    def exclusive(self) -> Busy | None:
        """The operation that blocks every other one, if any runs."""
        return next((b for b in self._busy.values() if b.exclusive), None)

    def in_flight(self) -> list[Busy]:
        """What is executing now (quitting would leave it unreported)."""
        return [b for b in self._busy.values() if b.executing]
