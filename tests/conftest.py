"""Shared fixtures: a real sandbox process, and real kubectl/helm against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sandbox import Kubectl, SandboxProcess, start_sandbox
from tests.support.tools import KUBECTL


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own $XDG_STATE_HOME: incident logs never touch (or resume from) the real one."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture
def sandbox(tmp_path: Path):
    """A fresh eli-maor sandbox at speed 20; it must stop cleanly and log no errors."""
    sb = start_sandbox(tmp_path)
    yield sb
    code = sb.stop()
    assert code == 0, f"sandbox exited with {code}: {''.join(sb.stderr)[-2000:]}"
    errors = [line for line in sb.stderr if "ERROR" in line or "Traceback" in line]
    assert not errors, "".join(sb.stderr)[-4000:]


@pytest.fixture(params=sorted(KUBECTL, reverse=True))
def kubectl_version(request) -> str:
    return request.param


@pytest.fixture
def kubectl(sandbox: SandboxProcess, kubectl_version: str) -> Kubectl:
    return Kubectl(KUBECTL[kubectl_version], sandbox)
