"""The runbook's metrics and alerts, as plain data: the PromQL for a component, answers parsed, health judged.

The runbook ("Monitoring Rollbacks") names four metrics to watch during a rollback. Three are
kube-state-metrics series; its fourth, `container_restarts_total`, exists in neither kube-state-metrics nor
cAdvisor, so the console says so and reads kube-state-metrics' `kube_pod_container_status_restarts_total`.
Request rate, error ratio and p95 latency come from the application's own `http_requests_total` and
`http_request_duration_seconds` histogram.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

RUNBOOK_RESTARTS = "container_restarts_total"
RESTARTS = "kube_pod_container_status_restarts_total"
RESTARTS_NOTE = (f"the runbook's {RUNBOOK_RESTARTS} exists in neither kube-state-metrics nor cAdvisor; "
                 f"this is {RESTARTS}")

# Windows the Metrics view offers, in seconds, with their labels.
WINDOWS: tuple[tuple[str, float], ...] = (("5m", 300.0), ("15m", 900.0), ("1h", 3600.0), ("6h", 21600.0))


def _quote(value: str) -> str:
    """A PromQL string literal: names are Kubernetes names, but quote defensively."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pods_of(deployment: str) -> str:
    """A regex for a Deployment's pods: <name>-<pod-template-hash>-<5 random characters>."""
    return re.escape(deployment) + "-[a-z0-9]{1,10}-[a-z0-9]{5}"


@dataclass(frozen=True)
class Metric:
    """One line of the Metrics view: what it shows and the PromQL that answers it."""

    key: str
    title: str
    unit: str  # "", "req/s", "ratio", "s"
    build: Callable[[str, str, str], str]  # (namespace, deployment, rate window) -> PromQL
    note: str = ""

    def expr(self, namespace: str, deployment: str, rate_window: str = "1m") -> str:
        return self.build(namespace, deployment, rate_window)


def _sel(namespace: str, deployment: str, extra: str = "") -> str:
    return "{" + f"namespace={_quote(namespace)},deployment={_quote(deployment)}{extra}" + "}"


SERVER_ERRORS = ',code=~"5.."'


def _requests(ns: str, dep: str, w: str, extra: str = "") -> str:
    return f"sum(rate(http_requests_total{_sel(ns, dep, extra)}[{w}]))"


METRICS: tuple[Metric, ...] = (
    Metric("updated", "Updated replicas", "",
           lambda ns, dep, w: f"kube_deployment_status_replicas_updated{_sel(ns, dep)}"),
    Metric("available", "Available replicas", "",
           lambda ns, dep, w: f"kube_deployment_status_replicas_available{_sel(ns, dep)}"),
    Metric("restarts", "Container restarts", "",
           lambda ns, dep, w: (f"sum({RESTARTS}" + "{" + f"namespace={_quote(ns)},pod=~{_quote(pods_of(dep))}"
                               + "})"),
           note=RESTARTS_NOTE),
    Metric("rate", "Requests", "req/s", lambda ns, dep, w: _requests(ns, dep, w)),
    Metric("errors", "Error ratio (5xx)", "ratio",
           lambda ns, dep, w: f"{_requests(ns, dep, w, SERVER_ERRORS)} / {_requests(ns, dep, w)}"),
    Metric("p95", "p95 latency", "s",
           lambda ns, dep, w: ("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket"
                               f"{_sel(ns, dep)}[{w}])))")),
)
METRIC = {m.key: m for m in METRICS}


# ---- figures for every component at once (the incident report's columns) ---------------------------------

FIGURES: tuple[tuple[str, str, Callable[[str, str], str]], ...] = (
    # (figure, unit, PromQL over the namespace by deployment (restarts: by pod))
    ("error_ratio", "ratio", lambda ns, w: (
        f"sum by (deployment) (rate(http_requests_total{{namespace={_quote(ns)}{SERVER_ERRORS}}}[{w}])) / "
        f"sum by (deployment) (rate(http_requests_total{{namespace={_quote(ns)}}}[{w}]))")),
    ("p95", "s", lambda ns, w: (
        "histogram_quantile(0.95, sum by (deployment, le) (rate(http_request_duration_seconds_bucket"
        f"{{namespace={_quote(ns)}}}[{w}])))")),
    ("restarts", "", lambda ns, w: f"sum by (pod) ({RESTARTS}{{namespace={_quote(ns)}}})"),
)
FIGURE_UNIT = {name: unit for name, unit, _ in FIGURES}


def per_deployment(restarts_by_pod: Mapping[str, float], deployments: Iterable[str]) -> dict[str, float]:
    """Restarts summed over each deployment's pods (kube-state-metrics' pod series carry no deployment)."""
    patterns = {d: re.compile(pods_of(d) + "$") for d in deployments}
    out = dict.fromkeys(patterns, 0.0)
    for pod, value in restarts_by_pod.items():
        for deployment, pattern in patterns.items():
            if pattern.match(pod):
                out[deployment] += value
    return out


# ---- answers -------------------------------------------------------------------------------------------


class PrometheusAnswerError(ValueError):
    """An answer that is not what Prometheus's HTTP API documents."""


Sample = tuple[float, float]  # (unix time, value); NaN when the expression has no value (no traffic)


@dataclass(frozen=True)
class Series:
    key: str
    samples: tuple[Sample, ...] = ()

    @property
    def last(self) -> float | None:
        for _, value in reversed(self.samples):
            if not math.isnan(value):
                return value
        return None


def _number(text) -> float:
    try:
        return float(text)  # Prometheus writes "NaN", "+Inf", "-Inf" as strings too
    except (TypeError, ValueError):
        raise PrometheusAnswerError(f"a sample value {text!r} is not a number") from None


def _data(answer) -> dict:
    if not isinstance(answer, dict):
        raise PrometheusAnswerError("the answer is not a JSON object")
    if answer.get("status") != "success":
        raise PrometheusAnswerError(str(answer.get("error") or "the query failed"))
    data = answer.get("data")
    if not isinstance(data, dict):
        raise PrometheusAnswerError("the answer has no data")
    return data


def _result(answer, result_type: str, query: str) -> list:
    """The answer's result list, when it is of the type the query asks for."""
    data = _data(answer)
    result = data.get("result")
    if data.get("resultType") != result_type or not isinstance(result, list):
        raise PrometheusAnswerError(f"{query} did not answer a {result_type}")
    return result


def parse_range(key: str, answer) -> Series:
    """A /api/v1/query_range answer for a one-series expression (a sum, or one deployment's series)."""
    result = _result(answer, "matrix", "a range query")
    samples: dict[float, float] = {}
    for series in result:
        values = series.get("values") if isinstance(series, dict) else None
        if not isinstance(values, list):
            raise PrometheusAnswerError("a series has no values")
        for pair in values:
            if not isinstance(pair, list) or len(pair) != 2:
                raise PrometheusAnswerError("a sample is not [time, value]")
            samples[_number(pair[0])] = _number(pair[1])  # one series expected; the last one wins
    return Series(key, tuple(sorted(samples.items())))


def parse_by(answer, label: str) -> dict[str, float]:
    """A /api/v1/query vector answer as {value of `label`: sample value}."""
    result = _result(answer, "vector", "an instant query")
    out: dict[str, float] = {}
    for item in result:
        metric = item.get("metric") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(metric, dict) or not isinstance(value, list) or len(value) != 2:
            raise PrometheusAnswerError("a sample is not {metric, value: [time, value]}")
        if isinstance(metric.get(label), str):
            out[metric[label]] = _number(value[1])
    return out


@dataclass(frozen=True)
class Alert:
    name: str
    state: str  # "pending" or "firing"
    labels: Mapping[str, str] = field(default_factory=dict)
    active_at: str = ""  # RFC 3339, when it became pending
    summary: str = ""

    @property
    def identity(self) -> tuple:
        return (self.name, tuple(sorted(self.labels.items())))

    def concerns(self, namespace: str, deployment: str) -> bool:
        """Labelled with this deployment (and its namespace, when the alert has one)."""
        if self.labels.get("deployment") != deployment:
            return False
        return self.labels.get("namespace", namespace) == namespace


def parse_alerts(answer) -> list[Alert]:
    """A /api/v1/alerts answer: every pending or firing alert."""
    data = _data(answer)
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise PrometheusAnswerError("the alerts answer has no alerts list")
    out: list[Alert] = []
    for item in alerts:
        if not isinstance(item, dict):
            raise PrometheusAnswerError("an alert is not an object")
        labels = item.get("labels") or {}
        annotations = item.get("annotations") or {}
        if not isinstance(labels, dict) or not isinstance(annotations, dict):
            raise PrometheusAnswerError("an alert's labels are not a mapping")
        labels = {str(k): str(v) for k, v in labels.items()}
        out.append(Alert(labels.get("alertname", "?"), str(item.get("state", "")), labels,
                         str(item.get("activeAt", "")), str(annotations.get("summary", ""))))
    return out


def alerts_for(alerts: Iterable[Alert], namespace: str, deployment: str) -> list[Alert]:
    """This deployment's alerts, firing first."""
    mine = [a for a in alerts if a.concerns(namespace, deployment)]
    return sorted(mine, key=lambda a: (a.state != "firing", a.name))


def by_deployment(alerts: Iterable[Alert], namespace: str) -> dict[str, list[Alert]]:
    """Each deployment's alerts (in this namespace), firing first: what its Components row shows."""
    names = {a.labels["deployment"] for a in alerts if a.labels.get("deployment")}
    return {name: mine for name in sorted(names) if (mine := alerts_for(alerts, namespace, name))}


@dataclass(frozen=True)
class AlertChange:
    alert: Alert
    change: str  # "pending", "firing", "resolved"


def alert_changes(before: Sequence[Alert], now: Sequence[Alert]) -> list[AlertChange]:
    """What changed between two polls: new or escalated alerts, and those that went away (resolved)."""
    old = {a.identity: a for a in before}
    new = {a.identity: a for a in now}
    changes = [AlertChange(a, a.state) for key, a in new.items() if key not in old or old[key].state != a.state]
    changes += [AlertChange(a, "resolved") for key, a in old.items() if key not in new]
    return changes


# ---- figures ---------------------------------------------------------------------------------------------


def figure(value: float | None, unit: str) -> str:
    """A value as the Metrics view and the report print it."""
    if value is None:
        return "no data"
    if math.isnan(value):
        return "no traffic" if unit in ("ratio", "s") else "no data"
    if math.isinf(value):
        return "∞"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "req/s":
        return f"{value:.1f} req/s"
    return f"{value:g}"


BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(samples: Sequence[Sample], start: float, end: float, width: int,
              floor: float | None = 0.0) -> str:
    """`width` characters from start to end, one block per time bucket (its last sample); a space where no
    sample fell (no data is not drawn as zero)."""
    if width <= 0:
        return ""
    step = (end - start) / width if end > start else 1.0
    buckets: list[float | None] = [None] * width
    for t, v in samples:
        if math.isnan(v) or not start <= t <= end:
            continue
        buckets[min(width - 1, int((t - start) / step))] = v
    values = [v for v in buckets if v is not None and not math.isinf(v)]
    if not values:
        return " " * width
    low = min(values) if floor is None else min(floor, min(values))
    high = max(values)
    span = high - low
    out = []
    for v in buckets:
        if v is None:
            out.append(" ")
        elif math.isinf(v):
            out.append(BLOCKS[-1])
        elif span <= 0:
            out.append(BLOCKS[0] if high == 0 else BLOCKS[len(BLOCKS) // 2])
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, int((v - low) / span * (len(BLOCKS) - 1) + 0.5))])
    return "".join(out)


def marker_column(at: float, start: float, end: float, width: int) -> int | None:
    """Where a moment (a rollback) falls on a sparkline of this window, or None outside it."""
    if width <= 0 or not start <= at <= end or end <= start:
        return None
    return min(width - 1, int((at - start) / ((end - start) / width)))


# ---- health after a rollback ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    ok: bool | None  # None: not decided yet (window not over, no data)
    reason: str


def duration(text: str) -> float:
    """A Prometheus duration as the config takes it (30s, 1m, 2h) in seconds."""
    match = re.fullmatch(r"([0-9]+)([smh])", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]]


def health_after(errors: Series, p95: Series, since: float, now: float, window: float,
                 error_ratio_max: float, p95_max: float, lag: float = 0.0) -> Health:
    """Did the error ratio and p95 stay under their thresholds for `window` seconds after `since`?

    `lag` is the rate() window: a sample at t speaks of [t - lag, t], so only samples from since + lag on
    speak of after the rollback alone. The verdict waits until the window is over and there was traffic."""
    since += lag
    after_errors = [(t, v) for t, v in errors.samples if t >= since and not math.isnan(v)]
    after_p95 = [(t, v) for t, v in p95.samples if t >= since and not math.isnan(v)]
    bad_error = next(((t, v) for t, v in after_errors if v > error_ratio_max), None)
    if bad_error:
        return Health(False, f"error ratio {figure(bad_error[1], 'ratio')} over {figure(error_ratio_max, 'ratio')}")
    bad_p95 = next(((t, v) for t, v in after_p95 if v > p95_max), None)
    if bad_p95:
        return Health(False, f"p95 {figure(bad_p95[1], 's')} over {figure(p95_max, 's')}")
    if now - since < window:
        return Health(None, f"watching: {now - since:.0f} of {window:.0f} s")
    if not after_errors or not after_p95:
        return Health(None, "no traffic since the rollback")
    return Health(True, (f"error ratio ≤ {figure(max(v for _, v in after_errors), 'ratio')} and p95 ≤ "
                         f"{figure(max(v for _, v in after_p95), 's')} for {window:.0f} s after the rollback"))
