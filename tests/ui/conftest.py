"""The console's end-to-end fixture: a live eli-maor sandbox that must stop cleanly and log no error.

The ui tests that need no sandbox (the snapshots and Pilot tests on the fixed
state of tests/support/fixtures) are marked `offline`; `make check` runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pilot import SPEED
from tests.support.sandbox import start_sandbox


@pytest.fixture
def sb(request, tmp_path: Path):
    if request.node.get_closest_marker("offline"):
        pytest.fail("a test marked offline asks for a live sandbox (sb); drop the mark or the sandbox")
    sandbox = start_sandbox(tmp_path, speed=SPEED)
    yield sandbox
    code = sandbox.stop()
    assert code == 0, "".join(sandbox.stderr)[-2000:]
    errors = [line for line in sandbox.stderr if "ERROR" in line or "Traceback" in line]
    assert not errors, "".join(sandbox.stderr)[-4000:]
