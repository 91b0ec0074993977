"""Metrics and alerts from Prometheus: polled off the UI loop, shown on the rows, in the header and the Metrics view.

One worker thread runs its own event loop with the async HTTP client: the alerts every
ALERTS_EVERY seconds, the open Metrics view's range queries (concurrently), and the
health of rolled-back components (error ratio and p95 under the configured thresholds
for a window after the rollback), which ticks "Verify application health". Results come
back to the UI loop with `call_soon`; the UI loop only renders.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..core import metrics as m
from ..core.errors import ConsoleError
from ..core.evidence import Verdict
from ..core.state import ERROR, INFO, SUCCESS, WARNING
from ..core.times import rfc3339
from ..incident.session import METRICS
from .console import Console

ALERTS_EVERY = 2.0  # seconds between polls of /api/v1/alerts (and of the figures the report records)
FIGURES_FRESH = 30.0  # seconds: older figures are not recorded as the state of a moment
VIEW_EVERY = 2.0  # seconds between refreshes of the open Metrics view
POINTS = 120  # samples per range query: more than a sparkline at 160 columns shows
HOW_TO_GET = ("Prometheus is not configured: pass --prometheus URL or set prometheus: in the config file "
              "(the demo starts one when `make tools` has fetched it).")


@dataclass
class MetricsRequest:
    """What the open Metrics view asks for: one component, over a window ending now."""

    namespace: str
    deployment: str
    window: float


@dataclass
class MetricsAnswer:
    request: MetricsRequest
    start: float
    end: float
    series: dict[str, m.Series] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # metric key -> one sentence


@dataclass
class AlertsState:
    """What the header and the rows show: the alerts of the last good poll, and whether that poll is current."""

    configured: bool = False
    alerts: list[m.Alert] = field(default_factory=list)
    polled_at: float | None = None  # the last good poll
    error: str = ""  # the last poll's failure; "" when it succeeded
    failing_since: float | None = None

    @property
    def stale(self) -> bool:
        return bool(self.error)


class MetricsController:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.config = console.config.prometheus
        self.state = AlertsState(configured=self.config.configured)
        self.request: MetricsRequest | None = None  # set by the open Metrics view, read by the poller
        self.view = None  # the open Metrics view (tui/screens/metrics.py), which `answer` repaints
        self.last: MetricsAnswer | None = None
        self.rollbacks: dict[str, float] = {}  # component -> when its last rollback was confirmed
        self.watching: dict[str, float] = {}  # component -> rolled out at: its health after the rollback is judged
        self.verdicts: dict[str, m.Health] = {}
        self.figures: dict[str, dict[str, float]] = {}  # component -> error_ratio, p95, restarts (last poll)
        self.figures_at: float | None = None
        self.where = ""
        self._wake = threading.Event()
        self._stopped = threading.Event()

    @property
    def rate_window(self) -> str:
        return self.config.rate_window

    # ---- life --------------------------------------------------------------------------------

    def start(self) -> None:
        if not self.config.configured or self.console.target.offline:
            return
        self.console.run_off_loop(self._run, group="metrics", name="prometheus")

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def ask(self, request: MetricsRequest | None) -> None:
        """The Metrics view opened, changed window or component (or closed: None); the poller answers at once."""
        self.request = request
        self._wake.set()

    # ---- what the console tells it -----------------------------------------------------------

    def rolled_back(self, component: str, at: float) -> None:
        """A rollback of this component was confirmed at `at`: marked on its sparklines."""
        self.rollbacks[component] = at
        self.watching.pop(component, None)
        self.verdicts.pop(component, None)

    def rolled_out(self, component: str, at: float) -> None:
        """Its rollout finished: from now on its error ratio and p95 are watched for the window."""
        if self.config.configured and component not in self.watching:
            self.watching[component] = at
            self._wake.set()

    # ---- the poller (its own thread and event loop) --------------------------------------------

    def _run(self) -> None:
        import anyio

        anyio.run(self._poll)

    async def _poll(self) -> None:
        from ..metrics.client import PrometheusClient
        from ..metrics.endpoint import endpoint

        try:
            where = endpoint(self.config, self.console.target)
        except ConsoleError as err:
            self.console.call_soon(self._alerts_failed, err.message)
            return
        self.where = where.describe
        next_alerts = next_view = 0.0
        async with PrometheusClient(where) as prom:
            while not self._stopped.is_set() and self.console.alive:
                now = time.monotonic()  # scheduling; the console's clock stamps the queries
                if now >= next_alerts:
                    next_alerts = now + ALERTS_EVERY
                    await self._poll_alerts(prom)
                    await self._poll_figures(prom)
                    await self._judge_health(prom)
                request = self.request
                if request is not None and (now >= next_view or self._wake.is_set()):
                    self._wake.clear()
                    next_view = now + VIEW_EVERY
                    answer = await self._range(prom, request)
                    if self.request is request:
                        self.console.call_soon(self._answered, answer)
                await self._sleep(min(next_alerts, next_view if self.request else next_alerts) - now)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake within a tenth of a second when the view asks or the console stops."""
        import anyio

        end = time.monotonic() + max(0.0, seconds)
        while time.monotonic() < end and not self._wake.is_set() and not self._stopped.is_set():
            await anyio.sleep(0.1)

    async def _poll_alerts(self, prom) -> None:
        try:
            alerts = m.parse_alerts(await prom.alerts())
        except (ConsoleError, m.PrometheusAnswerError) as err:
            self.console.call_soon(self._alerts_failed, getattr(err, "message", str(err)))
            return
        self.console.call_soon(self._alerts_seen, alerts, self.console.clock())

    async def _poll_figures(self, prom) -> None:
        """Error ratio, p95 and restarts of every component (three queries): what the report records of each
        moment (opened, before and after an action)."""
        ns = self.console.target.namespace
        try:
            got = {name: m.parse_by(await prom.query(build(ns, self.rate_window)),
                                    "pod" if name == "restarts" else "deployment")
                   for name, _, build in m.FIGURES}
        except (ConsoleError, m.PrometheusAnswerError):
            return  # the alerts poll says Prometheus is failing
        at = self.console.clock()
        self.console.call_soon(self._figures_seen, got, at)

    def _figures_seen(self, got: dict[str, dict[str, float]], at: float) -> None:
        names = [v.name for v in self.console.state.components()]
        restarts = m.per_deployment(got.get("restarts", {}), names)
        self.figures = {name: {"error_ratio": got["error_ratio"][name]} if name in got.get("error_ratio", {}) else {}
                        for name in names}
        for name in names:
            if name in got.get("p95", {}):
                self.figures[name]["p95"] = got["p95"][name]
            self.figures[name]["restarts"] = restarts[name]
        self.figures_at = at

    def figures_for(self, component: str) -> dict[str, float]:
        """The component's last figures, if fresh (the report never records stale figures as current)."""
        if self.figures_at is None or self.console.clock() - self.figures_at > FIGURES_FRESH:
            return {}
        return dict(self.figures.get(component, {}))

    async def _range(self, prom, request: MetricsRequest) -> MetricsAnswer:
        import anyio

        end = self.console.clock()
        start = end - request.window
        answer = MetricsAnswer(request, start, end)
        step = request.window / POINTS

        async def one(metric: m.Metric) -> None:
            expr = metric.expr(request.namespace, request.deployment, self.rate_window)
            try:
                answer.series[metric.key] = m.parse_range(metric.key, await prom.query_range(expr, start, end, step))
            except (ConsoleError, m.PrometheusAnswerError) as err:
                answer.errors[metric.key] = getattr(err, "message", str(err))

        async with anyio.create_task_group() as group:  # the six queries at once: one round trip of latency
            for metric in m.METRICS:
                group.start_soon(one, metric)
        return answer

    async def _judge_health(self, prom) -> None:
        for component, since in list(self.watching.items()):
            if component in self.verdicts and self.verdicts[component].ok is not None:
                continue
            now = self.console.clock()
            ns = self.console.target.namespace
            try:
                series = {}
                for key in ("errors", "p95"):
                    expr = m.METRIC[key].expr(ns, component, self.rate_window)
                    step = max(1.0, (now - since) / POINTS)
                    series[key] = m.parse_range(key, await prom.query_range(expr, since, now, step))
            except (ConsoleError, m.PrometheusAnswerError):
                continue  # the alerts poll says Prometheus is failing; the verdict waits
            health = m.health_after(series["errors"], series["p95"], since, now, self.config.window,
                                    self.config.error_ratio_max, self.config.p95_max,
                                    lag=m.duration(self.rate_window))
            self.console.call_soon(self._health_seen, component, health, since)

    # ---- back on the UI loop -------------------------------------------------------------------

    def _alerts_seen(self, alerts: list[m.Alert], at: float) -> None:
        if not self.console.alive:
            return
        before = self.state.alerts
        recovered = self.state.error
        self.state.alerts, self.state.polled_at, self.state.error, self.state.failing_since = alerts, at, "", None
        if recovered:
            self.console.note("", INFO, f"{self.where} answers again.")
        ns = self.console.target.namespace
        for change in m.alert_changes(before, alerts):
            a = change.alert
            if a.labels.get("namespace", ns) != ns:
                continue
            component = a.labels.get("deployment", "")
            text = f"alert {a.name} {change.change}" + (f": {a.summary}" if a.summary else "")
            if change.change == "firing" and a.active_at:
                text += f" (pending since {a.active_at})"
            severity = {"firing": ERROR, "pending": WARNING}.get(change.change, SUCCESS)
            self.console.note(component, severity, text)
            # An alert is not an action that failed: no outcome until it resolves (the report lists it open).
            self.console.record("alert", component, text, ok=True if change.change == "resolved" else None,
                                payload={"alert": a.name, "state": change.change, "labels": dict(a.labels),
                                         "at": rfc3339(at)})
        self._show_alerts()

    def _alerts_failed(self, sentence: str) -> None:
        if not self.console.alive:
            return
        if not self.state.error:
            self.console.note("", WARNING, f"{sentence} Alerts shown are as of the last answer.")
            self.state.failing_since = self.console.clock()
        self.state.error = sentence
        self._show_alerts()

    def _show_alerts(self) -> None:
        show = getattr(self.console, "show_alerts", None)
        if show is not None:
            show(self.state)

    def _answered(self, answer: MetricsAnswer) -> None:
        self.last = answer
        if self.view is not None and self.console.alive:
            self.view.show(answer)

    def _health_seen(self, component: str, health: m.Health, since: float) -> None:
        if not self.console.alive or self.watching.get(component) != since:
            return  # a newer rollback started watching again
        previous = self.verdicts.get(component)
        self.verdicts[component] = health
        if health.ok is None or (previous is not None and previous.ok == health.ok):
            return
        self.console.note(component, SUCCESS if health.ok else ERROR, f"metrics: {health.reason}")
        # A row of the component's history in the report, with the figures of this moment.
        self.console.record(METRICS, component, health.reason, ok=health.ok)
        self.console.evidence.metrics_health(component, Verdict(health.ok, f"{component}: {health.reason}"))

    # ---- for the report ------------------------------------------------------------------------

    def alerts_for(self, component: str) -> list[m.Alert]:
        return m.alerts_for(self.state.alerts, self.console.target.namespace, component)
