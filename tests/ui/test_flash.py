"""Failures said in one persistent line until resolved: a server that is gone (and comes back), a context
that cannot be used, a sandbox that exited; rows from a lost watch dimmed, saying since when."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlparse

import pytest

from tests.support.fixtures import fixed_app
from tests.support.pilot import SPEED, console, ready, run, wait_for
from tests.support.sandbox import start_sandbox
from tui.app import RollbackConsole
from tui.kube.config import locate
from widgets.flash_line import FlashLine


def flash_text(app) -> str:
    return app.console_screen.query_one(FlashLine).text


def statuses(app) -> list[str]:
    table = app.components_table
    return [str(table.get_row_at(n)[7]) for n in range(table.row_count)]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when this returns: nothing listens there


@pytest.mark.offline
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
def test_an_unreachable_server_is_named_in_the_flash_line(tmp_path, size):
    server = f"http://127.0.0.1:{closed_port()}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "current-context: gone\n"
        "contexts: [{name: gone, context: {cluster: c, user: u, namespace: production}}]\n"
        f"clusters: [{{name: c, cluster: {{server: '{server}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n")
    app = RollbackConsole(locate(kubeconfig))

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: flash_text(app), "the flash line", 20)
            assert f"Cannot reach the API server at {server} since " in flash_text(app)
            assert app.console_screen.query_one(FlashLine).region.height >= 1  # on screen, not only set
            await pilot.press("u")
            assert app.notices[-1] == "No component is selected; pick one in Components first."
            assert "Cannot reach" in flash_text(app)  # a refusal does not replace it: it stays until resolved

    run(scenario())


def test_a_server_that_goes_away_is_said_until_it_returns_within_seconds(tmp_path):
    sandbox = start_sandbox(tmp_path, speed=SPEED)
    port = urlparse(sandbox.url).port
    app = console(sandbox)
    again = None

    async def scenario():
        nonlocal again
        async with app.run_test(size=(160, 48)) as pilot:  # room for "Complete as of 12:00:00Z"
            await ready(pilot, app)
            assert not flash_text(app)
            assert sandbox.stop() == 0
            await wait_for(pilot, lambda: "Cannot reach the API server" in flash_text(app), "the flash line", 30)
            assert app.target.server in flash_text(app)
            assert all(" as of " in s for s in statuses(app))  # stale rows say since when
            again = start_sandbox(tmp_path / "again", "eli-maor", SPEED, "--port", str(port))
            back = time.monotonic()
            await wait_for(pilot, lambda: not flash_text(app), "the flash line to clear", 15)
            assert time.monotonic() - back < 8  # within a few seconds, not the old 30 s back-off
            await wait_for(pilot, lambda: not any(" as of " in s for s in statuses(app)), "live rows", 5)

    (tmp_path / "again").mkdir()
    try:
        run(scenario())
    finally:
        if again is not None:
            assert again.stop() == 0


@pytest.mark.offline
def test_a_sandbox_that_exited_is_said_and_stays_said():
    exited = {"code": None}
    app = fixed_app(exited=lambda: "" if exited["code"] is None else
                    f"The demo's sandbox (pid 1) exited with code {exited['code']}; quit and run it again.")

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            app._tick()
            await pilot.pause()
            assert not flash_text(app)
            exited["code"] = -9
            app._tick()
            await pilot.pause()
            assert flash_text(app).startswith("✗ The demo's sandbox (pid 1) exited with code -9")
            await pilot.pause(0.5)
            assert "exited" in flash_text(app)

    run(scenario())
