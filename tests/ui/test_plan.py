"""Roll back every component (A) end to end: Pilot driving the console against a sandbox process.

The sandbox runs at speed 50, so the Deployments' 600 s progress deadline
passes in 12 s of wall time. The namespace is `production`: the plan's
confirmation needs the namespace typed. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from kubernetes import client

from tests.support.fixtures import fixed_app
from tests.support.pilot import wait_for
from tests.support.sandbox import Kubectl, start_sandbox
from tests.support.tools import DEFAULT_HELM, DEFAULT_KUBECTL, require
from tui.app import RollbackConsole
from tui.core import checklist as runbook
from tui.core.plan import CANCELLED, HELM, PENDING, ROLLED_OUT, RUNNING, STALLED
from tui.core.workload import Ref
from tui.kube.config import connect
from tui.screens.confirm import ConfirmScreen
from tui.screens.plan import PlanScreen, ReadinessScreen
from tui.screens.prompt import PromptScreen

RUNBOOK = [f"eli-maor-{c}" for c in ("backend", "worker", "beat", "frontend")]
SIZE = (140, 40)






def image(sb, name: str) -> str:
    apps = client.AppsV1Api(connect(kubeconfig=sb.kubeconfig).api)
    return apps.read_namespaced_deployment(name, "production").spec.template.spec.containers[0].image


async def open_plan(pilot, app: RollbackConsole) -> PlanScreen:
    await wait_for(pilot, lambda: app.components_table.row_count >= 4 and all(
        app.state.owned_of(Ref("Deployment", n)) for n in RUNBOOK), "the components and their ReplicaSets")
    await pilot.press("A")
    await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
    return app.screen


async def set_target(pilot, app: RollbackConsole, row: int, revision: int) -> None:
    screen = app.screen
    screen.query_one("#steps").move_cursor(row=row)
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the target prompt")
    await pilot.press("ctrl+a", "ctrl+k", *str(revision), "enter")
    await wait_for(pilot, lambda: app.screen is screen, "the prompt to close")
    assert app.plans.plan.steps[row].target == revision


async def execute(pilot, app: RollbackConsole, guard: str = "production") -> None:
    plan_screen = app.screen
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the plan's confirmation")
    assert app.screen.guard == guard  # production: the namespace must be typed
    await pilot.press(*guard, "enter")
    await wait_for(pilot, lambda: app.screen is plan_screen, "the confirmation to close")


def plan_steps(app: RollbackConsole) -> list[tuple]:
    """The plan's steps in the timeline: (component, start or outcome, ok)."""
    return [(e[2], "start" if e[1] == "plan-step" else "outcome", e[5]) for e in app.timeline_entries
            if e[1] in ("plan-step", "outcome")]


def test_the_plan_rolls_back_every_component_one_at_a_time(sb):
    app = RollbackConsole(connect(kubeconfig=sb.kubeconfig))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            # Readiness from the sandbox's real PDBs: the chart gives backend and frontend one, not the worker.
            await wait_for(pilot, lambda: app.plans.pdbs is not None, "the PodDisruptionBudgets")
            await wait_for(pilot, lambda: app.components_table._warnings, "the readiness marker")
            assert app.components_table._warnings == {"eli-maor-worker": 1}
            assert [w.rule for w in app.plans.warnings()["eli-maor-worker"]] == ["pdb"]
            await open_plan(pilot, app)
            plan = app.plans.plan
            assert [s.name for s in plan.steps] == RUNBOOK  # the runbook's order, no config
            assert [(s.current, s.target) for s in plan.steps] == [(5, 4)] * 4
            await set_target(pilot, app, 0, 1)  # the backend's revision 4 crash-loops: take 1 instead
            await execute(pilot, app)
            await wait_for(pilot, lambda: app.plans.executor is None and plan.finished, "the plan to finish", 120)
            assert [s.state for s in plan.steps] == [ROLLED_OUT] * 4, app.plans.message
            # Each step started only after the previous one's rollout completed.
            assert plan_steps(app) == [(n, kind, ok) for n in RUNBOOK for kind, ok in
                                       (("start", None), ("outcome", True))]
            texts = [(str(line.component), line.text) for line in app.state.log]
            for earlier, later in itertools.pairwise(RUNBOOK):
                done = texts.index((earlier, f'plan: deployment "{earlier}" successfully rolled out'))
                begun = next(n for n, (c, t) in enumerate(texts) if c == later and t.startswith("plan: plan step"))
                assert done < begun, (earlier, later)
            assert app.plans.message.startswith("Plan complete: done: eli-maor-backend, eli-maor-worker")
            assert not app.ledger
            assert app.ledger.rolled_back == set(RUNBOOK)

    asyncio.run(scenario())
    assert image(sb, RUNBOOK[0]) == "ghcr.io/eli-maor/backend:v1.9.0"
    for name in RUNBOOK[1:]:
        assert image(sb, name).endswith(":v2.0.1"), name


def test_the_plan_stops_at_a_crashlooping_target_and_says_what_is_not_done(sb):
    kubectl = Kubectl(require(DEFAULT_KUBECTL), sb)
    worker = RUNBOOK[1]
    # A crash-looping revision of the worker (6), then back to healthy v2.0.0 (revision 7).
    kubectl("set", "image", f"deployment/{worker}", "*=ghcr.io/eli-maor/worker:v2.0.0-crashloop", "-n", "production")
    kubectl("rollout", "undo", f"deployment/{worker}", "--to-revision=5", "-n", "production")
    kubectl("rollout", "status", f"deployment/{worker}", "-n", "production", "--timeout=60s", timeout=90)
    app = RollbackConsole(connect(kubeconfig=sb.kubeconfig))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_plan(pilot, app)
            plan = app.plans.plan
            assert (plan.steps[1].current, plan.steps[1].revisions) == (7, (1, 2, 3, 4, 6, 7))
            await set_target(pilot, app, 0, 1)
            await set_target(pilot, app, 1, 6)  # the crash-looping revision
            await execute(pilot, app)
            await wait_for(pilot, lambda: app.plans.executor is None, "the plan to stop", 120)
            assert [s.state for s in plan.steps] == [ROLLED_OUT, STALLED, CANCELLED, CANCELLED]
            assert plan.steps[1].message.startswith(
                f'{worker} stalled: deployment "{worker}" exceeded its progress deadline; the plan stopped here.')
            assert app.plans.message == ("Plan stopped: done: eli-maor-backend; stopped at: eli-maor-worker "
                                         "stalled; not done: eli-maor-beat, eli-maor-frontend.")
            assert plan_steps(app) == [(RUNBOOK[0], "start", None), (RUNBOOK[0], "outcome", True),
                                       (worker, "start", None), (worker, "outcome", False),
                                       (RUNBOOK[2], "outcome", None), (RUNBOOK[3], "outcome", None)]
            assert not app.ledger
            # The stall takes back what the backend's step had ticked (no "done" over a stalled plan), saying why.
            execute_item = app.checklist.get(runbook.EXECUTE)
            assert not execute_item.done and execute_item.failing
            assert execute_item.status.startswith(f"re-opened: the plan's step {worker} stalled: ")
            assert any(e[1] == "untick" and e[3].startswith("[ ] Execute rollback command: re-opened: ")
                       for e in app.timeline_entries)

    asyncio.run(scenario())
    assert image(sb, worker) == "ghcr.io/eli-maor/worker:v2.0.0-crashloop"
    assert image(sb, RUNBOOK[2]).endswith(":v2.0.0")  # beat: never touched


def test_cancel_between_steps(tmp_path):
    # At speed 10 a step's rollout takes seconds: time to press c while the first one runs.
    sandbox = start_sandbox(tmp_path, speed=10.0)
    app = RollbackConsole(connect(kubeconfig=sandbox.kubeconfig))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_plan(pilot, app)
            plan = app.plans.plan
            await set_target(pilot, app, 0, 1)
            await execute(pilot, app)
            await wait_for(pilot, lambda: any(s.state == RUNNING for s in plan.steps), "a step to run", 30)
            await pilot.press("c")
            await wait_for(pilot, lambda: app.plans.executor is None, "the plan to stop", 120)
            states = [s.state for s in plan.steps]
            done = states.count(ROLLED_OUT)
            assert states == [ROLLED_OUT] * done + [CANCELLED] * (4 - done) and done < 4, states
            if app.plans.cancelled_during is not None:  # the step that was running finished, no more
                assert done == app.plans.cancelled_during + 1
            assert app.plans.message.startswith("Plan stopped: done: eli-maor-backend")
            assert any(e[1] == "plan" and "cancelled by the user" in e[3] for e in app.timeline_entries)
            assert not app.ledger

    try:
        asyncio.run(scenario())
        assert image(sandbox, RUNBOOK[3]).endswith(":v2.0.0")  # the frontend was never rolled back
    finally:
        assert sandbox.stop() == 0


def test_the_helm_release_is_one_step_run_with_real_helm(sb):
    app = RollbackConsole(connect(kubeconfig=sb.kubeconfig), release="eli-maor", helm=str(require(DEFAULT_HELM)))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.helm.history.listed and app.helm.binary is not None,
                           "the release history and helm")
            await open_plan(pilot, app)
            plan = app.plans.plan
            (step,) = plan.steps
            assert (step.kind, step.covers, step.current, step.target) == (HELM, tuple(RUNBOOK), 4, 1)
            await execute(pilot, app)
            await wait_for(pilot, lambda: app.plans.executor is None, "the plan to finish", 120)
            assert step.state == ROLLED_OUT, step.message
            assert plan_steps(app) == [("eli-maor", "start", None), ("eli-maor", "outcome", True)]
            texts = [line.text for line in app.state.log]
            outcome = texts.index(f"plan: {step.message}")
            for name in RUNBOOK:  # the step waited for every rollout of the release
                assert texts.index(f'plan: deployment "{name}" successfully rolled out') < outcome, name
            starts = [e for e in app.timeline_entries if e[1] == "plan-step"]
            assert starts[0][3] == "plan step 1: rolling back helm release eli-maor from revision 4 to 1"
            assert starts[0][4].startswith("helm rollback eli-maor 1")

    asyncio.run(scenario())
    for name in RUNBOOK:
        assert image(sb, name).endswith(":v1.9.0"), name


# ---- refusals (offline fixture: no sandbox needed) -----------------------------------------------


@pytest.mark.offline
def test_read_only_and_busy_components_block_the_plan():
    async def scenario(app, expected: str, prepare=lambda app: None):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            prepare(app)
            await pilot.press("A")
            await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, PlanScreen)  # no confirmation
            assert app.plans.message == expected
            assert all(s.state == PENDING for s in app.plans.plan.steps)

    asyncio.run(scenario(fixed_app(read_only=True), "Read-only mode: rolling back is disabled (restart the console "
                         "without --read-only to act)."))
    asyncio.run(scenario(fixed_app(), "eli-maor-worker is busy: scaling eli-maor-worker is not finished; wait for "
                         "its outcome, then execute the plan.",
                         lambda app: app.ledger.start(Ref("Deployment", "eli-maor-worker"), "scaling eli-maor-worker")))


@pytest.mark.offline
def test_target_prompt_refuses_a_revision_that_does_not_exist():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("A")
            await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt")
            await pilot.press("ctrl+a", "ctrl+k", "9", "enter")
            await pilot.pause()
            assert isinstance(app.screen, PromptScreen)
            assert "has no revision 9" in str(app.screen.query_one("#problem").render())
            await pilot.press("escape", "escape", "w")
            await wait_for(pilot, lambda: isinstance(app.screen, ReadinessScreen), "the readiness view")

    asyncio.run(scenario())


@pytest.mark.offline
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_t_on_a_known_bad_helm_revision_says_so_and_ctrl_n_takes_the_suggested_one(size):
    from tests.support.fixtures.helm import fixed_helm_app

    app = fixed_helm_app()

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await pilot.press("A")
            await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
            plan_screen = app.screen
            (step,) = app.plans.plan.steps  # the release covers every Deployment
            assert (step.kind, step.target, step.known_bad) == (HELM, 1, {3: "Helm revision 3 failed: Upgrade failed"})
            assert step.command("production")[4:7] == ["--wait", "--timeout", "120s"]
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt")
            await pilot.press("ctrl+a", "ctrl+k", "3", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the known-bad confirmation")
            assert app.screen.warning == ("Revision 3 of helm release eli-maor is known bad: Helm revision 3 failed: "
                                          "Upgrade failed. Press Ctrl+N to target revision 1 instead, the newest "
                                          "healthy one.")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: app.screen is plan_screen, "back on the plan")
            assert step.target == 1
            # Enter keeps the known-bad revision, said as such.
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt")
            await pilot.press("ctrl+a", "ctrl+k", "3", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the known-bad confirmation")
            await pilot.press("enter")  # the "Keep 3" button has focus
            await wait_for(pilot, lambda: app.screen is plan_screen, "back on the plan")
            assert step.target == 3 and app.plans.message.endswith("(known bad)."), app.plans.message

    asyncio.run(scenario())


def test_x_with_a_known_bad_target_says_so_first_and_ctrl_n_retargets(sb):
    app = RollbackConsole(connect(kubeconfig=sb.kubeconfig), release="eli-maor")

    async def scenario():
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_for(pilot, lambda: app.helm.history.listed, "the release's history")
            plan_screen = await open_plan(pilot, app)
            (step,) = app.plans.plan.steps
            assert step.target == 1
            plan_screen.query_one("#steps").move_cursor(row=0)
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the target prompt")
            await pilot.press("ctrl+a", "ctrl+k", "3", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the known-bad confirmation")
            await pilot.press("enter")  # keep 3
            await wait_for(pilot, lambda: app.screen is plan_screen and step.target == 3, "target 3 kept")
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the plan's confirmation")
            first = app.screen
            assert first.warning == ("Known bad targets: helm release eli-maor revision 3: Helm revision 3 failed: "
                                     "Upgrade failed. Press Ctrl+N to target the newest healthy revision of each "
                                     "instead.")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen is not first,
                           "the plan's confirmation again")
            assert step.target == 1 and not app.screen.warning
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is plan_screen, "back on the plan")
            assert app.plans.message == "Cancelled: nothing was rolled back."

    asyncio.run(scenario())
