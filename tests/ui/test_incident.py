"""The incident end to end: Pilot drives the console against a real sandbox process.

Start an incident with `i`, roll back, tick by hand, export the report with
`e`; end the console without closing the incident, start a new one on the
same state directory (a tmp $XDG_STATE_HOME, from tests/conftest.py): it
resumes with its checklist, timeline and targets; `I` closes it.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.support.pilot import BACKEND, ROLLED_OUT, SIZE, confirm, ready, run, stream_texts, wait_for
from tui.app import RollbackConsole
from tui.core import checklist as runbook
from tui.incident import auditlog
from tui.incident.recorder import IncidentSettings
from tui.incident.session import Incident
from tui.kube.config import connect
from tui.screens.prompt import PromptScreen
from tui.screens.report import ReportScreen

NAME = "INC-42"
ROOT = Path(__file__).resolve().parents[2]
FAULTS = ("-crashloop", "-unready", "-slow")  # the sandbox kubelet's image-tag faults


def console(sb, user: str) -> RollbackConsole:
    return RollbackConsole(connect(kubeconfig=sb.kubeconfig), incident=IncidentSettings(user=user))


async def tick_by_hand(pilot, app: RollbackConsole, key: str) -> None:
    sidebar = app.sidebar
    sidebar.focus()
    item = app.checklist.get(key)
    sidebar.highlighted = sidebar.get_option_index(item.key)
    await pilot.press("space")
    await wait_for(pilot, lambda: item.done, f"{item.text} ticked")


async def answer(pilot, app: RollbackConsole, text: str) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the question")
    screen = app.screen
    await pilot.press(*text, "enter")
    await wait_for(pilot, lambda: app.screen is not screen, "the question to close")


def test_an_incident_records_exports_and_resumes_after_the_console_is_gone(sb, private_state_dir):
    directory = private_state_dir / "rollback-console"
    log = directory / f"{NAME}.jsonl"
    first = console(sb, "alice")
    chosen: dict = {}

    async def incident():
        async with first.run_test(size=SIZE) as pilot:
            await ready(pilot, first)
            await pilot.press("e")  # no incident yet: said, nothing written
            assert first.notices[-1] == "No incident is open; press i to start one, then e exports its report."
            await pilot.press("i")
            await wait_for(pilot, lambda: isinstance(first.screen, PromptScreen), "the name question")
            await pilot.press(*"bad name", "enter")
            assert isinstance(first.screen, PromptScreen)  # refused in one sentence, still asking
            assert "is not a usable incident name" in str(first.screen.query_one("#problem").render())
            await pilot.press(*["backspace"] * 8)
            await answer(pilot, first, NAME)
            assert first.notices[-1] == f"Incident {NAME} started; recording to {log}."
            assert first.sidebar.border_title == f"Checklist · {NAME}"

            # Roll back to the newest older revision whose images are healthy (whatever the seed's history).
            views = first.revisions_table.revisions
            current = next(v for v in views if v.current)
            good = next(v for v in views if not v.current and not any(
                fault in image for image in v.images for fault in FAULTS))
            chosen.update(before=current, target=good, after=max(v.revision for v in views) + 1)
            first.revisions_table.focus()
            first.revisions_table.move_cursor(row=views.index(good))
            await pilot.press("r")
            await confirm(pilot, first)
            await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(first), "the rollout to complete", 60)
            await wait_for(pilot, lambda: any(e["kind"] == "rolled-out" for e in first.incidents.incident.entries),
                           "the rollout's completion in the timeline")
            await tick_by_hand(pilot, first, runbook.NOTIFY)

            first.components_table.focus()
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(first.screen, ReportScreen), "the report preview")
            assert f"# Incident report: {NAME}" in first.screen.markdown
            await pilot.press("w")
            await wait_for(pilot, lambda: first.notices[-1].startswith(f"Report of {NAME} written to"), "the export")
            assert first.checklist.get(runbook.REPORT).done
            # The console is "killed" here: the Pilot run ends without closing the incident.

    run(incident())

    # ---- the log, as on disk
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    entries = auditlog.read(log).entries
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    kinds = [e["kind"] for e in entries]
    assert kinds[0] == "incident-started" and "incident-closed" not in kinds
    for kind in ("target", "action", "outcome", "rolled-out", "tick", "export"):
        assert kind in kinds, kind
    before, target, after = chosen["before"], chosen["target"], chosen["after"]
    undo = f"kubectl rollout undo deployment/{BACKEND} --to-revision={target.revision} -n production"
    action = next(e for e in entries if e["kind"] == "action")
    assert action["command"] == undo
    assert (action["user"], action["context"], action["namespace"]) == ("alice", "sandbox", "production")
    outcome = next(e for e in entries if e["kind"] == "outcome")
    assert outcome["ok"] is True and outcome["text"] == f"deployment.apps/{BACKEND} rolled back"

    # ---- the report, as written
    report = directory / f"{NAME}-report.md"
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600
    text = report.read_text()
    assert text.startswith(f"# Incident report: {NAME}\n")
    assert "- Context / namespace: sandbox / production\n" in text
    def images(view) -> str:
        return ", ".join(f"`{image}`" for image in view.images)

    assert (f"| {BACKEND} | {before.revision}: {images(before)} | {target.revision} | {after}: {images(target)} | "
            "yes |") in text
    assert f"| alice | {BACKEND} | `{undo}` | ok: " in text
    assert "- [x] Notify team: ticked by hand (alice, " in text
    assert f"- [x] Update incident report: exported to {report} (alice, " in text
    assert "- [x] Execute rollback command:" in text
    assert "rollout was not seen to complete" not in text

    # ---- a new console on the same state: the incident resumes where it was
    second = console(sb, "bob")

    async def resumed():
        async with second.run_test(size=SIZE) as pilot:
            await ready(pilot, second)
            incident = second.incidents.incident
            assert second.incidents.open and incident.name == NAME
            assert any(n.startswith(f"Resumed incident {NAME} (started ") and n.endswith(f", {len(entries)} entries).")
                       for n in second.notices)
            assert second.sidebar.border_title == f"Checklist · {NAME}"
            for key in (runbook.TARGET, runbook.EXECUTE, runbook.NOTIFY, runbook.REPORT):
                assert second.checklist.get(key).done, key
            assert second.checklist.get(runbook.NOTIFY).by == "alice"
            assert incident.targets == {BACKEND: str(chosen["target"].revision)}
            assert BACKEND in second.ledger.rolled_back
            assert any(t.startswith("(incident) action: rolling back") for t in stream_texts(second))  # timeline
            await tick_by_hand(pilot, second, runbook.IDENTIFY)
            second.components_table.focus()
            await pilot.press("I")
            await answer(pilot, second, NAME)
            assert second.notices[-1] == f"Incident {NAME} closed; its log is {log}."
            assert second.sidebar.border_title == "Checklist"

    run(resumed())
    closed = Incident.load(log)
    assert closed.closed and closed.users() == ["alice", "bob"]
    assert closed.entries[-2]["kind"] == "tick" and closed.entries[-2]["user"] == "bob"

    # ---- closed: the next console starts without an incident
    third = console(sb, "carol")

    async def fresh():
        async with third.run_test(size=SIZE) as pilot:
            await ready(pilot, third)
            assert not third.incidents.open
            assert not any(n.startswith("Resumed") for n in third.notices)

    run(fresh())


# ---- the console process killed with -9 ---------------------------------------------------------


class Terminal:
    """The real console in a pseudo-terminal (160x48), its screen output drained by a thread."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        import fcntl
        import pty
        import struct
        import termios
        import threading

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        cwd=ROOT, start_new_session=True)
        os.close(slave)
        self.output = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output += data

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())
        time.sleep(0.3)  # a person's pace; every wait that matters is a bounded wait_until below

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        os.close(self.master)


def wait_until(what: str, probe, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def test_kill_9_of_the_console_mid_incident_then_it_resumes(sb, private_state_dir):
    log = private_state_dir / "rollback-console" / "INC-77.jsonl"
    env = {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": str(private_state_dir)}
    terminal = Terminal([sys.executable, "-m", "tui.cli", "--kubeconfig", str(sb.kubeconfig)], env)
    try:
        wait_until("the console's first screen", lambda: b"Checklist" in terminal.output and
                   b"eli-maor-backend" in terminal.output)
        terminal.type("i")
        wait_until("the name question", lambda: b"Name the incident" in terminal.output)
        terminal.type("INC-77\r")
        wait_until("the incident's log", log.exists)
        terminal.type("c")  # the sidebar is open at 160 columns: c collapses it, c again opens and focuses it
        terminal.type("c")
        terminal.type(" ")  # ticks the first item, Identify the issue
        wait_until("the tick in the log", lambda: any(e["kind"] == "tick" for e in auditlog.read(log).entries))
    finally:
        terminal.kill()  # no clean exit: no flush on unmount, no incident-closed
    assert terminal.process.returncode == -signal.SIGKILL
    result = auditlog.read(log)
    assert not result.notices
    assert [e["kind"] for e in result.entries][:1] == ["incident-started"]

    app = console(sb, "bob")

    async def resumed():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            assert app.incidents.open and app.incidents.incident.name == "INC-77"
            assert any(n.startswith("Resumed incident INC-77 (started ") for n in app.notices)
            identify = app.checklist.get(runbook.IDENTIFY)
            assert identify.done and identify.by  # who ticked it, before the kill

    run(resumed())
