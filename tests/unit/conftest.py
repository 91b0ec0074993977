"""Every test under tests/unit is offline (no sandbox process, no kubectl or helm, no Pilot): marked so here.

`make check` runs `pytest -m offline tests/unit tests/ui`: all of these, and
the ui tests marked `offline` one by one (those on the fixed recorded state).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.offline)
