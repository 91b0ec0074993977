"""The flash line's state: keyed failures, the most important shown, resolved by clearing."""

from __future__ import annotations

from tui.core import flash
from tui.core.state import WatchState

SERVER = "https://10.0.0.1:6443"


def test_the_most_important_failure_is_shown_and_the_rest_counted():
    f = flash.Flash()
    assert f.line == ""
    assert f.set(flash.NAMESPACE, "Namespace nope does not exist.")
    assert f.set(flash.SANDBOX, "The sandbox exited.")
    assert f.line == "The sandbox exited. (+1 more)"
    assert not f.set(flash.SANDBOX, "The sandbox exited.")  # unchanged: nothing to repaint
    assert f.set(flash.SANDBOX, "")  # resolved
    assert f.line == "Namespace nope does not exist."


def test_a_server_failure_names_the_server_and_since_when_and_ignores_connecting():
    down = "Cannot reach the API server at x; retrying."
    watches = {"Deployment": WatchState(False, 100.0, down), "Pod": WatchState(False, 130.0, down),
               "Event": WatchState(False, 90.0, flash.CONNECTING)}
    assert flash.stale_since(watches) == 100.0
    sentence = flash.server_failure(watches, SERVER, 160.0)
    assert sentence.startswith(f"Cannot reach the API server at {SERVER} since 00:01:40Z (60s)")
    assert flash.server_failure({"Pod": WatchState(False, 1.0, flash.CONNECTING)}, SERVER, 5.0) == ""
    assert flash.server_failure({"Pod": WatchState(True, 1.0, "")}, SERVER, 5.0) == ""


def test_another_watch_error_is_said_as_it_is():
    watches = {"Pod": WatchState(False, 0.0, "Forbidden: you may not watch pods in production.")}
    assert flash.server_failure(watches, SERVER, 1.0).startswith("Forbidden: you may not watch pods in production since")
