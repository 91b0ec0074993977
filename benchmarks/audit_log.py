"""Audit log: what one `app.record(...)` costs the UI loop, and how long until the entry is on disk.

For each sync mode of `tui.incident.auditlog.AuditLog` ("inline": fsync inside
`append`; "thread": the default, fsync on the log's own thread), appends N
entries of a realistic size (an action with its kubectl command and a
snapshot payload) and reports the time `append` blocks its caller (p50, p99,
max) and, for "thread", how long `close()` then waits for the last fsync.
The directory is $XDG_STATE_HOME's disk unless --dir says otherwise: measure
on the disk the console will use (a network home directory is the slow case).

A report, not a test: shared machines are noisy; read orders of magnitude.

    .venv/bin/python benchmarks/audit_log.py [--entries 2000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tui.core.times import rfc3339
from tui.incident.auditlog import AuditLog, state_dir

ENTRY = {
    "user": "alice", "context": "prod-eu", "namespace": "production", "kind": "action",
    "component": "eli-maor-backend", "text": "rolling back eli-maor-backend (reason: export API errors)",
    "command": "kubectl rollout undo deployment/eli-maor-backend --to-revision=4 -n production", "ok": None,
    "payload": {"action": "rollback", "revision": 4, "snapshot": {"eli-maor-backend": {
        "revision": "5", "images": ["ghcr.io/eli-maor/backend:v2.1.0"]}}},
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(directory: Path, sync: str, n: int) -> tuple[list[float], float]:
    log = AuditLog.create(directory / f"bench-{sync}-{time.time_ns()}.jsonl", sync=sync)
    costs = []
    for _ in range(n):
        entry = {**ENTRY, "time": rfc3339(time.time(), millis=True)}
        start = time.perf_counter()
        log.append(entry)
        costs.append(time.perf_counter() - start)
    start = time.perf_counter()
    log.close()
    return costs, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp dir next to the state dir)")
    args = parser.parse_args(argv)
    base = args.dir or state_dir().parent
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="audit-bench-") as tmp:
        print(f"{args.entries} appends in {tmp}\n")
        print("| sync | append p50 | append p99 | append max | close (last fsync) |")
        print("|---|---|---|---|---|")
        for sync in ("inline", "thread"):
            costs, closing = measure(Path(tmp), sync, args.entries)
            ms = [c * 1000 for c in costs]
            print(f"| {sync} | {percentile(ms, 0.5):.3f} ms | {percentile(ms, 0.99):.3f} ms | {max(ms):.3f} ms | "
                  f"{closing * 1000:.3f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
