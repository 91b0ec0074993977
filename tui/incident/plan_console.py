"""The console side of the plan (A) and of rollback readiness (w, the Components marker).

Builds the plan from the console's state, guards its execution (read-only,
busy components, production name), runs the executor in a worker thread and
turns each StepEvent into an audit-logged record, a Rollout stream line and
a repaint of the plan screen. Readiness: warnings from the watched objects
plus the PodDisruptionBudgets, read in a worker now and then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kubernetes import client

from ..errors import one_line
from ..kube import readiness
from ..state import ERROR, INFO, SUCCESS, WARNING
from .plan import (
    CANCELLED,
    DONE_OK,
    FAILED,
    FINISHED,
    HELM,
    KUBECTL,
    PENDING,
    ROLLED_OUT,
    RUNNING,
    SKIPPED,
    STALLED,
    Plan,
    PlanExecutor,
    StepEvent,
    build_plan,
)

PDB_EVERY = 30.0  # seconds between reads of the PodDisruptionBudgets
MARKS_EVERY = 2.0  # seconds between recomputations of the Components table's readiness marker
SEVERITY = {RUNNING: INFO, ROLLED_OUT: SUCCESS, SKIPPED: WARNING, FAILED: ERROR, STALLED: ERROR,
            CANCELLED: WARNING, PENDING: INFO}


@dataclass(frozen=True)
class PlanOperation:
    """What the confirmation screen shows for the whole plan (the fields ConfirmScreen reads)."""

    summary: str
    changes: list[str]
    command: list[str] = field(default_factory=list)
    commands: tuple[str, ...] = ()
    kind: str = "plan"
    risk: str = "high"
    noop: str = ""
    diff: str = ""
    revision: int = 0
    command_heading: str = "Commands, one step at a time (each waits for its rollouts)"

    @property
    def command_line(self) -> str:
        return "\n$ ".join(self.commands)


class PlanController:
    def __init__(self, app, stall_after: float | None = None) -> None:
        self.app = app
        self.plan: Plan | None = None
        self.executor: PlanExecutor | None = None
        self.screen = None
        self.message = ""
        # No rollout progress for this long stops the plan (config `stall_after:`); a progress deadline sooner.
        self.stall_after = stall_after if stall_after is not None else getattr(app.config, "stall_after", 120.0)
        self.pdbs: list[dict] | None = None  # None until read (then the PDB rule applies)
        self._marks: dict[str, int] = {}
        self.cancelled_during: int | None = None  # the step running when c was pressed (None: between steps)

    @property
    def running(self) -> bool:
        return self.executor is not None

    # ---- readiness -------------------------------------------------------------------------------

    def start(self) -> None:
        """From the app's on_ready: keep the Components table's readiness marker current."""
        self.app.set_interval(MARKS_EVERY, self.refresh_marks)
        if self.app.watch_enabled:
            self._read_pdbs()
            self.app.set_interval(PDB_EVERY, self._read_pdbs)
        self.refresh_marks()

    def _read_pdbs(self) -> None:
        self.app.run_worker(self._pdbs_in_thread, thread=True, exit_on_error=False, group="readiness-pdbs")

    def _pdbs_in_thread(self) -> None:
        try:
            body = client.PolicyV1Api(self.app.target.api).list_namespaced_pod_disruption_budget(
                self.app.target.namespace, _preload_content=False, _request_timeout=20)
            items = json.loads(body.data or b"{}").get("items") or []
        except Exception:  # noqa: BLE001 - not allowed or unreachable: the PDB rule is skipped, not guessed
            return
        self.app.call_from_thread(self._pdbs_read, items)

    def _pdbs_read(self, items: list[dict]) -> None:
        self.pdbs = items
        self.refresh_marks()

    def warnings(self) -> dict[str, list]:
        state = self.app.state
        return readiness.check_all(state.objects["Deployment"], state.replicasets_of, self.pdbs)

    def refresh_marks(self) -> None:
        if not self.app._console_alive():
            return
        marks = {name: len(found) for name, found in self.warnings().items() if found}
        if marks != self._marks:
            self._marks = marks
            self.app.components_table.set_warnings(marks)

    # ---- the plan --------------------------------------------------------------------------------

    def order(self) -> list[str]:
        config = self.app.config
        return list(getattr(config, "rollback_order", ()) or config.order or self.app.state.order)

    def build(self) -> Plan:
        app = self.app
        helm = getattr(app, "helm", None)
        return build_plan(app.target.namespace, app.state.objects["Deployment"], app.state.replicasets_of,
                          self.order(), helm.release if helm is not None else "",
                          helm.history if helm is not None else None)

    def open(self) -> None:
        from ..screens.plan import PlanScreen
        if not self.running:
            self.plan = self.build()
            self.message = (f"{len(self.plan.steps)} steps, one at a time; each waits for its rollout. "
                            "t: change the highlighted step's target, x: execute." if self.plan.steps
                            else "No components yet: wait for the Components list, then press A again.")
        name = self.app.config.application or self.app.target.namespace
        self.screen = PlanScreen(self, f"Roll back every component of {name}")
        self.app.push_screen(self.screen, lambda _: setattr(self, "screen", None))

    def open_readiness(self) -> None:
        from ..screens.plan import ReadinessScreen
        order = build_plan(self.app.target.namespace, self.app.state.objects["Deployment"],
                           self.app.state.replicasets_of, self.order())
        names = [n for step in order.steps for n in step.covers]
        self.app.push_screen(ReadinessScreen(names, self.warnings()))

    def _say(self, text: str, refuse: bool = False) -> None:
        self.message = text
        if self.screen is not None:
            self.screen.say(text)
        if refuse:
            self.app.bell()

    def edit_target(self, index: int | None) -> None:
        from ..screens.prompt import PromptScreen
        if self.plan is None or index is None or not self.plan.steps:
            return
        step = self.plan.steps[index]
        if step.state != PENDING or self.running:
            self._say(f"{step.label} is {step.state}" + ("; targets cannot change while the plan runs."
                                                          if self.running else "; only a pending step's target can change."),
                      refuse=True)
            return
        known = ", ".join(map(str, step.revisions)) or "none"

        def answered(text: str | None) -> None:
            if text is not None and self.plan is not None:
                problem = self.plan.set_target(index, text)
                self._say(problem or f"{step.label} will roll back to revision {step.target}.", refuse=bool(problem))
                if self.screen is not None:
                    self.screen.show_step(index)

        self.app.push_screen(PromptScreen(
            f"Target of {step.label}", f"{step.label} is at revision {step.current}; its revisions are {known}. "
            "Roll back to which?", str(step.target or ""), "revision", step.target_problem, numeric=True), answered)

    def _refusal(self) -> str | None:
        app, plan = self.app, self.plan
        if plan is None or not plan.steps:
            return "There is nothing to roll back yet; wait for the Components list."
        if self.running:
            return "The plan is already running; c cancels it after the current step."
        if plan.finished or any(s.state != PENDING for s in plan.steps):
            return "This plan has run; close it (Esc) and press A for a fresh plan."
        if app.read_only:
            return "Read-only mode: rolling back is disabled (restart the console without --read-only to act)."
        helm = getattr(app, "helm", None)
        if helm is not None and helm.busy is not None:
            return f"One operation at a time: {helm.busy.doing} is not finished; wait for its outcome."
        for step in plan.steps:
            for name in step.covers + ((step.name,) if step.kind == HELM else ()):
                if name in app.busy:
                    return (f"{name} is busy: {app.busy[name].doing} is not finished; wait for its outcome, "
                            "then execute the plan.")
            if step.unavailable:
                return f"{step.label} cannot run: {step.unavailable}"
        if app.target.api is None:
            return "Not connected to a cluster (offline view); nothing can change."
        return None

    def execute(self) -> None:
        from ..screens.confirm import Confirmation, ConfirmScreen
        refusal = self._refusal()
        if refusal:
            self._say(refusal, refuse=True)
            return
        plan, app = self.plan, self.app
        assert plan is not None
        commands = tuple(" ".join(s.command(plan.namespace)) for s in plan.steps)
        op = PlanOperation(
            summary=f"Roll back {len(plan.steps)} steps in namespace {plan.namespace}, one at a time",
            changes=[f"{n + 1}. {s.label}: revision {s.current} → {s.target} ({s.images})"
                     for n, s in enumerate(plan.steps)]
            + ["a failure or a stall stops the plan; c on the plan screen cancels it after the running step"],
            commands=commands)
        guard = (app.config.application or plan.namespace) if app.production else None

        def confirmed(result: Confirmation | None) -> None:
            if result is None:
                self._say("Cancelled: nothing was rolled back.")
                return
            self._start(result.reason)

        hint = "the application's name" if app.config.application else "the namespace"
        app.push_screen(ConfirmScreen(op, guard=guard, guard_hint=hint), confirmed)

    def _start(self, reason: str) -> None:
        from ..app import Request
        from .plan_cluster import ClusterBackend, HelmAccess
        app, plan = self.app, self.plan
        assert plan is not None
        helm = getattr(app, "helm", None)
        access = None
        if helm is not None:
            access = HelmAccess(helm.binary or helm.helm_path, helm.cluster.kubeconfig, helm.cluster.context)
        for step in plan.steps:
            for name in step.covers + ((step.name,) if step.kind == HELM else ()):
                app.busy[name] = Request("rollback", name, revision=step.target) if step.kind == KUBECTL else \
                    _HelmBusy(f"rolling back helm release {step.name} (the plan)")
        app.record("plan", app.config.application or plan.namespace,
                   f"roll back every component: {len(plan.steps)} steps" + (f" (reason: {reason})" if reason else ""),
                   "; ".join(" ".join(s.command(plan.namespace)) for s in plan.steps))
        self.executor = PlanExecutor(plan, ClusterBackend(app.apps, plan.namespace, access),
                                     lambda ev: app.call_from_thread(self._event, ev), stall_after=self.stall_after,
                                     reason=reason)
        if reason:  # also each kubectl step's change-cause ("Rollback to revision N: <reason>")
            app._note(plan.steps[0].covers[0] if plan.steps[0].covers else plan.steps[0].name, INFO,
                      f"reason for the plan: {one_line(reason)}")
        self._say("Running: " + plan.summary())
        app.run_worker(self._run_in_thread, thread=True, exit_on_error=False, group="plan", name="roll back every component")

    def _run_in_thread(self) -> None:
        executor = self.executor
        assert executor is not None
        try:
            summary = executor.run()
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            summary = f"The plan stopped unexpectedly ({type(exc).__name__}: {one_line(exc, 160)}); " + \
                      executor.plan.summary()
        self.app.call_from_thread(self._finished, summary)

    def _event(self, ev: StepEvent) -> None:
        app, plan = self.app, self.plan
        assert plan is not None
        step = plan.steps[ev.index]
        # As for u/r: the step is a command ("plan-step") and its result an "outcome" the audit log pairs with it.
        payload = {"action": "rollback" if step.kind == KUBECTL else "helm-rollback", "revision": step.target,
                   "plan": True}
        if ev.start:
            app.in_flight.update(step.covers)
            if step.kind == KUBECTL:
                app.evidence.target_confirmed(step.name, step.target)
                app.record("target", step.name, f"target revision {step.target}", payload={"revision": step.target})
            app.record("plan-step", ev.component, ev.text, ev.command, None, payload=payload)
        if ev.final:
            app.record("outcome", ev.component, ev.text, ev.command, ev.ok, payload={**payload, "state": ev.state})
            for name in step.covers + ((step.name,) if step.kind == HELM else ()):
                app.busy.pop(name, None)
                app.in_flight.discard(name)
            if ev.state == ROLLED_OUT:
                for name in step.covers:
                    app.rolled_back.add(name)
                    app.evidence.rollback_succeeded(name, ev.command)
        if app._console_alive():
            app._note(ev.component, SEVERITY[ev.state] if ev.final else INFO, f"plan: {ev.text}")
        self.message = ev.text if not ev.final else f"{step.label}: {ev.state}. {ev.text}"
        if self.screen is not None:
            self.screen.show_step(ev.index)

    def cancel(self) -> None:
        if self.executor is None:
            self._say("The plan is not running; Esc closes it." if self.plan is None or not self.plan.finished
                      else "The plan has finished; there is nothing to cancel.", refuse=True)
            return
        if not self.executor.cancelled:
            self.executor.cancel()
            self.cancelled_during = next((n for n, s in enumerate(self.plan.steps) if s.state == RUNNING), None)
            running = next((s.label for s in self.plan.steps if s.state == RUNNING), "the current step")
            self.app.record("plan", self.app.config.application or self.plan.namespace,
                            f"plan cancelled by the user; {running} finishes, the rest are cancelled")
        self._say(f"Cancelling: {next((s.label for s in self.plan.steps if s.state == RUNNING), 'the current step')} "
                  "finishes, the steps after it are cancelled.")

    def _finished(self, summary: str) -> None:
        app, plan = self.app, self.plan
        assert plan is not None
        self.executor = None
        for step in plan.steps:  # nothing stays busy, whatever happened
            for name in step.covers + ((step.name,) if step.kind == HELM else ()):
                if step.state not in FINISHED or name in app.busy:
                    app.busy.pop(name, None)
                    app.in_flight.discard(name)
        ok = all(s.state in DONE_OK for s in plan.steps)
        where = app.config.application or plan.namespace
        app.record("plan", where, f"plan finished: {summary}", ok=ok)
        self._say(("Plan complete: " if ok else "Plan stopped: ") + summary)
        if app._console_alive():
            first = plan.steps[0].covers[0] if plan.steps and plan.steps[0].covers else where
            app._note(first, SUCCESS if ok else ERROR, ("Plan complete: " if ok else "Plan stopped: ") + summary)
            app._say(("Plan complete: " if ok else "Plan stopped: ") + summary, title="Roll back every component",
                     severity="information" if ok else "error")
        if self.screen is not None:
            self.screen.show_plan()


@dataclass(frozen=True)
class _HelmBusy:
    """What `app.busy` holds for the release while the plan's Helm step is pending or running."""

    doing: str
