"""Deep copies of JSON data: every stored object is plain dicts, lists and scalars,
which this copies several times faster than the copy module (the sandbox's hot path)."""

from __future__ import annotations

from typing import Any


def clone(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: clone(v) for k, v in value.items()}
    if kind is list:
        return [clone(v) for v in value]
    return value
