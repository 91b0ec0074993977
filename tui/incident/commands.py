"""`rollback-console report INCIDENT` and `rollback-console incidents`: the logs without a terminal UI."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..core.errors import ConsoleError
from . import auditlog
from . import report as reports
from .session import Incident, find
from .session import incidents as summaries


def report(name: str, output: Path | None = None, directory: Path | None = None) -> int:
    directory = directory or auditlog.state_dir()
    try:
        incident = Incident.load(find(directory, name))
    except ConsoleError as err:
        print(f"rollback-console: {err.message}", file=sys.stderr)
        return 1
    for notice in incident.notices:
        print(f"rollback-console: {notice}", file=sys.stderr)
    text = reports.render(incident, now=time.time())
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        output.write_text(text)
    except OSError as exc:
        print(f"rollback-console: cannot write the report to {output}: {exc.strerror}.", file=sys.stderr)
        return 1
    print(f"Report of {incident.name} written to {output}")
    return 0


def incidents(directory: Path | None = None) -> int:
    directory = directory or auditlog.state_dir()
    found = summaries(directory)
    if not found:
        print(f"No incidents recorded in {directory} yet.")
        return 0
    rows = [("NAME", "STATE", "STARTED (UTC)", "CONTEXT/NAMESPACE", "ENTRIES")]
    rows += [(s.name, "closed" if s.closed else "open", reports.when(s.started), f"{s.context}/{s.namespace}",
              str(s.entries)) for s in found]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("   ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())
    return 0
