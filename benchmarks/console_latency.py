"""Console latency: launch, watch event to screen, keypress to repaint, memory, at 500 and 2,000 Deployments.

Drives the real `RollbackConsole` headless (Textual's `run_test`, 160x48)
against sandbox processes over HTTP and times what a user waits for:

1. Launch on the seeded `eli-maor` sandbox: from the process's start and from
   reading the kubeconfig to the first frame showing all 4 components and the
   selected component's revisions; `import tui.app` on its own. The yardstick,
   from the same run: the wall time of `kubectl get deploy,rs,pods -n production`.
2. Watch event to screen: another thread creates core/v1 Events on the
   backend Deployment at 50/s with the official client; from each create's
   response to its line in the Rollout stream and to the first frame after it.
3. At scale (`empty` seed + N Deployments x 3 replicas, N = 500 and 2,000):
   the first complete frame, keypress (j/k) to repaint, and memory.

Each console runs in a fresh child process (`console_probe.py`, which imports
only what the console imports), as a user would start it: one app per process,
its own heap for the garbage collector. A "frame" is what the app hands its
driver (see console_probe.py). `time.perf_counter` is CLOCK_MONOTONIC on
Linux, so the parent's and a child's timestamps compare.

Prints a Markdown table, each figure next to its goal (issue 14). A report,
not a test: the machines are shared and noisy, so read the figures as orders
of magnitude.

    .venv/bin/python benchmarks/console_latency.py [--quick] [--scale 500,2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config
from sandbox_scale import deployment  # this folder is on sys.path when run as a script

from kube_sandbox.process import SandboxProcess
from kube_sandbox.seeds import APP, COMPONENTS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import fetch_tools  # scripts/ is not a package

PROBE = Path(__file__).with_name("console_probe.py")
BACKEND = f"{APP}-backend"
ELI_MAOR = {"selector": f"app={APP}", "order": [c.deployment for c in COMPONENTS]}  # as `rollback-console demo`
SCALE_NAMESPACE = "default"  # the `empty` seed's kubeconfig namespace
KUBECTL_RUNS = 9


@dataclass(frozen=True)
class Plan:
    launches: int  # consoles started on eli-maor, one process each
    rate: float  # Events per second
    seconds: float  # for this long
    scales: tuple[int, ...]  # Deployments at scale, one sandbox each
    replicas: int
    presses: int  # half j (down), then half k (back up)
    speed: float = 50.0  # the sandbox's simulated time


PLANS = {
    "full": Plan(launches=7, rate=50, seconds=10, scales=(500, 2000), replicas=3, presses=200),
    "quick": Plan(launches=2, rate=50, seconds=2, scales=(40,), replicas=1, presses=20),
}

# Issue 14's goals: (at 500 Deployments, at 2,000).
GOALS = {"launch_scale": ("< 1 s", "< 1.5 s"), "keys": ("p99 < 50 ms", "p99 < 100 ms"),
         "rss": ("< 150 MiB", "< 300 MiB")}


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(kubeconfig: Path, deployments: int, replicas: int) -> float:
    """Create the Deployments and wait until every one is available; seconds taken."""
    apps = client.AppsV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    t0 = time.perf_counter()
    for n in range(deployments):
        apps.create_namespaced_deployment(SCALE_NAMESPACE, deployment(n, replicas), _preload_content=False).read()

    def available() -> int:
        body = json.loads(apps.list_namespaced_deployment(SCALE_NAMESPACE, _preload_content=False).data)
        return sum((d.get("status") or {}).get("availableReplicas") or 0 for d in body["items"])

    while available() < deployments * replicas:
        if time.perf_counter() - t0 > 1800:
            raise SystemExit("the Deployments were not available in 30 minutes")
        time.sleep(0.5)
    return time.perf_counter() - t0


def spawn(mode: str, kubeconfig: Path, params: dict) -> dict:
    """console_probe.py as a child running one console; its results, and `spawned` (this process's clock)."""
    spawned = time.perf_counter()
    done = subprocess.run([sys.executable, str(PROBE), mode, str(kubeconfig), json.dumps(params)],
                          capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {mode} child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"spawned": spawned}


def import_seconds(runs: int = 3) -> float:
    """`import tui.app` in a fresh interpreter (median of `runs`)."""
    code = "import time; t = time.perf_counter(); import tui.app; print(time.perf_counter() - t)"
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs))


def kubectl_seconds(kubeconfig: Path, runs: int = KUBECTL_RUNS) -> tuple[float, str]:
    """The yardstick: wall time of `kubectl get deploy,rs,pods -n production` (median of `runs`)."""
    version = fetch_tools.kubectl_versions()[-1]
    kubectl = fetch_tools.tool_path("kubectl", version)
    if not kubectl.exists():
        raise SystemExit(f"{kubectl} is missing: run `make tools` first")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(kubectl), "--kubeconfig", str(kubeconfig), "get", "deploy,rs,pods", "-n", "production"],
                       capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), version


# ---- the report --------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def msec(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def ms(seconds: list[float]) -> str:
    """p50 / p99 / max."""
    return f"{percentile(seconds, 50) * 1000:.0f} / {percentile(seconds, 99) * 1000:.0f} / {msec(max(seconds))}"


def met(value: float, limit: float) -> str:
    return "met" if value < limit else "missed"


def report(plan_name: str, tmp: Path) -> list[tuple[str, str, str]]:
    plan = PLANS[plan_name]
    rows = [("`import tui.app`, fresh interpreter (median of 3)", msec(import_seconds()), "")]

    # 1 and 2: the seeded eli-maor sandbox (4 Deployments, 5 revisions each).
    eli_maor = {"rows": len(COMPONENTS), "options": ELI_MAOR, "backend": BACKEND, "rate": plan.rate,
                "seconds": plan.seconds}
    sandbox = SandboxProcess.start(tmp / "eli-maor" / "kubeconfig", "eli-maor", plan.speed, die_with_parent=True)
    try:
        yardstick, version = kubectl_seconds(sandbox.kubeconfig)
        launches = [spawn("launch", sandbox.kubeconfig, eli_maor) for _ in range(plan.launches)]
        streamed = spawn("events", sandbox.kubeconfig, eli_maor)
    finally:
        sandbox.stop()
    complete = [r["complete"] - r["connect"] for r in launches]
    from_start = [r["complete"] - r["spawned"] for r in launches]
    first = [r["first"] - r["spawned"] for r in launches if r.get("first")]
    settled = statistics.median(r["settled"] - r["connect"] for r in launches)
    start_median = statistics.median(from_start)
    rows += [
        (f"Yardstick: `kubectl get deploy,rs,pods -n production` (kubectl {version}), wall time, median of "
         f"{KUBECTL_RUNS}", msec(yardstick), ""),
        ("Launch, eli-maor: process start to first frame (layout, header: connecting to which server), "
         "median / worst", f"{msec(statistics.median(first))} / {msec(max(first))}", ""),
        (f"Launch, eli-maor: process start to first complete frame, median / worst of {plan.launches}; "
         "times kubectl's", f"{msec(start_median)} / {msec(max(from_start))}; {start_median / yardstick:.1f}x",
         f"< 800 ms and <= 12x ({met(start_median, 0.8)}, {met(start_median, 12 * yardstick)})"),
        ("Launch, eli-maor: kubeconfig read to first complete frame, median / worst",
         f"{msec(statistics.median(complete))} / {msec(max(complete))}", ""),
        ("Launch, eli-maor: kubeconfig read to settled (every watch listed, screen quiet); longest UI loop stall",
         f"{msec(settled)}; {msec(statistics.median(r['stall'] for r in launches))} (medians)", ""),
    ]
    times = {key: {int(n): t for n, t in value.items()} for key, value in streamed["events"].items()
             if isinstance(value, dict)}
    created, written, painted = times["created"], times["written"], times["painted"]
    early = sum(1 for n, t in written.items() if n in created and t < created[n])
    count = f"{len(written)} of {len(created)} Events at {streamed['events']['rate']:.0f}/s"
    to_line = ms([t - created[n] for n, t in written.items() if n in created])
    if early:
        to_line += f"; {early} written before their create returned"
    to_frame = [t - created[n] for n, t in painted.items() if n in created]
    stall = streamed["events_stall"]
    rows += [
        (f"Watch event (create returned) to its Rollout stream line: p50 / p99 / max ({count})", to_line, ""),
        ("Watch event (create returned) to the frame showing it: p50 / p99 / max", ms(to_frame),
         f"p99 < 50 ms ({met(percentile(to_frame, 99), 0.05)})"),
        ("Same, from the create request's start (an upper bound)",
         ms([t - times["sent"][n] for n, t in painted.items() if n in times["sent"]]), ""),
        ("While the Events streamed: longest UI loop stall / longest full GC (full GCs)",
         f"{msec(stall)} / {msec(streamed['events_gc_worst'])} ({streamed['events_gc_full']})",
         f"stall < 50 ms ({met(stall, 0.05)})"),
    ]

    # 3: at scale, each on an empty sandbox.
    for deployments in plan.scales:
        rows += at_scale(plan, deployments, tmp)
    return rows


def at_scale(plan: Plan, deployments: int, tmp: Path) -> list[tuple[str, str, str]]:
    sandbox = SandboxProcess.start(tmp / f"scale-{deployments}" / "kubeconfig", "empty", plan.speed,
                                   die_with_parent=True)
    try:
        seeded = seed(sandbox.kubeconfig, deployments, plan.replicas)
        big = spawn("keys", sandbox.kubeconfig, {"rows": deployments, "options": {}, "presses": plan.presses})
        rss_sandbox = rss_mib(sandbox.proc.pid)
    finally:
        sandbox.stop()
    scale = f"{deployments} Deployments x {plan.replicas}"
    goals = {key: pair[1] if deployments > 500 else pair[0] for key, pair in GOALS.items()}
    limits = {"launch_scale": 1.5 if deployments > 500 else 1.0, "keys": 0.1 if deployments > 500 else 0.05,
              "rss": 300 if deployments > 500 else 150}
    launch = big["complete"] - big["spawned"]
    keys_p99 = percentile(big["shown"], 99)
    big_gc = f"{msec(big['stall'])} / {msec(big['gc_worst'])} ({big['gc_full']})"
    return [
        (f"Seed {scale} (speed {plan.speed:g}): create until every one is available", f"{seeded:.1f} s", ""),
        (f"Launch, {scale}: process start to first complete frame", msec(launch),
         f"{goals['launch_scale']} ({met(launch, limits['launch_scale'])})"),
        (f"Launch, {scale}: kubeconfig read to first complete frame / to settled; longest UI loop stall / "
         "full GC meanwhile (full GCs)",
         f"{msec(big['complete'] - big['connect'])} / {msec(big['settled'] - big['connect'])}; {big_gc}", ""),
        (f"Keypress (j/k x {plan.presses}) to its first frame: p50 / p99 / max", ms(big["first"]), ""),
        (f"Keypress to the frame showing all it changed (row, revisions laid out, stream), {scale}: "
         "p50 / p99 / max", ms(big["shown"]), f"{goals['keys']} ({met(keys_p99, limits['keys'])})"),
        ("Keypress to the screen quiet for 100 ms (includes the once-a-second clock repaints that fall in "
         "that window): p50 / p99 / max", ms(big["settled_after"]), ""),
        ("While pressing keys: longest UI loop stall / longest full GC (full GCs)",
         f"{msec(big['keys_stall'])} / {msec(big['keys_gc_worst'])} ({big['keys_gc_full']})", ""),
        (f"Memory (RSS) of the console's process, {scale}: before `connect` / every row loaded",
         f"{big['rss_before']:.0f} / {big['rss_loaded']:.0f} MiB",
         f"{goals['rss']} ({met(big['rss_loaded'], limits['rss'])})"),
        (f"Memory (RSS) of the sandbox with {scale}", f"{rss_sandbox:.0f} MiB", ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (few Deployments and Events)")
    parser.add_argument("--scale", help="Deployments at scale, comma-separated (default: 500,2000; quick: 40)")
    args = parser.parse_args()
    plan_name = "quick" if args.quick else "full"
    if args.scale:
        PLANS[plan_name] = dataclasses.replace(PLANS[plan_name], scales=tuple(int(n) for n in args.scale.split(",")))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = report(plan_name, Path(tmp))
    print("| measure | result | goal |\n|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")
    print(f"\n({plan_name} run: {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
