"""Helpers shared by the tests: a real sandbox process, real kubectl against it, a bounded wait."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from kube_sandbox.process import SandboxProcess
from tests.support.tools import require

__all__ = ["Kubectl", "SandboxProcess", "start_sandbox", "wait_for"]


def start_sandbox(tmp: Path, seed: str = "eli-maor", speed: float = 20.0, *extra: str) -> SandboxProcess:
    """`rollback-console sandbox serve` as a child process, waited for until ready."""
    return SandboxProcess.start(tmp / "kubeconfig", seed, speed, *extra)


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
