"""The checklist's keeper: ticks runbook items from evidence, by hand on request, and records every tick.

The console hands it what happens (a target confirmed, a rollback done, stream
lines, a once-a-second poll, a key on a checklist item); it decides with the
plain evaluators of `tui.core.evidence` and does the reading and running
in workers (threads for the kubernetes client, anyio subprocesses for the
configured commands), so the UI loop never waits. Every tick and untick goes
through `console.record("tick" | "untick", ...)`, with who, when and the evidence.
"""

from __future__ import annotations

import re
from functools import partial

from widgets.checklist_sidebar import ChecklistSidebar

from ..appconfig import AppConfig
from ..core import checklist as runbook
from ..core import evidence
from ..core.errors import ConsoleError, one_line
from ..core.evidence import Verdict
from ..core.rollout import generation_observed
from ..core.state import ERROR, INFO, SUCCESS, WARNING
from ..core.workload import Ref
from ..incident import runner
from ..incident.recorder import current_user
from ..incident.report import clock
from ..screens.prompt import PromptScreen
from ..workloads.deployment.history import selector_string
from .console import Console

RECHECK_ENDPOINTS = 3.0  # seconds between automatic endpoint checks while connectivity is unproven


class ChecklistKeeper:
    def __init__(self, console: Console, config: AppConfig | None = None, user: str = "") -> None:
        self.console = console
        self.config = config or AppConfig()
        self._user = user
        self.pattern = re.compile(self.config.log_error_patterns)
        self.restarts = evidence.RestartTracker()
        self.targets: dict[str, int] = {}  # component -> confirmed target revision (0: the previous)
        self.rolled_out: set[str] = set()  # rolled-back components whose rollout reported success
        self.watched: set[str] = set()  # components whose pod health was asked for by hand
        # The last verdict per component, per check.
        self.pods: dict[str, Verdict] = {}
        self.endpoints: dict[str, Verdict] = {}
        self.logs: dict[str, Verdict] = {}
        self.smoke: dict[str, Verdict] = {}
        self.health: dict[str, Verdict] = {}
        self.running: set[str] = set()  # "smoke/<component>", "logs/<component>", "endpoints/<component>", ...
        self._endpoints_at: dict[str, float] = {}
        self._confirmed_at: dict[str, float] = {}  # component -> when its rollback was confirmed
        self._succeeded_at: dict[str, float] = {}  # component -> its last "successfully rolled out" line
        self.held: set[str] = set()  # items unticked by hand: evidence does not tick them again on its own
        self._healthy_at: dict[str, float] = {}  # component -> since when its pods are proven healthy

    # ---- who, what, where ------------------------------------------------------------------------

    @property
    def user(self) -> str:
        """Who ticks: injected, else the incident recorder's user, else the login name."""
        recorder = getattr(self.console, "incidents", None)
        return self._user or getattr(recorder, "user", "") or current_user()

    @user.setter
    def user(self, name: str) -> None:
        self._user = name

    @property
    def checklist(self) -> runbook.Checklist:
        return self.console.checklist

    def scope(self) -> list[str]:
        """What a check run by hand looks at: the components rolled back in this session, else the selected one."""
        if self.console.ledger.rolled_back:
            return sorted(self.console.ledger.rolled_back)
        return [self._selected()] if self._selected() else []

    def _selected(self) -> str:
        selected = self.console.selected
        return selected.name if selected is not None else ""

    def _ref(self, component: str) -> Ref | None:
        """The checklist speaks of components by name (as the audit log does); the state keys them by kind too."""
        return self.console.state.ref_named(component)

    def _view(self, component: str):
        ref = self._ref(component)
        return self.console.state.component(ref) if ref is not None else None

    def _failed(self, component: str) -> str:
        """Why the component's update failed, as its kind says it; "" until the controller has seen its
        latest spec (right after a rollback the old failure is still in the status)."""
        ref = self._ref(component)
        d = self.console.state.obj(ref) if ref is not None else None
        if d is None or not generation_observed(d):
            return ""
        return self.console.state.readers[ref.kind].failed(d)

    def _pods(self, component: str) -> list[dict]:
        ref = self._ref(component)
        return self.console.state.pods_of(ref) if ref is not None else []

    def _obj(self, component: str) -> dict | None:
        ref = self._ref(component)
        return self.console.state.obj(ref) if ref is not None else None

    def _refresh(self) -> None:
        if self.console.alive:
            self.console.widget(ChecklistSidebar).show_items()

    def _say_line(self, component: str, severity: str, text: str) -> None:
        if self.console.alive:  # a check may finish while the console shuts down
            self.console.note(component, severity, text)

    # ---- ticking -----------------------------------------------------------------------------------

    def mark(self, key: str, done: bool, component: str = "", evidence_text: str = "", note: str = "",
             command: str = "", ok: bool | None = None) -> bool:
        """Set an item, and record it if that changed anything."""
        item = self.checklist.get(key)
        if item is None:
            return False
        if not self.checklist.set(key, done, evidence=evidence_text if done else "", by=self.user if done else "",
                                  at=self.console.clock() if done else 0.0, note=note if done else ""):
            return False
        said = f"{'[x]' if done else '[ ]'} {item.text}" + (f": {evidence_text}" if evidence_text else "")
        if done and note:
            said += f" (note: {note})"
        self.console.record("tick" if done else "untick", component, said, command, ok)
        self._say_line(component, SUCCESS if done else INFO, f"checklist: {said}")
        self._refresh()
        return True

    def tick(self, key: str, component: str, evidence_text: str, command: str = "") -> bool:
        item = self.checklist.get(key)
        if item is None or item.done:
            return False
        return self.mark(key, True, component, evidence_text, command=command, ok=True)

    def show(self, key: str, verdict: Verdict, component: str = "", command: str = "") -> None:
        """A check's verdict on an item: proven ticks it; otherwise it stays open, saying why."""
        item = self.checklist.get(key)
        if item is None or item.done or item.key in self.held:
            return
        if verdict.ok:
            self.tick(key, component, verdict.text, command)
        elif self.checklist.report(key, verdict.text, failing=verdict.ok is False):
            self._refresh()

    # ---- what the app tells it -----------------------------------------------------------------

    def target_confirmed(self, component: str, revision: int) -> None:
        self.targets[component] = revision
        self._confirmed_at[component] = self.console.clock()
        metrics = getattr(self.console, "metrics", None)
        if metrics is not None:  # the rollback's moment, marked on its sparklines
            metrics.rolled_back(component, self._confirmed_at[component])
        self.show(runbook.TARGET, evidence.targets_chosen(self.targets), component)
        database = self._database()
        if database is not None:  # is the database compatible with the confirmed target?
            database.judge_checklist()
            database.refresh()

    def _database(self):
        """The database controller when a database is configured (tui/controllers/database.py), else None."""
        database = getattr(self.console, "database", None)
        return database if database is not None and database.configured else None

    def rollback_succeeded(self, component: str, command: str = "") -> None:
        # A new rollback: what was proven of this component before no longer holds.
        self.rolled_out.discard(component)
        self._forget(component)
        self.held.clear()
        self.tick(runbook.EXECUTE, component, f"{component} rolled back", command)
        if self._succeeded_at.get(component, -1.0) >= self._confirmed_at.get(component, float("inf")):
            # The rollout finished before this outcome arrived: its success line has been seen already.
            self._rolled_out(component)
        elif component not in self._confirmed_at and self._complete(component):
            # Rolled back outside a confirmation of ours (helm rollback --wait): the rollout is already done.
            self._rolled_out(component)

    def rollback_failed(self, component: str, reason: str) -> None:
        """A failed or stalled rollback (or a target that crash-loops): what it had proven is taken back."""
        self.rolled_out.discard(component)
        self._forget(component)
        self.reopen(runbook.ROLLBACK_FAILED, component, reason)

    def _forget(self, component: str) -> None:
        for results in (self.pods, self.endpoints, self.logs, self.smoke, self.health):
            results.pop(component, None)
        self._healthy_at.pop(component, None)

    def reopen(self, cause: str, component: str, reason: str) -> None:
        """Re-open the items `cause` takes back that were ticked, each with the reason, in the timeline too."""
        for item in self.checklist.reopen(cause, reason):
            self.held.discard(item.key)  # evidence may tick it again once it holds again
            said = f"[ ] {item.text}: re-opened: {reason}"
            self.console.record("untick", component, said, payload={"reopened": cause})
            self._say_line(component, WARNING, f"checklist: {said}")
            self._refresh()

    def reset(self) -> None:
        """A new incident's checklist: every item open, nothing proven, nothing remembered of the last one."""
        self.checklist.clear()
        self.targets.clear()
        self.rolled_out.clear()
        self.watched.clear()
        self.held.clear()
        for component in {*self.pods, *self.endpoints, *self.logs, *self.smoke, *self.health, *self._healthy_at}:
            self._forget(component)
        self._confirmed_at.clear()
        self._succeeded_at.clear()
        self.restarts = evidence.RestartTracker()
        self._refresh()

    def release_rolled_back(self, release: str, revision: int, components: list[str], command: str = "") -> None:
        """A helm rollback succeeded: the tick names the release; its Deployments are then followed as after `u`."""
        self.held.clear()
        self.tick(runbook.EXECUTE, release, f"helm release {release} rolled back to revision {revision}", command)
        for component in components:
            self.rollback_succeeded(component, command)

    def _complete(self, component: str) -> bool:
        ref = self._ref(component)
        d = self.console.state.obj(ref) if ref is not None else None
        if ref is None or d is None:
            return False
        return self.console.state.readers[ref.kind].rollout_status(d).done

    def lines(self, lines) -> None:
        """Stream lines: a rolled-back component's rollout reporting success proves the monitoring."""
        for line in lines:
            if line.text.endswith("successfully rolled out"):
                name = str(line.component)
                self._succeeded_at[name] = line.at
                if name in self.console.ledger.rolled_back:
                    self._rolled_out(name)

    def _rolled_out(self, component: str) -> None:
        self.rolled_out.add(component)
        self.tick(runbook.MONITOR, component, f"{component} successfully rolled out")
        metrics = getattr(self.console, "metrics", None)
        if metrics is not None:  # its error ratio and p95 are watched from now on
            metrics.rolled_out(component, self.console.clock())

    def metrics_health(self, component: str, verdict: Verdict) -> None:
        """The metrics controller judged the error ratio and p95 after this component's rollback."""
        self.health[component] = verdict
        self._show_combined(runbook.APP_HEALTH, self.health, {component})

    def poll(self) -> None:
        """Once a second: pod health over its window, then the checks that follow from healthy pods."""
        now = self.console.clock()
        window = self.config.pod_health_window
        for component in self.console.ledger.rolled_back - self.rolled_out - set(self._confirmed_at):
            # Rolled back before this console started (a resumed incident): its rollout finished unseen.
            view = self._view(component)
            if view is not None and view.status in ("Complete", "Healthy"):
                self.rolled_out.add(component)
        for component in sorted(self.console.ledger.rolled_back):
            # A rolled-back component that stalls, or whose pods crash-loop, takes back what it had proven.
            view = self._view(component)
            if view is None:
                continue
            failed = self._failed(component)
            if view.status == "Stalled":
                self.rollback_failed(component, f"{component} stalled (its rollout makes no progress)")
            elif failed:  # an Argo Rollout's update aborted (by its analysis) after the rollback
                self.rollback_failed(component, f"{component} {failed}")
            else:
                crash = evidence.crash_looping(component, self._pods(component), view.images)
                if crash:
                    self.rollback_failed(component, f"the target crash-loops: {crash}")
        for component in sorted((self.console.ledger.rolled_back & self.rolled_out) | self.watched):
            view = self._view(component)
            if view is None:
                continue
            pods = self._pods(component)
            steady = self.restarts.observe(pods, now)
            healthy_at = self._healthy_at.get(component)
            if healthy_at is not None and self._done(runbook.POD_HEALTH):
                trouble = evidence.pods_unhealthy(component, pods, view.desired, steady, healthy_at)
                if trouble:
                    self._forget(component)
                    self.reopen(runbook.PODS_UNHEALTHY, component, trouble)
            self.pods[component] = evidence.pod_health(component, pods, view.desired, steady, now, window)
            if self.pods[component].ok:
                self._healthy_at.setdefault(component, now)
            else:
                self._healthy_at.pop(component, None)
            if component not in self.rolled_out or self.console.target.offline:
                continue
            if (not self._done(runbook.CONNECTIVITY) and f"endpoints/{component}" not in self.running
                    and now - self._endpoints_at.get(component, -1e9) >= RECHECK_ENDPOINTS):
                self.check_endpoints([component])
            if self.pods[component].ok:
                if component not in self.logs and f"logs/{component}" not in self.running:
                    self.scan_logs([component])
                spec = self.config.component(component)
                # Its health check, else its smoke test, runs by itself once the pods are healthy.
                if spec and (spec.health_check or spec.smoke_test) and component not in self.health \
                        and f"health/{component}" not in self.running:
                    self.run_health([component])
        if self.pods:
            checked = (self.console.ledger.rolled_back & self.rolled_out) | self.watched
            self._show_combined(runbook.POD_HEALTH, self.pods, checked)

    def _done(self, key: str) -> bool:
        item = self.checklist.get(key)
        return item is None or item.done

    def _show_combined(self, key: str, results: dict[str, Verdict], checked: set[str] | None = None,
                       command: str = "") -> None:
        """Decide an item over the components in question: those rolled back in this session (else the ones
        just checked). Proven when every one of them is; one not checked yet keeps it open."""
        required = set(self.console.ledger.rolled_back) or set(checked if checked is not None else results)
        if not required:
            return
        relevant = {c: results.get(c) or Verdict(None, f"{c}: not checked yet") for c in sorted(required)}
        component = next(iter(relevant)) if len(relevant) == 1 else ""
        self.show(key, evidence.combine(relevant), component, command)

    # ---- a key on an item ------------------------------------------------------------------------

    def activate(self, key: str, by_hand: bool = False) -> None:
        """Space on an item runs its check (or ticks it by hand where nothing can be checked); `m` (by_hand)
        ticks or unticks it by hand whatever it is. A ticked item is unticked either way."""
        item = self.checklist.get(key)
        if item is None:
            return
        component = self._selected()
        if item.done:
            if item.evidence in runbook.HAND_EVIDENCE:
                self._untick(item.key, component)
                return
            from ..screens.untick import UntickScreen

            who = " ".join(part for part in (item.by, f"at {clock(item.at)} UTC" if item.at else "") if part)
            self.console.ask(UntickScreen(item.text, item.evidence, f" ({who})" if who else ""),
                             lambda yes: self._untick(item.key, component, item.evidence) if yes else None)
            return
        self.held.discard(item.key)
        slug = item.slug
        if by_hand:
            self.mark(key, True, component, "ticked by hand")
        elif slug == runbook.DATABASE and self._database() is not None:
            self._database().open()  # Alembic's evidence: the view judges the target, its verdict ticks the item
        elif slug == runbook.DATABASE:
            self._ask_note(key, component)
        elif slug == runbook.NOTIFY and self.config.notify:
            self.notify()
        elif slug in (runbook.LOGS, runbook.SMOKE, runbook.APP_HEALTH, runbook.CONNECTIVITY, runbook.POD_HEALTH):
            self._check(slug)
        else:
            self.mark(key, True, component, "ticked by hand")

    def _untick(self, key: str, component: str, was: str = "") -> None:
        """By hand; the tick (with its evidence) stays in the timeline, this is a new entry after it."""
        item = self.checklist.get(key)
        if item is None or not item.done:
            return  # evidence or a failure changed it while the question was open
        self.mark(key, False, component, evidence_text=f"unticked by hand (the evidence was: {was})" if was else "")
        self.held.add(item.key)  # until asked again (or a new rollback), evidence leaves it open

    def _check(self, slug: str) -> None:
        components = self.scope()
        if not components:
            self.console.refuse("No component is selected; pick one in Components first.")
            return
        if self.console.target.offline and slug != runbook.SMOKE and slug != runbook.APP_HEALTH:
            self.console.refuse("Not connected to a cluster (offline view); there is nothing to check.")
            return
        if slug == runbook.LOGS:
            self.scan_logs(components)
        elif slug == runbook.SMOKE:
            self.run_smoke(components)
        elif slug == runbook.APP_HEALTH:
            self.run_health(components)
        elif slug == runbook.CONNECTIVITY:
            self.check_endpoints(components)
        else:
            self.watched |= set(components)
            self.poll()

    def _ask_note(self, key: str, component: str) -> None:
        def valid(text: str) -> str | None:
            return None if text else "Say what you checked (migrations, schema version), or press Escape."

        def answered(text: str | None) -> None:
            if text is not None:
                self.mark(key, True, component, "checked by hand", note=text)

        self.console.ask(PromptScreen(
            "Check database compatibility",
            "Is the target revision compatible with the database as it is now (migrations run since)? "
            "Note what you checked; it goes into the incident timeline.", "", "what you checked", valid), answered)

    # ---- service endpoints (thread) ----------------------------------------------------------------

    def check_endpoints(self, components: list[str]) -> None:
        for component in components:
            self.running.add(f"endpoints/{component}")
            self._endpoints_at[component] = self.console.clock()
            labels = self._pod_labels(component)
            self.console.run_off_loop(partial(self._endpoints_in_thread, component, labels), group=f"evidence-endpoints-{component}",
                                name=f"endpoints of {component}")

    def _pod_labels(self, component: str) -> dict:
        d = self._obj(component) or {}
        return dict((((d.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {})

    def _endpoints_in_thread(self, component: str, labels: dict) -> None:
        try:
            from . import probes

            found = probes.service_endpoints(self.console.target.api, self.console.target.namespace, labels)
            verdict = evidence.connectivity(component, found)
        except Exception as exc:  # noqa: BLE001 - one sentence on the item, never a traceback
            verdict = Verdict(False, probes.one_sentence(exc, f"reading the endpoints of {component}'s Services"))
        self.console.call_soon(self._endpoints_done, component, verdict)

    def _endpoints_done(self, component: str, verdict: Verdict) -> None:
        self.running.discard(f"endpoints/{component}")
        self.endpoints[component] = verdict
        self._show_combined(runbook.CONNECTIVITY, self.endpoints, {component})

    # ---- logs (thread) -------------------------------------------------------------------------------

    def scan_logs(self, components: list[str]) -> None:
        for component in components:
            if f"logs/{component}" in self.running:
                continue
            self.running.add(f"logs/{component}")
            pods = self._pods(component)
            self.checklist.report(runbook.LOGS, f"{component}: scanning the logs of {len(pods)} pods…")
            self._refresh()
            self.console.run_off_loop(partial(self._logs_in_thread, component, pods),
                                group=f"evidence-logs-{component}", name=f"log scan of {component}")

    def log_command(self, component: str) -> str:
        d = self._obj(component) or {}
        selector = selector_string((d.get("spec") or {}).get("selector")) or f"app={component}"
        return (f"kubectl logs -n {self.console.target.namespace} -l {selector} --all-containers "
                f"--tail={evidence.TAIL_LINES} --since={evidence.SINCE_SECONDS}s")

    def _logs_in_thread(self, component: str, pods: list[dict]) -> None:
        try:
            from . import probes

            counts, unread = probes.scan_pod_logs(self.console.target.api, self.console.target.namespace, pods, self.pattern)
            verdict = evidence.log_errors(component, counts, unread)
        except Exception as exc:  # noqa: BLE001
            counts, verdict = {}, Verdict(False, probes.one_sentence(exc, f"reading the logs of {component}'s pods"))
        self.console.call_soon(self._logs_done, component, counts, verdict)

    def _logs_done(self, component: str, counts: dict[str, int], verdict: Verdict) -> None:
        self.running.discard(f"logs/{component}")
        self.logs[component] = verdict
        command = self.log_command(component)
        self.console.record("log-scan", component, verdict.text.replace("\n", "; "), command, verdict.ok,
                        payload={"errors": counts})
        severity = SUCCESS if verdict.ok else ERROR if verdict.ok is False else WARNING
        self._say_line(component, severity, "log scan: " + verdict.text.replace("\n", "; "))
        self._show_combined(runbook.LOGS, self.logs, {component}, command)

    # ---- configured commands (anyio subprocesses on the UI loop) ---------------------------------

    def run_smoke(self, components: list[str]) -> None:
        self._run_commands("smoke", components)

    def run_health(self, components: list[str]) -> None:
        self._run_commands("health", components)

    def _argv(self, what: str, component: str) -> tuple[str, ...]:
        spec = self.config.component(component)
        if spec is None:
            return ()
        if what == "health":
            return spec.health_check or spec.smoke_test  # the smoke test doubles as the health check
        return spec.smoke_test

    def _run_commands(self, what: str, components: list[str]) -> None:
        generic = {"smoke": "smoke test", "health": "health check"}[what]
        key = runbook.SMOKE if what == "smoke" else runbook.APP_HEALTH
        results = self.smoke if what == "smoke" else self.health
        for component in components:
            spec = self.config.component(component)
            label = "health check (its smoke test)" if what == "health" and spec and not spec.health_check else generic
            if f"{what}/{component}" in self.running:
                self.console.refuse(f"The {label} of {component} is still running; wait for its exit code.")
                continue
            argv = self._argv(what, component)
            if not argv:
                config_key = "smoke_test" if what == "smoke" else "health_check (or smoke_test)"
                results[component] = Verdict(None, f"{component}: no {config_key} configured; tick by hand (m)")
                self._show_combined(key, results, {component})
                continue
            try:
                argv = runner.validate(argv, f"{label} of {component}")
            except ConsoleError as err:
                results[component] = Verdict(False, err.message)
                self._show_combined(key, results, {component})
                self.console.say(err.message, severity="error")
                continue
            self.running.add(f"{what}/{component}")
            self.checklist.report(key, f"{component}: {label} running…")
            self._refresh()
            self.console.run_off_loop(self._run_one(what, label, key, component, argv),
                                group=f"evidence-{what}-{component}", name=f"{label} of {component}")

    async def _run_one(self, what: str, label: str, key: str, component: str, argv: tuple[str, ...]) -> None:
        results = self.smoke if what == "smoke" else self.health
        command = runner.command_line(argv)
        kind = "smoke-test" if what == "smoke" else "health-check"
        self._say_line(component, INFO, f"{label}: $ {command}")
        code, verdict = await self._run(argv, component, label, component)
        self.running.discard(f"{what}/{component}")
        self.console.record(kind, component, verdict.text, command, verdict.ok, payload={"exit_code": code})
        self._say_line(component, SUCCESS if verdict.ok else ERROR, verdict.text)
        results[component] = verdict
        self._show_combined(key, results, {component}, command)
        spec = self.config.component(component)
        if what == "smoke" and spec is not None and not spec.health_check:
            # Without a health check of its own, the smoke test is the application's health check.
            self.health[component] = verdict
            self._show_combined(runbook.APP_HEALTH, self.health, {component}, command)

    # ---- notify ----------------------------------------------------------------------------------

    def notify(self) -> None:
        try:
            argv = runner.validate(self.config.notify, "notify")
        except ConsoleError as err:
            self.checklist.report(runbook.NOTIFY, err.message, failing=True)
            self._refresh()
            self.console.say(err.message, severity="error")
            return
        if "notify/" in self.running:
            return
        self.running.add("notify/")
        self.checklist.report(runbook.NOTIFY, "notify command running…")
        self._refresh()
        self.console.run_off_loop(self._notify(argv), group="evidence-notify", name="notify")

    async def _notify(self, argv: tuple[str, ...]) -> None:
        component = self._selected()
        command = runner.command_line(argv)
        self._say_line(component, INFO, f"notify: $ {command}")
        code, verdict = await self._run(argv, component, "notify command", "")
        self.running.discard("notify/")
        self.console.record("notify", "", verdict.text, command, verdict.ok, payload={"exit_code": code})
        self._say_line(component, SUCCESS if verdict.ok else ERROR, verdict.text)
        if verdict.ok:
            self.tick(runbook.NOTIFY, "", f"team notified: {command} exited 0", command)
        else:
            self.show(runbook.NOTIFY, verdict)

    async def _run(self, argv: tuple[str, ...], stream: str, label: str, component: str) -> tuple[int | None, Verdict]:
        """Run a configured command, its output to `stream`'s Rollout lines; its exit code and verdict."""
        try:
            result = await runner.run_command(argv, lambda line: self._say_line(stream, INFO, f"  {line}"))
        except Exception as exc:  # noqa: BLE001 - the console keeps running
            who = f"{component}: " if component else ""
            return None, Verdict(False, f"{who}{label} could not run ({type(exc).__name__}: {one_line(exc, 120)})")
        return result.exit_code, evidence.command_passed(label, component, result.exit_code, result.error)
