"""Shared fixtures: a real sandbox process, and real kubectl/helm against it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.tools import KUBECTL, require
from tui.sandbox.process import SandboxProcess

def start_sandbox(tmp: Path, seed: str = "eli-maor", speed: float = 20.0, *extra: str) -> SandboxProcess:
    """`rollback-console sandbox serve` as a child process, waited for until ready."""
    return SandboxProcess.start(tmp / "kubeconfig", seed, speed, *extra)


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


class Kubectl:
    """A real kubectl binary pointed at one sandbox, with its own cache dir."""

    def __init__(self, binary: Path, sandbox: SandboxProcess):
        self.binary = require(binary)
        self.sandbox = sandbox
        home = sandbox.kubeconfig.parent / "home"  # kubectl's own cache, per sandbox
        home.mkdir(exist_ok=True)
        self.env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig), "HOME": str(home)}
        self.env.pop("KUBERNETES_SERVICE_HOST", None)

    def run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.binary), *args], env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def __call__(self, *args: str, **kwargs) -> str:
        return self.run(*args, **kwargs).stdout

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "-o", "json").stdout)


@pytest.fixture(params=sorted(KUBECTL, reverse=True))
def kubectl_version(request) -> str:
    return request.param


@pytest.fixture
def kubectl(sandbox: SandboxProcess, kubectl_version: str) -> Kubectl:
    return Kubectl(KUBECTL[kubectl_version], sandbox)


def wait_for(what: str, probe, timeout: float = 30.0, interval: float = 0.1):
    """Call `probe` until it returns something truthy (and return that); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
