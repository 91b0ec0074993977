"""The roll-back-every-component plan: building it (order, targets, the Helm step) and the executor's
state machine. Plain Python: the deployments come from the fixed fixture, and the executor runs against
a scripted backend (the real one, on a sandbox, is exercised in tests/ui/test_plan.py)."""

from __future__ import annotations

import copy

import pytest

from tests.support.fixtures import fixed_state
from tui.core.plan import (
    CANCELLED,
    HELM,
    HELM_RELEASE_ANNOTATION,
    KUBECTL,
    PENDING,
    ROLLED_OUT,
    RUNNING,
    SKIPPED,
    STALLED,
    Backend,
    PlanExecutor,
    build_plan,
    runbook_order,
)
from tui.core.workload import Ref
from tui.helm.release import DEPLOYED, FAILED, SUPERSEDED, ReleaseHistory, Revision
from tui.workloads.registry import READERS

BACKEND, WORKER, BEAT, FRONTEND = (f"eli-maor-{c}" for c in ("backend", "worker", "beat", "frontend"))
RUNBOOK = [BACKEND, WORKER, BEAT, FRONTEND]


@pytest.fixture(scope="module")
def state():
    return fixed_state()[0]


def deployments(state, released: tuple[str, ...] = (), release: str = "eli-maor") -> dict:
    objects = copy.deepcopy(state.objects["Deployment"])
    for d in objects.values():  # the fixture's Deployments are all the seed release's: start from none
        (d["metadata"].get("annotations") or {}).pop(HELM_RELEASE_ANNOTATION, None)
    for name in released:
        objects[name]["metadata"].setdefault("annotations", {})[HELM_RELEASE_ANNOTATION] = release
    return {Ref("Deployment", name): d for name, d in objects.items()}


# ---- order ---------------------------------------------------------------------------------------


def test_default_order_is_the_runbooks_by_name_suffix():
    assert runbook_order([FRONTEND, "zeta-api", BEAT, WORKER, BACKEND]) == RUNBOOK + ["zeta-api"]


def test_configured_order_comes_first_and_unknown_names_are_ignored():
    order = runbook_order(RUNBOOK, [FRONTEND, "not-there", BEAT])
    assert order == [FRONTEND, BEAT, BACKEND, WORKER]


def test_plan_steps_follow_the_configured_order(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS, [WORKER, BACKEND])
    assert [s.name for s in plan.steps] == [WORKER, BACKEND, BEAT, FRONTEND]
    assert all(s.kind == KUBECTL and s.state == PENDING for s in plan.steps)


# ---- targets -------------------------------------------------------------------------------------


def test_each_step_targets_the_previous_revision_with_images(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    backend = plan.steps[0]
    assert (backend.name, backend.current, backend.target) == (BACKEND, 6, 5)
    assert backend.revisions == (1, 2, 3, 4, 5, 6)
    assert backend.images == "v2.1.0-crashloop → v2.0.0"
    assert backend.command("production") == ["kubectl", "rollout", "undo", f"deployment/{BACKEND}",
                                             "--to-revision=5", "-n", "production"]


def test_a_step_targets_the_newest_revision_not_known_bad(state):
    bad = {5: "pod eli-maor-backend-x CrashLoopBackOff", 4: "Helm revision 3 failed: Upgrade failed"}
    plan = build_plan("production", deployments(state), state.owned_of, READERS,
                      known_bad=lambda ref: bad if ref.name == BACKEND else {})
    backend, worker = plan.steps[0], plan.steps[1]
    assert (backend.target, backend.healthy, backend.known_bad) == (3, 3, bad)
    assert (worker.target, worker.healthy) == (worker.current - 1, worker.current - 1)
    # Every other revision known bad: kubectl's previous one stays the target (the confirmation says why).
    plan = build_plan("production", deployments(state), state.owned_of, READERS,
                      known_bad=lambda ref: {n: "bad" for n in range(1, 6)})
    assert (plan.steps[0].target, plan.steps[0].healthy) == (5, 0)


def test_target_edits_are_validated(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    assert plan.set_target(0, "five") == "Give a revision number, e.g. 5."
    assert plan.set_target(0, "6") == ("Revision 6 is the current one of eli-maor-backend; choose an older or "
                                       "another revision.")
    assert plan.set_target(0, "9") == "eli-maor-backend has no revision 9; its revisions are 1, 2, 3, 4, 5, 6."
    assert plan.steps[0].target == 5  # unchanged by refusals
    assert plan.set_target(0, "1") is None
    assert (plan.steps[0].target, plan.steps[0].images) == (1, "v2.1.0-crashloop → v1.9.0")
    plan.steps[0].state = ROLLED_OUT
    assert plan.set_target(0, "3") == "eli-maor-backend is rolled out; only a pending step's target can change."


# ---- the Helm step -------------------------------------------------------------------------------


def history() -> ReleaseHistory:
    h = ReleaseHistory("eli-maor", "production")
    h.relist([Revision("eli-maor", "production", n, status, None, f"eli-maor-{v}", f"v{v}", d, manifest=m)
              for n, status, v, d, m in ((1, SUPERSEDED, "1.9.0", "Install complete", "one"),
                                         (2, SUPERSEDED, "2.0.0", "Upgrade complete", "two"),
                                         (3, FAILED, "2.0.1", "Upgrade failed", "three"),
                                         (4, DEPLOYED, "2.0.0", "Rollback to 2", "two"))])
    return h


def test_a_helm_release_is_one_step_where_its_first_deployment_comes(state):
    released = (WORKER, BEAT)  # backend and frontend are outside the release: kubectl steps
    plan = build_plan("production", deployments(state, released), state.owned_of, READERS, release="eli-maor",
                      helm_history=history(), helm_wait="120s")
    assert [(s.kind, s.name) for s in plan.steps] == [(KUBECTL, BACKEND), (HELM, "eli-maor"), (KUBECTL, FRONTEND)]
    helm = plan.steps[1]
    assert helm.covers == (WORKER, BEAT)
    # Helm's own default: revision 3 failed and 2's manifest is the deployed one, so 1.
    assert (helm.current, helm.target, helm.revisions) == (4, 1, (1, 2, 3, 4))
    # --wait: a rollback whose pods never become ready is recorded by helm as failed, not deployed.
    assert helm.command("production") == ["helm", "rollback", "eli-maor", "1", "--wait", "--timeout", "120s",
                                          "-n", "production"]
    assert helm.known_bad == {3: "Helm revision 3 failed: Upgrade failed"}
    assert helm.label == "helm release eli-maor" and not helm.unavailable


def test_deployments_of_another_release_stay_kubectl_steps(state):
    plan = build_plan("production", deployments(state, (WORKER,), release="other"), state.owned_of, READERS,
                      release="eli-maor", helm_history=history())
    assert [s.kind for s in plan.steps] == [KUBECTL] * 4 and plan.release == ""


def test_a_helm_step_without_history_is_planned_but_unavailable(state):
    plan = build_plan("production", deployments(state, tuple(RUNBOOK)), state.owned_of, READERS, release="eli-maor")
    (step,) = plan.steps
    assert step.kind == HELM and step.covers == tuple(RUNBOOK)
    assert step.unavailable.startswith("No target: the history of Helm release eli-maor is not loaded yet")


# ---- the executor --------------------------------------------------------------------------------


class Scripted(Backend):
    """Each Deployment's rollout as a list of (message, done, error, progress key) readings."""

    def __init__(self, readings: dict[str, list], outcomes: dict[str, tuple] | None = None):
        self.readings = {k: list(v) for k, v in readings.items()}
        self.outcomes = outcomes or {}
        self.calls: list[str] = []

    def roll_back(self, step, reason, on_line):
        self.calls.append(f"rollback {step.name}")
        return self.outcomes.get(step.name, ("ok", True, f"deployment.apps/{step.name} rolled back", "cmd"))

    def status(self, name, kind="Deployment"):
        self.calls.append(f"status {name}")
        queue = self.readings[name]
        return queue.pop(0) if len(queue) > 1 else queue[0]


WAIT = ("Waiting for rollout", False, False, (1,))
DONE = ("successfully rolled out", True, False, (2,))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run(plan, backend, cancel_after: str = "", stall_after: float = 30.0):
    events, clock = [], Clock()
    executor = None

    def report(ev):
        events.append(ev)
        if cancel_after and ev.final and ev.component == cancel_after:
            executor.cancel()

    executor = PlanExecutor(plan, backend, report, stall_after=stall_after, poll=1.0, clock=clock,
                            sleep=clock.sleep)
    return executor.run(), events


def test_steps_run_one_at_a_time_each_waiting_for_its_rollout(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    backend = Scripted({n: [WAIT, WAIT, DONE] for n in RUNBOOK})
    summary, events = run(plan, backend)
    # Never a rollback before the previous step's rollout is done.
    assert backend.calls == [c for n in RUNBOOK for c in (f"rollback {n}", f"status {n}", f"status {n}",
                                                           f"status {n}")]
    assert [s.state for s in plan.steps] == [ROLLED_OUT] * 4
    finals = [(e.component, e.state, e.ok) for e in events if e.final]
    assert finals == [(n, ROLLED_OUT, True) for n in RUNBOOK]
    assert [e.component for e in events if e.start] == RUNBOOK
    assert summary == ("done: eli-maor-backend, eli-maor-worker, eli-maor-beat, eli-maor-frontend; "
                       "not done: nothing.")


def test_a_progress_deadline_stops_the_plan_and_says_what_is_not_done(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    stalled = ('deployment "eli-maor-worker" exceeded its progress deadline', False, True, (1,))
    backend = Scripted({BACKEND: [DONE], WORKER: [WAIT, stalled], BEAT: [DONE], FRONTEND: [DONE]})
    summary, events = run(plan, backend)
    assert [s.state for s in plan.steps] == [ROLLED_OUT, STALLED, CANCELLED, CANCELLED]
    assert "rollback eli-maor-beat" not in backend.calls
    assert summary == ("done: eli-maor-backend; stopped at: eli-maor-worker stalled; "
                       "not done: eli-maor-beat, eli-maor-frontend.")
    worker = next(e for e in events if e.final and e.component == WORKER)
    assert worker.ok is False and "exceeded its progress deadline" in worker.text


def test_no_progress_within_the_stall_time_is_a_stall(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    backend = Scripted({BACKEND: [WAIT], WORKER: [DONE], BEAT: [DONE], FRONTEND: [DONE]})
    run(plan, backend, stall_after=5)
    assert plan.steps[0].state == STALLED
    assert "no progress for 5s" in plan.steps[0].message
    assert [s.state for s in plan.steps[1:]] == [CANCELLED] * 3


def test_a_failed_rollback_stops_the_plan(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    refused = ("failed", False, "you cannot rollback a paused deployment; resume it first", "cmd")
    backend = Scripted({n: [DONE] for n in RUNBOOK}, {WORKER: refused})
    summary, _ = run(plan, backend)
    assert [s.state for s in plan.steps][:2] == [ROLLED_OUT, "failed"]
    assert plan.steps[1].message == "Failed: you cannot rollback a paused deployment; resume it first"
    assert "not done: eli-maor-beat, eli-maor-frontend" in summary


def test_a_step_already_at_its_target_is_skipped_and_the_plan_goes_on(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    noop = ("noop", True, "deployment.apps/eli-maor-backend skipped rollback", "cmd")
    backend = Scripted({n: [DONE] for n in RUNBOOK}, {BACKEND: noop})
    run(plan, backend)
    assert [s.state for s in plan.steps] == [SKIPPED, ROLLED_OUT, ROLLED_OUT, ROLLED_OUT]


def test_cancel_lets_the_running_step_finish_and_cancels_the_rest(state):
    plan = build_plan("production", deployments(state), state.owned_of, READERS)
    backend = Scripted({n: [WAIT, DONE] for n in RUNBOOK})
    summary, events = run(plan, backend, cancel_after=WORKER)
    assert [s.state for s in plan.steps] == [ROLLED_OUT, ROLLED_OUT, CANCELLED, CANCELLED]
    assert summary == "done: eli-maor-backend, eli-maor-worker; not done: eli-maor-beat, eli-maor-frontend."
    assert [e.text for e in events if e.state == CANCELLED] == [
        "eli-maor-beat cancelled before it started.", "eli-maor-frontend cancelled before it started."]


def test_an_unavailable_step_fails_without_running_anything(state):
    plan = build_plan("production", deployments(state, tuple(RUNBOOK)), state.owned_of, READERS, release="eli-maor")
    backend = Scripted({})
    summary, _ = run(plan, backend)
    assert backend.calls == [] and plan.steps[0].state == "failed"
    assert summary.startswith("done: nothing; stopped at: helm release eli-maor failed")
    assert RUNNING not in [s.state for s in plan.steps]


# ---- the config file -----------------------------------------------------------------------------


def test_config_order_and_stall_after(tmp_path):
    from tui.appconfig import load
    from tui.core.errors import ConsoleError

    path = tmp_path / "app.yaml"
    path.write_text("application: eli-maor\ncomponents: [{name: eli-maor-backend}, {name: eli-maor-beat}]\n"
                    "order: [eli-maor-beat, eli-maor-backend]\nstall_after: 45\n")
    config = load(path)
    assert (config.rollback_order, config.stall_after) == (("eli-maor-beat", "eli-maor-backend"), 45.0)
    assert config.order == ["eli-maor-backend", "eli-maor-beat"]  # display order: the components list
    path.write_text("order: eli-maor-beat\n")
    with pytest.raises(ConsoleError, match="order must be a list of Deployment names"):
        load(path)
    path.write_text("stall_after: 0\n")
    with pytest.raises(ConsoleError, match="stall_after 0 must be a number of seconds from 1 to 3600"):
        load(path)
