"""The logs view (L) and the describe/YAML view (y) against the eli-maor sandbox, through the real client.

The sandbox's kubelet writes the logs (`kubectl logs -f` follows them); a crash-looping image logs a Traceback
and exits, so its pod has a previous run to read.
"""

from __future__ import annotations

import time

import pytest

from tests.support.pilot import BACKEND, console, ready, run, wait_for
from tests.support.sandbox import Kubectl
from tests.support.tools import DEFAULT_KUBECTL
from tui.core import podlogs
from tui.core.workload import Ref
from tui.screens.describe import DescribeScreen
from tui.screens.logs import LogsScreen
from widgets.log_lines import LogLines

pytestmark = pytest.mark.timeout(180)
SIZES = [(80, 24), (160, 48)]
FRONTEND = "eli-maor-frontend"


def restarted(app, component: str) -> bool:
    return any(cs.get("restartCount", 0) >= 1 and "crashloop" in cs.get("image", "")
               for pod in app.state.pods_of(Ref("Deployment", component))
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


@pytest.mark.parametrize("size", SIZES)
def test_logs_of_a_crashlooping_pod_show_its_previous_run_with_the_error_lines_marked(sb, size):
    kubectl = Kubectl(DEFAULT_KUBECTL, sb)
    app = console(sb)

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await ready(pilot, app)
            kubectl("set", "image", f"deployment/{BACKEND}", "backend=ghcr.io/eli-maor/backend:v2.1.0-crashloop")
            await wait_for(pilot, lambda: restarted(app, BACKEND), "a crash-looping backend pod that restarted")
            await pilot.press("L")
            await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs view")
            screen = app.screen
            assert "crashloop" in str(screen.pods[0]["spec"]["containers"][0]["image"]), "newest ReplicaSet first"
            where = str(screen.query_one("#where").render())
            assert screen.pod in where and "current run" in where
            # The crash-looping container exits within seconds: its follow ends and the view says so.
            await wait_for(pilot, lambda: screen.buffer.state == podlogs.STOPPED and screen.buffer.why, "the end")
            assert "the stream ended" in str(screen.query_one("#status").render())
            await pilot.press("p")
            await wait_for(pilot, lambda: screen.buffer.total > 0 and screen.buffer.state == podlogs.STOPPED,
                           "the previous run's lines")
            assert "previous run" in str(screen.query_one("#where").render())
            shown = screen.query_one(LogLines).shown
            assert ("Traceback (most recent call last):", True) in shown
            assert any(text.endswith("INFO  starting backend version=v2.1.0-crashloop "
                                     "image=ghcr.io/eli-maor/backend:v2.1.0-crashloop") and not error
                       for text, error in shown)
            status = str(screen.query_one("#status").render())
            assert f"{screen.buffer.total} lines" in status and "error lines" in status and "stopped" in status
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, LogsScreen), "the view to close")

    run(scenario())


def test_previous_of_a_container_that_never_restarted_says_there_is_none(sb):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app, FRONTEND)
            await pilot.press("L")
            await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs view")
            await pilot.press("p")
            screen = app.screen
            await wait_for(pilot, lambda: "no previous run" in screen.buffer.why, "the sentence")
            assert "has not restarted" in str(screen.query_one("#status").render())

    run(scenario())


@pytest.mark.parametrize("size", SIZES)
def test_follow_shows_new_lines_and_stops_when_asked_and_on_close(sb, size):
    app = console(sb)

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await ready(pilot, app, FRONTEND)
            await pilot.press("L")
            await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs view")
            screen = app.screen
            await wait_for(pilot, lambda: screen.buffer.total > 0, "the first lines")
            first = screen.buffer.total
            await wait_for(pilot, lambda: screen.buffer.total > first, "a new line while following", 20)
            assert "following" in str(screen.query_one("#status").render())
            assert len(screen.pods) >= 2  # (a pod of an older ReplicaSet may still be going)
            first_pod = screen.pod
            await pilot.press("right_square_bracket")  # ]: the other pod, followed from its own tail
            assert screen.pod != first_pod and screen.pod in str(screen.query_one("#where").render())
            await wait_for(pilot, lambda: screen.buffer.total > 0 and screen.buffer.state == podlogs.FOLLOWING,
                           "the other pod's lines")
            assert all(f"pod={first_pod}" not in text for text, _ in screen.query_one(LogLines).shown)
            await pilot.press("s")
            assert "stopped" in str(screen.query_one("#status").render())
            await pilot.pause(1.0)
            stopped_at = screen.buffer.total
            await pilot.pause(1.5)  # the access log writes lines every 0.1 s of sandbox time: none may come now
            assert screen.buffer.total == stopped_at
            await pilot.press("s")
            await wait_for(pilot, lambda: screen.buffer.state == podlogs.FOLLOWING and screen.buffer.total > 0,
                           "following again")
            stream = app.pod_logs._stream
            await pilot.press("escape")
            await wait_for(pilot, lambda: stream.stopped.is_set() and stream._response is None,
                           "the stream closed with the view")

    run(scenario())


@pytest.mark.parametrize("size", SIZES)
def test_yaml_view_shows_the_live_object_and_describe_its_conditions_and_events(sb, size):
    kubectl = Kubectl(DEFAULT_KUBECTL, sb)
    app = console(sb)

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await ready(pilot, app)
            kubectl("scale", f"deployment/{BACKEND}", "--replicas=3")
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, DescribeScreen), "the YAML view")
            screen = app.screen
            await wait_for(pilot, lambda: screen.yaml_text, "the object read")
            assert "kind: Deployment" in screen.yaml_text and f"name: {BACKEND}" in screen.yaml_text
            assert "replicas: 3" in screen.yaml_text
            assert "managedFields" not in screen.yaml_text
            await pilot.press("d")
            text = "\n".join(screen.describe_lines)
            assert f"Name:                   {BACKEND}" in text
            assert "3 desired" in text and "StrategyType:           RollingUpdate" in text
            assert "Available" in text and "Progressing" in text  # conditions
            assert "ScalingReplicaSet" in text  # the events about the Deployment
            assert "Describe" in str(screen.query_one("#where").render())

    run(scenario())


def test_quitting_with_the_logs_view_following_ends_at_once(sb):
    app = console(sb)
    streams = []

    async def scenario():
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app, FRONTEND)
            await pilot.press("L")
            await wait_for(pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen.buffer.total > 0,
                           "the logs followed")
            streams.append(app.pod_logs._stream)
            app.exit()

    started = time.monotonic()
    run(scenario())
    assert time.monotonic() - started < 15
    assert streams[0].stopped.is_set()
