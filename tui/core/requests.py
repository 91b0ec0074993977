"""What the user asked for, before it is planned: the action, the component and its arguments."""

from __future__ import annotations

from dataclasses import dataclass

from .workload import Ref

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
    verb: str = ""  # a kind-specific action's "-ing" word; the generic ones are in DOING

    @property
    def doing(self) -> str:
        return f"{self.verb or DOING.get(self.action, self.action)} {self.component}"
