"""`rollback-console report INCIDENT` and `rollback-console incidents`, as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tui.core import checklist as runbook
from tui.incident.recorder import IncidentSettings, Recorder

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_800_000_000.0


def run_cli(state: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True, timeout=60,
                          env=env, cwd=ROOT, check=False)


def an_incident(state: Path, name: str, close: bool = False, context: str = "prod-eu") -> None:
    checklist = runbook.Checklist.runbook()
    rec = Recorder(IncidentSettings(user="alice"), context, "production", clock=lambda: T0,
                   snapshot=lambda c: {"eli-maor-backend": {"revision": "5", "images": ["backend:v2"]}},
                   checklist=checklist)
    rec.start(name)
    rec.record("action", "eli-maor-backend", "rolling back", "kubectl rollout undo deployment/eli-maor-backend",
               payload={"action": "rollback"})
    rec.record("outcome", "eli-maor-backend", "rolled back", ok=True, payload={"action": "rollback"})
    if close:
        rec.close_incident()
    else:
        rec.close()


def test_report_prints_or_writes_the_report_without_a_terminal(private_state_dir, tmp_path):
    an_incident(private_state_dir, "INC-1")
    printed = run_cli(private_state_dir, "report", "INC-1")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("# Incident report: INC-1\n")
    assert "| `kubectl rollout undo deployment/eli-maor-backend` | ok: rolled back |" in printed.stdout
    out = tmp_path / "report.md"
    written = run_cli(private_state_dir, "report", "INC-1", "--output", str(out))
    assert written.returncode == 0 and written.stdout == f"Report of INC-1 written to {out}\n"
    assert out.read_text().startswith("# Incident report: INC-1\n")


def test_an_unknown_incident_is_one_sentence_listing_the_known_ones(private_state_dir):
    an_incident(private_state_dir, "INC-1")
    an_incident(private_state_dir, "INC-2", close=True)
    result = run_cli(private_state_dir, "report", "INC-9")
    assert result.returncode == 1
    assert result.stderr.startswith("rollback-console: No incident named 'INC-9' in ")
    assert "(known: INC-" in result.stderr and "INC-1" in result.stderr and "INC-2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    bad = run_cli(private_state_dir, "report", "../../etc/passwd")
    assert bad.returncode == 1 and "No incident named '../../etc/passwd'" in bad.stderr


def test_incidents_lists_them_with_their_state(private_state_dir):
    assert run_cli(private_state_dir, "incidents").stdout.startswith("No incidents recorded in ")
    an_incident(private_state_dir, "INC-1")
    an_incident(private_state_dir, "INC-2", close=True, context="prod-us")
    lines = run_cli(private_state_dir, "incidents").stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATE", "STARTED", "(UTC)", "CONTEXT/NAMESPACE", "ENTRIES"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["INC-1"][1] == "open" and rows["INC-1"][4] == "prod-eu/production" and rows["INC-1"][5] == "3"
    assert rows["INC-2"][1] == "closed" and rows["INC-2"][5] == "4"


def test_a_torn_log_still_reports_and_says_so(private_state_dir):
    an_incident(private_state_dir, "INC-1")
    with open(private_state_dir / "rollback-console" / "INC-1.jsonl", "ab") as log:
        log.write(b'{"seq":4,"ki')
    result = run_cli(private_state_dir, "report", "INC-1")
    assert result.returncode == 0
    assert "INC-1.jsonl ends with a torn entry (line 4, 12 bytes" in result.stderr
    assert "## Notes on the log" in result.stdout
