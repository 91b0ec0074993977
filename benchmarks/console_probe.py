"""One console, measured from inside its own process (run by console_latency.py, one process per console).

Imports only what the console's command line imports before its first frame
(textual and `tui.app`), so "process start to first frame" is the console's
own start, not this script's. Prints one JSON line.

    python benchmarks/console_probe.py MODE KUBECONFIG PARAMS_JSON
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Self

from textual import events

from tui.app import RollbackConsole
from tui.kube.config import locate

SIZE = (160, 48)
QUIET = 0.1  # s: a screen is settled once no frame came for this long (and nothing was pending)
TIMEOUT = 300.0  # s: the longest any one wait may take before the benchmark gives up
BENCH_LINE = re.compile(r"^Bench: bench (\d+) ")

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


def key_shown(app: RollbackConsole, row: int) -> bool:
    """At a frame: the cursor is on `row`, and that component's revisions are in their table and laid out."""
    table, revisions = app.components_table, app.revisions_table
    if table.cursor_row != row or app.selected is None or app.selected != table.selected:
        return False
    if revisions.component != app.selected or revisions.row_count != len(app.state.revisions(app.selected)):
        return False
    return not (table._require_update_dimensions or revisions._require_update_dimensions
                or app.screen._layout_required)


def every_watch_listed(app: RollbackConsole) -> bool:
    from tui.app import _watched_kinds

    return set(app.state.watches) >= _watched_kinds() and all(w.live for w in app.state.watches.values())


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


def event_body(n: int, namespace: str, backend: str) -> dict:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{backend}.bench-{n}", "namespace": namespace},
        "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": backend, "namespace": namespace},
        "reason": "Bench", "message": f"bench {n} {time.time():.6f}", "type": "Normal",
        "source": {"component": "console-latency"}, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
    }


def create_events(core, namespace: str, rate: float, seconds: float, times: EventTimes, backend: str) -> None:
    """In a thread: one Event every 1/rate s on a fixed schedule (a late one is not made up in a burst)."""
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        times.sent[n] = time.perf_counter()
        # The raw response: what counts is the server's acceptance, not building a V1Event in this process.
        core.create_namespaced_event(namespace, event_body(n, namespace, backend), _preload_content=False).read()
        times.created[n] = time.perf_counter()
    times.rate = len(times.created) / (time.perf_counter() - start)


def watch_events(kubeconfig: Path, plan, backend: str) -> Then:
    """The Events name the backend's Deployment: select it, so its stream shows them."""

    async def run(pilot, app: RollbackConsole, frames: Frames) -> dict:
        from kubernetes import client, config  # after the launch was timed: the console does not import these

        core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
        app.components_table.select(backend)
        await until(lambda: str(app.selected) == backend and str(app.revisions_table.component) == backend,
                    f"{backend} selected")
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
            await asyncio.to_thread(create_events, core, app.target.namespace, plan.rate, plan.seconds, times, backend)
            await until(lambda: len(times.written) >= len(times.created), "every bench Event on screen", 60)
            await frames.settled(app, time.perf_counter())
        for n, at in times.written.items():
            if (frame := frames.first_after(at)) is not None:
                times.painted[n] = frame
        return {"events": asdict(times), "events_stall": stalls.worst, "events_gc_worst": stalls.gc_worst,
                "events_gc_full": stalls.gc_full}

    return run


def press_keys(plan) -> Then:
    """j down half the presses, then k back up; each moves the selection, so the revisions and the stream
    follow. A press is timed from the key event to the first frame after it (the cursor moved), to the first
    frame showing all it changed (the row, its revisions laid out, its stream: `shown`), and to the last
    frame before the screen went quiet (`settled`, which also catches the once-a-second clock repaints
    that happen to fall in its window)."""

    async def run(pilot, app: RollbackConsole, frames: Frames) -> dict:
        table = app.components_table
        first: list[float] = []
        shown: list[float] = []
        settled: list[float] = []
        rss_loaded = rss_mib()
        with Stalls() as stalls:
            for key in ["j"] * (plan.presses // 2) + ["k"] * (plan.presses - plan.presses // 2):
                row = table.cursor_row + (1 if key == "j" else -1)
                frames.complete, frames.complete_at = (lambda row=row: key_shown(app, row)), None
                t0 = time.perf_counter()
                # What Pilot.press does, without its idle waits (40 ms at least): the key as the driver posts it.
                app._driver.send_message(events.Key(key, key))
                await until(lambda row=row: table.cursor_row == row and app.selected == table.selected
                            and app.revisions_table.component == app.selected, f"{key} to move to row {row}")
                last = await frames.settled(app, t0)
                first.append((frames.first_after(t0) or last) - t0)
                shown.append((frames.complete_at or last) - t0)
                settled.append(last - t0)
        return {"first": first, "shown": shown, "settled_after": settled, "rss_loaded": rss_loaded, "keys_stall": stalls.worst,
                "keys_gc_worst": stalls.gc_worst, "keys_gc_full": stalls.gc_full}

    return run


# ---- the child's entry -------------------------------------------------------------------------


def main() -> None:
    """MODE (launch, events, keys), the kubeconfig, and JSON: rows, options (as `rollback-console demo` passes
    them), backend (the component the Events name), rate, seconds, presses."""
    mode, kubeconfig, params = sys.argv[1], Path(sys.argv[2]), SimpleNamespace(**json.loads(sys.argv[3]))
    if mode == "launch":
        result = asyncio.run(launch(kubeconfig, params.rows, params.options))
    elif mode == "events":
        result = asyncio.run(launch(kubeconfig, params.rows, params.options,
                                    then=watch_events(kubeconfig, params, params.backend)))
    else:
        rss_before = rss_mib()
        result = asyncio.run(launch(kubeconfig, params.rows, params.options, then=press_keys(params))) | {
            "rss_before": rss_before}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
