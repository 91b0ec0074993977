"""A sandbox in a child process: what `demo`, the tests and the benchmarks start."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

READY_PREFIX = "sandbox ready: "
PR_SET_PDEATHSIG = 1


class SandboxStartError(RuntimeError):
    pass


def first_line(proc: subprocess.Popen, timeout: float) -> tuple[str, list[str]]:
    """The child's first stdout line ("" if none within `timeout`), and its stderr lines as they keep coming
    (read on a thread, so a chatty child never blocks on a full pipe)."""
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return (first[0] if first else ""), stderr


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the finally-block in the parent still stops the sandbox


@dataclass
class SandboxProcess:
    url: str
    kubeconfig: Path
    proc: subprocess.Popen
    stderr: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls, kubeconfig: Path, seed: str = "eli-maor", speed: float = 20.0, *extra: str, timeout: float = 60,
        die_with_parent: bool = False,
    ) -> SandboxProcess:
        """Start `rollback-console sandbox serve` and wait for its ready line.

        `die_with_parent` asks Linux to SIGTERM the sandbox if this process dies
        without cleaning up (kill -9, a dropped SSH session), so no server is left behind.
        """
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "sandbox", "serve", "--seed", seed, "--speed", str(speed),
             "--kubeconfig-out", str(kubeconfig), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
        line, stderr = first_line(proc, timeout)
        if not line.startswith(READY_PREFIX):
            proc.kill()
            proc.wait()
            detail = "".join(stderr).strip().splitlines()[-1:] or ["no output"]
            raise SandboxStartError(f"The sandbox did not start: {detail[0]}")
        url, _, path = line[len(READY_PREFIX):].strip().partition(" kubeconfig=")
        return cls(url, Path(path), proc, stderr)

    def stop(self) -> int:
        """SIGTERM, then wait; kill if it does not stop. Returns the exit code."""
        return stop(self.proc)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM a child, then wait; kill it if it does not stop in `timeout` s. Returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
