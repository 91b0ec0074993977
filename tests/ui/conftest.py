"""The console's end-to-end fixture: a live eli-maor sandbox that must stop cleanly and log no error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sandbox import start_sandbox
from tests.support.pilot import SPEED


@pytest.fixture
def sb(tmp_path: Path):
    sandbox = start_sandbox(tmp_path, speed=SPEED)
    yield sandbox
    code = sandbox.stop()
    assert code == 0, "".join(sandbox.stderr)[-2000:]
    errors = [line for line in sandbox.stderr if "ERROR" in line or "Traceback" in line]
    assert not errors, "".join(sandbox.stderr)[-4000:]
