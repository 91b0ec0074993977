"""An Argo Rollout from the console, end to end: Pilot driving the app against the `eli-maor-canary`
sandbox (the backend is the runbook's canary Rollout); with a real Prometheus, the analysis aborts a
canary that errs and the console says so in upstream's words."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input

from tests.support.pilot import BACKEND, SIZE, confirm, console, ready, run, stream_texts, wait_for
from tests.support.prometheus import sandbox_with_prometheus, wait_for_value
from tests.support.sandbox import Kubectl, start_sandbox
from tests.support.tools import DEFAULT_KUBECTL
from tui.core import checklist as runbook
from tui.core.workload import Ref
from tui.screens.prompt import PromptScreen

pytestmark = pytest.mark.timeout(240)
NS = "production"
REF = Ref("Rollout", BACKEND)
ROLLED_OUT = f'rollout "{BACKEND}" successfully rolled out'
SPEED = 40.0


@pytest.fixture
def canary(tmp_path):
    sandbox = start_sandbox(tmp_path, "eli-maor-canary", SPEED)
    yield sandbox
    assert sandbox.stop() == 0, "".join(sandbox.stderr)[-2000:]
    errors = [line for line in sandbox.stderr if "ERROR" in line or "Traceback" in line]
    assert not errors, "".join(sandbox.stderr)[-4000:]


def row(app):
    return app.state.component(REF)


async def act(pilot, app, key: str, command: str):
    """Press an action's key on the Rollout and confirm it (production: its name typed)."""
    app.components_table.select(REF)
    app.components_table.focus()
    await pilot.press(key)
    screen = await confirm(pilot, app, BACKEND)
    assert screen.operation.command_line == command
    return screen.operation


def test_set_image_promote_abort_retry_and_undo_from_the_console(canary):
    k = Kubectl(DEFAULT_KUBECTL, canary)
    # No Prometheus here: a steps-only canary (the analysis would err without one).
    k("patch", "ro", BACKEND, "-n", NS, "--type=json", "-p",
      json.dumps([{"op": "remove", "path": "/spec/strategy/canary/analysis"}]))
    app = console(canary)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app, BACKEND)
            await wait_for(pilot, lambda: row(app) is not None and row(app).status == "Healthy", "Healthy")
            assert row(app).detail == ("6/6", "w100") and row(app).revision == "2"

            app.components_table.focus()
            await pilot.press("g")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the image prompt")
            app.screen.query_one(Input).value = "backend=ghcr.io/eli-maor/backend:v2.1.0"
            await pilot.press("enter")
            screen = await confirm(pilot, app, BACKEND)
            assert screen.operation.command_line == (
                f"kubectl argo rollouts set image {BACKEND} backend=ghcr.io/eli-maor/backend:v2.1.0 -n {NS}")
            await wait_for(pilot, lambda: row(app).status == "Paused" and row(app).detail[:2] == ("1/6", "w20"),
                           "the canary paused at step 1")
            assert row(app).detail == ("1/6", "w20", "stable v2.0.0", "CanaryPauseStep")

            await act(pilot, app, "P", f"kubectl argo rollouts promote {BACKEND} -n {NS}")
            await wait_for(pilot, lambda: row(app).status == "Paused" and row(app).detail[:2] == ("3/6", "w50"),
                           "the canary paused at step 3")
            await act(pilot, app, "X", f"kubectl argo rollouts abort {BACKEND} -n {NS}")
            await wait_for(pilot, lambda: row(app).status == "Degraded", "Degraded after the abort")
            assert row(app).message == "RolloutAborted: Rollout aborted update to revision 3"
            await wait_for(pilot, lambda: f'rollout "{BACKEND}" Degraded: {row(app).message}' in stream_texts(app),
                           "upstream's message in the stream")
            await act(pilot, app, "R", f"kubectl argo rollouts retry rollout {BACKEND} -n {NS}")
            await wait_for(pilot, lambda: row(app).status == "Paused" and row(app).detail[0] == "1/6",
                           "the steps again")
            # u: undo to the previous revision, here the stable one: the steps are skipped.
            await act(pilot, app, "u", f"kubectl argo rollouts undo {BACKEND} -n {NS}")
            await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(app), "Healthy again", 60)
            assert f"rollout '{BACKEND}' undo" in stream_texts(app)
            assert row(app).status == "Healthy" and row(app).detail == ("6/6", "w100")
            assert BACKEND in app.ledger.rolled_back
            assert not app.ledger
            execute = app.checklist.get(runbook.EXECUTE)
            assert execute.done
            # The rolled-back Rollout's next update aborted: what the rollback had proven is taken back.
            app.components_table.focus()
            await pilot.press("g")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the image prompt")
            app.screen.query_one(Input).value = "backend=ghcr.io/eli-maor/backend:v2.1.1"
            await pilot.press("enter")
            await confirm(pilot, app, BACKEND)
            await wait_for(pilot, lambda: row(app).status == "Paused" and row(app).detail[0] == "1/6", "a canary")
            await act(pilot, app, "X", f"kubectl argo rollouts abort {BACKEND} -n {NS}")
            await wait_for(pilot, lambda: not execute.done, "the execute item re-opened")
            assert execute.reopened == f"{BACKEND} aborted by hand"

    run(scenario())
    image = k.json("get", "ro", BACKEND, "-n", NS)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "ghcr.io/eli-maor/backend:v2.1.1"


def test_a_canary_the_analysis_aborts_shows_degraded_with_upstreams_message_and_b_goes_back(tmp_path):
    from kube_sandbox.seeds import SUCCESS_RATE_QUERY

    with sandbox_with_prometheus(tmp_path, seed="eli-maor-canary", speed=20.0) as (sandbox, prom):
        k = Kubectl(DEFAULT_KUBECTL, sandbox)
        wait_for_value(prom, SUCCESS_RATE_QUERY.replace("{{args.service-name}}", BACKEND), lambda v: v >= 0.99,
                       timeout=30)
        app = console(sandbox)

        async def scenario():
            async with app.run_test(size=SIZE) as pilot:
                await ready(pilot, app, BACKEND)
                k("patch", "ro", BACKEND, "-n", NS, "--type=json", "-p", json.dumps(
                    [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
                      "value": "ghcr.io/eli-maor/backend:v2.1.0-errors"}]))
                await wait_for(pilot, lambda: row(app).status == "Degraded", "the analysis to abort the canary", 90)
                message = ("RolloutAborted: Rollout aborted update to revision 3: Background analysis phase "
                           'error/failed: Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')
                assert row(app).message == message
                assert row(app).detail[0] == "aborted" and "stable v2.0.0" in row(app).detail
                assert f'rollout "{BACKEND}" Degraded: {message}' in stream_texts(app)
                # b: the fast path. Stable's ReplicaSet is there: undo onto it (no steps, no analysis).
                op = await act(pilot, app, "b", f"kubectl argo rollouts undo {BACKEND} --to-revision=2 -n {NS}")
                assert op.summary.startswith(f"Roll back rollout {BACKEND} from revision 3 to stable revision 2")
                assert op.changes[0] == "undo onto stable (the fast path: no steps, no analysis)"
                await wait_for(pilot, lambda: ROLLED_OUT in stream_texts(app), "Healthy on stable", 60)
                # The checklist ticks from a Rollout's evidence as from a Deployment's.
                target, execute, monitor = (app.checklist.get(key) for key in
                                            (runbook.TARGET, runbook.EXECUTE, runbook.MONITOR))
                assert target.done and target.evidence == f"{BACKEND} → revision 2"
                assert execute.done and monitor.done
                # The aborted canary is known bad in Revisions.
                bad = [v.revision for v in app.state.revisions(REF) if v.known_bad]
                assert bad == [3]

        run(scenario())


def test_the_plan_undoes_the_rollout_onto_stable_then_waits_for_healthy(canary):
    from tests.ui.test_plan import execute
    from tui.core.plan import ROLLED_OUT as STEP_DONE
    from tui.screens.plan import PlanScreen

    k = Kubectl(DEFAULT_KUBECTL, canary)
    k("patch", "ro", BACKEND, "-n", NS, "--type=json", "-p",
      json.dumps([{"op": "remove", "path": "/spec/strategy/canary/analysis"}]))
    k("patch", "ro", BACKEND, "-n", NS, "--type=json", "-p", json.dumps(
        [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
          "value": "ghcr.io/eli-maor/backend:v2.1.0"}]))
    app = console(canary)

    async def scenario():
        async with app.run_test(size=(140, 40)) as pilot:
            await ready(pilot, app, BACKEND)
            await wait_for(pilot, lambda: row(app).status == "Paused" and row(app).detail[0] == "1/6", "the canary")
            # Readiness: without its analysis the Rollout is not the runbook's.
            await wait_for(pilot, lambda: "analysis" in [w.rule for w in app.plans.warnings().get(BACKEND, [])],
                           "the readiness warning")
            await pilot.press("A")
            await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
            plan = app.plans.plan
            step = plan.steps[0]
            assert (step.name, step.workload, step.current, step.target) == (BACKEND, "Rollout", 3, 2)
            assert " ".join(step.command(NS)) == f"kubectl argo rollouts undo {BACKEND} --to-revision=2 -n {NS}"
            await execute(pilot, app)
            await wait_for(pilot, lambda: plan.steps[0].state == STEP_DONE, "the Rollout's step", 60)
            texts = [line.text for line in app.state.lines(REF)]
            assert f"plan: {ROLLED_OUT}" in texts
            await wait_for(pilot, lambda: app.plans.executor is None and plan.finished, "the plan to finish", 120)
            assert row(app).status == "Healthy"
            assert BACKEND in app.ledger.rolled_back

    run(scenario())
    image = k.json("get", "ro", BACKEND, "-n", NS)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "ghcr.io/eli-maor/backend:v2.0.0"

