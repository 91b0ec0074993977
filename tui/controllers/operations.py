"""Actions on the selected component: the guard, the kind's adapter planning in a worker, the confirmation
(with the production guard), the execution in a worker, the outcome said and recorded.

A key -> the guard -> a `Request` -> the adapter plans it (thread) -> `OperationPlanned` -> the
confirmation -> the adapter executes it (thread) -> `OperationFinished` -> the Rollout stream and the audit
log. The ledger holds the component busy from request to outcome. Takes the Console protocol, never the App.
"""

from __future__ import annotations

import traceback
from functools import partial
from pathlib import Path

from widgets.component_table import ComponentTable
from widgets.messages import OperationFinished, OperationPlanned
from widgets.revision_table import RevisionTable

from ..core.errors import ConsoleError, one_line
from ..core.flash import CONNECTING
from ..core.knownbad import warning_line
from ..core.names import CHANGE_CAUSE, SERVING_LABEL
from ..core.operations import Operation
from ..core.requests import Request
from ..core.state import ERROR, INFO, SUCCESS, WARNING
from ..core.workload import Ref
from ..screens.confirm import INSTEAD_LABEL, Confirmation, ConfirmScreen, Instead
from ..screens.diff import DiffScreen
from ..screens.pending import PendingScreen
from ..screens.prompt import PromptScreen
from ..workloads.deployment.diff import pod_template_diff
from ..workloads.registry import adapter_for
from .console import Console


class OperationsController:
    def __init__(self, console: Console, settle_timeout: float = 10.0) -> None:
        self.console = console
        self.settle_timeout = settle_timeout  # how long traffic diversion waits for endpoints to follow
        self._pending: dict[int, PendingScreen] = {}  # id(request) -> the screen keeping keys for its dialog

    def _component_for(self, action: str, needs: str = "") -> Ref | None:
        """The selected component if the action may start on it; else say why not (the guard) and return None.

        `needs`: the Request action the kind's adapter must support."""
        # Only what is on screen: a component the filter hides is not a target, however it was selected.
        ref = self.console.selected
        if ref is None or self.console.state.component(ref) is None or self.console.widget(ComponentTable).selected != ref:
            ref = None
        refusal = self.console.guard.refusal(action, ref, self.console.ledger)
        if refusal is None and ref is not None and needs:
            adapter = adapter_for(ref.kind)
            if not adapter.supports(needs):
                refusal = f"{adapter.resource}/{ref.name} cannot do that from the console; use its own tooling."
        if refusal:
            self.console.refuse(refusal)
            return None
        return ref

    def rollback_previous(self) -> None:
        name = self._component_for("rollback_previous", "rollback")
        if name:
            self._plan(Request("rollback", name, revision=0))

    def rollback_revision(self) -> None:
        name = self._component_for("rollback_revision", "rollback")
        if not name:
            return
        revisions = self.console.widget(RevisionTable)
        view = revisions.selected
        if not revisions.has_focus or view is None:
            revisions.focus()
            self.console.refuse("Choose a revision in Revisions, then press r to roll back to it.")
            return
        if view.current:
            self.console.refuse(f"Revision {view.revision} is already the current one; choose an older revision.")
            return
        self._plan(Request("rollback", name, revision=view.revision))

    def kind_action(self, action: str) -> None:
        """A kind-specific action (the key table learns them from the adapters): planned and confirmed
        like every other one."""
        ref = self._component_for(action, action)
        if ref is None:
            return
        declared = next(a for a in adapter_for(ref.kind).kind_actions if a.action == action)
        if not declared.asks:
            self._plan(Request(action, ref, verb=declared.verb))
            return

        def valid(text: str) -> str | None:
            return None if text.strip() else "Give an answer, or press Escape."

        def answered(text: str | None) -> None:
            if text is not None:
                self._plan(Request(action, ref, verb=declared.verb, argument=text.strip()))

        self.console.ask(PromptScreen(f"{declared.verb.capitalize()} {ref.name}", declared.asks, "",
                                      declared.placeholder, valid), answered)

    def diff(self) -> None:
        name = self.console.selected
        revisions = self.console.widget(RevisionTable)
        view = revisions.selected
        if name is None or view is None:
            self.console.refuse("No revision is selected; pick a component, then a revision in Revisions.")
            return
        if not revisions.has_focus:
            revisions.focus()
        current = next((r for r in self.console.state.revisions(name) if r.current), None)
        if current is None:
            self.console.refuse(f"{name} has no current revision to compare with yet; wait for its ReplicaSets.")
            return
        diff = pod_template_diff(current.template, view.template,
                                             f"{name} revision {current.revision} (current)",
                                             f"{name} revision {view.revision}")
        title = (f"{name}: revision {view.revision} against the current revision {current.revision}"
                 if not view.current else f"{name}: revision {view.revision} is the current revision")

        def chosen(result: str | None) -> None:
            if result == "rollback":
                name_ok = self._component_for("rollback_revision", "rollback")
                if name_ok:
                    self._plan(Request("rollback", name_ok, revision=view.revision))

        self.console.ask(DiffScreen(title, diff, can_roll_back=not view.current and not self.console.read_only), chosen)

    def pause_resume(self) -> None:
        name = self._component_for("pause_resume", "pause")
        if name:
            view = self.console.state.component(name)
            self._plan(Request("resume" if view.paused else "pause", name))

    def restart(self) -> None:
        name = self._component_for("restart", "restart")
        if name:
            self._plan(Request("restart", name))

    def scale(self) -> None:
        name = self._component_for("scale", "scale")
        if not name:
            return
        view = self.console.state.component(name)
        remembered = self.console.ledger.remembered_replicas.get(name)
        offer = remembered if view.desired == 0 and remembered else view.desired
        question = f"{name} has {view.desired} replicas. Scale to how many? 0 is the emergency scale-down."
        if view.desired == 0 and remembered:
            question = f"{name} is scaled down; it had {remembered} replicas before. Scale to how many?"

        def valid(text: str) -> str | None:
            if not text.isdigit():
                return "Give a whole number of replicas, 0 or more."
            if int(text) == view.desired:
                return f"{name} already has {view.desired} replicas; give another number or press Escape."
            return None

        def answered(text: str | None) -> None:
            if text is not None:
                self._plan(Request("scale", name, replicas=int(text)))

        self.console.ask(PromptScreen(f"Scale {name}", question, str(offer), "replicas", valid, numeric=True),
                         answered)

    def traffic(self) -> None:
        name = self._component_for("traffic", "divert_traffic")
        if not name:
            return
        pod_watch = self.console.state.watches.get("Pod")
        if pod_watch is None or (not pod_watch.live and pod_watch.error == CONNECTING):
            # Which way to divert is read from the pods' labels: before their first list it would be a guess.
            self.console.refuse(f"The pods of {name.name} are not listed yet; press t again in a moment.")
            return
        pods = self.console.state.pods_of(name)
        serving_now = any((p["metadata"].get("labels") or {}).get(SERVING_LABEL) == "true" for p in pods)
        self._plan(Request("divert_traffic", name, serving=not serving_now))

    def annotate(self) -> None:
        name = self._component_for("annotate", "annotate")
        if not name:
            return
        d = self.console.state.obj(name) or {}
        current = (d.get("metadata", {}).get("annotations") or {}).get(CHANGE_CAUSE, "")

        def valid(text: str) -> str | None:
            return None if text else "The change-cause is empty; say what changed and why."

        def answered(text: str | None) -> None:
            if text is not None:
                self._plan(Request("annotate", name, change_cause=text))

        self.console.ask(PromptScreen(f"Change-cause of {name}", f"Record why {name} is as it is now "
                                      f"({CHANGE_CAUSE}).", current, "what changed and why", valid),
                         answered)

    # ---- planning, confirming, executing -------------------------------------------------------

    def _plan(self, request: Request) -> None:
        self.console.ledger.start(request.component, request.doing)
        pending = PendingScreen(request.doing)  # keys typed until the confirmation opens are kept for it
        self._pending[id(request)] = pending
        self.console.ask(pending)
        self.console.run_off_loop(partial(self._plan_in_thread, request), group=f"plan-{request.component}", name=f"plan {request.doing}")

    def _plan_in_thread(self, request: Request) -> None:
        """Worker thread: read the cluster and describe the change; never raises."""
        try:
            op = adapter_for(request.component.kind).plan(self.console.target.api, self.console.target.namespace, request)
        except ConsoleError as err:
            self.console.post(OperationFinished(request, False, err.message, planning=True))
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not take the console down
            self.console.post(OperationFinished(request, False, _unexpected(request, exc), planning=True))
            return
        self.console.post(OperationPlanned(request, op))

    def _close_pending(self, request: Request) -> PendingScreen | None:
        pending = self._pending.pop(id(request), None)
        if pending is not None:
            pending.close()
        return pending

    def planned(self, request: Request, op: Operation) -> None:
        """The adapter planned it: the confirmation (production guard), then the execution."""
        if not self.console.alive:
            return
        pending = self._close_pending(request)
        if pending is not None and pending.cancelled:
            self._finish(request, False, f"Cancelled: {request.doing} (nothing changed).", severity=INFO, quiet=True)
            return
        if op.noop:
            # kubectl prints this and changes nothing: no confirmation needed.
            self._finish(request, True, op.noop, severity=WARNING)
            return
        guard = self.console.guard.confirm_name(request.component.name)
        warning, alternative = self.known_bad_warning(request.component, op) if op.kind == "rollback" else ("", None)

        def confirmed(result: Confirmation | Instead | None) -> None:
            if result is None:
                self._finish(request, False, f"Cancelled: {request.doing} (nothing changed).", severity=INFO,
                             quiet=True)
                return
            if isinstance(result, Instead):
                self._finish(request, False, f"Cancelled: {request.doing}, known bad; planning revision "
                             f"{result.revision} instead (nothing changed).", severity=INFO, quiet=True)
                self._plan(Request("rollback", request.component, revision=result.revision))
                return
            if op.kind == "rollback":
                self.console.evidence.target_confirmed(op.component, op.revision)
                self.console.record("target", op.component, f"target revision {op.revision}",
                            payload={"revision": op.revision})
            if op.kind == "scale" and op.replicas == 0:
                self.console.ask(ConfirmScreen(
                    op, ask_reason=False, confirm_label="Scale to 0",
                    warning=f"Emergency scale-down: every pod of {op.component} stops and it serves nothing "
                            f"until scaled back ({op.previous_replicas} replicas will be remembered). "
                            "Confirm a second time.",
                ), lambda again: self._execute(request, op, result.reason) if again else self._finish(
                    request, False, f"Cancelled: {request.doing} (nothing changed).", severity=INFO, quiet=True))
                return
            self._execute(request, op, result.reason)

        screen = ConfirmScreen(op, guard=guard, warning=warning, alternative=alternative)
        self.console.ask(screen, confirmed)
        if pending is not None and pending.keys:
            self.console.type_into(screen, pending.keys)

    def known_bad_warning(self, ref: Ref, op: Operation) -> tuple[str, int | None]:
        """The line a rollback's confirmation starts with when its target revision is known bad, and the
        newest healthy revision it offers instead ("" and None when nothing is known against the target)."""
        state = self.console.state
        evidence = state.known_bad(ref, op.revision)
        if not evidence:
            return "", None
        healthy = state.newest_healthy(ref)
        alternative = healthy.revision if healthy is not None and healthy.revision != op.revision else None
        return warning_line(op.revision, list(evidence), alternative, INSTEAD_LABEL, state.clock()), alternative

    def _execute(self, request: Request, op, reason: str) -> None:
        self.console.ledger.executing(request.component)
        if reason:
            self.console.note(request.component, INFO, f"reason for {request.doing}: {one_line(reason)}")
        self.console.note(request.component, INFO, f"$ {op.command_line}")
        self.console.record("action", request.component, request.doing + (f" (reason: {reason})" if reason else ""),
                    op.command_line, payload={"action": op.kind, "revision": op.revision, "reason": reason,
                                              "op": request.id})
        self.console.run_off_loop(partial(self._execute_in_thread, request, op, reason), group=f"execute-{request.component}", name=f"execute {request.doing}")

    def _execute_in_thread(self, request: Request, op, reason: str) -> None:
        adapter = adapter_for(op.workload)
        try:
            if op.kind == "rollback" and reason:
                # The reason becomes the change-cause: plan again with it, and refuse if anything moved.
                again = adapter.plan_rollback(self.console.target.api, op.namespace, op.component, op.revision, reason)
                if again.basis != op.basis or again.revision != op.revision:
                    raise ConsoleError(f"deployment.apps/{op.component} changed since you looked (someone else "
                                       "updated it); re-read and try again.")
                op = again
            outcome = adapter.execute(self.console.target.api, op, settle_timeout=self.settle_timeout)
        except ConsoleError as err:
            self.console.post(OperationFinished(request, False, err.message))
            return
        except Exception as exc:  # noqa: BLE001
            self.console.post(OperationFinished(request, False, _unexpected(request, exc)))
            return
        lines = [outcome.message]
        if op.kind == "divert_traffic":
            for svc in sorted(set(outcome.endpoints_before) | set(outcome.endpoints_after)):
                before = ", ".join(outcome.endpoints_before.get(svc, [])) or "none"
                after = ", ".join(outcome.endpoints_after.get(svc, [])) or "none"
                lines.append(f"service/{svc} ready endpoints: {before} → {after}")
        self.console.post(OperationFinished(request, outcome.ok, "\n".join(lines), operation=op, outcome=outcome))

    def finished(self, message: OperationFinished) -> None:
        """An outcome (of planning or executing): said, recorded, and the ledger entry closed."""
        request, op, outcome = message.request, message.operation, message.outcome
        if not self.console.alive:
            return
        if message.planning:
            pending = self._pending.pop(id(request), None)
            if pending is not None:  # no dialog: what was typed for it is dropped, never run as keys
                pending.fail(message.message)
        if message.ok and op is not None and op.kind == "scale" and op.replicas == 0:
            before = outcome.previous_replicas if outcome.previous_replicas is not None else op.previous_replicas
            if before:
                self.console.ledger.remembered_replicas[request.component] = before
        if message.ok:
            self._finish(request, True, message.message, severity=SUCCESS)
            if request.action == "rollback" or (op is not None and op.kind == "rollback" and outcome is not None
                                                and outcome.changed):
                self.console.ledger.rolled_back.add(request.component.name)
                self.console.evidence.rollback_succeeded(request.component.name, op.command_line if op is not None else "")
        else:
            prefix = "" if message.planning else "Failed: "
            self._finish(request, False, prefix + message.message, severity=ERROR)
            if (request.action == "rollback" or (op is not None and op.kind == "rollback")) and not message.planning:
                self.console.evidence.rollback_failed(request.component.name, f"the rollback failed: {message.message}")

    def _finish(self, request: Request, ok: bool, text: str, severity: str, quiet: bool = False) -> None:
        self.console.ledger.finish(request.component)
        lines = text.splitlines() or [text]
        for line in lines:
            self.console.note(request.component, severity, line)
        cancelled = not ok and severity == INFO  # Escape in a dialog: nothing was attempted, nothing failed
        self.console.record("outcome", request.component, text, ok=None if cancelled else ok, payload={
            "action": request.action, "cancelled": cancelled, "op": request.id})
        if quiet:
            return
        toast = {SUCCESS: "information", INFO: "information", WARNING: "warning", ERROR: "error"}[severity]
        self.console.say(lines[0], title=str(request.component), severity=toast)


def _unexpected(request, exc: BaseException) -> str:
    """An unforeseen failure, as one sentence (the details go to the log, not the screen)."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return (f"{request.doing[0].upper()}{request.doing[1:]} failed unexpectedly ({type(exc).__name__}: "
            f"{one_line(exc, 160)}{at}); the console keeps running, try again or use kubectl.")
