"""The Metrics view's refresh cost on the UI loop, against a real Prometheus scraping a real sandbox.

Starts an eli-maor sandbox and Prometheus 2.42 (`make tools` fetches it), opens the console headless with the
Metrics view on the backend, asks for a refresh every 0.2 s (ten times the console's own pace, for a large
sample), and times, for each answer arriving on the UI loop: the handler (the panel's text built and handed to
its widget) and handler plus the frame that paints it. The queries themselves run on the metrics worker's own
loop and thread; they are timed separately (answer latency: ask to answer).

A report, not a test: shared machines are noisy; read orders of magnitude.

    .venv/bin/python benchmarks/metrics_view.py [--refreshes 300] [--size 160x48]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.console_latency import Frames, Stalls
from tests.support.prometheus import sandbox_with_prometheus, wait_for_value
from tui.app import RollbackConsole
from tui.appconfig import AppConfig, PrometheusConfig
from tui.controllers.metrics import MetricsRequest
from tui.core import metrics as m
from tui.kube.config import connect

BACKEND = "eli-maor-backend"
GOAL_P99 = 0.005  # seconds: the goal for the refresh's cost on the UI loop


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(kubeconfig: Path, refreshes: int, size: tuple[int, int]) -> dict:
    config = AppConfig(application="eli-maor", prometheus=PrometheusConfig(
        service="monitoring/prometheus:9090", rate_window="10s"))
    app = RollbackConsole(connect(kubeconfig=kubeconfig), selector="app=eli-maor", config=config)
    frames = Frames(app)
    handler: list[float] = []
    painted: list[float] = []
    latency: list[float] = []
    asked: dict[int, float] = {}
    async with app.run_test(size=size) as pilot:
        while app.components_table.row_count < 4:
            await pilot.pause(0.05)
        app.components_table.select(BACKEND)
        await pilot.press("m")
        original = app.metrics._answered

        def timed(answer) -> None:
            t = time.perf_counter()
            original(answer)
            handler.append(time.perf_counter() - t)
            painted.append(t)
            if id(answer.request) in asked:
                latency.append(t - asked.pop(id(answer.request)))

        app.metrics._answered = timed  # type: ignore[method-assign]
        with Stalls() as stalls:
            while len(handler) < refreshes:
                request = MetricsRequest(app.target.namespace, BACKEND, m.WINDOWS[0][1])
                asked[id(request)] = time.perf_counter()
                app.metrics.ask(request)
                await pilot.pause(0.2)
            await pilot.pause(0.5)
        frame_costs = []
        for t, cost in zip(painted, handler):
            frame = frames.first_after(t + cost)
            if frame is not None:
                frame_costs.append(frame - t)
    return {"handler": handler, "painted": frame_costs, "latency": latency, "stall": stalls.worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=300)
    parser.add_argument("--size", default="160x48")
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="metrics-bench-") as tmp, \
            sandbox_with_prometheus(Path(tmp)) as (sandbox, prom):
        wait_for_value(prom, 'count_over_time(up{job="sandbox"}[30s])', lambda v: v >= 10, timeout=60)
        result = asyncio.run(measure(sandbox.kubeconfig, args.refreshes, size))
    ms = 1000
    print(f"Metrics view refresh on the UI loop ({args.refreshes} answers, {args.size}, 6 range queries each):")
    for label, values in (("handler (build + update)", result["handler"]),
                          ("handler to painted frame", result["painted"]),
                          ("answer latency (worker)", result["latency"])):
        if values:
            print(f"  {label:26} p50 {percentile(values, .5) * ms:6.2f} ms   p99 {percentile(values, .99) * ms:6.2f} ms"
                  f"   max {max(values) * ms:6.2f} ms   (n={len(values)})")
    p99 = percentile(result["handler"], .99)
    print(f"  goal: handler p99 under {GOAL_P99 * ms:.0f} ms -> {'met' if p99 < GOAL_P99 else 'NOT met'}")
    print(f"  longest UI-loop stall meanwhile: {result['stall'] * ms:.1f} ms")


if __name__ == "__main__":
    main()
