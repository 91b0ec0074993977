"""Sandbox at scale: 500 Deployments x 3 replicas.

Measures, against a real `rollback-console sandbox serve` process over HTTP
with the official client: time to seed (create, then every pod Ready and
every Deployment available), list latency (JSON and the Table kubectl asks
for), watch event throughput to several watchers, and the server's memory.
Prints a Markdown table for the README. A report, not a test: the machines
are shared and noisy, so read the figures as orders of magnitude.

    .venv/bin/python benchmarks/sandbox_scale.py [--deployments 500] [--replicas 3]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from kubernetes import client, config, watch

from kube_sandbox.process import SandboxProcess

NS = "bench"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def deployment(n: int, replicas: int) -> dict:
    """A small Deployment; zero-padded names keep them in creation order when sorted."""
    labels = {"app": f"bench-{n:03d}"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"bench-{n:03d}", "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "app", "image": f"example/app:v1.{n}"}]}},
        },
    }


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=500)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--speed", type=float, default=50.0)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--watchers", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxProcess.start(Path(tmp) / "kubeconfig", "empty", args.speed)
        proc, kubeconfig = sandbox.proc, sandbox.kubeconfig
        try:
            api_client = config.new_client_from_config(config_file=str(kubeconfig))
            core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
            core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
            rss_empty = rss_mib(proc.pid)

            t0 = time.perf_counter()
            for n in range(args.deployments):
                apps.create_namespaced_deployment(NS, deployment(n, args.replicas))
            created = time.perf_counter() - t0
            want = args.deployments * args.replicas
            while True:
                ds = apps.list_namespaced_deployment(NS).items
                if sum((d.status.available_replicas or 0) for d in ds) >= want:
                    break
                if time.perf_counter() - t0 > 1800:
                    raise SystemExit("rollouts did not complete in 30 minutes")
                time.sleep(0.5)
            seeded = time.perf_counter() - t0
            rss_seeded = rss_mib(proc.pid)

            list_deploy = timed(lambda: apps.list_namespaced_deployment(NS, _preload_content=False).read(), 20)
            list_pods = timed(lambda: core.list_namespaced_pod(NS, _preload_content=False).read(), 20)
            table_request = urllib.request.Request(
                f"{api_client.configuration.host}/api/v1/namespaces/{NS}/pods",
                headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
            )
            table_pods = timed(lambda: urllib.request.urlopen(table_request).read(), 20)

            # Watch throughput: every watcher must see every event of a burst of writes.
            rv = core.list_namespaced_config_map(NS).metadata.resource_version
            received = [0] * args.watchers
            done = [threading.Event() for _ in range(args.watchers)]

            def consume(i: int) -> None:
                for _ in watch.Watch().stream(core.list_namespaced_config_map, NS, resource_version=rv,
                                              timeout_seconds=600, _preload_content=False):
                    received[i] += 1
                    if received[i] >= args.events:
                        break
                done[i].set()

            threads = [threading.Thread(target=consume, args=(i,), daemon=True) for i in range(args.watchers)]
            for t in threads:
                t.start()
            time.sleep(0.5)
            t1 = time.perf_counter()
            for n in range(args.events):
                core.create_namespaced_config_map(NS, {"metadata": {"name": f"cm-{n}"}, "data": {"n": str(n)}})
            for d in done:
                d.wait(600)
            watch_secs = time.perf_counter() - t1
            delivered = sum(received)
        finally:
            sandbox.stop()

    rows = [
        ("Deployments x replicas", f"{args.deployments} x {args.replicas} (speed {args.speed:g})"),
        ("Create all Deployments over HTTP", f"{created:.1f} s"),
        ("Seed: created until every Deployment available", f"{seeded:.1f} s"),
        ("List deployments (JSON) p50 / p99", f"{percentile(list_deploy, 50):.0f} / {percentile(list_deploy, 99):.0f} ms"),
        ("List pods (JSON) p50 / p99", f"{percentile(list_pods, 50):.0f} / {percentile(list_pods, 99):.0f} ms"),
        ("List pods (Table, as kubectl get) p50 / p99",
         f"{percentile(table_pods, 50):.0f} / {percentile(table_pods, 99):.0f} ms"),
        (f"Watch: {args.events} writes to {args.watchers} watchers",
         f"{delivered} events in {watch_secs:.1f} s = {delivered / watch_secs:.0f} events/s delivered"),
        ("Server memory (RSS) empty / seeded", f"{rss_empty:.0f} / {rss_seeded:.0f} MiB"),
    ]
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
