"""Make screenshots/*.svg of the console's screens, from the fixed state the snapshot tests use.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

The state is `tests/support/fixtures/eli-maor.json`: the seeded eli-maor
sandbox caught in a crash-looping backend rollout (old and new pods both
up), replayed with a fixed clock, so the pictures are the same every time.
The scenes (what happens before a picture) are the snapshot tests' own, from
`tests/support/scenes.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.widgets import Input

from tests.support.fixtures import fixed_app
from tests.support.fixtures.canary import canary_app, open_rollout_confirmation
from tests.support.fixtures.database import fixed_database_app
from tests.support.fixtures.evidence import checklist_with_evidence
from tests.support.fixtures.helm import fixed_helm_app
from tests.support.fixtures.metrics import CONFIG as METRICS_CONFIG
from tests.support.scenes import (
    an_incident_then_e,
    database_confirmation,
    database_view,
    describe_view,
    focus_helm,
    logs_view,
    metrics_view,
    open_confirmation,
    open_helm_confirmation,
    open_helm_diff,
    open_helm_preview,
    open_known_bad_confirmation,
    plan_open,
    plan_with_database_step,
    readiness_open,
    rollout_view,
    with_alerts,
    yaml_view,
)


async def _keys(pilot, *keys: str) -> None:
    await pilot.press(*keys)


# name -> (size, what to do before the picture, what it shows)
SHOTS: dict[str, tuple[tuple[int, int], Callable[..., Awaitable[None]] | None, str]] = {
    # The Helm shots (names starting with "helm") show the fixed release of fixtures/helm-eli-maor.json.
    "helm-160x48": ((160, 48), focus_helm(1), "the Helm pane: release history, suggested target, hooks"),
    "helm-diff": ((100, 40), open_helm_diff, "a Helm revision against the deployed one, secrets masked"),
    "helm-rollback": ((100, 40), open_helm_preview, "a Helm rollback's dry-run preview and options"),
    "helm-stuck": ((120, 40), focus_helm(4), "a release stuck in pending-upgrade, with the recovery offered"),
    "helm-confirm": ((100, 40), open_helm_confirmation, "a Helm rollback's confirmation: the exact helm command"),
    "helm-known-bad": ((100, 34), open_known_bad_confirmation,
                       "a rollback to a known-bad revision: the evidence first, Ctrl+N for the newest healthy one"),
    "main-80x24": ((80, 24), None, "the main screen on an 80x24 SSH terminal"),
    "main-160x48": ((160, 48), None, "the main screen at 160x48, checklist open"),
    "main-200x60": ((200, 60), None, "the main screen at 200x60"),
    "diff": ((100, 30), lambda p: _keys(p, "tab", "j", "d"), "the diff of revision 5 against the current one"),
    "confirm-production": ((100, 34), open_confirmation, "a rollback's confirmation with the production guard"),
    "help": ((80, 36), lambda p: _keys(p, "question_mark"), "every key"),
    "checklist-80x24": ((80, 24), lambda p: _keys(p, "c", "down", "space"), "the checklist opened at 80 columns"),
    "checklist-evidence": ((160, 48), checklist_with_evidence,
                           "the checklist mid-incident: evidence, who and when, a note, log errors per pod"),
    "plan": ((120, 40), plan_open(True), "roll back every component (A): the plan mid-run, readiness warnings"),
    "readiness": ((120, 40), readiness_open, "rollback readiness (w): each component against the runbook"),
    "report-preview": ((120, 40), an_incident_then_e, "the incident report's preview (e), before it is written"),
    # The database shots show the demo's migrations (examples/eli-maor-migrations), the database at v2.0.0's head.
    "database-160x48": ((160, 48), database_view, "the Database view (D): Alembic's history and each target's verdict"),
    "database-confirm": ((120, 48), database_confirmation,
                         "a database downgrade's confirmation: its SQL, the alembic command, the guard"),
    "database-plan": ((120, 40), plan_with_database_step,
                      "the plan (A) with the downgrade its backend target needs, before that rollback"),
    # The metrics shots (names starting with "metrics" or "alerts") show answers a real Prometheus gave.
    "metrics-160x48": ((160, 48), metrics_view, "the Metrics view (m): the -errors release, then the rollback"),
    "alerts-160x48": ((160, 48), with_alerts(), "DeploymentFailed firing: on its row and in the header"),
    # The logs shot shows a crash-looping backend's previous run captured from the sandbox (fixtures/logs.py).
    "logs-120x40": ((120, 40), logs_view, "the logs view (L): a crash-looping pod's previous run, error lines marked"),
    "yaml-100x40": ((100, 40), yaml_view, "the YAML view (y) of the live Deployment"),
    "describe-120x40": ((120, 40), describe_view, "describe (d in the YAML view): conditions and events"),
    # The Rollout shots show objects captured from the eli-maor-canary sandbox with real Prometheus (fixtures/rollout.py).
    "rollout-view-120x40": ((120, 40), rollout_view("progressing"),
                            "the Rollout view (o): a canary paused at step 3, its analysis measuring"),
    "rollout-analysis-failed-160x48": ((160, 48), rollout_view("aborted"),
                                       "the Rollout view (o): an -errors canary aborted by analysis, and why"),
    # The Rollout row and its fast path, on the captured canary (fixtures/rollout-canary.json).
    "rollout-row-aborted-120x30": ((120, 30), None, "an Argo Rollout aborted by its analysis: Degraded, its row"),
    "rollout-back-to-stable": ((100, 34), open_rollout_confirmation,
                               "b on a canary in flight: undo onto stable, the plugin's command, the guard"),
}


async def shoot(name: str, out: Path) -> Path:
    size, before, _ = SHOTS[name]
    if name.startswith("helm"):
        app = fixed_helm_app(stuck=name == "helm-stuck")
    elif name.startswith("database"):
        app = fixed_database_app()
    elif name == "rollout-row-aborted-120x30":
        app = canary_app("aborted")
    elif name == "rollout-back-to-stable":
        app = canary_app("paused")
    else:
        app = fixed_app(config=METRICS_CONFIG) if name.startswith(("metrics", "alerts")) else fixed_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if before is not None:
            await before(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        path = out / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"rollback-console — {SHOTS[name][2]}"))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="folder for the SVGs")
    parser.add_argument("names", nargs="*", choices=[[], *SHOTS], help="which screens (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or SHOTS:
        path = asyncio.run(shoot(name, args.out))  # (an --out outside the repo used to shoot nothing)
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
