"""Scenes on the fixed state: what a Pilot does before a picture is taken.

Shared by the snapshot tests (`run_before=`) and `scripts/screenshots.py`, so
a screenshot shows exactly what a snapshot test checks. Each scene runs
offline on `fixed_app()` or `fixed_helm_app()` (tests/support/fixtures):
nothing calls a cluster or a binary; states are set directly where a live
console would wait for one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from textual.widgets import Input

from tests.support.fixtures import rollback_operation
from tests.support.fixtures.helm import HELM3
from tui.controllers.incident import IncidentController
from tui.core import checklist as runbook
from tui.core.plan import ROLLED_OUT, RUNNING
from tui.core.requests import Request
from tui.core.workload import Ref
from tui.helm.diff import manifest_diff
from tui.helm.operations import Cluster, HelmRollback, RollbackOptions, rollback_argv
from tui.incident.recorder import IncidentSettings
from tui.screens.confirm import ConfirmScreen
from tui.screens.helm import HelmRollbackScreen
from widgets.messages import OperationPlanned

BACKEND = "eli-maor-backend"


def no_blink(app) -> None:
    for field in app.screen.query(Input):
        field.cursor_blink = False


# ---- the console: a rollback's confirmation ----------------------------------------------------


async def open_confirmation(pilot, wrong_name: str = "") -> None:
    """What `u` on the backend opens: the rollback's confirmation, with the production guard."""
    app = pilot.app
    await pilot.pause()
    assert app.selected == Ref("Deployment", BACKEND)
    app.post_message(OperationPlanned(Request("rollback", Ref("Deployment", BACKEND)), rollback_operation(app.state)))
    await pilot.pause()
    await pilot.pause()
    assert app.screen.operation.component == BACKEND  # the confirmation is up
    no_blink(app)
    if wrong_name:
        await pilot.press(*wrong_name, "enter")
    no_blink(app)


async def open_known_bad_confirmation(pilot) -> None:
    """`r` on the backend's revision 4 (it runs failed Helm revision 3's images): the known-bad line first.
    Runs on fixed_helm_app(), whose release says revision 3 failed."""
    app = pilot.app
    await pilot.pause()
    backend = Ref("Deployment", BACKEND)
    app.post_message(OperationPlanned(Request("rollback", backend, revision=4),
                                      rollback_operation(app.state, to_revision=4)))
    await pilot.pause()
    await pilot.pause()
    assert app.screen.operation.revision == 4 and "known bad" in app.screen.warning
    no_blink(app)


# ---- the Helm pane (fixed_helm_app) ------------------------------------------------------------


def focus_helm(revision: int):
    async def before(pilot) -> None:
        await pilot.pause()
        table = pilot.app.helm.pane.table
        table.focus()
        table.select(revision)
        await pilot.pause()

    return before


async def open_helm_diff(pilot) -> None:
    await focus_helm(1)(pilot)
    await pilot.press("enter")
    await pilot.pause()


async def open_helm_preview(pilot) -> None:
    """What `r` on revision 1 shows once helm's dry run succeeded (pushed directly: offline, no helm)."""
    await pilot.pause()
    history = pilot.app.helm.history
    diff = manifest_diff(history.deployed, history.get(1))
    pilot.app.push_screen(HelmRollbackScreen(
        "Roll back Helm release eli-maor to revision 1 (deployed now: 4)",
        "Dry run: helm would roll eli-maor back to revision 1; nothing changed.", True, diff))
    await pilot.pause()
    await pilot.pause()


async def open_known_bad_helm_preview(pilot) -> None:
    """`r` on failed revision 3 once helm's dry run answered: the known-bad line, Ctrl+N to the suggested
    revision, and which out-of-band changes (the backend's set image and LOG_LEVEL) it reverts and keeps."""
    await pilot.pause()
    helm = pilot.app.helm
    history = helm.history
    warning, alternative = helm.known_bad_warning(3)
    pilot.app.push_screen(HelmRollbackScreen(
        "Roll back Helm release eli-maor to revision 3 (deployed now: 4)",
        "Dry run: helm would roll eli-maor back to revision 3; nothing changed.", True,
        manifest_diff(history.deployed, history.get(3)), warning=warning, alternative=alternative,
        out_of_band=helm.out_of_band(history.get(3))))
    await pilot.pause()
    await pilot.pause()


async def open_helm_confirmation(pilot) -> None:
    """Step 3: the confirmation with the exact helm command line and the production guard."""
    await pilot.pause()
    history = pilot.app.helm.history
    options = RollbackOptions(wait=True, timeout="5m")
    argv = rollback_argv(HELM3, "eli-maor", 1, Cluster("production", "/home/oncall/.kube/config", "sandbox"),
                         options)
    op = HelmRollback("eli-maor", "production", 1, 4, argv, options,
                      diff=manifest_diff(history.deployed, history.get(1)), production=True)
    pilot.app.push_screen(ConfirmScreen(op, guard="eli-maor"))
    await pilot.pause()
    await pilot.pause()
    no_blink(pilot.app)


# ---- the plan (A) and readiness (w) ------------------------------------------------------------


def plan_open(mid_run: bool):
    async def before(pilot) -> None:
        await pilot.pause()
        app = pilot.app
        app.plans.pdbs = []  # listed: no PodDisruptionBudget in the namespace
        app.plans.refresh_marks()
        await pilot.press("A")
        await pilot.pause()
        if mid_run:  # how a running plan looks (states set directly: offline, nothing runs)
            steps = app.plans.plan.steps
            steps[0].state, steps[1].state = ROLLED_OUT, RUNNING
            app.plans.message = 'Waiting for deployment "eli-maor-worker" rollout to finish: 1 out of 2 new replicas have been updated...'
            app.screen.show_plan()
        await pilot.pause()

    return before


async def readiness_open(pilot) -> None:
    await plan_open(False)(pilot)
    await pilot.press("escape", "w")
    await pilot.pause()


# ---- the incident report (e) -------------------------------------------------------------------


async def an_incident_then_e(pilot, state_dir: Path | None = None) -> None:
    """INC-2041 with a tick, a target, a rollback and its outcome; then `e` opens the preview."""
    app = pilot.app
    # A fixed report directory (never written here), so the path on screen is the same on every run.
    app.incident = IncidentController(app, IncidentSettings(
        state_dir=state_dir or Path(tempfile.mkdtemp(prefix="incident-shot-")), report_dir=Path("/srv/incidents"),
        user="alice"))
    await pilot.pause()
    app.incidents.start("INC-2041")  # not start_incident(): its toast names the tmp log path
    app.incident._show_incident()
    app.checklist.set(runbook.IDENTIFY, True, evidence="ticked by hand", by="alice", at=app.clock())
    app.record("tick", "", "Identify the issue (by hand)")
    app.checklist.set(runbook.TARGET, True, evidence=f"revision 4 of {BACKEND}", by="alice", at=app.clock())
    app.record("target", BACKEND, "target revision 4", payload={"revision": 4})
    app.record("action", BACKEND, f"rolling back {BACKEND} (reason: export API errors)",
               f"kubectl rollout undo deployment/{BACKEND} --to-revision=4 -n production",
               payload={"action": "rollback", "revision": 4, "op": "scene-1"})
    app.record("outcome", BACKEND, f"deployment.apps/{BACKEND} rolled back", ok=True,
               payload={"action": "rollback", "op": "scene-1"})
    await pilot.press("e")
    await pilot.pause()
    await pilot.pause()


def with_alerts(stale: bool = False):
    """The alerts a real Prometheus answered (fixtures/metrics-eli-maor.json), as the poller hands them over;
    `stale`: then a poll that failed."""
    async def before(pilot) -> None:
        from tests.support.fixtures.metrics import answer

        await pilot.pause()
        got, alerts, _ = answer()
        pilot.app.metrics._alerts_seen(alerts, got.end)
        if stale:
            pilot.app.metrics._alerts_failed("Prometheus at http://prometheus.example:9090 is unreachable "
                                             "(connection refused); check that it runs and the address.")
        await pilot.pause()

    return before


async def metrics_view(pilot) -> None:
    """`m` on the backend, then the captured answer and the rollback's moment."""
    from tests.support.fixtures.metrics import BACKEND, answer

    app = pilot.app
    await with_alerts()(pilot)
    app.components_table.select(BACKEND)
    await pilot.press("m")
    got, _, rollback_at = answer()
    app.metrics.rollbacks[BACKEND] = rollback_at
    app.metrics._answered(got)
    await pilot.pause()


# ---- the checklist: a failure re-opens, an evidence tick asks before it is unticked ------------


async def checklist_reopened(pilot) -> None:
    """The backend "rolled back" on the fixed state, whose current backend pods crash-loop: the next poll
    takes Execute back, saying why (Determine target revision stays: the target was chosen)."""
    app = pilot.app
    await pilot.pause()
    app.evidence.target_confirmed(BACKEND, 4)
    app.ledger.rolled_back.add(BACKEND)
    app.evidence.rollback_succeeded(BACKEND, f"kubectl rollout undo deployment/{BACKEND} --to-revision=4")
    app.evidence.poll()  # what the console's one-second timer does (offline it is not started)
    await pilot.pause()


async def untick_question(pilot) -> None:
    """Space on Determine target revision, ticked from evidence: the question before unticking it."""
    app = pilot.app
    await pilot.pause()
    app.evidence.target_confirmed(BACKEND, 4)
    sidebar = app.sidebar
    sidebar.focus()
    sidebar.highlighted = sidebar.get_option_index(app.checklist.get(runbook.TARGET).key)
    await pilot.press("space")
    await pilot.pause()


# ---- failures: the flash line and a stale screen -----------------------------------------------


async def server_gone(pilot) -> None:
    """Every watch lost its server 42 s ago (what the watchers report): the flash line names the server,
    the rows are dimmed and say as of when."""
    from tui.core.items import Health

    await pilot.pause()
    app = pilot.app
    since = app.clock() - 42
    sentence = f"Cannot reach the API server at {app.target.server}; retrying (check the cluster and your network)."
    app.apply([Health(kind, False, since, sentence) for kind in list(app.state.watches)])
    await pilot.pause()


async def logs_view(pilot) -> None:
    """L on the backend, p: its newest pod's previous run, the captured crash-loop lines handed to the view as
    the log stream's worker would (offline: the view says there is no cluster to follow)."""
    from tests.support.fixtures.logs import load

    await pilot.pause()
    pilot.app.components_table.select(BACKEND)
    await pilot.press("L", "p")
    screen = pilot.app.screen
    screen.add_lines(load(screen.pods[screen.pod_index])["previous"])
    await pilot.pause()


async def yaml_view(pilot, mode: str = "yaml") -> None:
    """y on the backend: the fixed state's Deployment and its events handed to the view as its reader would."""
    from tui.core import describe

    app = pilot.app
    await pilot.pause()
    app.components_table.select(BACKEND)
    await pilot.press("y")
    obj = app.state.obj(Ref("Deployment", BACKEND))
    events = [e for e in app.state.objects.get("Event", {}).values()
              if (e.get("involvedObject") or {}).get("name") == BACKEND
              and (e.get("involvedObject") or {}).get("kind") == "Deployment"]
    app.screen.show_object(describe.to_yaml(obj), describe.describe(obj, events, app.clock()), "")
    if mode == "describe":
        await pilot.press("d")
    await pilot.pause()


async def describe_view(pilot) -> None:
    await yaml_view(pilot, "describe")


# ---- the Rollout view (o) ------------------------------------------------------------------------


def rollout_view(moment: str, jump: str = ""):
    """The Rollout view of the backend's Rollout, the objects of a captured moment of the eli-maor-canary sandbox
    (tests/support/fixtures/rollout.py: "progressing" paused at step 3, "aborted" by the analysis) handed to the view
    as its watches would; `jump`: a key pressed in the view ("a": to the analysis)."""

    async def scene(pilot) -> None:
        from tests.support.fixtures.rollout import load

        app = pilot.app
        await pilot.pause()
        app.open_rollout_view(BACKEND)
        await pilot.pause()
        objs = load(moment)
        app.screen.show_objects(objs["Rollout"][0], objs["ReplicaSet"], objs["Pod"], objs["AnalysisRun"])
        await pilot.pause()
        if jump:
            await pilot.press(jump)
        await pilot.pause()

    return scene


async def database_view(pilot) -> None:
    """D, the target moved to the backend's revision 1 (v1.9.0): a downgrade is needed."""
    app = pilot.app
    await pilot.pause()
    await pilot.press("D")
    await pilot.pause()
    screen = app.screen
    screen.selected = next(n for n, r in enumerate(screen.rows) if r.component == "eli-maor-backend"
                           and r.revision == 1)
    screen.repaint()
    await pilot.pause()


async def database_confirmation(pilot) -> None:
    """Then d: the downgrade's confirmation, its SQL from Alembic's offline mode (handed over on the UI loop
    instead of from a worker, so the picture waits for nothing)."""
    from tests.support.database import CURRENCY, INI, RENAME
    from tui.database.migrations import downgrade_sql

    app = pilot.app
    await database_view(pilot)
    sql = downgrade_sql(INI, "postgresql+psycopg://eli@db/eli_maor", RENAME, CURRENCY)
    controller = app.database
    controller._preview = lambda op: controller._confirm(op, sql, "")
    app.run_off_loop = lambda work, **kwargs: work()
    await pilot.press("d")
    await pilot.pause()
    await pilot.pause()


async def plan_with_database_step(pilot) -> None:
    """A with the backend's target set to revision 1 (v1.9.0): the database step comes first."""
    app = pilot.app
    await plan_open(False)(pilot)
    plan = app.plans.plan
    backend = next(n for n, s in enumerate(plan.steps) if s.name == BACKEND)
    plan.set_target(backend, "1")
    app.plans.message = f"{BACKEND} will roll back to revision 1."
    app.plans.place_database_step()
    app.screen.show_plan()
    await pilot.pause()
