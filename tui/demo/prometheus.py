"""A real Prometheus in a child process, scraping the sandbox: what `demo` and the tests start.

    prom = PrometheusProcess.start(find_prometheus(), workdir, "127.0.0.1:PORT", [rules])
    ... prom.url ...
    prom.stop()

It writes its own config (scrape and evaluation every second, job `sandbox`),
keeps its TSDB and its log in `workdir`, and is ready once `/-/ready` says so.
Stdlib only: the console may import this module without the sandbox extra.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1
READY_TIMEOUT = 60.0  # seconds; a cold start replays an empty TSDB in well under that


class PrometheusStartError(RuntimeError):
    pass


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the caller's finally-block still stops it


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def config_text(scrape_target: str, rule_files: list[Path]) -> str:
    """prometheus.yml: the sandbox scraped every second, the rules evaluated every second."""
    rules = "".join(f"  - {str(Path(p).resolve())!r}\n" for p in rule_files)
    return (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        + ("rule_files:\n" + rules if rules else "")
        + "scrape_configs:\n"
        "  - job_name: sandbox\n"
        "    metrics_path: /metrics\n"
        "    static_configs:\n"
        f"      - targets: [{scrape_target!r}]\n"
    )


@dataclass
class PrometheusProcess:
    url: str
    proc: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, binary: Path, workdir: Path, scrape_target: str, rule_files: list[Path],
              port: int | None = None, *, die_with_parent: bool = False,
              timeout: float = READY_TIMEOUT) -> PrometheusProcess:
        """Write the config into `workdir`, start Prometheus on 127.0.0.1:`port` (a free one if None),
        and wait until it is ready. `die_with_parent`: Linux SIGTERMs it if this process dies uncleanly."""
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "prometheus.yml"
        config.write_text(config_text(scrape_target, rule_files))
        port = port or free_port()
        log = workdir / "prometheus.log"
        try:
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [str(binary), f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
                     f"--web.listen-address=127.0.0.1:{port}"],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent if die_with_parent else None,
                )
        except OSError as exc:
            raise PrometheusStartError(f"Prometheus did not start: cannot run {binary} ({exc.strerror})") from None
        prom = cls(f"http://127.0.0.1:{port}", proc, log)
        deadline = time.monotonic() + timeout
        while not prom.ready():
            if proc.poll() is not None or time.monotonic() > deadline:
                prom.stop()
                raise PrometheusStartError(f"Prometheus did not start: {prom.last_error() or 'no output'}")
            time.sleep(0.1)
        return prom

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def last_error(self) -> str:
        """The last error Prometheus logged (its log is logfmt: level=error ... err=...)."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        errors = [line for line in lines if "level=error" in line] or lines
        return errors[-1].strip() if errors else ""

    def stop(self) -> int:
        """SIGTERM, then wait; kill if it does not stop. Returns the exit code."""
        from kube_sandbox.process import stop  # stdlib only, like this module

        return stop(self.proc)


def find_prometheus() -> Path | None:
    """The newest Prometheus `make tools` fetched into .tools/ next to the repo, else `prometheus` on PATH."""
    tools = Path(__file__).resolve().parents[2] / ".tools"
    found = [p for p in tools.glob("prometheus-*/prometheus") if p.is_file()]

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) if n.isdigit() else 0 for n in path.parent.name.removeprefix("prometheus-").split("."))

    if found:
        return max(found, key=version)
    on_path = shutil.which("prometheus")
    return Path(on_path) if on_path else None
