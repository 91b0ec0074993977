"""The sandbox's /metrics at scale: 500 Deployments x 3 replicas.

Against a real `rollback-console sandbox serve` process: seeds the Deployments
over HTTP with the official client, then scrapes `GET /metrics` (size, series,
time per scrape), and, when `make tools` fetched it, lets a real Prometheus
scrape it every second for a while and reports what Prometheus measured
(`scrape_duration_seconds`, `scrape_samples_scraped`) and how long a trivial
API request waited meanwhile. Prints a Markdown table
for the README. A report, not a test.

    .venv/bin/python benchmarks/metrics_scrape.py [--deployments 500] [--replicas 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from kubernetes import client, config
from sandbox_scale import NS, deployment, percentile, timed  # this folder is on sys.path when run as a script

from kube_sandbox.process import SandboxProcess
from tui.demo.prometheus import PrometheusProcess, find_prometheus


def prometheus_value(prom: PrometheusProcess, expr: str) -> float | None:
    url = f"{prom.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        result = json.loads(resp.read())["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=500)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--speed", type=float, default=50.0)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--prometheus-seconds", type=float, default=30.0)
    args = parser.parse_args()

    rows: list[tuple[str, str]] = [("Deployments x replicas", f"{args.deployments} x {args.replicas}")]
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxProcess.start(Path(tmp) / "kubeconfig", "empty", args.speed)
        try:
            api_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig))
            core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
            core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
            for n in range(args.deployments):
                apps.create_namespaced_deployment(NS, deployment(n, args.replicas))
            want = args.deployments * args.replicas
            t0 = time.perf_counter()
            while sum((d.status.available_replicas or 0) for d in apps.list_namespaced_deployment(NS).items) < want:
                if time.perf_counter() - t0 > 1800:
                    raise SystemExit("rollouts did not complete in 30 minutes")
                time.sleep(0.5)

            body = b""

            def scrape() -> None:
                nonlocal body
                with urllib.request.urlopen(f"{sandbox.url}/metrics", timeout=60) as resp:
                    body = resp.read()

            times = timed(scrape, args.scrapes)
            lines = body.decode().splitlines()
            samples = sum(1 for line in lines if line and not line.startswith("#"))
            rows += [
                ("Exposition size / samples", f"{len(body) / 1024 / 1024:.1f} MiB / {samples}"),
                (f"GET /metrics p50 / p99 ({args.scrapes} scrapes)",
                 f"{percentile(times, 50):.0f} / {percentile(times, 99):.0f} ms"),
            ]
            binary = find_prometheus()
            if binary is not None:
                prom = PrometheusProcess.start(binary, Path(tmp) / "prometheus", sandbox.url.removeprefix("http://"),
                                               [])
                try:
                    # Meanwhile: how long a trivial API request waits (the scrape shares the sandbox's loop).
                    api_times: list[float] = []
                    deadline = time.perf_counter() + args.prometheus_seconds
                    while time.perf_counter() < deadline:
                        api_times += timed(lambda: urllib.request.urlopen(f"{sandbox.url}/version").read(), 1)
                        time.sleep(0.05)
                    p50 = prometheus_value(prom, f'quantile_over_time(0.5, scrape_duration_seconds{{job="sandbox"}}'
                                                 f'[{int(args.prometheus_seconds)}s])')
                    worst = prometheus_value(prom, f'max_over_time(scrape_duration_seconds{{job="sandbox"}}'
                                                   f'[{int(args.prometheus_seconds)}s])')
                    scraped = prometheus_value(prom, 'scrape_samples_scraped{job="sandbox"}')
                    up = prometheus_value(prom, f'avg_over_time(up{{job="sandbox"}}[{int(args.prometheus_seconds)}s])')
                finally:
                    prom.stop()
                rows.append((f"Real Prometheus scraping every 1 s for {args.prometheus_seconds:g} s: "
                             "scrape duration p50 / max; samples; up",
                             f"{(p50 or 0) * 1000:.0f} / {(worst or 0) * 1000:.0f} ms; {scraped:.0f}; "
                             f"{(up or 0) * 100:.0f}%"))
                rows.append(("Meanwhile: GET /version p50 / p99 / max",
                             f"{percentile(api_times, 50):.0f} / {percentile(api_times, 99):.0f} / "
                             f"{max(api_times):.0f} ms"))
        finally:
            sandbox.stop()

    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
