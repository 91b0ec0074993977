"""`rollback-console grafana-dashboard`: valid dashboard JSON whose every panel query a real Prometheus answers."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from tests.support.prometheus import sandbox_with_prometheus, wait_for_value
from tui.grafana import panel_queries

pytestmark = pytest.mark.timeout(180)


def test_the_dashboard_is_printed_as_json_with_the_runbooks_panels():
    out = subprocess.run([sys.executable, "-m", "tui.cli", "grafana-dashboard", "--application", "eli-maor"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    board = json.loads(out)
    assert board["title"] == "eli-maor rollback"
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource", "namespace", "deployment"]
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert exprs == [expr for _, expr in panel_queries()]
    joined = " ".join(exprs)
    for name in ("kube_deployment_status_replicas_updated", "kube_deployment_status_replicas_available",
                 "kube_pod_container_status_restarts_total", "http_request_duration_seconds_bucket"):
        assert name in joined
    assert "container_restarts_total{" not in joined.replace("kube_pod_container_status_restarts_total", "")
    assert all(p["datasource"]["uid"] == "${datasource}" for p in board["panels"])


def test_every_panel_query_is_answered_by_a_real_prometheus(tmp_path):
    with sandbox_with_prometheus(tmp_path) as (_, prom):
        # Long enough for rate() over the window Grafana would pick ($__rate_interval, here 15s).
        wait_for_value(prom, 'count(http_requests_total{deployment="eli-maor-backend"})', lambda v: v >= 1)
        wait_for_value(prom, 'count_over_time(up{job="sandbox"}[30s])', lambda v: v >= 10, timeout=60)
        for title, expr in panel_queries():
            concrete = (expr.replace("$namespace", "production").replace("$deployment", "eli-maor-backend")
                        .replace("$__rate_interval", "15s"))
            url = f"{prom.url}/api/v1/query?{urllib.parse.urlencode({'query': concrete})}"
            with urllib.request.urlopen(url, timeout=10) as response:
                answer = json.load(response)
            assert answer["status"] == "success", (title, answer)
            assert answer["data"]["result"], f"{title}: no series for {concrete}"
