"""The report an incident commander signs, read back from the Markdown the console wrote.

A real sandbox process; someone ships a crash-looping backend with real
kubectl from "another terminal" while the incident is open; the engineer
opens a rollback and cancels it, then rolls back for real, and writes the
report (`e`, `w`). The written file must show the bad image just before the
rollback, the outside change with its time, the cancel as a cancel, and one
command row with its own result.
"""

from __future__ import annotations

import re

from tests.support.pilot import BACKEND, ROLLED_OUT, confirm, console, ready, run, stream_texts, wait_for
from tests.support.sandbox import Kubectl
from tests.support.tools import DEFAULT_KUBECTL
from tui.incident.recorder import IncidentSettings
from tui.incident.session import OUTSIDE, STATUS
from tui.screens.confirm import ConfirmScreen
from tui.screens.prompt import PromptScreen
from tui.screens.report import ReportScreen

NAME = "INC-88"
BAD = "ghcr.io/eli-maor/backend:v2.2.0-crashloop"


def test_the_written_report_has_the_image_before_the_rollback_an_outside_change_and_a_cancel(sb, tmp_path):
    kubectl = Kubectl(DEFAULT_KUBECTL, sb)
    state = tmp_path / "state"
    app = console(sb, incident=IncidentSettings(state_dir=state, user="alice"))
    seen: dict = {}

    def entries(kind: str) -> list[dict]:
        incident = app.incidents.incident
        return [e for e in incident.entries if e["kind"] == kind] if incident else []

    async def scenario():
        async with app.run_test(size=(160, 48)) as pilot:
            await ready(pilot, app)
            seen["good"] = app.state.component(app.selected).images
            await pilot.press("i")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the name question")
            await pilot.press(*NAME, "enter")
            await wait_for(pilot, lambda: app.incidents.open, "the incident to start")

            # From another terminal: a new image, not made by this console.
            kubectl("set", "image", f"deployment/{BACKEND}", f"backend={BAD}", "-n", "production")
            await wait_for(pilot, lambda: entries(OUTSIDE), "the outside change in the timeline", 30)
            # Its pods crash-loop: the status flips at each restart; the timeline gets what held, not each flip.
            await wait_for(pilot, lambda: any(re.search(r"→ (Degraded|Stalled) \(since", e["text"])
                                              for e in entries(STATUS)), "the status transition in the timeline", 60)
            assert len(entries(STATUS)) <= 3, [e["text"] for e in entries(STATUS)]

            # A rollback opened, then cancelled with Escape.
            app.components_table.focus()
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
            await pilot.press("escape")
            await wait_for(pilot, lambda: any((e["payload"] or {}).get("cancelled") for e in entries("outcome")),
                           "the cancel in the timeline")
            # The rollback, for real.
            await wait_for(pilot, lambda: app.selected is not None and app.selected not in app.ledger,
                           "the backend free again")
            await pilot.press("u")
            await confirm(pilot, app)
            await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(app), "the rollout to complete", 90)
            await wait_for(pilot, lambda: entries("rolled-out"), "the completion in the timeline")

            app.components_table.focus()
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen), "the report preview")
            await pilot.press("w")
            await wait_for(pilot, lambda: app.notices[-1].startswith(f"Report of {NAME} written to"), "the export")

    run(scenario())
    text = (state / f"{NAME}-report.md").read_text()
    good = ", ".join(f"`{image}`" for image in seen["good"])
    section = text.split(f"### {BACKEND}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\| \d\d:\d\d:\d\d \|", line)]
    labels = [row.split(" | ")[1] for row in rows]
    assert labels[0] == "incident opened" and good in rows[0]
    outside = next(row for row in rows if " | outside change: revision " in row)
    assert "(not made by this console): v2.2.0-crashloop" in outside and f"`{BAD}`" in outside
    before = next(row for row in rows if " | before: rolling back " in row)
    assert f"`{BAD}`" in before  # the bad image, as it was just before the rollback
    after = next(row for row in rows if " | after: rollout complete | " in row)
    assert good in after
    assert rows.index(outside) < rows.index(before) < rows.index(after)
    assert "- Rolled back: yes" in section

    timeline = text.split("## Timeline", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf"\| \d\d:\d\d:\d\d \| alice \| outside-change \| {BACKEND} \| revision \d+ → \d+ \(not made by "
                     r"this console\): v2\.2\.0-crashloop \| - \|", timeline)
    assert re.search(rf"\| status \| {BACKEND} \| \w+ → (Degraded|Stalled) \(since \d\d:\d\d:\d\d UTC\) \|", timeline)
    assert re.search(rf"\| outcome \| {BACKEND} \| Cancelled: rolling back {BACKEND} \(nothing changed\)\. \| "
                     r"cancelled \|", timeline)

    commands = text.split("## Commands executed", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in commands.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == 1, rows  # the cancel ran nothing: no row of its own, and none borrowed
    assert f"`kubectl rollout undo deployment/{BACKEND}" in rows[0]
    assert rows[0].endswith(f"| ok: deployment.apps/{BACKEND} rolled back |")
    still_open = text.split("## Still open", 1)[1]
    assert "Cancelled" not in still_open and "Failed" not in still_open
