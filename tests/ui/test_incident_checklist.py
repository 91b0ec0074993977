"""The checklist belongs to one incident and never claims what a failure took back (offline, the fixed state).

On the fixed state the backend's current pods crash-loop (v2.1.0-crashloop),
so a rollback outcome for it is followed, on the next poll, by the checklist
taking back what that rollback had ticked. The incident's audit log is a real
file in a temporary state directory. At 80x24 and 160x48.
"""

from __future__ import annotations

import copy

import pytest

from tests.support.fixtures import fixed_app
from tests.support.pilot import run, wait_for
from tui.app import RollbackConsole
from tui.appconfig import AppConfig
from tui.controllers.incident import IncidentController
from tui.core import checklist as runbook
from tui.core.evidence import targets_chosen
from tui.core.items import Changed
from tui.core.requests import Request
from tui.core.state import LogLine
from tui.core.workload import Ref
from tui.incident import auditlog
from tui.incident.recorder import IncidentSettings
from tui.screens.prompt import PromptScreen
from tui.screens.untick import UntickScreen
from widgets.messages import OperationFinished

BACKEND = "eli-maor-backend"
SIZES = [(80, 24), (160, 48)]
USER = "oncall"


def with_incident(tmp_path) -> RollbackConsole:
    app = fixed_app()
    app.incident = IncidentController(app, IncidentSettings(state_dir=tmp_path / "state", user=USER))
    return app


async def press_item(pilot, app: RollbackConsole, key: str, press: str = "space") -> None:
    sidebar = app.sidebar
    if sidebar.has_class("-collapsed"):
        await pilot.press("c")  # collapsed at 80 columns: c opens it
    sidebar.focus()
    sidebar.highlighted = sidebar.get_option_index(app.checklist.get(key).key)
    await pilot.press(press)
    await pilot.pause()


async def answer(pilot, app: RollbackConsole, text: str) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the question")
    screen = app.screen
    await pilot.press(*text, "enter")
    await wait_for(pilot, lambda: app.screen is not screen, "the question to close")


def kinds_and_texts(path) -> list[tuple[str, str]]:
    return [(e["kind"], e["text"]) for e in auditlog.read(path).entries]


@pytest.mark.offline
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_new_incident_after_closing_one_starts_with_an_empty_checklist(tmp_path, size):
    app = with_incident(tmp_path)

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert app.incident.start_incident("INC-1")
            app.evidence.target_confirmed(BACKEND, 4)
            await press_item(pilot, app, runbook.IDENTIFY)
            assert app.checklist.done == 2 and app.sidebar.border_subtitle == "2/12 done"
            app.components_table.focus()
            await pilot.press("I")
            await answer(pilot, app, "INC-1")
            assert not app.incidents.open
            assert app.checklist.done == 0 and app.sidebar.border_subtitle == "0/12 done"
            assert not app.ledger.rolled_back and not app.evidence.targets
            await pilot.press("i")
            await answer(pilot, app, "INC-2")
            assert app.incidents.open and app.incidents.incident.name == "INC-2"
            assert app.checklist.done == 0 and app.sidebar.border_title == "Checklist · INC-2"
            assert not app.incidents.incident.ticks  # nothing of INC-1 is claimed in INC-2's log

    run(scenario())
    first = kinds_and_texts(tmp_path / "state" / "INC-1.jsonl")
    assert ("tick", "[x] Identify the issue: ticked by hand") in first and first[-1][0] == "incident-closed"
    second = auditlog.read(tmp_path / "state" / "INC-2.jsonl").entries
    assert [e["kind"] for e in second] == ["incident-started"] and "items" not in second[0]["payload"]


@pytest.mark.offline
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_space_on_an_evidence_tick_asks_first_and_keeps_the_evidence_in_the_timeline(tmp_path, size):
    app = with_incident(tmp_path)
    log = tmp_path / "state" / "INC-3.jsonl"

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert app.incident.start_incident("INC-3")
            app.evidence.target_confirmed(BACKEND, 4)
            target = app.checklist.get(runbook.TARGET)
            assert target.done and target.evidence == f"{BACKEND} → revision 4"
            await press_item(pilot, app, runbook.TARGET)
            await wait_for(pilot, lambda: isinstance(app.screen, UntickScreen), "the untick question")
            question = str(app.screen.query_one("#question").render())
            assert question.startswith(f"Determine target revision was ticked from evidence: {BACKEND} → revision "
                                       f"4 ({USER} at ")
            await pilot.press("escape")  # keeps it
            await wait_for(pilot, lambda: not isinstance(app.screen, UntickScreen), "the question to close")
            assert target.done
            await press_item(pilot, app, runbook.TARGET)
            await wait_for(pilot, lambda: isinstance(app.screen, UntickScreen), "the untick question")
            await pilot.press("y")
            await wait_for(pilot, lambda: not target.done, "the item unticked")
            # Held open: the same evidence again does not tick it behind the engineer's back.
            app.evidence.show(runbook.TARGET, targets_chosen(app.evidence.targets))
            assert not target.done
            # A tick by hand is the engineer's own: space unticks it without a question.
            await press_item(pilot, app, runbook.IDENTIFY)
            assert app.checklist.get(runbook.IDENTIFY).done
            await press_item(pilot, app, runbook.IDENTIFY)
            assert not app.checklist.get(runbook.IDENTIFY).done and not isinstance(app.screen, UntickScreen)

    run(scenario())
    entries = kinds_and_texts(log)
    tick = ("tick", f"[x] Determine target revision: {BACKEND} → revision 4")
    untick = ("untick", f"[ ] Determine target revision: unticked by hand (the evidence was: {BACKEND} → revision 4)")
    assert tick in entries and untick in entries and entries.index(tick) < entries.index(untick)


@pytest.mark.offline
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_failed_rollback_and_a_crash_looping_target_reopen_what_they_had_ticked(tmp_path, size):
    app = with_incident(tmp_path)
    ref = Ref("Deployment", BACKEND)
    log = tmp_path / "state" / "INC-4.jsonl"

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            assert app.incident.start_incident("INC-4")
            await press_item(pilot, app, runbook.IDENTIFY)
            # A rollback that failed (the API refused the patch): nothing to take back yet, nothing claimed.
            app.post_message(OperationFinished(Request("rollback", ref), False, "the API server refused it"))
            await pilot.pause()
            assert app.checklist.done == 1
            # A rollback that succeeded: Execute is ticked from it...
            app.evidence.target_confirmed(BACKEND, 3)
            app.post_message(OperationFinished(Request("rollback", ref), True, f"deployment.apps/{BACKEND} rolled "
                                               "back"))
            await wait_for(pilot, lambda: app.checklist.get(runbook.EXECUTE).done, "Execute ticked")
            # ... and taken back on the next poll (the console's one-second timer; offline it is not started):
            # the backend's current pods crash-loop (the fixed state's).
            execute = app.checklist.get(runbook.EXECUTE)
            app.evidence.poll()
            await pilot.pause()
            assert not execute.done
            assert execute.failing and execute.status.startswith(
                f"re-opened: the target crash-loops: {BACKEND}: pod …-")
            assert "is in CrashLoopBackOff" in execute.status
            shown = " ".join(str(app.sidebar.get_option(execute.key).prompt).split())
            assert f"{execute.status} " in shown + " "
            assert app.checklist.get(runbook.IDENTIFY).done and app.checklist.get(runbook.TARGET).done

    run(scenario())
    reopened = [text for kind, text in kinds_and_texts(log) if kind == "untick"]
    assert len(reopened) == 1 and reopened[0].startswith(
        f"[ ] Execute rollback command: re-opened: the target crash-loops: {BACKEND}: pod ")


@pytest.mark.offline
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pods_going_unready_after_being_proven_healthy_reopen_the_health_items(tmp_path, size):
    worker = "eli-maor-worker"
    app = fixed_app(config=AppConfig(pod_health_window=0.0))
    ref = Ref("Deployment", worker)

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            app.ledger.rolled_back.add(worker)
            app.evidence.rollback_succeeded(worker, f"kubectl rollout undo deployment/{worker}")
            app.evidence.lines([LogLine(app.clock(), ref, "info", f'deployment "{worker}" successfully rolled out')])
            app.evidence.poll()  # the console's one-second timer (offline it is not started)
            await pilot.pause()
            health = app.checklist.get(runbook.POD_HEALTH)
            assert health.done and health.evidence == f"{worker}: 2/2 pods Ready, no restart for 0s"
            # One of its pods goes unready (as a watch event would say): the next poll takes the tick back.
            pod = copy.deepcopy(app.state.pods_of(ref)[0])
            pod["status"]["conditions"] = [c if c["type"] != "Ready" else {**c, "status": "False"}
                                           for c in pod["status"]["conditions"]]
            app.apply([Changed("Pod", "MODIFIED", pod)])
            app.evidence.poll()
            await pilot.pause()
            assert not health.done
            assert health.reopened.startswith(f"{worker}: pods went unready (1/2 Ready; …-")
            shown = " ".join(str(app.sidebar.get_option(health.key).prompt).split())  # unwrapped
            assert f"re-opened: {health.reopened} {worker}: 1/2 pods Ready" in shown  # the reason, then the check
            assert app.checklist.get(runbook.EXECUTE).done and app.checklist.get(runbook.MONITOR).done
            said = [e[3] for e in app.timeline_entries if e[1] == "untick"]
            assert said == [f"[ ] Check pod health: re-opened: {health.reopened}"]

    run(scenario())
