"""Shared fixtures: a real sandbox process, and real kubectl/helm against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.tools import KUBECTL, require

READY_PREFIX = "sandbox ready: "


@dataclass
class SandboxProcess:
    url: str
    kubeconfig: Path
    proc: subprocess.Popen
    home: Path
    stderr: list[str] = field(default_factory=list)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_sandbox(tmp: Path, seed: str = "eli-maor", speed: float = 20.0, *extra: str) -> SandboxProcess:
    """`rollback-console sandbox serve` as a child process, waited for until ready."""
    kubeconfig = tmp / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "sandbox", "serve", "--seed", seed, "--speed", str(speed),
         "--kubeconfig-out", str(kubeconfig), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    line_box: list[str] = []
    reader = threading.Thread(target=lambda: line_box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=60)
    line = line_box[0] if line_box else ""
    if not line.startswith(READY_PREFIX):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"sandbox did not start: {line!r} {''.join(stderr)[-2000:]}")
    url, _, path = line[len(READY_PREFIX):].strip().partition(" kubeconfig=")
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return SandboxProcess(url, Path(path), proc, home, stderr)


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
        self.env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig), "HOME": str(sandbox.home)}
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
