"""Roll back every component: the plan (steps in order, each with a target) and its executor.

Plain Python, no Textual. `build_plan()` turns what the console knows (the
workloads and the objects their revisions are, read through each kind's reader, the Helm release's history when one is
configured) into ordered Steps: one per Deployment (kubectl rollout undo),
except that the Deployments a Helm release manages are ONE step (helm
rollback), placed where the first of them comes in the order.

`PlanExecutor.run()` is blocking and meant for a worker thread: one step at
a time, roll back, then wait for every rollout of the step to complete
(kubectl rollout status), then the next. A failure or a stall stops it; a
cancel between steps lets the running step finish and cancels the rest.
Each event is reported through a callback (the UI records and shows it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .names import HELM_RELEASE_ANNOTATION
from .readiness import ROLES, role_of
from .rollout import timed_pause
from .workload import Ref, WorkloadReader

KUBECTL, HELM, DATABASE = "kubectl", "helm", "alembic"

PENDING, RUNNING, ROLLED_OUT, FAILED, STALLED, SKIPPED, CANCELLED = (
    "pending", "running", "rolled out", "failed", "stalled", "skipped", "cancelled")
STATES = (PENDING, RUNNING, ROLLED_OUT, FAILED, STALLED, SKIPPED, CANCELLED)
FINISHED = (ROLLED_OUT, FAILED, STALLED, SKIPPED, CANCELLED)
DONE_OK = (ROLLED_OUT, SKIPPED)


@dataclass
class Step:
    kind: str  # KUBECTL | HELM
    name: str  # the Deployment (kubectl) or the release (helm)
    covers: tuple[str, ...]  # the Deployments this step rolls back
    current: int  # the current revision (Deployment revision, or the deployed Helm revision)
    target: int  # the revision to roll back to (0: none available)
    revisions: tuple[int, ...]  # the revisions that exist (what the target may be)
    images: str = ""  # current images -> target images, short
    state: str = PENDING
    message: str = ""  # the last thing said about this step
    unavailable: str = ""  # why the step cannot run (one sentence), "" when it can
    target_images: dict[int, str] = field(default_factory=dict)  # revision -> its image tags
    workload: str = "Deployment"  # a kubectl step's kind
    known_bad: dict[int, str] = field(default_factory=dict)  # revision -> why it is known bad
    healthy: int = 0  # the newest revision neither current nor known bad (0: none)
    wait: str = ""  # a helm step: `--wait --timeout` this long, so a failure is recorded as failed
    # A database step (DATABASE): the Alembic revisions it downgrades from and to, and the alembic.ini.
    schema_from: str = ""
    schema_to: str = ""
    alembic_ini: str = ""
    why: str = ""  # which target needs it, one sentence

    @property
    def label(self) -> str:
        if self.kind == DATABASE:
            return "database"
        return f"helm release {self.name}" if self.kind == HELM else self.name

    def command(self, namespace: str) -> list[str]:
        """The command this step equals (for the reader and the audit log; never run as a string)."""
        if self.kind == DATABASE:
            return ["alembic", "-c", self.alembic_ini, "downgrade", self.schema_to]
        if self.kind == HELM:
            waits = ["--wait", "--timeout", self.wait] if self.wait else []
            return ["helm", "rollback", self.name, str(self.target), *waits, "-n", namespace]
        if self.workload == "Rollout":  # the Argo Rollouts plugin's undo (tui/workloads/rollout/plan.py)
            return ["kubectl", "argo", "rollouts", "undo", self.name, f"--to-revision={self.target}", "-n", namespace]
        return ["kubectl", "rollout", "undo", f"{self.workload.lower()}/{self.name}", f"--to-revision={self.target}",
                "-n", namespace]

    def target_problem(self, text: str) -> str | None:
        """Why `text` cannot be this step's target (one sentence), or None."""
        if self.kind == DATABASE:
            return ("The database step follows the components' targets (what their code expects); change those, "
                    "and it follows.")
        if not text.strip().isdigit():
            return "Give a revision number, e.g. " + (str(self.revisions[-2]) if len(self.revisions) > 1 else "1") + "."
        number = int(text)
        if number == self.current:
            return f"Revision {number} is the current one of {self.label}; choose an older or another revision."
        if number not in self.revisions:
            known = ", ".join(map(str, self.revisions)) or "none"
            return f"{self.label} has no revision {number}; its revisions are {known}."
        return None


@dataclass
class Plan:
    namespace: str
    steps: list[Step]
    release: str = ""

    def set_target(self, index: int, text: str) -> str | None:
        """Set a step's target; answers the sentence that refuses it, or None when set."""
        step = self.steps[index]
        if step.state != PENDING:
            return f"{step.label} is {step.state}; only a pending step's target can change."
        problem = step.target_problem(text)
        if problem is None:
            step.target = int(text)
            step.images = _images_line(step)
            step.unavailable = "" if step.unavailable.startswith("No target") else step.unavailable
        return problem

    @property
    def finished(self) -> bool:
        return all(s.state in FINISHED for s in self.steps)

    def summary(self) -> str:
        """What is done and what is not, in one sentence."""
        done = [s.label for s in self.steps if s.state in DONE_OK]
        bad = [f"{s.label} {s.state}" for s in self.steps if s.state in (FAILED, STALLED)]
        left = [s.label for s in self.steps if s.state in (PENDING, CANCELLED, RUNNING)]
        parts = [f"done: {', '.join(done) or 'nothing'}"]
        if bad:
            parts.append(f"stopped at: {', '.join(bad)}")
        parts.append(f"not done: {', '.join(left) or 'nothing'}")
        return "; ".join(parts) + "."


# ---- building ------------------------------------------------------------------------------------


def database_step(current: str, to: str, alembic_ini: str, why: str) -> Step:
    """The downgrade a target needs, as a step of its own (placed before the first step needing it: the old
    code must find the schema it expects when its pods start, or their rollout never completes)."""
    return Step(DATABASE, "database", (), 0, 0, (), images=f"{current} → {to}", schema_from=current,
                schema_to=to, alembic_ini=alembic_ini, why=why, workload="Database")


def place_database_step(plan: Plan, step: Step | None, before: int) -> None:
    """Put the database step before step `before` (replacing a pending one); None removes it."""
    plan.steps[:] = [s for s in plan.steps if s.kind != DATABASE or s.state != PENDING]
    if step is not None:
        plan.steps.insert(min(before, len(plan.steps)), step)


def runbook_order(names: Iterable[str], configured: Sequence[str] = ()) -> list[str]:
    """The configured order first (names that exist, in that order), then the runbook's roles
    (backend, worker, beat, frontend by name suffix), then the rest by name."""
    names = list(names)
    picked = [n for n in configured if n in names]
    rest = [n for n in names if n not in picked]
    rank = {role: n for n, role in enumerate(ROLES)}
    rest.sort(key=lambda n: (rank.get(role_of(n) or "", len(rank)), n))
    return picked + rest


def _tags(images: Iterable[str]) -> str:
    return ",".join(i.rsplit("/", 1)[-1].split(":", 1)[-1] if ":" in i.rsplit("/", 1)[-1] else "latest"
                    for i in images)


def _images_line(step: Step) -> str:
    now = step.target_images.get(step.current, "?")
    then = step.target_images.get(step.target, "?") if step.target else "-"
    return f"{now} → {then}"


def _released_by(deployment: dict, release: str) -> bool:
    annotations = (deployment.get("metadata") or {}).get("annotations") or {}
    return bool(release) and annotations.get(HELM_RELEASE_ANNOTATION) == release


def _healthy(numbers: Iterable[int], current: int, known_bad: Mapping[int, str]) -> int:
    return max((n for n in numbers if n != current and n not in known_bad), default=0)


def _kubectl_step(reader: WorkloadReader, name: str, obj: dict, owned: list[dict],
                  known_bad: Mapping[int, str]) -> Step:
    history = reader.revisions(obj, owned)
    try:
        current = int(reader.revision(obj) or "0")
    except ValueError:
        current = 0
    numbers = tuple(r.number for r in history)
    older = [n for n in numbers if n != current]
    # The newest healthy revision; the previous one (kubectl's undo) only when every other one is known bad.
    healthy = _healthy(numbers, current, known_bad)
    step = Step(KUBECTL, name, (name,), current, healthy or (older[-1] if older else 0), numbers,
                target_images={r.number: _tags(r.images) for r in history}, workload=reader.kind,
                known_bad=dict(known_bad), healthy=healthy)
    if not older:
        step.unavailable = f"No target: {name} has no other revision to roll back to."
    step.images = _images_line(step)
    return step


def _helm_step(release: str, covers: list[str], helm_history, wait: str = "") -> Step:
    """One step for the release. `helm_history`: tui.helm.release.ReleaseHistory (or None: not known)."""
    revisions = list(helm_history.revisions) if helm_history is not None else []
    deployed = helm_history.deployed if helm_history is not None else None
    current = deployed.revision if deployed is not None else 0
    numbers = tuple(sorted(r.revision for r in revisions))
    target = 0
    if helm_history is not None:
        chosen, _why = helm_history.default_target()
        target = chosen.revision if chosen is not None else 0
    known_bad = {r.revision: why for r in revisions if (why := helm_history.known_bad(r.revision))}
    step = Step(HELM, release, tuple(covers), current, target, numbers,
                target_images={r.revision: f"{r.chart} {r.app_version}".strip() for r in revisions},
                known_bad=known_bad, healthy=target, wait=wait)
    if not numbers:
        step.unavailable = f"No target: the history of Helm release {release} is not loaded yet; reopen the plan."
    elif not target:
        step.unavailable = f"No target: release {release} has no earlier deployed revision; set one with t."
    step.images = _images_line(step)
    return step


def build_plan(namespace: str, workloads: dict[Ref, dict], owned_of: Callable[[Ref], list[dict]],
               readers: Mapping[str, WorkloadReader], order: Sequence[str] = (), release: str = "",
               helm_history=None, known_bad: Callable[[Ref], Mapping[int, str]] = lambda ref: {},
               helm_wait: str = "") -> Plan:
    """The plan from what the console knows; `order` is the configured order of names (may be empty).
    `known_bad`: a workload's known-bad revisions and why; `helm_wait`: the helm step's --timeout."""
    steps: list[Step] = []
    by_name = {ref.name: ref for ref in workloads}
    ordered = [by_name[n] for n in runbook_order(by_name, order)]
    helm_covers = [ref.name for ref in ordered if _released_by(workloads[ref], release)]
    for ref in ordered:
        if ref.name in helm_covers:
            if ref.name == helm_covers[0]:
                steps.append(_helm_step(release, helm_covers, helm_history, helm_wait))
            continue
        steps.append(_kubectl_step(readers[ref.kind], ref.name, workloads[ref], list(owned_of(ref)), known_bad(ref)))
    return Plan(namespace, steps, release if helm_covers else "")


# ---- executing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepEvent:
    """What the executor says about a step: its new state, one sentence, the command, the outcome."""

    index: int
    component: str  # the Deployment or release (what the audit log files it under)
    state: str
    text: str
    command: str = ""
    ok: bool | None = None
    final: bool = False  # the step's last event
    start: bool = False  # the step's first event (it says what runs and the command it equals)


class Backend:
    """What the executor needs from the cluster; `tui.incident.plan_cluster.ClusterBackend` is the real one.

    Each call blocks; failures are answered, never raised (except by bugs)."""

    def roll_back(self, step: Step, reason: str, on_line: Callable[[str], None]) -> tuple[str, bool, str, str]:
        """Start the rollback: (outcome: "ok" | "noop" | "failed", ok, message, command line)."""
        raise NotImplementedError

    def downgrade(self, step: Step, reason: str, on_line: Callable[[str], None]) -> tuple[bool, str, str]:
        """A database step: back up, then downgrade; (ok, message, command line)."""
        return False, "No database is configured for this plan.", " ".join(step.command(""))

    def status(self, name: str, kind: str = "Deployment") -> tuple[str, bool, bool, tuple]:
        """(rollout status message, done, error, progress key) of one workload, read now."""
        raise NotImplementedError


class PlanExecutor:
    """Runs a Plan one step at a time; `report` is called (from the executor's thread) for each event."""

    def __init__(self, plan: Plan, backend: Backend, report: Callable[[StepEvent], None], *,
                 stall_after: float = 120.0, poll: float = 0.25, reason: str = "",
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.plan = plan
        self.backend = backend
        self.report = report
        self.stall_after = stall_after  # seconds without any progress before a step counts as stalled
        self.poll = poll
        self.reason = reason
        self.clock = clock
        self.sleep = sleep
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Between steps: the running step finishes, the rest become cancelled."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _say(self, index: int, state: str, text: str, command: str = "", ok: bool | None = None,
             final: bool = False, start: bool = False) -> None:
        step = self.plan.steps[index]
        step.state, step.message = state, text
        self.report(StepEvent(index, step.name, state, text, command, ok, final, start))

    def run(self) -> str:
        """Carry out the plan; answers the summary sentence (done and not done)."""
        for index, step in enumerate(self.plan.steps):
            if step.state != PENDING:
                continue
            if self._cancel.is_set():
                self._cancel_rest(index)
                break
            if step.unavailable:
                self._say(index, FAILED, f"{step.label} cannot run: {step.unavailable}", ok=False, final=True)
                self._cancel_rest(index + 1, after=step.label)
                break
            if not self._run_step(index, step):
                self._cancel_rest(index + 1, after=step.label)
                break
        return self.plan.summary()

    def _cancel_rest(self, start: int, after: str = "") -> None:
        why = f"not started: the plan stopped at {after}" if after else "cancelled before it started"
        for index in range(start, len(self.plan.steps)):
            if self.plan.steps[index].state == PENDING:
                self._say(index, CANCELLED, f"{self.plan.steps[index].label} {why}.", ok=None, final=True)

    def _run_step(self, index: int, step: Step) -> bool:
        if step.kind == DATABASE:
            return self._run_database_step(index, step)
        command = " ".join(step.command(self.plan.namespace))
        self._say(index, RUNNING, f"plan step {index + 1}: rolling back {step.label} from revision {step.current} "
                                  f"to {step.target}", command, start=True)

        def line(text: str) -> None:
            self.report(StepEvent(index, step.name, RUNNING, text))

        try:
            outcome, ok, message, command = self.backend.roll_back(step, self.reason, line)
        except Exception as exc:  # noqa: BLE001 - a bug must stop the plan with a sentence, not kill the worker
            outcome, ok, message = "failed", False, f"{step.label} failed unexpectedly ({type(exc).__name__}: {exc})."
        if outcome == "noop":
            self._say(index, SKIPPED, message, command, ok=True, final=True)
            return True
        if not ok:
            self._say(index, FAILED, f"Failed: {message}", command, ok=False, final=True)
            return False
        self.report(StepEvent(index, step.name, RUNNING, message, command))
        for name in step.covers:
            verdict = self._wait(index, step, name)
            if verdict is not None:
                self._say(index, STALLED if verdict[0] else FAILED, verdict[1], command, ok=False, final=True)
                return False
        done = (f"{step.label} rolled back to revision {step.target}; "
                f"{'every rollout' if len(step.covers) > 1 else 'its rollout'} completed.")
        self._say(index, ROLLED_OUT, done, command, ok=True, final=True)
        return True

    def _run_database_step(self, index: int, step: Step) -> bool:
        command = " ".join(step.command(self.plan.namespace))
        self._say(index, RUNNING, f"plan step {index + 1}: backing up the database, then downgrading it from "
                                  f"{step.schema_from} to {step.schema_to}", command, start=True)

        def line(text: str) -> None:
            self.report(StepEvent(index, step.name, RUNNING, text))

        try:
            ok, message, command = self.backend.downgrade(step, self.reason, line)
        except Exception as exc:  # noqa: BLE001 - a bug must stop the plan with a sentence, not kill the worker
            ok, message = False, f"The database step failed unexpectedly ({type(exc).__name__}: {exc})."
        self._say(index, ROLLED_OUT if ok else FAILED, message if ok else f"Failed: {message}", command, ok=ok,
                  final=True)
        return ok

    def _wait(self, index: int, step: Step, name: str) -> tuple[bool, str] | None:
        """Until `name`'s rollout completes (None), or (stalled?, sentence) when it cannot."""
        last_key, last_change, last_message = None, self.clock(), ""
        while True:
            try:
                message, done, error, key = self.backend.status(name, step.workload)
            except Exception as exc:  # noqa: BLE001 - a ConsoleError carries its sentence; anything else is a bug
                said = getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}"
                return False, f"Reading the rollout of {name} failed ({said}); the plan stopped here, check it with kubectl."
            if message != last_message:
                last_message = message
                self.report(StepEvent(index, name, RUNNING, message))
            if done:
                return None
            if error:
                return True, (f"{name} stalled: {message}; the plan stopped here. Roll it back to a healthy "
                              "revision or fix it, then run the plan again.")
            if key != last_key:
                last_key, last_change = key, self.clock()
            elif self.clock() - last_change > self.stall_after:
                return True, (f"{name} stalled: no progress for {self.stall_after:.0f}s ({message}); the plan "
                              "stopped here. Check its pods, then run the plan again.")
            self.sleep(self.poll)


def status_of(reader: WorkloadReader, obj: dict, clock: Callable[[], float] = time.monotonic
              ) -> tuple[str, bool, bool, tuple]:
    """rollout_status plus what counts as progress (the replica counts and the revision; an Argo Rollout's
    step). A canary waiting out a timed pause step is on schedule, never stalled: its key moves with the clock."""
    message, done, error = reader.rollout_status(obj)
    status = obj.get("status") or {}
    key = (status.get("updatedReplicas", 0), status.get("readyReplicas", 0), status.get("availableReplicas", 0),
           status.get("replicas", 0), status.get("observedGeneration", 0), status.get("currentStepIndex"))
    if timed_pause(obj):
        key += (clock(),)
    return message, done, error, key
