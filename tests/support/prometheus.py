"""A real Prometheus scraping a real sandbox process, and its HTTP query API (urllib).

    with sandbox_with_prometheus(tmp_path, rule_files=[...]) as (sandbox, prom):
        wait_for_value(prom, 'kube_deployment_spec_replicas{deployment="x"}', lambda v: v == 3)
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.sandbox import SandboxProcess, start_sandbox, wait_for
from tests.support.tools import PROMETHEUS, require
from tui.demo.prometheus import PrometheusProcess, free_port

__all__ = ["alerts", "query", "sandbox_with_prometheus", "scalar", "wait_for_alert", "wait_for_value"]


@contextlib.contextmanager
def sandbox_with_prometheus(tmp: Path, rule_files: list[Path] = (), seed: str = "eli-maor", speed: float = 20.0,
                            ) -> Iterator[tuple[SandboxProcess, PrometheusProcess]]:
    """A sandbox serving Prometheus's port through its service proxy (monitoring/prometheus:9090),
    and Prometheus scraping the sandbox's /metrics every second; both stopped on exit."""
    binary = require(PROMETHEUS)
    port = free_port()
    sandbox = start_sandbox(tmp, seed, speed, "--service-proxy", f"monitoring/prometheus:9090=http://127.0.0.1:{port}")
    try:
        target = sandbox.url.removeprefix("http://")
        prom = PrometheusProcess.start(binary, tmp / "prometheus", target, list(rule_files), port)
        try:
            yield sandbox, prom
        finally:
            prom.stop()
    finally:
        sandbox.stop()


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = json.loads(resp.read())
    assert body.get("status") == "success", body
    return body["data"]


def query(prom: PrometheusProcess | str, expr: str) -> list[dict]:
    """/api/v1/query: the instant vector's samples, [{"metric": {...}, "value": [ts, "1"]}, ...]."""
    base = prom if isinstance(prom, str) else prom.url
    data = _get(f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
    return data["result"]


def scalar(prom: PrometheusProcess, expr: str) -> float | None:
    """The single sample's value of `expr`, or None when the vector is empty."""
    result = query(prom, expr)
    assert len(result) <= 1, f"{expr} gave {len(result)} samples, expected one"
    return float(result[0]["value"][1]) if result else None


def alerts(prom: PrometheusProcess) -> list[dict]:
    """/api/v1/alerts: [{"labels", "annotations", "state": "pending"|"firing", "activeAt", "value"}, ...]."""
    return _get(f"{prom.url}/api/v1/alerts")["alerts"]


def wait_for_value(prom: PrometheusProcess, expr: str, ok: Callable[[float], bool], timeout: float = 60.0) -> float:
    def probe():
        value = scalar(prom, expr)
        return (value,) if value is not None and ok(value) else None

    return wait_for(f"{expr} to reach the expected value", probe, timeout, interval=0.5)[0]


def wait_for_alert(prom: PrometheusProcess, name: str, state: str, timeout: float = 60.0, **labels: str) -> dict:
    def probe():
        for alert in alerts(prom):
            got = alert["labels"]
            if got.get("alertname") == name and alert["state"] == state and all(got.get(k) == v
                                                                                  for k, v in labels.items()):
                return alert
        return None

    return wait_for(f"alert {name} {labels} to be {state}", probe, timeout, interval=0.5)
