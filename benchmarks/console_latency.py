"""Console latency: launch, watch-event-to-screen and keypress-to-repaint.

Drives the real `RollbackConsole` headless (Textual's `run_test`) against
sandbox processes over HTTP, and times what a user waits for:

1. Launch: from `connect` to the first frame showing every component and the
   selected component's revisions (the seeded `eli-maor` sandbox).
2. Watch event to screen: core/v1 Events created at a steady rate by another
   thread; from each create's response to its line in the Rollout stream, and
   to the first frame after that.
3. At scale (`empty` seed + N Deployments): time to the first frame with every
   row, keypress (j/k) to repaint, and memory.

"Frame" means what the app hands to its driver: `App._display` is wrapped to
timestamp each one. Headless, Textual renders the update but writes nothing, so
the wrapper also serializes it to terminal text as the real driver would; only
the write to the terminal itself is missing. Prints a Markdown table. A report,
not a test: the machines are shared and noisy, so read the figures as orders of
magnitude.

    .venv/bin/python benchmarks/console_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kubernetes import client, config
from textual import events

from tui.app import RollbackConsole
from tui.kube.config import connect
from tui.sandbox.process import SandboxProcess
from tui.sandbox.seeds import APP, COMPONENTS

SIZE = (160, 48)
BACKEND = f"{APP}-backend"
ELI_MAOR = dict(selector=f"app={APP}", order=[c.deployment for c in COMPONENTS])  # as `rollback-console demo`
QUIET = 0.1  # a screen is settled once no frame has come for this long
TIMEOUT = 120.0  # the longest any single wait may take before the benchmark gives up
BENCH_LINE = re.compile(r"^Bench: bench (\d+) ")


@dataclass(frozen=True)
class Plan:
    launches: int  # launch runs on eli-maor
    rate: float  # Events per second
    seconds: float  # for this long
    deployments: int  # at scale
    replicas: int
    presses: int  # half j, then half k
    speed: float = 50.0


FULL = Plan(launches=7, rate=50, seconds=10, deployments=500, replicas=3, presses=200)
QUICK = Plan(launches=2, rate=50, seconds=2, deployments=40, replicas=1, presses=20)


# ---- measuring ---------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Frames:
    """Timestamps of the frames the app hands to its driver (wraps `App._display`).

    `complete`, if given, is asked at each frame whether that frame shows what
    we wait for; the first frame it says yes to is `complete_at`.
    """

    def __init__(self, app: RollbackConsole, complete: Callable[[], bool] | None = None) -> None:
        self.times: list[float] = []
        self.complete = complete
        self.complete_at: float | None = None
        original = app._display

        def display(screen, renderable) -> None:
            if renderable is not None and not app._batch_count:
                if app.is_headless:
                    renderable.render_segments(app.console)  # what the terminal driver would do with it
                now = time.perf_counter()
                self.times.append(now)
                if self.complete_at is None and self.complete is not None and _safely(self.complete):
                    self.complete_at = now
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def first_after(self, t: float) -> float | None:
        i = bisect.bisect_right(self.times, t)
        return self.times[i] if i < len(self.times) else None

    async def settled(self, since: float, timeout: float = TIMEOUT) -> float:
        """Wait until no frame has come for QUIET seconds; return the time of the last frame after `since`
        (or `since` if there was none)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            last = self.times[-1] if self.times else 0.0
            if time.perf_counter() - max(last, since) >= QUIET:
                return last if last > since else since
            await asyncio.sleep(0.005)
        raise TimeoutError(f"the screen did not settle in {timeout:.0f} s")


def _safely(predicate: Callable[[], bool]) -> bool:
    try:
        return bool(predicate())
    except Exception:  # noqa: BLE001 - panes not composed yet
        return False


async def until(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.perf_counter() + timeout
    while not _safely(predicate):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.002)


def shows_everything(app: RollbackConsole, rows: int) -> bool:
    """At a frame: `rows` components and the selected one's full history are in the tables, and laid out
    (the tables measured their rows and got the height for them)."""
    components, revisions = app.components_table, app.revisions_table
    if components.row_count < rows or app.selected is None or revisions.component != app.selected:
        return False
    if revisions.row_count == 0 or revisions.row_count != len(app.state.revisions(app.selected)):
        return False
    return all(not t._require_update_dimensions and t.virtual_size.height >= t.row_count + 1
               and t.size.height >= min(t.row_count + 1, 4) for t in (components, revisions))


Then = Callable[[object, RollbackConsole, Frames], Awaitable[object]]


async def launch(kubeconfig: Path, rows: int, options: dict, then: Then | None = None) -> tuple[float, object]:
    """Seconds from `connect` to the first complete frame; then `then(pilot, app, frames)` on the same app."""
    t0 = time.perf_counter()
    app = RollbackConsole(connect(kubeconfig=kubeconfig), **options)
    frames = Frames(app, complete=lambda: shows_everything(app, rows))
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: frames.complete_at is not None, f"{rows} components and their revisions on screen")
        took = frames.complete_at - t0
        extra = await then(pilot, app, frames) if then is not None else None
    return took, extra


def import_seconds(runs: int = 3) -> float:
    """`import tui.app` in a fresh interpreter (median of `runs`)."""
    code = "import time; t = time.perf_counter(); import tui.app; print(time.perf_counter() - t)"
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs))


# ---- 2: watch event to screen ------------------------------------------------------------------


@dataclass
class EventTimes:
    created: dict[int, float] = field(default_factory=dict)  # n -> the create call returned
    written: dict[int, float] = field(default_factory=dict)  # n -> its line went into the Rollout stream
    painted: dict[int, float] = field(default_factory=dict)  # n -> the first frame after that
    rate: float = 0.0  # achieved creates per second


def event_body(n: int, namespace: str) -> dict:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{BACKEND}.bench-{n}", "namespace": namespace},
        "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": BACKEND, "namespace": namespace},
        "reason": "Bench", "message": f"bench {n} {time.time():.6f}", "type": "Normal",
        "source": {"component": "console-latency"}, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
    }


def create_events(core: client.CoreV1Api, namespace: str, rate: float, seconds: float, times: EventTimes) -> None:
    """In a thread: one Event every 1/rate s on a fixed schedule (no catching up in bursts if one is late)."""
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        # Raw response: the point is the server's acceptance, not building a V1Event in this process.
        core.create_namespaced_event(namespace, event_body(n, namespace), _preload_content=False).read()
        times.created[n] = time.perf_counter()
    times.rate = len(times.created) / (time.perf_counter() - start)


def watch_events(core: client.CoreV1Api, namespace: str, plan: Plan) -> Then:
    async def run(pilot, app: RollbackConsole, frames: Frames) -> EventTimes:
        app.components_table.select(BACKEND)
        await until(lambda: app.selected == BACKEND and app.revisions_table.component == BACKEND,
                    f"{BACKEND} selected")
        await frames.settled(time.perf_counter())
        times = EventTimes()
        stream = app.stream
        original = stream.append

        def append(lines) -> None:  # timestamps each bench line as the stream writes it
            lines = list(lines)
            original(lines)
            now = time.perf_counter()
            for line in lines:
                if (m := BENCH_LINE.match(line.text)) and int(m[1]) not in times.written:
                    times.written[int(m[1])] = now

        stream.append = append  # type: ignore[method-assign]
        await asyncio.to_thread(create_events, core, namespace, plan.rate, plan.seconds, times)
        await until(lambda: len(times.written) >= len(times.created), "every bench event on screen", timeout=30)
        await frames.settled(time.perf_counter())
        for n, at in times.written.items():
            times.painted[n] = frames.first_after(at) or float("nan")
        return times

    return run


# ---- 3: at scale -------------------------------------------------------------------------------


def deployment(n: int, replicas: int) -> dict:
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


def seed(apps: client.AppsV1Api, namespace: str, plan: Plan) -> float:
    """Create the Deployments and wait until every one is available; seconds taken."""
    t0 = time.perf_counter()
    for n in range(plan.deployments):
        apps.create_namespaced_deployment(namespace, deployment(n, plan.replicas), _preload_content=False).read()
    want = plan.deployments * plan.replicas
    while sum((d.status.available_replicas or 0) for d in apps.list_namespaced_deployment(namespace).items) < want:
        if time.perf_counter() - t0 > 1800:
            raise SystemExit("the Deployments were not available in 30 minutes")
        time.sleep(0.5)
    return time.perf_counter() - t0


@dataclass
class KeyTimes:
    first: list[float] = field(default_factory=list)  # press -> the first frame after it
    settled: list[float] = field(default_factory=list)  # press -> the last frame before the screen went quiet
    rss: float = 0.0  # MiB, this process, with every row loaded


def press_keys(presses: int) -> Then:
    async def run(pilot, app: RollbackConsole, frames: Frames) -> KeyTimes:
        table = app.components_table
        await frames.settled(time.perf_counter())  # the initial load has finished painting
        result = KeyTimes(rss=rss_mib())
        keys = ["j"] * (presses // 2) + ["k"] * (presses - presses // 2)
        for key in keys:
            row = table.cursor_row + (1 if key == "j" else -1)
            t0 = time.perf_counter()
            # What Pilot.press does, minus its idle waits (at least 40 ms each): the key as the driver posts it.
            app._driver.send_message(events.Key(key, key))
            await until(lambda: table.cursor_row == row and app.selected == table.selected
                        and app.revisions_table.component == app.selected, f"{key} to move to row {row}")
            last = await frames.settled(t0)
            first = frames.first_after(t0)
            result.first.append(((first or last) - t0) * 1000)
            result.settled.append((last - t0) * 1000)
        return result

    return run


# ---- the report --------------------------------------------------------------------------------


def ms(samples: list[float]) -> str:
    return f"{percentile(samples, 50):.0f} / {percentile(samples, 99):.0f} / {max(samples):.0f} ms"


async def main_async(plan: Plan, tmp: Path) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = [("`import tui.app` (fresh interpreter, median of 3)",
                                         f"{import_seconds() * 1000:.0f} ms", "")]

    # 1 and 2: the seeded eli-maor sandbox.
    sandbox = SandboxProcess.start(tmp / "eli-maor" / "kubeconfig", "eli-maor", plan.speed)
    try:
        launches = [(await launch(sandbox.kubeconfig, len(COMPONENTS), ELI_MAOR))[0] for _ in range(plan.launches)]
        core = client.CoreV1Api(config.new_client_from_config(config_file=str(sandbox.kubeconfig)))
        _, times = await launch(sandbox.kubeconfig, len(COMPONENTS), ELI_MAOR,
                                then=watch_events(core, "production", plan))
    finally:
        sandbox.stop()
    rows.append((f"Launch to first complete frame, eli-maor ({plan.launches} runs: median / worst; first run)",
                 f"{statistics.median(launches) * 1000:.0f} / {max(launches) * 1000:.0f} ms; "
                 f"{launches[0] * 1000:.0f} ms", "< 1 s"))
    written = [(times.written[n] - c) * 1000 for n, c in times.created.items() if n in times.written]
    painted = [(times.painted[n] - c) * 1000 for n, c in times.created.items() if n in times.painted]
    rows.append((f"Watch event to Rollout stream line, p50 / p99 / max ({len(written)} of {len(times.created)} "
                 f"Events at {times.rate:.0f}/s)", ms(written), ""))
    rows.append(("Watch event to the frame showing it, p50 / p99 / max", ms(painted), "p99 < 100 ms"))

    # 3: at scale.
    sandbox = SandboxProcess.start(tmp / "scale" / "kubeconfig", "empty", plan.speed)
    try:
        apps = client.AppsV1Api(config.new_client_from_config(config_file=str(sandbox.kubeconfig)))
        seeded = seed(apps, "default", plan)
        rss_before = rss_mib()
        first, keys = await launch(sandbox.kubeconfig, plan.deployments, {}, then=press_keys(plan.presses))
        rss_sandbox = rss_mib(sandbox.proc.pid)
    finally:
        sandbox.stop()
    scale = f"{plan.deployments} Deployments x {plan.replicas}"
    rows += [
        (f"Seed {scale} (speed {plan.speed:g}): create until available", f"{seeded:.1f} s", ""),
        (f"Launch to first complete frame, {scale}", f"{first * 1000:.0f} ms", "< 1 s"),
        (f"Keypress (j/k x {plan.presses}) to first frame, p50 / p99 / max", ms(keys.first), ""),
        (f"Keypress to settled screen, p50 / p99 / max", ms(keys.settled), "p99 < 50 ms"),
        ("Memory (RSS): this process before launch / with every row loaded",
         f"{rss_before:.0f} / {keys.rss:.0f} MiB", ""),
        (f"Memory (RSS): the sandbox with {scale}", f"{rss_sandbox:.0f} MiB", ""),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (a few Deployments and Events)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(main_async(plan, Path(tmp)))
    print("| measure | result | goal |\n|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")
    print(f"\n({'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
