"""The checklist ticking itself from evidence, end to end: Pilot driving the console.

Offline (the fixed state): the items ticked by hand, the database note, a
configured notify command. On a real sandbox process: a crash-looping
component's log scan counts its errors per pod; a smoke test that fails
(exit code shown, the item stays open); a rollback whose target, execution,
rollout, pod health, service endpoints and logs tick the checklist, then a
smoke test that passes. Commands are real subprocesses of this Python.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.widgets import Input

from tests.support.fixtures import fixed_app
from tests.support.pilot import confirm, console, ready, run, stream_texts, wait_for
from tests.support.sandbox import Kubectl
from tests.support.tools import DEFAULT_KUBECTL
from tui.app import RollbackConsole
from tui.appconfig import AppConfig, ComponentConfig
from tui.core import checklist as runbook
from tui.core.evidence import Verdict
from tui.core.workload import Ref
from tui.incident.recorder import IncidentSettings
from tui.screens.confirm import ConfirmScreen
from tui.screens.prompt import PromptScreen
from tui.screens.untick import UntickScreen

PY = sys.executable
USER = "oncall"
WORKER, FRONTEND = "eli-maor-worker", "eli-maor-frontend"
SIZE = (140, 44)  # wide: the Checklist is open


def item(app: RollbackConsole, key: str):
    return app.checklist.get(key)


async def press_item(pilot, app: RollbackConsole, key: str, press: str = "space") -> None:
    """Highlight the item in the Checklist sidebar and press a key on it."""
    sidebar = app.sidebar
    sidebar.focus()
    sidebar.highlighted = sidebar.get_option_index(item(app, key).key)
    await pilot.press(press)
    await pilot.pause()


def entries(app: RollbackConsole, kind: str) -> list[tuple]:
    """Timeline entries (at, kind, component, text, command, ok) of one kind."""
    return [e for e in app.timeline_entries if e[1] == kind]


# ---- offline: by hand, with a note, a notify command -----------------------------------------------


@pytest.mark.offline
def test_by_hand_items_the_database_note_and_the_notify_command(tmp_path):
    notify = (PY, "-c", "print('paged #web-oncall')")
    app = fixed_app(config=AppConfig(notify=notify))
    app.evidence.user = USER

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            # Database compatibility asks for a note; Escape would leave it open.
            await press_item(pilot, app, runbook.DATABASE)
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the note prompt")
            await pilot.press("enter")  # empty: refused, the prompt stays
            assert isinstance(app.screen, PromptScreen)
            await pilot.press(*"migration 0042 is additive", "enter")
            await wait_for(pilot, lambda: item(app, runbook.DATABASE).done, "the database item ticked")
            db = item(app, runbook.DATABASE)
            assert (db.note, db.by, db.at, db.evidence) == ("migration 0042 is additive", USER, app.clock(),
                                                            "checked by hand")
            tick = entries(app, "tick")[-1]
            assert tick[3] == "[x] Check database compatibility: checked by hand (note: migration 0042 is additive)"
            assert "checklist: [x] Check database compatibility: checked by hand (note: migration 0042 is additive)" \
                in [line.text for line in app.state.log]

            # Notify team runs the configured command: its output streams, its exit code is recorded.
            await press_item(pilot, app, runbook.NOTIFY)
            await wait_for(pilot, lambda: item(app, runbook.NOTIFY).done, "the notify command to pass")
            assert "  paged #web-oncall" in [line.text for line in app.state.log]
            notified = entries(app, "notify")[-1]
            assert notified[4] == f"{PY} -c 'print('\"'\"'paged #web-oncall'\"'\"')'" and notified[5] is True
            assert item(app, runbook.NOTIFY).evidence.startswith("team notified: ")

            # Space on a ticked item unticks it (recorded); m ticks an evidence item by hand.
            await press_item(pilot, app, runbook.DATABASE)
            assert not item(app, runbook.DATABASE).done and item(app, runbook.DATABASE).note == ""
            assert entries(app, "untick")[-1][3] == "[ ] Check database compatibility"
            await press_item(pilot, app, runbook.LOGS)  # offline: nothing to scan
            assert app.notices[-1] == "Not connected to a cluster (offline view); there is nothing to check."
            assert not item(app, runbook.LOGS).done
            await press_item(pilot, app, runbook.LOGS, "m")
            assert item(app, runbook.LOGS).done and item(app, runbook.LOGS).evidence == "ticked by hand"
            # S without a configured smoke test says how to proceed instead of ticking.
            await pilot.press("S")
            await pilot.pause()
            smoke = item(app, runbook.SMOKE)
            assert not smoke.done and smoke.status == "eli-maor-backend: no smoke_test configured; tick by hand (m)"

    run(scenario())


@pytest.mark.offline
def test_a_smoke_test_that_passes_also_proves_application_health_and_unticking_holds():
    backend = "eli-maor-backend"
    app = fixed_app(config=AppConfig(components=(
        ComponentConfig("Deployment", backend, smoke_test=(PY, "-c", "print('GET /healthz 200')")),)))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert str(app.selected) == backend
            await pilot.press("S")
            await wait_for(pilot, lambda: item(app, runbook.SMOKE).done, "the smoke test to pass")
            # No health_check configured: the smoke test is the application's health check.
            health = item(app, runbook.APP_HEALTH)
            assert health.done and health.evidence == f"{backend}: smoke test passed (exit 0)" and health.by == USER
            assert "  GET /healthz 200" in [line.text for line in app.state.log]
            # Ticked from evidence: space asks first (n keeps it); y unticks, the tick stays in the timeline.
            await press_item(pilot, app, runbook.APP_HEALTH)
            await wait_for(pilot, lambda: isinstance(app.screen, UntickScreen), "the untick question")
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(app.screen, UntickScreen), "the question to close")
            assert item(app, runbook.APP_HEALTH).done
            await press_item(pilot, app, runbook.APP_HEALTH)
            await wait_for(pilot, lambda: isinstance(app.screen, UntickScreen), "the untick question")
            await pilot.press("y")
            await wait_for(pilot, lambda: not item(app, runbook.APP_HEALTH).done, "the item unticked")
            said = [e[3] for e in app.timeline_entries if e[1] in ("tick", "untick")]
            assert said[-2:] == [
                f"[x] Verify application health: {backend}: smoke test passed (exit 0)",
                f"[ ] Verify application health: unticked by hand (the evidence was: {backend}: smoke test passed "
                "(exit 0))"]
            # Unticked by hand, evidence does not tick it again by itself; space runs the check again.
            app.evidence.show(runbook.APP_HEALTH, Verdict(True, "proven again"))
            assert not item(app, runbook.APP_HEALTH).done
            await press_item(pilot, app, runbook.APP_HEALTH)
            await wait_for(pilot, lambda: item(app, runbook.APP_HEALTH).done, "the health check by hand")
            # The second run was the health check's (the smoke command again, recorded as a health check).
            assert [e[1] for e in app.timeline_entries].count("health-check") == 1

    run(scenario())


@pytest.mark.offline
def test_a_notify_command_that_is_not_installed_is_one_sentence():
    app = fixed_app(config=AppConfig(notify=("no-such-pager-h3b", "--page")))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await press_item(pilot, app, runbook.NOTIFY)
            notify = item(app, runbook.NOTIFY)
            assert not notify.done and notify.failing
            assert notify.status == app.notices[-1] == ("The notify command 'no-such-pager-h3b' was not found on "
                                                        "PATH; install it or fix the config file.")

    run(scenario())


# ---- on the sandbox ------------------------------------------------------------------------------




def test_evidence_ticks_the_checklist_through_a_rollback(sb, tmp_path):
    kubectl = Kubectl(DEFAULT_KUBECTL, sb)
    # The worker goes bad: its new pods crash-loop (the old ones keep running: maxUnavailable 0).
    kubectl("set", "image", f"deployment/{WORKER}", "worker=ghcr.io/eli-maor/worker:v9.9.9-crashloop",
            "-n", "production")
    config = AppConfig(application="eli-maor", pod_health_window=2.0, components=(
        ComponentConfig("Deployment", "eli-maor-backend"),
        ComponentConfig("Deployment", WORKER,
                        smoke_test=(PY, "-c", "import sys; print('worker queue unreachable'); sys.exit(1)")),
        ComponentConfig("Deployment", "eli-maor-beat"),
        # The demo's smoke test (tui/demo/smoke.py): the Service has ready endpoints, as the API says.
        ComponentConfig("Deployment", FRONTEND, smoke_test=(
            PY, "-m", "tui.demo.smoke", "--kubeconfig", str(sb.kubeconfig), "-n", "production", FRONTEND)),
    ))
    app = console(sb, config=config, incident=IncidentSettings(state_dir=tmp_path / "state", user=USER))

    def crashed() -> bool:
        return any(cs.get("restartCount", 0) >= 1 and "crashloop" in cs.get("image", "")
                   for p in app.state.pods_of(Ref("Deployment", WORKER)) for cs in (p.get("status") or {}).get("containerStatuses") or [])

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, WORKER)
            await wait_for(pilot, crashed, "a worker pod to crash and restart", 60)

            # The log scan counts error lines per pod: the crash-looping ones have them, the old ones none.
            await press_item(pilot, app, runbook.LOGS)
            await wait_for(pilot, lambda: WORKER in app.evidence.logs, "the worker's log scan", 60)
            logs = item(app, runbook.LOGS)
            assert not logs.done and logs.failing, logs.status
            counts = dict(line.rsplit(": ", 1) for line in logs.status.splitlines()[1:])
            assert any(n != "0 errors" for n in counts.values()) and "0 errors" in counts.values(), counts
            scan = entries(app, "log-scan")[-1]
            assert scan[2] == WORKER and scan[5] is False
            assert scan[4].startswith("kubectl logs -n production -l app=eli-maor,component=worker --all-containers")

            # A smoke test that fails: its output streamed, exit 1 recorded, the item stays open.
            app.components_table.focus()
            await pilot.press("S")
            await wait_for(pilot, lambda: WORKER in app.evidence.smoke, "the worker's smoke test", 60)
            smoke = item(app, runbook.SMOKE)
            assert not smoke.done and smoke.failing
            assert smoke.status == f"{WORKER}: smoke test failed (exit 1)"
            assert "  worker queue unreachable" in stream_texts(app)
            ran = entries(app, "smoke-test")[-1]
            assert (ran[2], ran[3], ran[5]) == (WORKER, f"{WORKER}: smoke test failed (exit 1)", False)
            assert ran[4].startswith(PY) and ran[4].endswith("sys.exit(1)'")

            # Roll the frontend back: the checklist follows the evidence.
            await ready(pilot, app, FRONTEND)
            await pilot.press("u")
            # Type the name only once the guard has focus (under load the screen mounts a little later).
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                           and app.screen.query_one("#guard", Input).has_focus, "the confirmation's name field")
            await confirm(pilot, app, FRONTEND)
            for key in (runbook.TARGET, runbook.EXECUTE, runbook.MONITOR, runbook.POD_HEALTH,
                        runbook.CONNECTIVITY, runbook.LOGS, runbook.APP_HEALTH):
                await wait_for(pilot, lambda key=key: item(app, key).done, f"{key} ticked from evidence", 90)
            assert item(app, runbook.TARGET).evidence.startswith(f"{FRONTEND} → revision ")
            assert item(app, runbook.EXECUTE).evidence == f"{FRONTEND} rolled back"
            assert item(app, runbook.MONITOR).evidence == f"{FRONTEND} successfully rolled out"
            assert item(app, runbook.POD_HEALTH).evidence == f"{FRONTEND}: 2/2 pods Ready, no restart for 2s"
            assert item(app, runbook.CONNECTIVITY).evidence == f"{FRONTEND}: service/{FRONTEND} 2 ready"
            assert item(app, runbook.LOGS).evidence == f"{FRONTEND}: no errors in 2 pods"
            assert {item(app, k).by for k in (runbook.EXECUTE, runbook.POD_HEALTH, runbook.LOGS)} == {USER}

            # Application health ran by itself once the pods were healthy: no health_check configured, so the
            # smoke test, recorded as the health check (not as "Run smoke tests", which stays for S).
            assert item(app, runbook.APP_HEALTH).evidence == f"{FRONTEND}: health check (its smoke test) passed (exit 0)"
            assert [(e[2], e[5]) for e in entries(app, "health-check")] == [(FRONTEND, True)]
            assert not item(app, runbook.SMOKE).done
            # The frontend's smoke test passes, by S.
            app.components_table.focus()
            await pilot.press("S")
            await wait_for(pilot, lambda: item(app, runbook.SMOKE).done, "the frontend's smoke test", 60)
            assert item(app, runbook.SMOKE).evidence == f"{FRONTEND}: smoke test passed (exit 0)"
            assert item(app, runbook.APP_HEALTH).done
            assert f"  smoke: service/{FRONTEND} OK (2 ready endpoints)" in stream_texts(app)
            ticks = [e[3] for e in entries(app, "tick")]
            assert f"[x] Check pod health: {FRONTEND}: 2/2 pods Ready, no restart for 2s" in ticks
            assert not item(app, runbook.IDENTIFY).done  # by hand only

    run(scenario())
    # The demo's smoke test on a component without a Service: one sentence, exit 2.
    missing = subprocess.run([PY, "-m", "tui.demo.smoke", "--kubeconfig", str(sb.kubeconfig), "-n", "production",
                              WORKER], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.startswith(f"smoke: Reading service/{WORKER} failed: ") and missing.stderr.count("\n") == 1
