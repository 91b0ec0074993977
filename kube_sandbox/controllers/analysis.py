"""The AnalysisRun controller with the Prometheus provider (upstream analysis/analysis.go).

Each metric is measured every `interval` (once when neither interval nor
count is set) by querying the Prometheus at the provider's address; a
`<name>.<namespace>.svc[.cluster.local]:<port>` address given to the sandbox
with `--service-proxy` is sent to that proxy's URL, anything else as given.
The result is held against successCondition/failureCondition
(analysis_expr, never Python's eval), counted, and the metric assessed
against failureLimit, inconclusiveLimit and consecutiveErrorLimit; the run
takes its worst metric's phase and message. Queries run on a worker thread
when the clock is live, so the sandbox's loop never waits on Prometheus.
"""

from __future__ import annotations

import asyncio
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from .. import analysis_expr
from ..clock import parse_rfc3339, rfc3339
from ..errors import ApiError
from ..jsoncopy import clone
from ..resources import ANALYSIS_RUN
from ..service_proxy import Upstream
from ..store import Change
from . import analysis_util as au
from . import canary_util as cu
from .base import Context, Controller, Key
from .recorder import NORMAL, WARNING, EventRecorder

MANAGER = "argo-rollouts"
MEASUREMENT_HISTORY_LIMIT = 10  # DefaultMeasurementHistoryLimit
CONSECUTIVE_ERROR_LIMIT = 4  # DefaultConsecutiveErrorLimit
ERROR_RETRY_INTERVAL = 10.0  # DefaultErrorRetryInterval, seconds
QUERY_TIMEOUT = 30.0  # seconds, when the provider does not say
COUNTERS = ("count", "successful", "failed", "inconclusive", "error", "consecutiveError", "consecutiveSuccess")
_WORSE = {"Successful": 0, "Inconclusive": 1, "Error": 2, "Failed": 3}


class MeasurementError(Exception):
    """A measurement that could not be taken; its text becomes the measurement's message."""


def _int_or_str(value, default: int) -> int:
    if value is None:
        return default
    try:
        return int(str(value))
    except ValueError:
        return default


def _format_float(value: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64) for the measurement's value string."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    if "e" in text:
        text = f"{value:.17f}".rstrip("0").rstrip(".")
    return text[:-2] if text.endswith(".0") else text


def parse_prometheus(body: dict) -> tuple[str, object]:
    """The provider's (value string, result): a vector is a list of floats, a scalar a float."""
    if body.get("status") != "success":
        raise MeasurementError(body.get("error") or "the Prometheus query failed")
    data = body.get("data") or {}
    kind = data.get("resultType")
    if kind == "vector":
        values = [float(sample["value"][1]) for sample in data.get("result") or ()]
        return "[" + ",".join(_format_float(v) for v in values) + "]", values
    if kind == "scalar":
        value = float(data["result"][1])
        return _format_float(value), value
    raise MeasurementError(f"Prometheus metric type not supported: {kind}")


def query_prometheus(url: str, query: str, timeout: float) -> tuple[str, object]:
    """GET /api/v1/query on `url`; a failure is a MeasurementError saying what went wrong."""
    target = f"{url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            raise MeasurementError(f"Prometheus at {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MeasurementError(f"Post \"{target}\": {reason}") from None
    return parse_prometheus(body)


def evaluate(metric: dict, result) -> tuple[str, str]:
    """evaluate.EvaluateResult: (phase, error message)."""
    success_text, failure_text = metric.get("successCondition", ""), metric.get("failureCondition", "")
    success = failure = False
    for label, text in (("successCondition", success_text), ("failureCondition", failure_text)):
        if not text:
            continue
        try:
            value = analysis_expr.evaluate(text, result)
        except analysis_expr.ExprError as exc:
            if result is None or (isinstance(result, list) and not result):
                return "Error", (f'could not evaluate {label} "{text}": metric result is nil or empty: '
                                 "no data returned from the metric provider")
            return "Error", f'could not evaluate {label} "{text}": {exc}'
        if label == "successCondition":
            success = value
        else:
            failure = value
    if not success_text and not failure_text:
        return "Successful", ""
    if success_text and not failure_text:
        failure = not success
    elif failure_text and not success_text:
        success = not failure
    if failure:
        return "Failed", ""
    if not success:
        return "Inconclusive", ""
    return "Successful", ""


def spec_problem(metrics: list[dict]) -> str:
    """What makes the metrics unrunnable (upstream's ValidateMetrics, in part), or ""."""
    if not metrics:
        return "metrics must be specified"
    names = set()
    for i, metric in enumerate(metrics):
        name = metric.get("name", "")
        if not name:
            return f"metrics[{i}]: name must be specified"
        if name in names:
            return f"metrics[{i}]: duplicate name '{name}'"
        names.add(name)
        for field in ("interval", "initialDelay"):
            if metric.get(field):
                try:
                    cu.duration_seconds(metric[field])
                except ValueError as exc:
                    return f"metrics[{i}]: {field}: {exc}"
        for field in ("successCondition", "failureCondition"):
            if metric.get(field):
                try:
                    analysis_expr.compile_condition(metric[field])
                except analysis_expr.ExprError as exc:
                    return f'metrics[{i}]: {field} "{metric[field]}": {exc}'
    return ""


def effective_count(metric: dict) -> int | None:
    """Metric.EffectiveCount: count; 1 when neither count nor interval is set; else unbounded."""
    if metric.get("count") is not None:
        return _int_or_str(metric["count"], 1)
    if not metric.get("interval"):
        return 1
    return None


def failure_inconclusive_or_error(metric: dict, result: dict) -> tuple[str, str]:
    """assessMetricFailureInconclusiveOrError."""
    phase, message = "", ""
    failure_limit = _int_or_str(metric.get("failureLimit"), 0)
    if failure_limit >= 0 and result.get("failed", 0) > failure_limit:
        phase, message = "Failed", f"failed ({result['failed']}) > failureLimit ({failure_limit})"
    inconclusive_limit = _int_or_str(metric.get("inconclusiveLimit"), 0)
    if result.get("inconclusive", 0) > inconclusive_limit:
        phase = "Inconclusive"
        message = f"inconclusive ({result['inconclusive']}) > inconclusiveLimit ({inconclusive_limit})"
    error_limit = _int_or_str(metric.get("consecutiveErrorLimit"), CONSECUTIVE_ERROR_LIMIT)
    if result.get("consecutiveError", 0) > error_limit:
        phase = "Error"
        message = f"consecutiveErrors ({result['consecutiveError']}) > consecutiveErrorLimit ({error_limit})"
    return phase, message


def assess_metric(metric: dict, result: dict, terminating: bool) -> str:
    """assessMetricStatus."""
    if result.get("phase") in au.COMPLETED:
        return result["phase"]
    if not result.get("measurements"):
        return "Successful" if terminating else "Pending"
    phase, _ = failure_inconclusive_or_error(metric, result)
    if phase:
        return phase
    count = effective_count(metric)
    if count is not None and result.get("count", 0) >= count:
        return "Successful"
    return "Successful" if terminating else "Running"


class AnalysisRunController(Controller):
    name = "analysisrun"

    def __init__(self, ctx: Context, query: Callable[[str, str, float], tuple[str, object]] = query_prometheus):
        super().__init__(ctx)
        self.recorder = EventRecorder(ctx.api, "rollouts-controller")
        self.upstreams: tuple[Upstream, ...] = ()
        self._query = query
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: set[tuple[str, str, str]] = set()
        self._done: dict[tuple[str, str, str], dict] = {}

    def close(self) -> None:
        """Drop queued measurements; one in flight ends by its timeout on a daemon-less worker."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == ANALYSIS_RUN.key:
            return [(change.namespace, change.name)]
        return []

    def all_keys(self) -> Iterable[Key]:
        return [(a["metadata"]["namespace"], a["metadata"]["name"]) for a in self.ctx.storage.items(ANALYSIS_RUN.key)]

    def resolve_address(self, address: str) -> str:
        """An in-cluster Service address served by a --service-proxy becomes the proxy's URL."""
        parts = urlsplit(address)
        host = (parts.hostname or "").split(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if len(host) >= 3 and host[2] == "svc" and host[3:] in ([], ["cluster", "local"]):
            for up in self.upstreams:
                if (up.name, up.namespace, up.port) == (host[0], host[1], port):
                    return up.url
        return address

    # ---- sync ------------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        try:
            run = self.api.get(ANALYSIS_RUN, namespace, name)
        except ApiError:
            return
        status = clone(run.get("status") or {})
        if status.get("phase") in au.COMPLETED:
            return
        now = self.clock.now()
        stamp = rfc3339(now)
        status.setdefault("startedAt", stamp)
        spec = run.get("spec") or {}
        terminating = bool(spec.get("terminate"))
        try:
            args = au.resolve_args(spec.get("args") or [])
            metrics = [au.substitute(m, args) for m in spec.get("metrics") or []]
        except au.AnalysisSpecError as exc:
            status.update(phase="Error", message=f"Unable to resolve metric arguments: {exc}")
            self._write(run, status)
            return
        problem = spec_problem(metrics)
        if problem:
            status.update(phase="Error", message=f"Analysis spec invalid: {problem}")
            self._write(run, status)
            return
        results = {r["name"]: r for r in status.get("metricResults") or []}
        wake: list[float] = []
        if not terminating:
            for metric in metrics:
                result = results.setdefault(metric["name"], {"name": metric["name"], "phase": "Pending", "count": 0})
                if result.get("phase") in au.COMPLETED:
                    continue
                self._collect(namespace, name, metric, result)
                due_in = self._due_in(metric, result, status)
                if due_in is not None and due_in <= 0:
                    self._measure(namespace, name, metric)
                    self._collect(namespace, name, metric, result)  # a measurement taken in line lands now
                    due_in = self._due_in(metric, result, status)
                if due_in is not None and due_in > 0:
                    wake.append(due_in)
        status["metricResults"] = [results[m["name"]] for m in metrics if m["name"] in results]
        self._assess(run, metrics, status, terminating)
        if wake and status.get("phase") not in au.COMPLETED:
            self.enqueue_after(max(0.5, min(wake)), namespace, name)
        self._write(run, status)

    def _due_in(self, metric: dict, result: dict, status: dict) -> float | None:
        """Simulated seconds until the next measurement (None: one is in flight or none is needed)."""
        measurements = result.get("measurements") or []
        count = effective_count(metric)
        if (count is not None and result.get("count", 0) >= count) or result.get("_inflight"):
            return None
        if not measurements:
            delay = metric.get("initialDelay")
            return (cu.duration_seconds(delay) if delay else 0.0) - self._elapsed(status["startedAt"])
        last = measurements[-1]
        interval = cu.duration_seconds(metric["interval"]) if metric.get("interval") else 0.0
        if last.get("phase") == "Error":
            interval = min(interval, ERROR_RETRY_INTERVAL) if interval else ERROR_RETRY_INTERVAL
        return interval - self._elapsed(last.get("finishedAt"))

    def _elapsed(self, stamp: str | None) -> float:
        """Simulated seconds since a status timestamp (wall time; the clock may run faster)."""
        now = self.clock.now()
        return self.clock.elapsed(parse_rfc3339(stamp) or now)

    def _measure(self, namespace: str, name: str, metric: dict) -> None:
        key = (namespace, name, metric["name"])
        if key in self._inflight:
            return
        provider = (metric.get("provider") or {}).get("prometheus")
        started = rfc3339(self.clock.now())
        if provider is None:
            self._done[key] = {"phase": "Error", "startedAt": started, "finishedAt": started,
                               "message": "the sandbox simulates only the prometheus provider"}
            return
        url = self.resolve_address(provider.get("address", ""))
        query = provider.get("query", "")
        timeout = float(provider.get("timeout") or QUERY_TIMEOUT)

        def measure() -> dict:
            try:
                value, result = self._query(url, query, timeout)
            except MeasurementError as exc:
                return {"phase": "Error", "message": str(exc)}
            phase, message = evaluate(metric, result)
            measurement = {"phase": phase, "value": value}
            if message:
                measurement["message"] = message
            return measurement

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:  # under the manual clock (seeds, unit tests): measure in line
            self._done[key] = {"startedAt": started, **measure(), "finishedAt": started}
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="analysis")
        self._inflight.add(key)
        future = loop.run_in_executor(self._pool, measure)

        def finished(fut: asyncio.Future) -> None:
            self._inflight.discard(key)
            try:
                measurement = fut.result()
            except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:  # a bad answer is an Error measurement
                measurement = {"phase": "Error", "message": str(exc)}
            self._done[key] = {"startedAt": started, **measurement, "finishedAt": rfc3339(self.clock.now())}
            self.enqueue(namespace, name)

        future.add_done_callback(finished)

    def _collect(self, namespace: str, name: str, metric: dict, result: dict) -> None:
        """Fold a finished measurement into the metric's result (runMeasurements' bookkeeping)."""
        measurement = self._done.pop((namespace, name, metric["name"]), None)
        if (namespace, name, metric["name"]) in self._inflight:
            result["_inflight"] = True
        if measurement is None:
            return
        result.pop("_inflight", None)
        phase = measurement["phase"]
        field = {"Successful": "successful", "Failed": "failed", "Inconclusive": "inconclusive",
                 "Error": "error"}[phase]
        result[field] = result.get(field, 0) + 1
        result["consecutiveError"] = result.get("consecutiveError", 0) + 1 if phase == "Error" else 0
        if phase == "Successful":
            result["consecutiveSuccess"] = result.get("consecutiveSuccess", 0) + 1
        else:
            result["consecutiveSuccess"] = 0
        result["count"] = result.get("count", 0) + 1
        measurements = [*(result.get("measurements") or []), measurement]
        result["measurements"] = measurements[-MEASUREMENT_HISTORY_LIMIT:]
        if phase == "Error" and measurement.get("message"):
            result["message"] = measurement["message"]

    def _assess(self, run: dict, metrics: list[dict], status: dict, terminating: bool) -> None:
        """assessRunStatus: each metric's phase, the run summary, the worst phase and its message."""
        worst, worst_message = "", "Run Terminated" if terminating else ""
        summary = {"count": 0, "successful": 0, "failed": 0, "inconclusive": 0, "error": 0}
        everything_completed = True
        for metric in metrics:
            summary["count"] += 1
            result = next((r for r in status["metricResults"] if r["name"] == metric["name"]), None)
            if result is None:
                everything_completed = False
                continue
            phase = assess_metric(metric, result, terminating)
            if result.get("phase") != phase:
                if phase in au.COMPLETED:
                    type_ = WARNING if phase in ("Error", "Failed") else NORMAL
                    self.recorder.event(run, type_, f"Metric{phase}",
                                        f"Metric '{metric['name']}' Completed. Result: {phase}")
                result["phase"] = phase
            if phase not in au.COMPLETED:
                everything_completed = False
                continue
            failure_phase, message = failure_inconclusive_or_error(metric, result)
            if not worst or _WORSE[phase] > _WORSE[worst]:
                worst = phase
                if message:
                    worst_message = f'Metric "{metric["name"]}" assessed {phase} due to {message}'
                    if result.get("message"):
                        worst_message += f': "Error Message: {result["message"]}"'
            key = {"Error": "error", "Failed": "failed", "Inconclusive": "inconclusive"}.get(failure_phase, "successful")
            summary[key] += 1
        status["runSummary"] = summary
        if everything_completed and metrics:
            status["phase"] = worst or "Successful"
            if worst_message:
                status["message"] = worst_message
            status["completedAt"] = rfc3339(self.clock.now())
            type_ = WARNING if status["phase"] in ("Error", "Failed") else NORMAL
            self.recorder.event(run, type_, f"AnalysisRun{status['phase']}",
                                f"Analysis Completed. Result: {status['phase']}")
        elif terminating:
            status["phase"] = worst or "Successful"
            status["message"] = worst_message
        else:
            status["phase"] = "Running"

    def _write(self, run: dict, status: dict) -> None:
        for result in status.get("metricResults") or ():
            result.pop("_inflight", None)
            for key in COUNTERS:  # omitempty, as upstream's int32 fields
                if not result.get(key, 1):
                    del result[key]
        if "runSummary" in status:
            status["runSummary"] = {k: v for k, v in status["runSummary"].items() if v}
            status["dryRunSummary"] = {}  # no dry-run metrics here
        if status == (run.get("status") or {}):
            return
        body = clone(run)
        body["status"] = status
        self.api.update(ANALYSIS_RUN, run["metadata"]["namespace"], run["metadata"]["name"], body,
                        subresource="status", manager=MANAGER)
