"""The checklist's evidence without a terminal: `Checklist.set`, each evaluator, the command runner, the config.

Commands run as real subprocesses (this Python); no cluster is needed here
(the sandbox end to end is in test_checklist_evidence.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import anyio
import pytest

from tui.appconfig import DEFAULT_LOG_ERROR_PATTERNS, load
from tui.core import checklist as runbook
from tui.core import evidence
from tui.core.errors import ConsoleError
from tui.core.evidence import Verdict
from tui.incident import runner

PY = sys.executable


# ---- the model ----------------------------------------------------------------------------------


def test_every_runbook_item_says_how_it_is_satisfied():
    checklist = runbook.Checklist.runbook()
    hows = {item.slug: item.how for item in checklist}
    assert hows[runbook.IDENTIFY].startswith("by hand")
    assert hows[runbook.DATABASE] == "by hand, with a note (space)"
    assert hows[runbook.SMOKE] == "the smoke test exits 0 (S)"
    assert all(hows.values()) and len(hows) == 12
    # Another runbook's items that we cannot check are by hand.
    assert runbook.Checklist.parse("### Before\n- [ ] Page the DBA\n").get("page-the-dba").how == runbook.BY_HAND


def test_set_restores_exactly_and_says_whether_anything_changed():
    checklist = runbook.Checklist.runbook()
    assert checklist.set(runbook.DATABASE, True, evidence="checked by hand", by="ana", at=100.0,
                         note="migration 42 is additive") is True
    item = checklist.get(runbook.DATABASE)
    assert (item.done, item.evidence, item.by, item.at, item.note) == (
        True, "checked by hand", "ana", 100.0, "migration 42 is additive")
    assert checklist.set(runbook.DATABASE, True, evidence="checked by hand", by="ana", at=100.0,
                         note="migration 42 is additive") is False  # the same state: no change to record
    assert checklist.set("pre-rollback/check-database-compatibility", False) is True  # full keys work too
    assert (item.done, item.evidence, item.by, item.at, item.note) == (False, "", "", 0.0, "")
    with pytest.raises(KeyError):
        checklist.set("no-such-item", True)


def test_tick_toggle_and_report_keep_who_and_when():
    checklist = runbook.Checklist.runbook()
    assert checklist.report(runbook.LOGS, "pod-a: 3 errors", failing=True)
    assert not checklist.report(runbook.LOGS, "pod-a: 3 errors", failing=True)
    item = checklist.tick(runbook.LOGS, "no errors in 2 pods", by="ana", at=5.0)
    assert (item.done, item.by, item.at, item.status, item.failing) == (True, "ana", 5.0, "", False)
    assert checklist.tick(runbook.LOGS, "again") is None
    toggled = checklist.toggle(runbook.NOTIFY, by="bo", at=7.0)
    assert (toggled.done, toggled.evidence, toggled.by) == (True, "ticked by hand", "bo")
    assert checklist.toggle(runbook.NOTIFY).done is False and toggled.by == ""


# ---- evaluators ---------------------------------------------------------------------------------


def pod(name: str, ready: bool = True, restarts: int = 0, deleting: bool = False, phase: str = "Running") -> dict:
    meta = {"name": name, "uid": f"uid-{name}"}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [{"name": "app", "restartCount": restarts, "state": {"running": {}}}],
    }}


def test_a_failure_reopens_only_what_it_had_ticked_with_the_reason_and_a_new_incident_clears_all():
    checklist = runbook.Checklist.runbook()
    for key in (runbook.IDENTIFY, runbook.EXECUTE, runbook.MONITOR, runbook.POD_HEALTH):
        checklist.set(key, True, evidence="seen", by="alice", at=1.0)
    reopened = checklist.reopen(runbook.PODS_UNHEALTHY, "backend: pods went unready (1/2 Ready)")
    assert [i.slug for i in reopened] == [runbook.POD_HEALTH]
    health = checklist.get(runbook.POD_HEALTH)
    assert (health.done, health.evidence, health.failing) == (False, "", True)
    assert health.status == "re-opened: backend: pods went unready (1/2 Ready)"
    assert checklist.get(runbook.MONITOR).done  # pods going unready do not undo that the rollout completed
    reopened = checklist.reopen(runbook.ROLLBACK_FAILED, "the plan's step backend stalled")
    assert [i.slug for i in reopened] == [runbook.EXECUTE, runbook.MONITOR]
    assert checklist.done == 1 and checklist.get(runbook.IDENTIFY).done  # by hand, before the rollback: kept
    checklist.clear()
    assert checklist.done == 0 and not any(i.status or i.failing for i in checklist)


def with_image(p: dict, image: str, waiting: str = "") -> dict:
    p["spec"] = {"containers": [{"name": "app", "image": image}]}
    if waiting:
        p["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": waiting}}
    return p


def test_a_crash_looping_target_is_its_current_pods_not_the_old_ones_it_replaces():
    c, bad, good = "eli-maor-backend", "backend:v2.1.0-crashloop", "backend:v2.0.0"
    old = with_image(pod(f"{c}-old-1", ready=False, restarts=7), bad, "CrashLoopBackOff")
    new = with_image(pod(f"{c}-new-1"), good)
    assert evidence.crash_looping(c, [old, new], [good]) == ""  # rolling back away from it
    assert evidence.crash_looping(c, [old, new], [bad]) == f"{c}: pod …-old-1 is in CrashLoopBackOff (7 restarts)"


def test_pods_proven_healthy_that_go_unready_or_restart_are_said():
    c = "eli-maor-backend"
    tracker = evidence.RestartTracker()
    pods = [pod(f"{c}-a-1"), pod(f"{c}-a-2")]
    assert evidence.pods_unhealthy(c, pods, 2, tracker.observe(pods, 0.0), healthy_at=0.0) == ""
    pods[1] = pod(f"{c}-a-2", ready=False)
    assert evidence.pods_unhealthy(c, pods, 2, tracker.observe(pods, 10.0), 0.0) == (
        f"{c}: pods went unready (1/2 Ready; …-a-2: Running, not ready)")
    pods[1] = pod(f"{c}-a-2", restarts=1)
    assert evidence.pods_unhealthy(c, pods, 2, tracker.observe(pods, 20.0), 0.0) == (
        f"{c}: pod …-a-2 restarted (restart count 1)")
    pods.append(pod(f"{c}-a-3"))  # a new pod (scaled up, replaced) is not a restart
    assert evidence.pods_unhealthy(c, pods[:1] + pods[2:], 2, tracker.observe(pods, 30.0), 25.0) == ""


def test_pod_health_needs_every_pod_ready_and_no_restart_for_the_window():
    tracker = evidence.RestartTracker()
    c = "eli-maor-backend"
    pods = [pod(f"{c}-aaa-1"), pod(f"{c}-aaa-2", ready=False), pod(f"{c}-old-1", deleting=True, ready=False)]
    steady = tracker.observe(pods, now=0.0)
    verdict = evidence.pod_health(c, pods, 2, steady, now=0.0, window=60)
    assert verdict == Verdict(None, f"{c}: 1/2 pods Ready; …-aaa-2: Running, not ready")

    pods[1] = pod(f"{c}-aaa-2")
    steady = tracker.observe(pods, now=30.0)
    assert evidence.pod_health(c, pods, 2, steady, 30.0, 60) == Verdict(
        None, f"{c}: 2/2 Ready, no restart for 30s of 60s")
    # A restart starts the window again.
    pods[0] = pod(f"{c}-aaa-1", restarts=1)
    steady = tracker.observe(pods, now=61.0)
    assert evidence.pod_health(c, pods, 2, steady, 61.0, 60).ok is None
    steady = tracker.observe(pods, now=121.0)
    assert evidence.pod_health(c, pods, 2, steady, 121.0, 60) == Verdict(
        True, f"{c}: 2/2 pods Ready, no restart for 60s")
    assert evidence.pod_health(c, [], 0, {}, 0.0, 60).ok is False  # scaled to 0 proves nothing


def test_connectivity_and_which_services_select_a_component():
    services = [
        {"metadata": {"name": "web"}, "spec": {"selector": {"app": "a", "serving": "true"}}},
        {"metadata": {"name": "other"}, "spec": {"selector": {"app": "b"}}},
        {"metadata": {"name": "headless"}, "spec": {}},
    ]
    assert evidence.services_selecting(services, {"app": "a", "serving": "false"}, ignore="serving") == ["web"]
    assert evidence.services_selecting(services, {"app": "a", "serving": "false"}) == []
    assert evidence.connectivity("a", {}).ok is None
    assert evidence.connectivity("a", {"web": []}) == Verdict(False, "a: service/web has no ready endpoints")
    assert evidence.connectivity("a", {"web": ["10.0.0.1", "10.0.0.2"]}) == Verdict(
        True, "a: service/web 2 ready")


def test_log_errors_counts_per_pod():
    pattern = re.compile(DEFAULT_LOG_ERROR_PATTERNS)
    crash = ("2026-01-01T00:00:00.000Z ERROR unhandled exception during startup\nTraceback (most recent call last):\n"
             "  File \"/app/server.py\", line 88\nConnectionError: refused\n")
    assert evidence.count_errors(crash, pattern) == 2
    assert evidence.count_errors("INFO GET /healthz 200 3.1ms\n", pattern) == 0
    c = "eli-maor-worker"
    bad = evidence.log_errors(c, {f"{c}-x-1": 4, f"{c}-x-2": 0})
    assert bad == Verdict(False, f"{c}\n…-x-1: 4 errors\n…-x-2: 0 errors")
    assert evidence.log_errors(c, {f"{c}-x-1": 0}, {f"{c}-y-1": "no logs yet (not started)"}).ok is None
    assert evidence.log_errors(c, {f"{c}-x-1": 0, f"{c}-x-2": 0}) == Verdict(True, f"{c}: no errors in 2 pods")


def test_commands_and_targets_and_combining():
    assert evidence.command_passed("smoke test", "a", 0) == Verdict(True, "a: smoke test passed (exit 0)")
    assert evidence.command_passed("smoke test", "a", 3) == Verdict(False, "a: smoke test failed (exit 3)")
    assert evidence.command_passed("notify command", "", None, "timed out after 5s and was killed").text == \
        "notify command timed out after 5s and was killed"
    assert evidence.targets_chosen({"b": 3, "a": 0}).text == "a → previous revision, b → revision 3"
    ok, pending, bad = Verdict(True, "a ok"), Verdict(None, "b waits"), Verdict(False, "c failed")
    assert evidence.combine({"a": ok, "b": ok}) == Verdict(True, "a ok; a ok")
    assert evidence.combine({"a": ok, "b": pending}) == Verdict(None, "b waits")
    assert evidence.combine({"a": ok, "b": pending, "c": bad}) == Verdict(False, "c failed")


# ---- commands as real subprocesses ----------------------------------------------------------------


def run(argv, timeout=30.0):
    lines: list[str] = []

    async def go():
        return await runner.run_command(argv, lines.append, timeout=timeout)

    return anyio.run(go), lines


def test_a_command_streams_its_lines_and_its_exit_code_is_the_verdict():
    result, lines = run([PY, "-c", "import sys; print('one'); print('two', file=sys.stderr); print('three')"])
    assert result.ok and result.exit_code == 0
    assert sorted(lines) == ["one", "three", "two"] and lines[0] == "one"
    result, lines = run([PY, "-c", "import sys; print('boom'); sys.exit(3)"])
    assert (result.ok, result.exit_code, lines) == (False, 3, ["boom"])
    assert result.command_line.endswith("-c 'import sys; print('\"'\"'boom'\"'\"'); sys.exit(3)'")


def test_a_hanging_command_is_killed_and_said():
    result, _ = run([PY, "-c", "import time; print('waiting', flush=True); time.sleep(60)"], timeout=1.0)
    assert result.exit_code is None and result.error == "timed out after 1s and was killed"
    assert result.lines == ("waiting",)


def test_commands_are_validated_before_they_run():
    assert runner.validate([PY, "-c", "pass"], "smoke test") == (PY, "-c", "pass")
    with pytest.raises(ConsoleError, match=r"^The smoke test command must be a list of arguments"):
        runner.validate("curl -fsS http://x", "smoke test")
    with pytest.raises(ConsoleError, match=r"'no-such-tool-h3b' was not found on PATH; install it or fix"):
        runner.validate(["no-such-tool-h3b", "x"], "smoke test")


# ---- the config file --------------------------------------------------------------------------------


def config(tmp_path: Path, text: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return load(path)


def test_config_evidence_settings_and_their_one_sentence_errors(tmp_path):
    c = config(tmp_path, "application: eli-maor\nnotify: [pager, --team, web]\npod_health_window: 5\n"
                         "log_error_patterns: [ERROR, 'panic:']\ncomponents:\n"
                         "  - {name: eli-maor-backend, smoke_test: [curl, x], health_check: [curl, y]}\n")
    assert c.notify == ("pager", "--team", "web") and c.pod_health_window == 5.0
    assert c.log_error_patterns == "(?:ERROR)|(?:panic:)"
    assert c.component("eli-maor-backend").health_check == ("curl", "y")
    assert c.component("nope") is None
    defaults = config(tmp_path, "application: eli-maor\n")
    assert (defaults.pod_health_window, defaults.log_error_patterns) == (60.0, DEFAULT_LOG_ERROR_PATTERNS)
    for text, said in [
        ("pod_health_window: soon\n", "pod_health_window 'soon' must be a number of seconds from 0 to 3600"),
        ("log_error_patterns: '(ERROR'\n", "log_error_patterns '(ERROR' is not a regular expression"),
        ("notify: 'page everyone'\n", "notify must be a list of arguments, e.g. [curl, -fsS, URL]"),
        ("components:\n  - {name: a, health_check: curl x}\n", "health_check of a must be a list of arguments"),
    ]:
        with pytest.raises(ConsoleError) as caught:
            config(tmp_path, text)
        assert said in caught.value.message and "\n" not in caught.value.message
