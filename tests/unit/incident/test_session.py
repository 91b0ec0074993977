"""Recording, replaying into an Incident, resuming, and the report's content (plain Python)."""

from __future__ import annotations

import pytest

from tui.core import checklist as runbook
from tui.core.errors import ConsoleError
from tui.incident import auditlog, report
from tui.incident.recorder import PENDING_LIMIT, IncidentSettings, Recorder
from tui.incident.session import Incident, find, find_open, incidents, validate_name

T0 = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
BACKEND, WORKER = "eli-maor-backend", "eli-maor-worker"
UNDO = f"kubectl rollout undo deployment/{BACKEND} -n production"


class World:
    """A clock and the components' revisions/images, as the console's ClusterState would give them."""

    def __init__(self):
        self.now = T0
        self.components = {BACKEND: ("5", ["ghcr.io/eli-maor/backend:v2.1.0-crashloop"]),
                           WORKER: ("4", ["ghcr.io/eli-maor/worker:v2.1.0"])}

    def clock(self) -> float:
        return self.now

    def snapshot(self, component):
        names = [component] if component else sorted(self.components)
        return {n: {"revision": self.components[n][0], "images": self.components[n][1]} for n in names
                if n in self.components}


def recorder(tmp_path, world, checklist=None, context="kind-prod", namespace="production", user="alice"):
    return Recorder(IncidentSettings(state_dir=tmp_path / "state", user=user), context, namespace,
                    clock=world.clock, snapshot=world.snapshot,
                    checklist=checklist if checklist is not None else runbook.Checklist.runbook())


def a_rollback(rec: Recorder, world: World, checklist: runbook.Checklist) -> None:
    checklist.tick(runbook.TARGET, f"revision 4 of {BACKEND}", by="alice", at=world.now)
    rec.record("target", BACKEND, "target revision 4", payload={"revision": 4})
    rec.record("action", BACKEND, f"rolling back {BACKEND}", UNDO, payload={"action": "rollback", "revision": 4})
    world.now += 3
    world.components[BACKEND] = ("6", ["ghcr.io/eli-maor/backend:v2.0.0"])
    checklist.tick(runbook.EXECUTE, f"{BACKEND} rolled back", by="alice", at=world.now)
    rec.record("outcome", BACKEND, f"deployment.apps/{BACKEND} rolled back", ok=True,
               payload={"action": "rollback"})
    world.now += 20
    rec.record(report.ROLLOUT_DONE, BACKEND, f'deployment "{BACKEND}" successfully rolled out', ok=True)


@pytest.mark.parametrize("name", ["INC-2041", "checkout.errors_2", "a"])
def test_valid_names(name):
    assert validate_name(f" {name} ") == name


@pytest.mark.parametrize("name", ["", "../etc/passwd", "a/b", "-rf", "inc 1", "x" * 81, "a..b", ".hidden", "é"])
def test_invalid_names_are_one_sentence(name):
    with pytest.raises(ConsoleError) as err:
        validate_name(name)
    assert err.value.message.replace("e.g.", "eg").count(". ") == 0 and err.value.message.endswith(".")


def test_entries_carry_who_where_what_and_replay_into_the_incident(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    rec = recorder(tmp_path, world, checklist)
    rec.start("INC-1")
    world.now += 60
    checklist.toggle(runbook.NOTIFY, by="alice", at=world.now)
    rec.record("tick", "", "Notify team (by hand)")
    a_rollback(rec, world, checklist)
    rec.close()

    path = tmp_path / "state" / "INC-1.jsonl"
    entries = auditlog.read(path).entries
    assert [e["kind"] for e in entries] == ["incident-started", "tick", "target", "action", "outcome",
                                            report.ROLLOUT_DONE]
    first = entries[0]
    assert first["time"] == "2027-01-15T08:00:00.000Z"
    assert (first["user"], first["context"], first["namespace"]) == ("alice", "kind-prod", "production")
    assert first["payload"]["snapshot"][BACKEND]["revision"] == "5"
    assert entries[3]["command"] == UNDO

    incident = Incident.load(path)
    assert (incident.name, incident.who, incident.started) == ("INC-1", "alice", T0)
    assert not incident.closed
    assert incident.targets == {BACKEND: "4"}
    assert incident.before[BACKEND].revision == "5" and incident.after[BACKEND].revision == "6"
    assert incident.after[BACKEND].images == ("ghcr.io/eli-maor/backend:v2.0.0",)
    assert incident.before[WORKER] == incident.after[WORKER]
    assert [c.entry["command"] for c in incident.commands] == [UNDO]
    assert incident.commands[0].ok is True
    assert incident.rolled_back() == {BACKEND}
    ticks = {k.rsplit("/", 1)[1]: t for k, t in incident.ticks.items()}
    assert set(ticks) == {runbook.NOTIFY, runbook.TARGET, runbook.EXECUTE}
    assert (ticks[runbook.NOTIFY].by, ticks[runbook.NOTIFY].at) == ("alice", T0 + 60)
    assert ticks[runbook.EXECUTE].evidence == f"{BACKEND} rolled back"


def test_entries_before_the_incident_are_kept_and_written_after_it_starts(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    rec = recorder(tmp_path, world, checklist)
    rec.record("action", BACKEND, f"rolling back {BACKEND}", UNDO, payload={"action": "rollback"})
    world.now += 5
    rec.record("outcome", BACKEND, "rolled back", ok=True, payload={"action": "rollback"})
    assert len(rec.pending) == 2 and not (tmp_path / "state").exists()  # nothing on disk before an incident
    world.now += 30
    incident = rec.start("INC-2")
    assert [e["kind"] for e in incident.entries] == ["incident-started", "action", "outcome"]
    assert [e["seq"] for e in incident.entries] == [1, 2, 3]
    assert incident.entries[1]["time"] == "2027-01-15T08:00:00.000Z"  # when it happened, not when written
    assert incident.entries[1]["payload"]["before_start"] is True
    assert not rec.pending
    rec.close()


def test_pending_entries_are_bounded_and_the_loss_is_said(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    for n in range(PENDING_LIMIT + 5):
        rec.record("note", "", f"note {n}")
    incident = rec.start("INC-3")
    assert incident.entries[1]["text"] == "note 5"
    assert incident.entries[-1]["text"] == f"5 earlier entries were not kept (more than {PENDING_LIMIT} before " \
                                           "the incident started)"
    rec.close()


def test_a_second_incident_while_one_is_open_and_a_duplicate_name_are_refused(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    rec.start("INC-4")
    with pytest.raises(ConsoleError, match="Incident INC-4 is already open; close it"):
        rec.start("INC-5")
    rec.close_incident()
    with pytest.raises(ConsoleError, match=r"already exists .*choose another incident name"):
        rec.start("INC-4")


def test_resume_finds_the_newest_open_incident_of_this_context_and_namespace(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    first = recorder(tmp_path, world, checklist)
    first.start("INC-old")
    first.close_incident()
    other = recorder(tmp_path, world, context="staging")
    other.start("INC-staging")
    other.close()
    rec = recorder(tmp_path, world, checklist)
    rec.start("INC-open")
    a_rollback(rec, world, checklist)
    rec.close()  # the console died: the incident stays open

    directory = tmp_path / "state"
    assert find_open(directory, "kind-prod", "production").name == "INC-open.jsonl"
    assert find_open(directory, "staging", "production").name == "INC-staging.jsonl"
    assert find_open(directory, "kind-prod", "default") is None
    assert {s.name for s in incidents(directory)} == {"INC-old", "INC-staging", "INC-open"}

    fresh = runbook.Checklist.runbook()
    again = recorder(tmp_path, world, fresh, user="bob")
    incident = again.resume()
    assert incident.name == "INC-open" and incident.targets == {BACKEND: "4"}
    assert incident.apply_to(fresh) == 2
    again.restored()
    target = fresh.get(runbook.TARGET)
    assert target.done and target.evidence == f"revision 4 of {BACKEND}" and target.by == "alice"
    assert fresh.get(runbook.EXECUTE).done and not fresh.get(runbook.MONITOR).done
    world.now += 10
    fresh.tick(runbook.MONITOR, f"{BACKEND} rolled out", by="bob", at=world.now)
    entry = again.record("note", "", "bob joined")
    assert entry["seq"] == 6 and entry["user"] == "bob"
    assert [i["key"].rsplit("/", 1)[1] for i in entry["payload"]["items"]] == [runbook.MONITOR]  # only the change
    again.close_incident()
    assert find_open(directory, "kind-prod", "production") is None
    closed = Incident.load(directory / "INC-open.jsonl")
    assert closed.closed and closed.users() == ["alice", "bob"]


def test_find_an_unknown_incident_lists_the_known_ones(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    rec.start("INC-7")
    rec.close()
    directory = tmp_path / "state"
    assert find(directory, "INC-7").name == "INC-7.jsonl"
    with pytest.raises(ConsoleError, match=r"No incident named 'INC-8' in .* \(known: INC-7\)\."):
        find(directory, "INC-8")
    with pytest.raises(ConsoleError, match=r"No incident named '../x'"):
        find(directory, "../x")


def test_the_report_has_summary_components_timeline_checklist_commands_and_what_is_open(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    rec = recorder(tmp_path, world, checklist)
    rec.start("INC-9")
    checklist.set(runbook.DATABASE, True, evidence="", by="alice", at=world.now, note="no migration since v2.0")
    rec.record("tick", "", "Check database compatibility (by hand)")
    a_rollback(rec, world, checklist)
    rec.record("target", WORKER, "target revision 3", payload={"revision": 3})
    rec.record("action", WORKER, f"scaling {WORKER}", f"kubectl scale deployment/{WORKER} --replicas=0 | x",
               payload={"action": "scale"})
    rec.record("outcome", WORKER, "Failed: the API server is unavailable", ok=False, payload={"action": "scale"})
    rec.record("outcome", BACKEND, "Cancelled: pausing eli-maor-backend (nothing changed).", ok=False,
               payload={"action": "pause", "cancelled": True})
    text = report.render(rec.incident, now=world.now + 600, checklist=checklist)
    rec.close()

    assert text.startswith("# Incident report: INC-9\n")
    assert "- Context / namespace: kind-prod / production\n" in text
    assert "- Started: 2027-01-15 08:00:00 UTC by alice\n" in text
    assert "- Duration: 10m 23s (open)\n" in text
    assert "- Log: 10 entries in INC-9.jsonl\n" in text
    assert (f"| {BACKEND} | 5: `ghcr.io/eli-maor/backend:v2.1.0-crashloop` | 4 | "
            "6: `ghcr.io/eli-maor/backend:v2.0.0` | yes |") in text
    assert f"| {WORKER} | 4: `ghcr.io/eli-maor/worker:v2.1.0` | 3 | 4: `ghcr.io/eli-maor/worker:v2.1.0` | no |" in text
    assert "| 1 | 08:00:00 | alice | incident-started | - | incident INC-9 started | - |" in text
    assert f"| 5 | 08:00:03 | alice | outcome | {BACKEND} | deployment.apps/{BACKEND} rolled back | ok |" in text
    assert "- [x] Check database compatibility: note: no migration since v2.0 (alice, 08:00:00 UTC)" in text
    assert f"- [x] Execute rollback command: {BACKEND} rolled back (alice, 08:00:03 UTC)" in text
    assert "- [ ] Notify team\n" in text
    assert f"| 08:00:00 | alice | {BACKEND} | `{UNDO}` | ok: deployment.apps/{BACKEND} rolled back |" in text
    assert f"`kubectl scale deployment/{WORKER} --replicas=0 \\| x` | FAILED: Failed: the API server" in text
    still_open = text.split("## Still open", 1)[1]
    assert "- Checklist items not ticked (9): Identify the issue (Pre-Rollback); Notify team (Pre-Rollback);" \
        in still_open
    assert f"- Failed at 08:00:23 UTC ({WORKER}): Failed: the API server is unavailable" in still_open
    assert "Cancelled" not in still_open  # Escape in a dialog: nothing was attempted, nothing is left open
    assert f"| outcome | {BACKEND} | Cancelled: pausing {BACKEND} (nothing changed). | cancelled |" in text
    assert f"- {WORKER} has target revision 3 but was not rolled back." in still_open
    assert "rollout was not seen to complete" not in still_open


def test_the_report_of_a_closed_incident_with_everything_done_says_nothing_is_open(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    rec = recorder(tmp_path, world, checklist)
    rec.start("INC-10")
    for item in checklist:
        checklist.set(item.key, True, evidence="seen", by="alice", at=world.now)
    world.now += 3725
    rec.close_incident()
    text = report.render(Incident.load(rec.incident.path), now=world.now + 9999)
    assert "- Duration: 1h 02m (closed at 2027-01-15 09:02:05 UTC)\n" in text
    assert "No command was executed." in text
    assert "Nothing: every checklist item is ticked and every action succeeded." in text


def test_an_outcome_goes_to_the_command_waiting_for_it_not_to_one_with_its_own_result(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    rec.start("INC-11")
    rec.record("action", BACKEND, "rolling back", UNDO, payload={"action": "rollback"})
    rec.record("smoke-test", BACKEND, "smoke test exited 0", "python -c 'print(1)'", True)
    rec.record("outcome", BACKEND, "rolled back", ok=True, payload={"action": "rollback"})
    rec.record("outcome", "eli-maor", "helm: rolled back", "helm rollback eli-maor 2 -n production", True,
               payload={"action": "helm-rollback"})
    rec.close()
    commands = [(c.entry["kind"], c.ok, (c.outcome or {}).get("text")) for c in rec.incident.commands]
    assert commands == [("action", True, "rolled back"), ("smoke-test", True, None), ("outcome", True, None)]


def test_the_preview_keeps_the_newest_rows_and_says_so_while_the_written_report_has_all(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    rec.start("INC-12")
    for n in range(30):
        rec.record("action", BACKEND, f"restart {n}", f"kubectl rollout restart deployment/{BACKEND} # {n}",
                   payload={"action": "restart"})
    rec.close()
    preview = report.render(rec.incident, recent=5)
    assert "The newest 5 of 31 entries; the written report has them all." in preview
    assert "The newest 5 of 30 commands; the written report has them all." in preview
    assert "restart 25" in preview and "restart 24 " not in preview and "| 26 |" not in preview
    full = report.render(rec.incident)
    assert "The newest" not in full and "restart 0" in full


def test_a_helm_release_rollback_is_a_row_of_its_own_and_needs_no_watched_rollout(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    rec.start("INC-12")
    helm = "helm rollback eli-maor 2 --namespace production"
    rec.record("target", "eli-maor", "target revision 2", payload={"revision": 2})
    rec.record("helm-rollback", "eli-maor", "helm rollback eli-maor to revision 2", helm,
               payload={"action": "helm-rollback", "revision": 2})
    rec.record("outcome", "eli-maor", "Helm release eli-maor rolled back to revision 2.", helm, True,
               payload={"action": "helm-rollback", "revision": 2})
    rec.close()
    incident = Incident.load(rec.incident.path)
    assert incident.rolled_back() == {"eli-maor"} and incident.releases() == {"eli-maor"}
    text = report.render(incident)
    assert "| eli-maor (Helm release) | - | 2 | - | yes |" in text
    assert "eli-maor was rolled back but its rollout was not seen" not in text
    assert "eli-maor has target revision" not in text
    assert f"| {'`' + helm + '`'} | ok: Helm release eli-maor rolled back to revision 2. |" in text


def test_each_command_row_has_its_own_outcome_by_operation_id_and_a_cancel_is_no_command(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    rec.start("INC-13")
    helm = "helm rollback eli-maor 3 --namespace production"
    rec.record("helm-rollback", "eli-maor", "helm rollback eli-maor to revision 3", helm,
               payload={"action": "helm-rollback", "revision": 3, "op": "p-1"})
    world.now += 90  # the console quit while helm ran: that rollback never got its outcome here
    rec.record("action", BACKEND, f"rolling back {BACKEND}", UNDO, payload={"action": "rollback", "op": "p-2"})
    rec.record("outcome", BACKEND, f"Cancelled: rolling back {BACKEND} to revision 4 (nothing changed).", ok=False,
               payload={"action": "rollback", "cancelled": True, "op": "p-3"})
    rec.record("outcome", BACKEND, f"deployment.apps/{BACKEND} rolled back", ok=True,
               payload={"action": "rollback", "op": "p-2"})
    rec.record("outcome", "eli-maor", "Cancelled: rolling back Helm release eli-maor to revision 2 (nothing "
               "changed).", ok=False, payload={"action": "helm-rollback", "cancelled": True, "op": "p-4"})
    rec.close()
    incident = Incident.load(rec.incident.path)
    rows = [(c.entry["command"], c.ok, (c.outcome or {}).get("text")) for c in incident.commands]
    assert rows == [(helm, None, None), (UNDO, True, f"deployment.apps/{BACKEND} rolled back")]
    text = report.render(incident)
    assert f"| `{helm}` | no result recorded: helm rollback eli-maor to revision 3 |" in text
    assert "Cancelled" not in text.split("## Still open", 1)[1]
    assert text.count("| cancelled |") == 2


def test_a_cancel_in_a_log_without_operation_ids_closes_no_command(tmp_path):
    world = World()
    rec = recorder(tmp_path, world)
    rec.start("INC-14")
    rec.record("action", BACKEND, "rolling back", UNDO, payload={"action": "rollback"})
    rec.record("outcome", BACKEND, "Cancelled: pausing (nothing changed).", ok=False,
               payload={"action": "pause", "cancelled": True})
    rec.record("outcome", BACKEND, "rolled back", ok=True, payload={"action": "rollback"})
    rec.close()
    assert [(c.ok, c.outcome["text"]) for c in rec.incident.commands] == [(True, "rolled back")]


def test_each_component_has_its_state_when_opened_just_before_each_action_and_after(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    world.components[BACKEND] = ("4", ["ghcr.io/eli-maor/backend:v2.0.0"])
    rec = recorder(tmp_path, world, checklist)
    rec.start("INC-15")
    world.now += 30  # someone ships the bad image from another terminal: the console records what it sees
    world.components[BACKEND] = ("5", ["ghcr.io/eli-maor/backend:v2.1.0-crashloop"])
    rec.record("outside-change", BACKEND, "revision 4 → 5 (not by this console): image backend:v2.1.0-crashloop")
    rec.record("status", BACKEND, "Complete → Degraded")
    world.now += 30
    rec.record("action", BACKEND, f"rolling back {BACKEND}", UNDO, payload={"action": "rollback", "op": "a"})
    world.now += 3
    world.components[BACKEND] = ("6", ["ghcr.io/eli-maor/backend:v2.0.0"])
    rec.record("outcome", BACKEND, f"deployment.apps/{BACKEND} rolled back", ok=True,
               payload={"action": "rollback", "op": "a"})
    rec.close_incident()
    text = report.render(Incident.load(rec.incident.path), checklist=checklist)
    section = text.split(f"### {BACKEND}\n", 1)[1].split("###", 1)[0]
    assert "- Rolled back: yes" in section
    rows = [line for line in section.splitlines() if line.startswith("| 08")]
    assert rows == [
        "| 08:00:00 | incident opened | 4 | `ghcr.io/eli-maor/backend:v2.0.0` | - |",
        "| 08:00:30 | outside change: revision 4 → 5 (not by this console): image backend:v2.1.0-crashloop | 5 | "
        "`ghcr.io/eli-maor/backend:v2.1.0-crashloop` | - |",
        f"| 08:01:00 | before: rolling back {BACKEND} | 5 | `ghcr.io/eli-maor/backend:v2.1.0-crashloop` | - |",
        f"| 08:01:03 | after: deployment.apps/{BACKEND} rolled back | 6 | `ghcr.io/eli-maor/backend:v2.0.0` | - |",
        "| 08:01:03 | incident closed | 6 | `ghcr.io/eli-maor/backend:v2.0.0` | - |",
    ]
    assert f"| 08:00:30 | alice | status | {BACKEND} | Complete → Degraded | - |" in text


def test_figures_from_prometheus_are_columns_of_each_moment_and_alerts_have_their_own_section(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    figures = {BACKEND: {"error_ratio": 0.333, "p95": 0.094, "restarts": 0.0}}

    def snapshot(component):
        got = world.snapshot(component)
        return {n: {**data, **figures.get(n, {})} for n, data in got.items()}

    rec = Recorder(IncidentSettings(state_dir=tmp_path / "state", user="alice"), "kind-prod", "production",
                   clock=world.clock, snapshot=snapshot, checklist=checklist)
    rec.start("INC-16")
    rec.record("alert", BACKEND, "alert HighErrors firing", payload={"alert": "HighErrors", "state": "firing"})
    world.now += 30
    rec.record("action", BACKEND, f"rolling back {BACKEND}", UNDO, payload={"action": "rollback", "op": "a"})
    world.now += 3
    world.components[BACKEND] = ("6", ["ghcr.io/eli-maor/backend:v2.0.0"])
    rec.record("outcome", BACKEND, f"deployment.apps/{BACKEND} rolled back", ok=True,
               payload={"action": "rollback", "op": "a"})
    world.now += 60
    figures[BACKEND] = {"error_ratio": 0.0, "p95": 0.09, "restarts": 0.0}
    rec.record("metrics", BACKEND, "error ratio ≤ 0.0% and p95 ≤ 90 ms for 60 s after the rollback", ok=True)
    rec.record("alert", BACKEND, "alert HighErrors resolved", ok=True,
               payload={"alert": "HighErrors", "state": "resolved"})
    rec.record("alert", WORKER, "alert WorkerLag pending", payload={"alert": "WorkerLag", "state": "pending"})
    text = report.render(Incident.load(rec.incident.path), checklist=checklist)
    section = text.split(f"### {BACKEND}\n", 1)[1].split("###", 1)[0]
    assert "| Error ratio | p95 | Restarts |" in section
    rows = [line for line in section.splitlines() if line.startswith("| 08")]
    assert rows[1].startswith(f"| 08:00:30 | before: rolling back {BACKEND} | 5 |")
    assert rows[1].endswith("| 33.3% | 94 ms | 0 |")  # the bad release's figures, just before the action
    assert rows[-1] == ("| 08:01:33 | metrics: error ratio ≤ 0.0% and p95 ≤ 90 ms for 60 s after the rollback | 6 | "
                        "`ghcr.io/eli-maor/backend:v2.0.0` | - | 0.0% | 90 ms | 0 |")
    worker = text.split(f"### {WORKER}\n", 1)[1].split("##", 1)[0]
    assert "Error ratio" not in worker  # no figure recorded for it: no empty columns
    alerts = text.split("## Alerts (Prometheus)\n", 1)[1].split("\n## ", 1)[0]
    assert "| 08:00:00 | HighErrors | eli-maor-backend | firing |" in alerts
    assert "| 08:01:33 | HighErrors | eli-maor-backend | resolved |" in alerts
    still_open = text.split("## Still open\n", 1)[1]
    assert "Alert WorkerLag on eli-maor-worker was last seen pending at 08:01:33 UTC." in still_open
    assert "HighErrors" not in still_open


def test_a_reopened_item_is_recorded_with_its_reason_resumes_with_it_and_the_report_says_it(tmp_path):
    world, checklist = World(), runbook.Checklist.runbook()
    rec = recorder(tmp_path, world, checklist)
    rec.start("INC-16")
    a_rollback(rec, world, checklist)
    world.now += 60
    checklist.reopen(runbook.ROLLBACK_FAILED, f"{BACKEND} stalled (its rollout makes no progress)")
    entry = rec.record("untick", BACKEND, f"[ ] Execute rollback command: re-opened: {BACKEND} stalled")
    assert [(i["done"], i["reopened"]) for i in entry["payload"]["items"]] == [
        (False, f"{BACKEND} stalled (its rollout makes no progress)")]
    rec.close()
    incident = Incident.load(rec.incident.path)
    fresh = runbook.Checklist.runbook()
    incident.apply_to(fresh)
    execute = fresh.get(runbook.EXECUTE)
    assert not execute.done and execute.failing
    assert execute.reopened == f"{BACKEND} stalled (its rollout makes no progress)"
    text = report.render(incident, checklist=fresh)
    assert f"- [ ] Execute rollback command: re-opened: {BACKEND} stalled (its rollout makes no progress)\n" in text
