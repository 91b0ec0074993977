"""Console latency: launch, watch event to screen, keypress to repaint.

Drives the real `RollbackConsole` headless (Textual's `run_test`, 160x48)
against sandbox processes over HTTP and times what a user waits for:

1. Launch on the seeded `eli-maor` sandbox: from reading the kubeconfig (and from the
   process's start) to the first frame showing all 4 components and the
   selected component's revisions; `import tui.app` on its own.
2. Watch event to screen: another thread creates core/v1 Events on the
   backend Deployment at 50/s with the official client; from each create's
   response to its line in the Rollout stream and to the first frame after it.
3. At scale (`empty` seed + 500 Deployments x 3 replicas): the first complete
   frame, keypress (j/k) to repaint, and memory.

A "frame" is what the app hands its driver: `App._display` is wrapped to
timestamp each one. Headless, Textual renders the update but writes nothing, so
the wrapper also turns it into terminal text as the real driver does; only the
write itself is missing. Each console runs in a fresh child process (this
script with --child), as a user would start it: one app per process, its own
heap for the garbage collector. `time.perf_counter` is CLOCK_MONOTONIC on
Linux, so the parent's and a child's timestamps compare.

Prints a Markdown table. A report, not a test: the machines are shared and
noisy, so read the figures as orders of magnitude.

    .venv/bin/python benchmarks/console_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import gc
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from kubernetes import client, config
from sandbox_scale import deployment  # this folder is on sys.path when run as a script
from textual import events

from kube_sandbox.process import SandboxProcess
from kube_sandbox.seeds import APP, COMPONENTS
from tui.app import RollbackConsole
from tui.kube.config import locate

SIZE = (160, 48)
BACKEND = f"{APP}-backend"
ELI_MAOR = {"selector": f"app={APP}", "order": [c.deployment for c in COMPONENTS]}  # as `rollback-console demo`
SCALE_NAMESPACE = "default"  # the `empty` seed's kubeconfig namespace
QUIET = 0.1  # s: a screen is settled once no frame came for this long (and nothing was pending)
TIMEOUT = 300.0  # s: the longest any one wait may take before the benchmark gives up
BENCH_LINE = re.compile(r"^Bench: bench (\d+) ")


@dataclass(frozen=True)
class Plan:
    launches: int  # consoles started on eli-maor, one process each
    rate: float  # Events per second
    seconds: float  # for this long
    deployments: int  # at scale
    replicas: int
    presses: int  # half j (down), then half k (back up)
    speed: float = 50.0  # the sandbox's simulated time


PLANS = {
    "full": Plan(launches=7, rate=50, seconds=10, deployments=500, replicas=3, presses=200),
    "quick": Plan(launches=2, rate=50, seconds=2, deployments=40, replicas=1, presses=20),
}


# ---- measuring, inside one console's process ---------------------------------------------------


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Frames:
    """Timestamps of the frames the app hands to its driver (wraps `App._display`).

    `complete` is asked at each frame whether it shows what we wait for; the
    first frame it says yes to is `complete_at`.
    """

    def __init__(self, app: RollbackConsole, complete: Callable[[], bool] | None = None) -> None:
        self.times: list[float] = []
        self.complete = complete
        self.complete_at: float | None = None
        original = app._display

        def display(screen, renderable) -> None:
            if renderable is not None and not app._batch_count:
                if app.is_headless:
                    renderable.render_segments(app.console)  # what the terminal driver does with it
                now = time.perf_counter()
                self.times.append(now)
                if self.complete_at is None and self.complete is not None and _safely(self.complete):
                    self.complete_at = now
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def first_after(self, t: float) -> float | None:
        i = bisect.bisect_right(self.times, t)
        return self.times[i] if i < len(self.times) else None

    async def settled(self, app: RollbackConsole, since: float) -> float:
        """Wait until no frame came for QUIET s while the UI loop was responsive with nothing pending; the
        time of the last frame after `since` (or `since` if none came)."""
        deadline = time.perf_counter() + TIMEOUT
        quiet_from = previous = time.perf_counter()
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            if now - previous > 0.02 or _busy(app):  # the loop was blocked, or has work queued: not quiet
                quiet_from = now
            previous = now
            last = self.times[-1] if self.times else 0.0
            if now - max(last, quiet_from) >= QUIET:
                return max(since, last)
        raise TimeoutError(f"the screen did not settle in {TIMEOUT:.0f} s")


def _busy(app: RollbackConsole) -> bool:
    """Watch items not applied yet, or a screen with a layout or repaint pending."""
    screen = app.screen
    queued = app.hub is not None and not app.hub._queue.empty()
    return queued or bool(screen._dirty_widgets or screen._layout_required or screen._repaint_required)


class Stalls:
    """The UI loop's longest stall: a task on its loop asks to wake every 5 ms and notes how late it is.
    While the loop stalls, no key and no watch event is handled. Also the garbage collector's longest
    full (generation 2) collection meanwhile, a stall of its own."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.gc_worst = 0.0
        self.gc_full = 0  # full collections
        self._task: asyncio.Task | None = None
        self._gc_start = 0.0

    async def _run(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - t - 0.005)

    def _gc(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_full += 1
            self.gc_worst = max(self.gc_worst, time.perf_counter() - self._gc_start)

    def __enter__(self) -> Self:
        self._task = asyncio.get_running_loop().create_task(self._run())
        gc.callbacks.append(self._gc)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._gc)
        self._task.cancel()


def _safely(predicate: Callable[[], bool]) -> bool:
    try:
        return bool(predicate())
    except Exception:  # noqa: BLE001 - the panes are not composed yet
        return False


async def until(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.perf_counter() + timeout
    while not _safely(predicate):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.002)


def shows_everything(app: RollbackConsole, rows: int) -> bool:
    """At a frame: `rows` components and the selected one's whole history are in the tables, and laid out
    (each table measured its rows and got the height for them). Checked once against the frames' rendered
    text: the first frame this says yes to is the first to show every name and revision."""
    components, revisions = app.components_table, app.revisions_table
    if components.row_count < rows or app.selected is None or revisions.component != app.selected:
        return False
    if revisions.row_count == 0 or revisions.row_count != len(app.state.revisions(app.selected)):
        return False
    return all(not t._require_update_dimensions and t.virtual_size.height >= t.row_count + 1
               and t.size.height >= min(t.row_count + 1, 4) for t in (components, revisions))


def every_watch_listed(app: RollbackConsole) -> bool:
    return len(app.state.watches) == 4 and all(w.live for w in app.state.watches.values())


Then = Callable[[object, RollbackConsole, Frames], Awaitable[dict]]


async def launch(kubeconfig: Path, rows: int, options: dict, then: Then | None = None) -> dict:
    """Start a console, time its first complete frame and its settling; then run `then(pilot, app, frames)`
    on it. Times are perf_counter seconds (absolute, for the parent to compare)."""
    with Stalls() as stalls:
        t0 = time.perf_counter()
        app = RollbackConsole(locate(kubeconfig=kubeconfig), **options)  # as the command line does
        frames = Frames(app, complete=lambda: shows_everything(app, rows))
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: frames.complete_at is not None, f"{rows} components and their revisions on screen")
            await until(lambda: every_watch_listed(app), "every watch to list")
            settled = await frames.settled(app, frames.complete_at)
            result = {"connect": t0, "first": frames.times[0] if frames.times else None, "complete": frames.complete_at, "settled": settled, "stall": stalls.worst,
                      "gc_worst": stalls.gc_worst, "gc_full": stalls.gc_full}
            if then is not None:
                result |= await then(pilot, app, frames)
    return result


# ---- 2: watch event to screen ------------------------------------------------------------------


@dataclass
class EventTimes:
    sent: dict[int, float] = field(default_factory=dict)  # n -> the create request started
    created: dict[int, float] = field(default_factory=dict)  # n -> the create returned (the server accepted)
    written: dict[int, float] = field(default_factory=dict)  # n -> its line went into the Rollout stream
    painted: dict[int, float] = field(default_factory=dict)  # n -> the first frame after that
    rate: float = 0.0  # creates per second achieved


def event_body(n: int, namespace: str) -> dict:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{BACKEND}.bench-{n}", "namespace": namespace},
        "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": BACKEND, "namespace": namespace},
        "reason": "Bench", "message": f"bench {n} {time.time():.6f}", "type": "Normal",
        "source": {"component": "console-latency"}, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
    }


def create_events(core: client.CoreV1Api, namespace: str, rate: float, seconds: float, times: EventTimes) -> None:
    """In a thread: one Event every 1/rate s on a fixed schedule (a late one is not made up in a burst)."""
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        times.sent[n] = time.perf_counter()
        # The raw response: what counts is the server's acceptance, not building a V1Event in this process.
        core.create_namespaced_event(namespace, event_body(n, namespace), _preload_content=False).read()
        times.created[n] = time.perf_counter()
    times.rate = len(times.created) / (time.perf_counter() - start)


def watch_events(kubeconfig: Path, plan: Plan) -> Then:
    """The Events name the backend's Deployment: select it, so its stream shows them."""

    async def run(pilot, app: RollbackConsole, frames: Frames) -> dict:
        core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
        app.components_table.select(BACKEND)
        await until(lambda: str(app.selected) == BACKEND and str(app.revisions_table.component) == BACKEND,
                    f"{BACKEND} selected")
        await frames.settled(app, time.perf_counter())
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
        with Stalls() as stalls:
            await asyncio.to_thread(create_events, core, app.target.namespace, plan.rate, plan.seconds, times)
            await until(lambda: len(times.written) >= len(times.created), "every bench Event on screen", 60)
            await frames.settled(app, time.perf_counter())
        for n, at in times.written.items():
            if (frame := frames.first_after(at)) is not None:
                times.painted[n] = frame
        return {"events": asdict(times), "events_stall": stalls.worst, "events_gc_worst": stalls.gc_worst,
                "events_gc_full": stalls.gc_full}

    return run


# ---- 3: at scale -------------------------------------------------------------------------------


def seed(kubeconfig: Path, plan: Plan) -> float:
    """Create the Deployments and wait until every one is available; seconds taken."""
    apps = client.AppsV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    t0 = time.perf_counter()
    for n in range(plan.deployments):
        apps.create_namespaced_deployment(SCALE_NAMESPACE, deployment(n, plan.replicas), _preload_content=False).read()

    def available() -> int:
        return sum(d.status.available_replicas or 0 for d in apps.list_namespaced_deployment(SCALE_NAMESPACE).items)

    while available() < plan.deployments * plan.replicas:
        if time.perf_counter() - t0 > 1800:
            raise SystemExit("the Deployments were not available in 30 minutes")
        time.sleep(0.5)
    return time.perf_counter() - t0


def press_keys(plan: Plan) -> Then:
    """j down half the presses, then k back up; each moves the selection, so the revisions and the stream
    follow. A press is timed from the key event to the first frame after it (the cursor moved) and to the
    last frame before the screen went quiet (everything it changed is on screen)."""

    async def run(pilot, app: RollbackConsole, frames: Frames) -> dict:
        table = app.components_table
        first: list[float] = []
        settled: list[float] = []
        rss_loaded = rss_mib()
        with Stalls() as stalls:
            for key in ["j"] * (plan.presses // 2) + ["k"] * (plan.presses - plan.presses // 2):
                row = table.cursor_row + (1 if key == "j" else -1)
                t0 = time.perf_counter()
                # What Pilot.press does, without its idle waits (40 ms at least): the key as the driver posts it.
                app._driver.send_message(events.Key(key, key))
                await until(lambda row=row: table.cursor_row == row and app.selected == table.selected
                            and app.revisions_table.component == app.selected, f"{key} to move to row {row}")
                last = await frames.settled(app, t0)
                first.append((frames.first_after(t0) or last) - t0)
                settled.append(last - t0)
        return {"first": first, "settled_after": settled, "rss_loaded": rss_loaded, "keys_stall": stalls.worst,
                "keys_gc_worst": stalls.gc_worst, "keys_gc_full": stalls.gc_full}

    return run


# ---- child processes: one console each ---------------------------------------------------------


def child(mode: str, kubeconfig: Path, plan: Plan) -> None:
    """Run one console (--child MODE) and print what it measured as one JSON line."""
    if mode == "launch":
        result = asyncio.run(launch(kubeconfig, len(COMPONENTS), ELI_MAOR))
    elif mode == "events":
        result = asyncio.run(launch(kubeconfig, len(COMPONENTS), ELI_MAOR, then=watch_events(kubeconfig, plan)))
    else:
        rss_before = rss_mib()
        result = asyncio.run(launch(kubeconfig, plan.deployments, {}, then=press_keys(plan))) | {
            "rss_before": rss_before}
    print(json.dumps(result))


def spawn(mode: str, kubeconfig: Path, plan_name: str) -> dict:
    """This script as a child running one console; its results, and `spawned` (this process's clock)."""
    spawned = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", mode, "--kubeconfig", str(kubeconfig),
                           "--plan", plan_name], capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {mode} child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"spawned": spawned}


def import_seconds(runs: int = 3) -> float:
    """`import tui.app` in a fresh interpreter (median of `runs`)."""
    code = "import time; t = time.perf_counter(); import tui.app; print(time.perf_counter() - t)"
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs))


# ---- the report --------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def msec(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def ms(seconds: list[float]) -> str:
    """p50 / p99 / max."""
    return f"{percentile(seconds, 50) * 1000:.0f} / {percentile(seconds, 99) * 1000:.0f} / {msec(max(seconds))}"


def report(plan_name: str, tmp: Path) -> list[tuple[str, str, str]]:
    plan = PLANS[plan_name]
    rows = [("`import tui.app`, fresh interpreter (median of 3)", msec(import_seconds()), "")]

    # 1 and 2: the seeded eli-maor sandbox (4 Deployments, 4 revisions each).
    sandbox = SandboxProcess.start(tmp / "eli-maor" / "kubeconfig", "eli-maor", plan.speed, die_with_parent=True)
    try:
        launches = [spawn("launch", sandbox.kubeconfig, plan_name) for _ in range(plan.launches)]
        streamed = spawn("events", sandbox.kubeconfig, plan_name)
    finally:
        sandbox.stop()
    complete = [r["complete"] - r["connect"] for r in launches]
    from_start = [r["complete"] - r["spawned"] for r in launches]
    first = [r["first"] - r["spawned"] for r in launches if r.get("first")]
    settled = statistics.median(r["settled"] - r["connect"] for r in launches)
    rows += [
        (f"Launch, eli-maor: kubeconfig read to first complete frame, median / worst of {plan.launches}",
         f"{msec(statistics.median(complete))} / {msec(max(complete))}", "< 1 s"),
        ("Launch, eli-maor: process start to first frame (layout, header: connecting to which server), "
         "median / worst", f"{msec(statistics.median(first))} / {msec(max(first))}", ""),
        ("Launch, eli-maor: process start to first complete frame, median / worst",
         f"{msec(statistics.median(from_start))} / {msec(max(from_start))}", ""),
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
    stalls = f"{msec(streamed['events_stall'])} / {msec(streamed['events_gc_worst'])} ({streamed['events_gc_full']})"
    rows += [
        (f"Watch event (create returned) to its Rollout stream line: p50 / p99 / max ({count})", to_line, ""),
        ("Watch event (create returned) to the frame showing it: p50 / p99 / max",
         ms([t - created[n] for n, t in painted.items() if n in created]), "p99 < 100 ms"),
        ("Same, from the create request's start (an upper bound)",
         ms([t - times["sent"][n] for n, t in painted.items() if n in times["sent"]]), ""),
        ("While the Events streamed: longest UI loop stall / longest full GC (full GCs)", stalls, ""),
    ]

    # 3: at scale, on an empty sandbox.
    sandbox = SandboxProcess.start(tmp / "scale" / "kubeconfig", "empty", plan.speed, die_with_parent=True)
    try:
        seeded = seed(sandbox.kubeconfig, plan)
        big = spawn("keys", sandbox.kubeconfig, plan_name)
        rss_sandbox = rss_mib(sandbox.proc.pid)
    finally:
        sandbox.stop()
    scale = f"{plan.deployments} Deployments x {plan.replicas}"
    big_gc = f"{msec(big['stall'])} / {msec(big['gc_worst'])} ({big['gc_full']})"
    rows += [
        (f"Seed {scale} (speed {plan.speed:g}): create until every one is available", f"{seeded:.1f} s", ""),
        (f"Launch, {scale}: kubeconfig read to first complete frame", msec(big["complete"] - big["connect"]), "< 1 s"),
        (f"Launch, {scale}: kubeconfig read to settled; longest UI loop stall / full GC meanwhile (full GCs)",
         f"{msec(big['settled'] - big['connect'])}; {big_gc}", ""),
        (f"Keypress (j/k x {plan.presses}) to its first frame: p50 / p99 / max", ms(big["first"]), ""),
        ("Keypress to settled screen: p50 / p99 / max", ms(big["settled_after"]), "p99 < 50 ms"),
        ("While pressing keys: longest UI loop stall / longest full GC (full GCs)",
         f"{msec(big['keys_stall'])} / {msec(big['keys_gc_worst'])} ({big['keys_gc_full']})", ""),
        ("Memory (RSS) of the console's process: before `connect` / every row loaded",
         f"{big['rss_before']:.0f} / {big['rss_loaded']:.0f} MiB", ""),
        (f"Memory (RSS) of the sandbox with {scale}", f"{rss_sandbox:.0f} MiB", ""),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (few Deployments and Events)")
    parser.add_argument("--child", choices=("launch", "events", "keys"), help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plan", choices=sorted(PLANS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.kubeconfig, PLANS[args.plan])
        return
    plan_name = "quick" if args.quick else "full"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = report(plan_name, Path(tmp))
    print("| measure | result | goal |\n|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")
    print(f"\n({plan_name} run: {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
