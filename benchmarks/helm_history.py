"""Time to show a Helm release's history: our live decoding against `helm history` as a subprocess.

Against a real `rollback-console sandbox serve` process (the eli-maor seed),
on the same release grown to 10 and then 100 revisions:

* decode: list the release's storage Secrets with the official kubernetes
  client (label selector owner=helm,name=eli-maor), decode each (base64,
  gunzip, JSON) into revision rows: what the console's Helm pane does
  (`tui/helm/release.py`'s decoder when it is there, else a tiny one here);
* `helm history eli-maor -n production -o json` run as a subprocess, helm 3
  and helm 4 (each process starts, discovers and lists the same Secrets).

The extra revisions are written straight into storage with the sandbox's
encoder (`kube_sandbox/helm_storage.py`): copies of the deployed revision,
superseded, the last one deployed, as helm leaves a long history. Prints a
Markdown table (median and p90 of N runs). A report, not a test: the machine
is shared and noisy, read the figures as orders of magnitude.

    .venv/bin/python benchmarks/helm_history.py [--runs 20]
"""

from __future__ import annotations

import argparse
import base64
import copy
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubernetes import client, config

from kube_sandbox import helm_storage as hs
from kube_sandbox.process import SandboxProcess
from tests.support.tools import HELM, require

RELEASE, NS = "eli-maor", "production"
SIZES = (10, 100)

try:  # the console's decoder, when the Helm pane's module is there
    from tui.helm.release import from_secret as _console_from_secret

    DECODER = "tui.helm.release.from_secret"

    def rows(secret: dict) -> tuple:
        r = _console_from_secret(secret)
        return (r.revision, r.updated, r.status, r.chart, r.app_version, r.description)
except ImportError:  # pragma: no cover - before tui/helm exists
    DECODER = "a minimal decoder (base64, gunzip, json)"

    def rows(secret: dict) -> tuple:
        raw = base64.b64decode(base64.b64decode(secret["data"]["release"]))
        doc = json.loads(gzip.decompress(raw) if raw[:3] == b"\x1f\x8b\x08" else raw)
        meta = doc["chart"]["metadata"]
        return (doc["version"], doc["info"]["last_deployed"], doc["info"]["status"],
                f"{meta['name']}-{meta['version']}", meta.get("appVersion", ""), doc["info"]["description"])


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, runs: int) -> list[float]:
    fn()  # warm-up: connection pools, page cache
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def grow(core: client.CoreV1Api, to: int) -> None:
    """Add revisions up to `to`, each a copy of the deployed one; the newest becomes the deployed one."""
    secrets = core.list_namespaced_secret(NS, label_selector=f"owner=helm,name={RELEASE}", _preload_content=False)
    items = json.loads(secrets.data)["items"]
    by_version = {int(s["metadata"]["labels"]["version"]): s for s in items}
    top = max(by_version)
    deployed = hs.release_from_secret(by_version[top])
    now = time.time()
    for version in range(top, to + 1):
        rel = copy.deepcopy(deployed)
        rel["version"] = version
        rel["info"]["status"] = hs.DEPLOYED if version == to else hs.SUPERSEDED
        rel["info"]["description"] = "Upgrade complete" if version > top else rel["info"]["description"]
        rel["info"]["last_deployed"] = hs.helm_time(now - (to - version) * 600)
        body = hs.release_secret(rel, modified_at=now)
        if version == top:
            core.replace_namespaced_secret(hs.secret_name(RELEASE, version), NS, body)
        else:
            core.create_namespaced_secret(NS, body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="helm-history-bench-"))
    sb = SandboxProcess.start(workdir / "kubeconfig", "eli-maor", 20.0)
    try:
        api = config.new_client_from_config(str(sb.kubeconfig))
        core = client.CoreV1Api(api)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
        env.update(KUBECONFIG=str(sb.kubeconfig), HOME=str(workdir), HELM_CACHE_HOME=str(workdir / "cache"),
                   HELM_CONFIG_HOME=str(workdir / "config"), HELM_DATA_HOME=str(workdir / "data"))

        def decode() -> list[tuple]:
            resp = core.list_namespaced_secret(NS, label_selector=f"owner=helm,name={RELEASE}",
                                               _preload_content=False)
            return sorted(rows(s) for s in json.loads(resp.data)["items"])

        def helm_history(version: str):
            binary = str(require(HELM[version]))

            def run() -> list:
                out = subprocess.run([binary, "history", RELEASE, "-n", NS, "-o", "json", "--max", "1000"],
                                     env=env, capture_output=True, text=True, check=True, timeout=60)
                return json.loads(out.stdout)
            return run

        results = []
        for size in SIZES:
            grow(core, size)
            assert len(decode()) == size
            for version in sorted(HELM):
                assert len(helm_history(version)()) == size
            results.append((size, "live decode (official client + decoder)", timed(decode, args.runs)))
            for version in sorted(HELM):
                results.append((size, f"`helm history -o json` (helm {version})", timed(helm_history(version),
                                                                                       args.runs)))
    finally:
        sb.stop()
    print(f"Helm release history, eli-maor in the sandbox; {args.runs} runs each, decoder: {DECODER}\n")
    print("| revisions | how | median ms | p90 ms |")
    print("|---:|---|---:|---:|")
    for size, how, samples in results:
        print(f"| {size} | {how} | {percentile(samples, 50) * 1000:.1f} | {percentile(samples, 90) * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
