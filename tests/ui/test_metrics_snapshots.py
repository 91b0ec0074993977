"""Snapshots of the Metrics view (m) and the alert badges, drawn from answers a real Prometheus gave.

The answers (tests/support/fixtures/metrics-eli-maor.json) were captured from Prometheus 2.42 scraping an
eli-maor sandbox: the backend served `v2.1.0-errors` until its rollback, the frontend crash-loops with
DeploymentFailed firing. Offline: nothing polls; the answers are handed to the controller as the poller would.
"""

from __future__ import annotations

import pytest

from tests.support.fixtures import fixed_app
from tests.support.fixtures.metrics import BACKEND, CONFIG
from tests.support.scenes import metrics_view, with_alerts

pytestmark = pytest.mark.offline


def test_metrics_view_160x48(snap_compare):
    assert snap_compare(fixed_app(config=CONFIG), run_before=metrics_view, terminal_size=(160, 48))


def test_metrics_view_80x24(snap_compare):
    assert snap_compare(fixed_app(config=CONFIG), run_before=metrics_view, terminal_size=(80, 24))


def test_alert_badges_160x48(snap_compare):
    assert snap_compare(fixed_app(config=CONFIG), run_before=with_alerts(), terminal_size=(160, 48))


def test_alerts_stale_when_prometheus_stops_answering(snap_compare):
    assert snap_compare(fixed_app(config=CONFIG), run_before=with_alerts(stale=True), terminal_size=(120, 40))


def test_metrics_view_without_prometheus_says_how_to_get_it(snap_compare):
    async def before(pilot) -> None:
        await pilot.pause()
        pilot.app.components_table.select(BACKEND)
        await pilot.press("m")

    assert snap_compare(fixed_app(), run_before=before, terminal_size=(80, 24))
