"""What the user asked for, before it is planned: the action, the component and its arguments."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field

from .workload import Ref

_NEXT = itertools.count(1)
_PROCESS = f"{os.getpid():x}.{int(time.time()):x}"  # apart from another console's ids in the same incident


def operation_id() -> str:
    """A new operation's id: the audit log pairs a command with its own outcome by it, never by proximity."""
    return f"{_PROCESS}-{next(_NEXT)}"


# What each action is called in sentences ("rolling back eli-maor-backend").
DOING = {
    "rollback": "rolling back", "pause": "pausing", "resume": "resuming", "restart": "restarting",
    "scale": "scaling", "divert_traffic": "diverting traffic of", "annotate": "annotating",
}


@dataclass(frozen=True)
class Request:
    """One action on one component. Kind-specific actions (promote, abort) carry their own `doing`."""

    action: str  # an Operation kind, or a kind-specific action an adapter declares
    component: Ref
    revision: int = 0  # rollback: 0 = the previous revision
    replicas: int | None = None  # scale
    serving: bool | None = None  # divert_traffic
    change_cause: str = ""  # annotate
    argument: str = ""  # a kind-specific action's answer to its question (set image: "CONTAINER=IMAGE")
    verb: str = ""  # a kind-specific action's "-ing" word; the generic ones are in DOING
    id: str = field(default_factory=operation_id, compare=False)  # its command and outcome entries carry it

    @property
    def doing(self) -> str:
        return f"{self.verb or DOING.get(self.action, self.action)} {self.component}"
