"""The one place that says why an action may not start: read-only, offline, busy (and the production guard).

Each refusal is one sentence: what is wrong and what to do.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from .ledger import Ledger

# What each key is called when read-only mode refuses it.
REFUSED = {
    "rollback_previous": "rolling back", "rollback_revision": "rolling back", "rollback": "rolling back",
    "pause_resume": "pausing and resuming", "restart": "restarting", "scale": "scaling",
    "traffic": "diverting traffic", "annotate": "annotating", "helm_rollback": "Helm rollback",
    "plan": "rolling back",
}


@dataclass(frozen=True)
class Guard:
    read_only: bool
    online: bool
    production: bool

    def refusal(self, action: str, key: Hashable | list | None, ledger: Ledger, *, exclusive: bool = False,
                then: str = "") -> str | None:
        """Why `action` on `key` (or on every key of a list) may not start now (one sentence), or None.

        `exclusive`: the action changes many things (a Helm rollback), so anything busy blocks it.
        `then`: what to do after waiting ("then execute the plan"); else the outcome is in the stream."""
        if self.read_only:
            return (f"Read-only mode: {REFUSED.get(action, action.replace('_', ' '))} is disabled "
                    "(restart the console without --read-only to act).")
        if key is None:
            return "No component is selected; pick one in Components first."
        blocking = ledger.exclusive()
        if blocking is not None:
            return f"One operation at a time: {blocking.doing} is not finished; wait for its outcome."
        for one in key if isinstance(key, list) else [key]:
            busy = ledger.get(one)
            if busy is not None:
                after = f", {then}" if then else " in the Rollout stream"
                return f"{one} is busy: {busy.doing} is not finished; wait for its outcome{after}."
        if exclusive and ledger:
            doing = ledger.entries()[0].doing
            return f"One operation at a time: {doing} is not finished; wait for its outcome."
        if not self.online:
            return "Not connected to a cluster (offline view); nothing can change."
        return None

    def confirm_name(self, name: str) -> str | None:
        """The name to type to confirm in production (the production guard), or None."""
        return name if self.production else None
