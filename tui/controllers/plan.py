"""The console side of the plan (A) and of rollback readiness (w, the Components marker).

Builds the plan from the console's state, guards its execution (the guard and
the ledger, the production name), runs the executor in a worker thread and
turns each StepEvent into an audit-logged record, a Rollout stream line and
a repaint of the plan screen. Readiness: warnings from the watched objects
plus the PodDisruptionBudgets, read in a worker now and then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from widgets.component_table import ComponentTable

from ..core import readiness
from ..core.errors import one_line
from ..core.plan import (
    CANCELLED,
    DATABASE,
    DONE_OK,
    FAILED,
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
from ..core.requests import operation_id
from ..core.state import ERROR, INFO, SUCCESS, WARNING
from ..core.workload import Ref, release_ref
from ..workloads.registry import READERS
from .console import Console

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
    def __init__(self, console: Console, stall_after: float | None = None) -> None:
        self.console = console
        self.plan: Plan | None = None
        self.executor: PlanExecutor | None = None
        self.screen = None
        self.message = ""
        # No rollout progress for this long stops the plan (config `stall_after:`); a progress deadline sooner.
        self.stall_after = stall_after if stall_after is not None else getattr(console.config, "stall_after", 120.0)
        self.pdbs: list[dict] | None = None  # None until read (then the PDB rule applies)
        self._marks: dict[str, int] = {}
        # name -> (what the check read, its warnings): the marks are refreshed every MARKS_EVERY seconds, and
        # checking 2,000 unchanged Deployments each time was a 100 ms stall on the UI loop.
        self._checked: dict[str, tuple[tuple, list]] = {}
        self.cancelled_during: int | None = None  # the step running when c was pressed (None: between steps)
        self.run_id = ""  # the running plan's operation id (its audit-log entries carry it)

    @property
    def running(self) -> bool:
        return self.executor is not None

    # ---- readiness -------------------------------------------------------------------------------

    def start(self) -> None:
        """From the app's on_ready: keep the Components table's readiness marker current."""
        self.console.every(MARKS_EVERY, self.refresh_marks)
        if self.console.watching:
            self._read_pdbs()
            self.console.every(PDB_EVERY, self._read_pdbs)
        self.refresh_marks()

    def _read_pdbs(self) -> None:
        self.console.run_off_loop(self._pdbs_in_thread, group="readiness-pdbs")

    def _pdbs_in_thread(self) -> None:
        from ..kube.collection import Collection

        target = self.console.target
        try:
            body = Collection(target.api, "/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets")(
                target.namespace, _request_timeout=20)
            items = json.loads(body.data or b"{}").get("items") or []
        except Exception:  # noqa: BLE001 - not allowed or unreachable: the PDB rule is skipped, not guessed
            return
        self.console.call_soon(self._pdbs_read, items)

    def _pdbs_read(self, items: list[dict]) -> None:
        self.pdbs = items
        self.refresh_marks()

    def warnings(self) -> dict[str, list]:
        state = self.console.state
        # The runbook's tables are about Deployments; an Argo Rollout is held to its "Using Argo Rollouts".
        objects = state.workload_objects()
        deployments = {ref.name: obj for ref, obj in objects.items() if ref.kind == "Deployment"}
        found = {}
        for name, deployment in deployments.items():
            owned = state.owned_of(Ref("Deployment", name))
            read = (_version(deployment), tuple(_version(rs) for rs in owned), id(self.pdbs))
            checked = self._checked.get(name)
            if checked is None or checked[0] != read or "" in read[1] or not read[0]:  # unversioned: checked again
                checked = self._checked[name] = (read, readiness.check(deployment, owned, self.pdbs))
            found[name] = checked[1]
        for gone in set(self._checked) - set(deployments):
            del self._checked[gone]
        for ref, rollout in objects.items():
            if ref.kind == "Rollout":  # a handful at most, and its check reads only its spec
                found[ref.name] = found.get(ref.name, []) + readiness.check_rollout(rollout)
        return found

    def refresh_marks(self) -> None:
        if not self.console.alive:
            return
        marks = {name: len(found) for name, found in self.warnings().items() if found}
        if marks != self._marks:
            self._marks = marks
            self.console.widget(ComponentTable).set_warnings(marks)

    # ---- the plan --------------------------------------------------------------------------------

    def order(self) -> list[str]:
        config = self.console.config
        return list(getattr(config, "rollback_order", ()) or config.order or self.console.state.order)

    def build(self) -> Plan:
        console = self.console
        helm = console.helm
        state = console.state
        return build_plan(console.target.namespace, state.workload_objects(), state.owned_of,
                          READERS, self.order(), helm.release if helm is not None else "",
                          helm.history if helm is not None else None,
                          known_bad=lambda ref: {v.revision: v.known_bad[0].reason for v in state.revisions(ref)
                                                 if v.known_bad},
                          helm_wait=f"{max(1, round(self.stall_after))}s")

    def open(self) -> None:
        from ..screens.plan import PlanScreen
        if not self.running:
            self.plan = self.build()
            self.message = (f"{len(self.plan.steps)} steps, one at a time; each waits for its rollout. "
                            "t: change the highlighted step's target, x: execute." if self.plan.steps
                            else "No components yet: wait for the Components list, then press A again.")
            self.place_database_step()
        name = self.console.config.application or self.console.target.namespace
        self.screen = PlanScreen(self, f"Roll back every component of {name}")
        self.console.ask(self.screen, lambda _: setattr(self, "screen", None))

    def place_database_step(self, fresh: bool = False) -> bool:
        """The database downgrade the targets need, as a step before the first one needing it (or none);
        True if the steps changed. Not read yet: it is read now, and the open plan follows (`fresh`: what
        was said of the database before is replaced)."""
        database = getattr(self.console, "database", None)
        if self.plan is None or database is None or not database.configured:
            return False
        from ..core.plan import place_database_step

        if database.schema is None and not database.reading:
            database.refresh()
        said_before = getattr(self, "_database_said", "")
        if fresh and said_before and self.message.endswith(said_before):
            self.message = self.message[:-len(said_before)].rstrip()

        before = [(s.kind, s.schema_to) for s in self.plan.steps]
        step, index, note = database.plan_step(self.plan)
        place_database_step(self.plan, step, index)
        said = " ".join(part for part in (f"Database step: {step.why}" if step is not None else "", note) if part)
        self._database_said = said
        if said:
            self.message = (self.message + " " if self.message else "") + said
        return before != [(s.kind, s.schema_to) for s in self.plan.steps]

    def open_readiness(self) -> None:
        from ..screens.plan import ReadinessScreen
        order = build_plan(self.console.target.namespace, self.console.state.workload_objects(),
                           self.console.state.owned_of, READERS, self.order())
        names = [n for step in order.steps for n in step.covers]
        self.console.ask(ReadinessScreen(names, self.warnings()))

    def _say(self, text: str, refuse: bool = False) -> None:
        self.message = text
        if self.screen is not None:
            self.screen.say(text)
        if refuse:
            self.console.bell()  # the sentence is on the plan screen already

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
                if not step.target_problem(text) and int(text) in step.known_bad:
                    self._confirm_known_bad(index, int(text))
                    return
                problem = self.plan.set_target(index, text)
                self._say(problem or f"{step.label} will roll back to revision {step.target}.", refuse=bool(problem))
                if self.place_database_step() and self.screen is not None:
                    self.screen.show_plan()
                elif self.screen is not None:
                    self.screen.show_step(index)

        self.console.ask(PromptScreen(
            f"Target of {step.label}", f"{step.label} is at revision {step.current}; its revisions are {known}. "
            "Roll back to which?", str(step.target or ""), "revision", step.target_problem, numeric=True), answered)

    def _confirm_known_bad(self, index: int, revision: int) -> None:
        """`t` chose a known-bad revision: say so first, offer the newest healthy one (Ctrl+N), keep it on Enter."""
        from ..screens.confirm import INSTEAD_LABEL, Confirmation, ConfirmScreen, Instead
        assert self.plan is not None
        step = self.plan.steps[index]
        healthy = step.healthy if step.healthy and step.healthy != revision else None
        warning = (f"Revision {revision} of {step.label} is known bad: {step.known_bad[revision]}."
                   + (f" Press {INSTEAD_LABEL} to target revision {healthy} instead, the newest healthy one."
                      if healthy else " No other revision is known healthy."))
        op = PlanOperation(summary=f"Target revision {revision} for {step.label}?",
                           changes=[f"{step.label}: revision {step.current} → {revision} "
                                    f"({step.target_images.get(revision, '?')})"],
                           commands=(" ".join(step.command(self.plan.namespace)).replace(
                               str(step.target), str(revision)),),
                           command_heading="The step's command")

        def decided(result: Confirmation | Instead | None) -> None:
            if result is None or self.plan is None:
                self._say(f"{step.label} still rolls back to revision {step.target}.")
                return
            chosen = result.revision if isinstance(result, Instead) else revision
            problem = self.plan.set_target(index, str(chosen))
            self._say(problem or f"{step.label} will roll back to revision {step.target}"
                      + (" (known bad)." if chosen in step.known_bad else "."), refuse=bool(problem))
            if self.screen is not None:
                self.screen.show_step(index)

        self.console.ask(ConfirmScreen(op, ask_reason=False, warning=warning, alternative=healthy,
                                       confirm_label=f"Keep {revision}"), decided)

    def _refusal(self) -> str | None:
        console, plan = self.console, self.plan
        if plan is None or not plan.steps:
            return "There is nothing to roll back yet; wait for the Components list."
        if self.running:
            return "The plan is already running; c cancels it after the current step."
        if plan.finished or any(s.state != PENDING for s in plan.steps):
            return "This plan has run; close it (Esc) and press A for a fresh plan."
        refusal = console.guard.refusal("plan", _keys(plan), console.ledger, then="then execute the plan")
        if refusal:
            return refusal
        for step in plan.steps:
            if step.unavailable:
                return f"{step.label} cannot run: {step.unavailable}"
        return None

    def execute(self) -> None:
        from ..screens.confirm import INSTEAD_LABEL, Confirmation, ConfirmScreen, Instead
        refusal = self._refusal()
        if refusal:
            self._say(refusal, refuse=True)
            return
        plan, console = self.plan, self.console
        assert plan is not None
        commands = tuple(" ".join(s.command(plan.namespace)) for s in plan.steps)
        op = PlanOperation(
            summary=f"Roll back {len(plan.steps)} steps in namespace {plan.namespace}, one at a time",
            changes=[f"{n + 1}. database: back up, then alembic downgrade {s.schema_from} → {s.schema_to} ({s.why})"
                     if s.kind == DATABASE else f"{n + 1}. {s.label}: revision {s.current} → {s.target} ({s.images})"
                     for n, s in enumerate(plan.steps)]
            + ["a failure or a stall stops the plan; c on the plan screen cancels it after the running step"],
            commands=commands)
        guard = (console.config.application or plan.namespace) if console.production else None
        bad = [s for s in plan.steps if s.target in s.known_bad]
        fixable = [s for s in bad if s.healthy and s.healthy != s.target]
        warning = ""
        if bad:
            warning = ("Known bad targets: " + "; ".join(f"{s.label} revision {s.target}: {s.known_bad[s.target]}"
                                                        for s in bad) + "."
                       + (f" Press {INSTEAD_LABEL} to target the newest healthy revision of each instead."
                          if fixable else ""))

        def confirmed(result: Confirmation | Instead | None) -> None:
            if result is None:
                self._say("Cancelled: nothing was rolled back.")
                return
            if isinstance(result, Instead):
                for s in fixable:
                    plan.set_target(plan.steps.index(s), str(s.healthy))
                if self.screen is not None:
                    self.screen.show_plan()
                self.execute()
                return
            self._start(result.reason)

        hint = "the application's name" if console.config.application else "the namespace"
        console.ask(ConfirmScreen(op, guard=guard, guard_hint=hint, warning=warning,
                                  alternative=0 if fixable else None,
                                  alternative_label="newest healthy targets"), confirmed)

    def _start(self, reason: str) -> None:
        from .plan_cluster import ClusterBackend, HelmAccess
        console, plan = self.console, self.plan
        assert plan is not None
        helm = console.helm
        access = None
        if helm is not None:
            access = HelmAccess(helm.binary or helm.helm_path, helm.cluster.kubeconfig, helm.cluster.context)
        for step in plan.steps:
            for key in _step_keys(step):
                console.ledger.start(key, f"rolling back {step.label} (the plan)")
        self.run_id = operation_id()  # the plan's entries, and each step's (run_id/index), are paired by it
        console.record("plan", console.config.application or plan.namespace,
                   f"roll back every component: {len(plan.steps)} steps" + (f" (reason: {reason})" if reason else ""),
                   "; ".join(" ".join(s.command(plan.namespace)) for s in plan.steps), payload={"op": self.run_id})
        database = getattr(console, "database", None)
        backend = ClusterBackend(console.target.api, plan.namespace, access,
                                 database.plan_downgrade if database is not None and database.configured else None)
        self.executor = PlanExecutor(plan, backend,
                                     lambda ev: console.call_soon(self._event, ev), stall_after=self.stall_after,
                                     reason=reason)
        if reason:  # also each kubectl step's change-cause ("Rollback to revision N: <reason>")
            console.note(_first_ref(plan), INFO,
                      f"reason for the plan: {one_line(reason)}")
        self._say("Running: " + plan.summary())
        console.run_off_loop(self._run_in_thread, group="plan", name="roll back every component")

    def _run_in_thread(self) -> None:
        executor = self.executor
        assert executor is not None
        try:
            summary = executor.run()
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            summary = f"The plan stopped unexpectedly ({type(exc).__name__}: {one_line(exc, 160)}); " + \
                      executor.plan.summary()
        self.console.call_soon(self._finished, summary)

    def _event(self, ev: StepEvent) -> None:
        console, plan = self.console, self.plan
        assert plan is not None
        step = plan.steps[ev.index]
        # As for u/r: the step is a command ("plan-step") and its result an "outcome" the audit log pairs with it.
        action = {KUBECTL: "rollback", DATABASE: "database-downgrade"}.get(step.kind, "helm-rollback")
        payload = {"action": action, "revision": step.schema_to if step.kind == DATABASE else step.target,
                   "plan": True, "op": f"{self.run_id}/{ev.index}"}
        if ev.start:
            for key in _step_keys(step):
                console.ledger.executing(key)
            if step.kind == KUBECTL:
                console.evidence.target_confirmed(step.name, step.target)
                console.record("target", step.name, f"target revision {step.target}", payload={"revision": step.target})
            console.record("plan-step", ev.component, ev.text, ev.command, None, payload=payload)
        if ev.final:
            console.record("outcome", ev.component, ev.text, ev.command, ev.ok, payload={**payload, "state": ev.state})
            for key in _step_keys(step):
                console.ledger.finish(key)
            if step.kind == DATABASE and console.alive:
                console.database.refresh()  # what Alembic says now
            if ev.state == ROLLED_OUT:
                for name in step.covers:
                    console.ledger.rolled_back.add(name)
                    console.evidence.rollback_succeeded(name, ev.command)
            elif ev.state in (FAILED, STALLED):
                for name in step.covers:
                    console.evidence.rollback_failed(name, f"the plan's step {step.label} {ev.state}: {ev.text}")
        if console.alive:
            console.note(_event_ref(step, ev.component), SEVERITY[ev.state] if ev.final else INFO, f"plan: {ev.text}")
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
            self.console.record("plan", self.console.config.application or self.plan.namespace,
                            f"plan cancelled by the user; {running} finishes, the rest are cancelled")
        self._say(f"Cancelling: {next((s.label for s in self.plan.steps if s.state == RUNNING), 'the current step')} "
                  "finishes, the steps after it are cancelled.")

    def _finished(self, summary: str) -> None:
        console, plan = self.console, self.plan
        assert plan is not None
        self.executor = None
        for step in plan.steps:  # nothing stays busy, whatever happened
            for key in _step_keys(step):
                console.ledger.finish(key)
        ok = all(s.state in DONE_OK for s in plan.steps)
        where = console.config.application or plan.namespace
        console.record("plan", where, f"plan finished: {summary}", ok=ok, payload={"op": self.run_id})
        self._say(("Plan complete: " if ok else "Plan stopped: ") + summary)
        if console.alive:
            console.note(_first_ref(plan) if plan.steps else Ref("Application", where), SUCCESS if ok else ERROR, ("Plan complete: " if ok else "Plan stopped: ") + summary)
            console.say(("Plan complete: " if ok else "Plan stopped: ") + summary, title="Roll back every component",
                     severity="information" if ok else "error")
        if self.screen is not None:
            self.screen.show_plan()


def _step_keys(step) -> list[Ref]:
    """What a step holds busy in the ledger: its workloads, the release for a Helm step, the database."""
    if step.kind == DATABASE:
        from .database import REF

        return [REF]
    covered = [Ref(step.workload, name) for name in step.covers]
    return covered + ([release_ref(step.name)] if step.kind == HELM else [])


def _keys(plan: Plan) -> list[Ref]:
    return [key for step in plan.steps for key in _step_keys(step)]


def _event_ref(step, component: str) -> Ref:
    """Where a step's event goes in the Rollout stream: its workload, the release, or the database."""
    if step.kind == DATABASE:
        from .database import REF

        return REF
    return release_ref(component) if step.kind == HELM and component == step.name else Ref(step.workload, component)


def _first_ref(plan: Plan) -> Ref:
    first = plan.steps[0]
    return Ref(first.workload, first.covers[0]) if first.covers else _event_ref(first, first.name)


def _version(obj: dict) -> str:
    """The server's resourceVersion: it changes with every write of the object."""
    return (obj.get("metadata") or {}).get("resourceVersion") or ""
