"""What a watcher hands the console: small immutable items, applied to the state in batches."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Relisted:
    """A full list: replaces everything known of `kind`."""

    kind: str
    objects: tuple[dict, ...]


@dataclass(frozen=True)
class Changed:
    kind: str
    type: str  # ADDED, MODIFIED, DELETED
    obj: dict


@dataclass(frozen=True)
class Health:
    kind: str
    live: bool
    since: float
    error: str = ""
