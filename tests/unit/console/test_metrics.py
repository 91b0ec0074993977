"""The runbook's metrics as plain data: PromQL, Prometheus's answers parsed, sparklines, health after a rollback."""

from __future__ import annotations

import math

import pytest

from tui.core import metrics as m

pytestmark = pytest.mark.offline


def test_the_runbook_restart_counter_is_corrected_and_said():
    restarts = m.METRIC["restarts"]
    expr = restarts.expr("production", "eli-maor-backend")
    assert "kube_pod_container_status_restarts_total" in expr
    assert "container_restarts_total{" not in expr.replace("kube_pod_container_status_restarts_total", "")
    assert "exists in neither kube-state-metrics nor cAdvisor" in restarts.note


def test_queries_select_one_deployment_and_use_the_rate_window():
    errors = m.METRIC["errors"].expr("production", "eli-maor-backend", "20s")
    assert errors.count('deployment="eli-maor-backend"') == 2
    assert 'code=~"5.."' in errors and "[20s]" in errors
    p95 = m.METRIC["p95"].expr("production", "eli-maor-backend", "1m")
    assert p95.startswith("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{")


def test_the_pod_pattern_matches_only_that_deployments_pods():
    import re

    pattern = re.compile(m.pods_of("eli-maor-backend") + "$")
    assert pattern.match("eli-maor-backend-7d9f8b6c5-x2k4q")
    assert not pattern.match("eli-maor-backend-canary-7d9f8b6c5-x2k4q")
    assert not pattern.match("eli-maor-backends-7d9f8b6c5-x2k4q")


def test_a_range_answer_parses_into_samples_with_nan_for_no_traffic():
    answer = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[1700000000, "0.5"], [1700000001.5, "NaN"], [1700000003, "0"]]}]}}
    series = m.parse_range("errors", answer)
    assert [t for t, _ in series.samples] == [1700000000, 1700000001.5, 1700000003]
    assert math.isnan(series.samples[1][1])
    assert series.last == 0.0
    assert m.parse_range("x", {"status": "success", "data": {"resultType": "matrix", "result": []}}).last is None


@pytest.mark.parametrize("answer", [
    None, [], {"status": "error", "error": "parse error"}, {"status": "success"},
    {"status": "success", "data": {"resultType": "vector", "result": []}},
    {"status": "success", "data": {"resultType": "matrix", "result": [{"values": [[1, "x"]]}]}},
    {"status": "success", "data": {"resultType": "matrix", "result": [{"values": [[1]]}]}},
])
def test_a_wrong_answer_is_one_error_not_a_crash(answer):
    with pytest.raises(m.PrometheusAnswerError):
        m.parse_range("x", answer)


def test_answers_by_label():
    vector = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"deployment": "a"}, "value": [1, "3"]}, {"metric": {"deployment": "b"}, "value": [1, "NaN"]},
        {"metric": {}, "value": [1, "9"]}]}}
    got = m.parse_by(vector, "deployment")
    assert got["a"] == 3.0 and math.isnan(got["b"]) and len(got) == 2
    with pytest.raises(m.PrometheusAnswerError):
        m.parse_by({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}, "pod")
    assert m.per_deployment({"web-7d9f8b6c5-x2k4q": 2, "web-7d9f8b6c5-abcde": 1, "webhook-5c6d7e8f9-zzzzz": 5},
                            ["web", "webhook"]) == {"web": 3.0, "webhook": 5.0}


ALERTS = {"status": "success", "data": {"alerts": [
    {"labels": {"alertname": "DeploymentFailed", "namespace": "production", "deployment": "eli-maor-backend",
                "severity": "critical"},
     "annotations": {"summary": "Deployment eli-maor-backend failed"}, "state": "firing",
     "activeAt": "2026-12-04T14:00:00Z", "value": "1e+00"},
    {"labels": {"alertname": "HighErrors", "deployment": "eli-maor-frontend"}, "annotations": {},
     "state": "pending", "activeAt": "2026-12-04T14:01:00Z"},
    {"labels": {"alertname": "DeploymentFailed", "namespace": "staging", "deployment": "eli-maor-backend"},
     "annotations": {}, "state": "firing"},
]}}


def test_alerts_are_matched_to_the_deployment_and_its_namespace():
    alerts = m.parse_alerts(ALERTS)
    mine = m.alerts_for(alerts, "production", "eli-maor-backend")
    assert [(a.name, a.state) for a in mine] == [("DeploymentFailed", "firing")]
    assert mine[0].summary == "Deployment eli-maor-backend failed"
    rows = m.by_deployment(alerts, "production")
    assert set(rows) == {"eli-maor-backend", "eli-maor-frontend"}  # no namespace label: ours


def test_alert_changes_say_new_escalated_and_resolved():
    first = m.parse_alerts({"status": "success", "data": {"alerts": [
        {"labels": {"alertname": "A", "deployment": "d"}, "state": "pending"}]}})
    second = m.parse_alerts({"status": "success", "data": {"alerts": [
        {"labels": {"alertname": "A", "deployment": "d"}, "state": "firing"}]}})
    assert [c.change for c in m.alert_changes([], first)] == ["pending"]
    assert [c.change for c in m.alert_changes(first, second)] == ["firing"]
    assert m.alert_changes(second, second) == []
    assert [c.change for c in m.alert_changes(second, [])] == ["resolved"]


def test_figures_say_no_traffic_rather_than_zero():
    assert m.figure(None, "ratio") == "no data"
    assert m.figure(float("nan"), "ratio") == "no traffic"
    assert m.figure(0.3333, "ratio") == "33.3%"
    assert m.figure(0.2, "s") == "200 ms" and m.figure(2.5, "s") == "2.50 s"
    assert m.figure(3.0, "") == "3"


def test_a_sparkline_leaves_gaps_where_there_was_no_sample():
    samples = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]
    line = m.sparkline(samples, 0.0, 8.0, 8)
    assert line[0] == "▁" and line[3] == "█"
    assert line[4:] == "    "
    assert m.sparkline([], 0, 10, 5) == "     "
    assert m.sparkline([(5.0, float("nan"))], 0, 10, 5) == "     "


def test_the_rollback_moment_falls_on_its_column():
    assert m.marker_column(50.0, 0.0, 100.0, 10) == 5
    assert m.marker_column(150.0, 0.0, 100.0, 10) is None
    assert m.marker_column(100.0, 0.0, 100.0, 10) == 9


def series(key, values, start=100.0):
    return m.Series(key, tuple((start + n, v) for n, v in enumerate(values)))


def test_health_waits_for_the_window_then_holds():
    errors, p95 = series("errors", [0.0] * 30), series("p95", [0.1] * 30)
    waiting = m.health_after(errors, p95, since=100.0, now=120.0, window=60, error_ratio_max=0.01, p95_max=0.5)
    assert waiting.ok is None and "20 of 60 s" in waiting.reason
    done = m.health_after(errors, p95, since=100.0, now=170.0, window=60, error_ratio_max=0.01, p95_max=0.5)
    assert done.ok is True and "for 60 s after the rollback" in done.reason


def test_health_fails_at_the_first_bad_sample_and_ignores_what_came_before_the_rollback():
    errors = series("errors", [0.4, 0.4, 0.0, 0.0, 0.33])
    p95 = series("p95", [0.1] * 5)
    failed = m.health_after(errors, p95, since=102.0, now=104.0, window=60, error_ratio_max=0.01, p95_max=0.5)
    assert failed.ok is False and "error ratio 33.0% over 1.0%" in failed.reason
    before_only = m.health_after(series("errors", [0.4, 0.0]), series("p95", [0.1, 0.1]), since=101.0, now=200.0,
                                 window=60, error_ratio_max=0.01, p95_max=0.5)
    assert before_only.ok is True
    slow = m.health_after(series("errors", [0.0]), series("p95", [2.0]), since=100.0, now=101.0, window=60,
                          error_ratio_max=0.01, p95_max=0.5)
    assert slow.ok is False and "p95 2.00 s over 500 ms" in slow.reason


def test_health_without_traffic_is_not_a_pass():
    nan = float("nan")
    quiet = m.health_after(series("errors", [nan] * 5), series("p95", [nan] * 5), since=100.0, now=200.0,
                           window=60, error_ratio_max=0.01, p95_max=0.5)
    assert quiet.ok is None and quiet.reason == "no traffic since the rollback"


# ---- configuration ------------------------------------------------------------------------------------


def load(tmp_path, text):
    from tui.appconfig import load as load_config

    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load_config(path)


def test_prometheus_in_the_config_file(tmp_path):
    assert not load(tmp_path, "application: shop\n").prometheus.configured
    direct = load(tmp_path, "prometheus: http://127.0.0.1:9090/\n").prometheus
    assert direct.url == "http://127.0.0.1:9090" and direct.configured
    proxied = load(tmp_path, "prometheus: {service: monitoring/prometheus-k8s:9090, error_ratio_max: 0.05, "
                             "p95_max: 0.3, window: 120, rate_window: 30s}\n").prometheus
    assert (proxied.service, proxied.error_ratio_max, proxied.p95_max, proxied.window, proxied.rate_window) == (
        "monitoring/prometheus-k8s:9090", 0.05, 0.3, 120.0, "30s")


@pytest.mark.parametrize(("text", "words"), [
    ("prometheus: ftp://x\n", "must be an http or https URL"),
    ("prometheus: {service: prometheus}\n", "must be namespace/name:port"),
    ("prometheus: {url: 'http://a', service: a/b:1}\n", "a url or a service, not both"),
    ("prometheus: {url: 'http://a', error_ratio_max: 2}\n", "fraction from 0 to 1"),
    ("prometheus: {url: 'http://a', rate_window: soon}\n", "duration like 30s"),
    ("prometheus: [1]\n", "must be a URL or a mapping"),
])
def test_a_wrong_prometheus_setting_is_one_sentence(tmp_path, text, words):
    from tui.core.errors import ConsoleError

    with pytest.raises(ConsoleError) as caught:
        load(tmp_path, text)
    assert words in caught.value.message and "\n" not in caught.value.message


def test_health_ignores_samples_whose_rate_window_reaches_back_before_the_rollback():
    # The rate() window (lag) at 100+10: samples at 100..109 still average in the bad release's errors.
    errors = series("errors", [0.3] * 10 + [0.0] * 70)
    p95 = series("p95", [0.1] * 80)
    verdict = m.health_after(errors, p95, since=100.0, now=180.0, window=60, error_ratio_max=0.01, p95_max=0.5,
                             lag=10.0)
    assert verdict.ok is True
    assert m.health_after(errors, p95, since=100.0, now=180.0, window=60, error_ratio_max=0.01,
                          p95_max=0.5).ok is False
    assert m.duration("1m") == 60 and m.duration("15s") == 15
