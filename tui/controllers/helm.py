"""The Helm pane's behaviour inside the console: live history, diff, and the rollback flow.

The console owns one HelmController when a release is configured and forwards
to it: watch items of kind "Helm" (already decoded on the watcher thread), `H`,
and the pane's diff/rollback messages. A rollback goes: dry run (worker) ->
preview and options -> the shared ConfirmScreen (exact helm command line,
production guard) -> helm in a worker, its output streamed into the Rollout
pane line by line -> outcome, recorded with `console.record`. It takes the
Console protocol (console.py), never the App.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from kubernetes import client

from ..core.drift import Charted, rollback_effect
from ..core.errors import ConsoleError, one_line
from ..core.items import Changed, Relisted
from ..core.knownbad import FailedRelease, container_images
from ..core.requests import operation_id
from ..core.state import ERROR, INFO, SUCCESS
from ..core.workload import Ref, release_ref
from ..helm.diff import manifest_diff
from ..helm.manifest import workload_docs
from ..helm.operations import (
    Cluster,
    HelmBinary,
    HelmResult,
    HelmRollback,
    RollbackOptions,
    detect,
    rollback_argv,
    rollback_release,
)
from ..helm.release import DEPLOYED, FAILED, ReleaseHistory, from_secret, selector
from ..kube.collection import Collection
from ..kube.watch import Source
from ..screens.confirm import INSTEAD_LABEL, Confirmation, ConfirmScreen, Instead
from ..screens.pending import PendingScreen
from ..workloads.registry import ADAPTERS
from .console import Console

KIND = "Helm"  # the watch kind of a release's storage Secrets (the header shows "helm●")


def helm_source(api: client.ApiClient, namespace: str, release: str) -> Source:
    """Watch the release's storage Secrets; each is decoded on the watcher thread."""
    return Source(KIND, Collection(api, "/api/v1/namespaces/{namespace}/secrets"), (namespace,),
                  {"label_selector": selector(release)}, transform=from_secret)


@dataclass(frozen=True)
class HelmRequest:
    """A Helm rollback asked for: the release and the revision (its ledger entry says `doing`)."""

    release: str
    revision: int
    id: str = field(default_factory=operation_id, compare=False)  # its command and outcome entries carry it

    @property
    def doing(self) -> str:
        return f"rolling back Helm release {self.release} to revision {self.revision}"


class HelmController:
    def __init__(self, console: Console, release: str, helm: str = "helm", history: ReleaseHistory | None = None,
                 binary: HelmBinary | None = None) -> None:
        self.console = console
        self.release = release
        self.helm_path = helm or "helm"
        self.history = history if history is not None else ReleaseHistory(release, console.target.namespace)
        self.ref = release_ref(release)
        self.binary = binary
        self.unavailable = ""  # why the pane is read-only (no helm, ...), one sentence
        self.shown = True
        self._placed = False  # the cursor was put on the suggested revision once
        self._drift_said = ""  # the drift line last shown
        self._pending = None  # the PendingScreen keeping keys typed during a dry run

    # ---- lifecycle --------------------------------------------------------------------------------

    @property
    def pane(self):
        from widgets.helm_pane import HelmPane

        return self.console.widget(HelmPane)

    def start(self) -> None:
        """On the app's ready: show the pane, find out which helm we have (in a worker)."""
        self.console.show_helm(self.shown)
        self.pane.set_class(self.shown, "-shown")
        self.judge()
        self.repaint()
        if not self.console.target.offline and self.binary is None:
            self.console.run_off_loop(self._detect, group="helm-detect")

    def _detect(self) -> None:
        try:
            binary = detect(self.helm_path)
        except ConsoleError as err:
            self.console.call_soon(self._detected, None, err.message)
            return
        self.console.call_soon(self._detected, binary, "")

    def _detected(self, binary: HelmBinary | None, error: str) -> None:
        self.binary, self.unavailable = binary, error
        if not self.console.alive:
            return  # the console is closing: nothing to show
        if error:
            self.console.say(error, severity="warning", title="Helm")
        self.repaint()

    def toggle(self) -> None:
        self.shown = not self.shown
        self.console.show_helm(self.shown)
        self.pane.set_class(self.shown, "-shown")
        if self.shown:
            self.pane.table.focus()
        elif self.pane.table.has_focus:
            self.console.focus_components()

    # ---- live history ----------------------------------------------------------------------------

    @staticmethod
    def is_helm(item) -> bool:
        return isinstance(item, (Relisted, Changed)) and item.kind == KIND

    def apply(self, items: Iterable) -> None:
        for item in items:
            if isinstance(item, Relisted):
                self.history.relist(item.objects)
            elif isinstance(item, Changed):
                self.history.change(item.type, item.obj)
        self.judge()
        self.repaint()

    def judge(self) -> None:
        """Hand the release's failed revisions (known-bad evidence) and its deployed manifest (drift) to the
        state; the App repaints the components after."""
        state = self.console.state
        state.knownbad.set_failed_releases(self.release, failed_templates(self.history))
        for ref in [ref for ref, c in state.charted.items() if c.release == self.release]:
            del state.charted[ref]
        state.charted.update(charted(self.history))

    def repaint(self) -> None:
        history = self.history
        revisions = history.revisions
        stuck = history.stuck
        banner, meaning = "", "warning"
        if stuck is not None:
            banner = stuck.sentence
        elif history.listed and not revisions:
            banner = (f"No Helm release {self.release} in namespace {history.namespace}; check --release "
                      "and -n (helm list -n NAMESPACE).")
        if self.unavailable:
            banner = (banner + "\n" if banner else "") + self.unavailable
            meaning = "error" if not stuck else meaning
        drifted = self._drift_said = self.drift_sentence()
        if drifted:
            banner = (banner + "\n" if banner else "") + drifted
        suggestion = ""
        target, why = history.default_target()
        if target is not None and revisions:
            suggestion = f"suggested rollback: {target.revision}, {why}"
        if self.unavailable:
            subtitle = "read-only: no working helm"
        elif self.console.read_only:
            subtitle = "read-only"
        elif self.binary is not None:
            subtitle = f"{self.binary.label} · enter diff · r roll back"
        else:
            subtitle = "enter diff · r roll back"
        self.pane.show(self.release, revisions, banner=banner, banner_meaning=meaning, suggestion=suggestion,
                       subtitle=subtitle)
        if not self._placed and target is not None:
            self._placed = True
            self.pane.table.select(target.revision)

    def drift_moved(self) -> None:
        """A workload of the release changed: repaint only if what the drift line says changed."""
        if self.drift_sentence() != self._drift_said:
            self.repaint()

    def drift_sentence(self) -> str:
        """What differs from the deployed revision's manifest, one sentence ("" when nothing does)."""
        state = self.console.state
        parts = []
        for ref, chart in sorted(state.charted.items()):
            view = state.component(ref) if chart.release == self.release else None
            if view is not None and view.drift:
                parts.append(f"{ref.name}: {', '.join(d.short for d in view.drift)}")
        if not parts:
            return ""
        deployed = self.history.deployed
        return (f"Drift from revision {deployed.revision if deployed else '?'} (changed outside helm): "
                + "; ".join(parts) + ".")

    # ---- diff -----------------------------------------------------------------------------------

    def diff(self, revision: int) -> None:
        chosen, deployed = self.history.get(revision), self.history.deployed
        if chosen is None:
            self.console.refuse(f"Revision {revision} of {self.release} is gone; it was pruned meanwhile.")
            return
        if deployed is None:
            self.console.refuse(f"Release {self.release} has no deployed revision to compare with.")
            return
        if chosen.revision == deployed.revision:
            title = f"{self.release}: revision {revision} is the deployed revision"
        else:
            title = f"{self.release}: revision {revision} ({chosen.status}) against the deployed revision " \
                    f"{deployed.revision}"

        def closed(result: str | None) -> None:
            if result == "rollback":
                self.rollback(revision)

        from ..screens.helm import HelmDiffScreen  # the Helm screens load on first use

        self.console.ask(HelmDiffScreen(title, deployed, chosen, can_roll_back=self._refusal(revision) is None),
                             closed)

    # ---- rollback -------------------------------------------------------------------------------

    def _refusal(self, revision: int) -> str | None:
        """Why `r` on `revision` cannot start now, or None."""
        console = self.console
        refusal = console.guard.refusal("helm_rollback", self.ref, console.ledger, exclusive=True)
        if refusal:
            return refusal
        if self.unavailable:
            return self.unavailable
        if self.binary is None:
            return "Still finding out which helm this is; try again in a moment."
        chosen = self.history.get(revision)
        if chosen is None:
            return f"Revision {revision} of {self.release} is gone; it was pruned meanwhile."
        stuck = self.history.stuck
        if chosen.status == DEPLOYED and stuck is None:
            return f"Revision {revision} is the deployed one; choose an older revision."
        if stuck is not None and chosen.revision == stuck.revision:
            return f"Revision {revision} is the stuck one; roll back to an earlier revision."
        if chosen.error:
            return chosen.error
        return None

    def rollback(self, revision: int) -> None:
        refusal = self._refusal(revision)
        if refusal:
            self.console.refuse(refusal)
            return
        request = HelmRequest(self.release, revision)
        self.console.ledger.start(self.ref, request.doing, exclusive=True)
        self._pending = PendingScreen(request.doing)  # keys typed during the dry run are kept for the preview
        self.console.ask(self._pending)
        self.console.run_off_loop(partial(self._dry_run, request), group="helm-plan",
                                  name=f"helm dry run to {revision}")

    @property
    def cluster(self) -> Cluster:
        target = self.console.target
        return Cluster(self.history.namespace, str(target.kubeconfig) if str(target.kubeconfig) not in ("", ".")
                       else "", target.context)

    def _dry_run(self, request: HelmRequest) -> None:
        """Worker: `helm rollback --dry-run`, then the preview on the UI loop."""
        result = rollback_release(self.release, request.revision, namespace=self.history.namespace,
                                  helm=self.binary, kubeconfig=self.cluster.kubeconfig, context=self.cluster.context,
                                  dry_run=True)
        self.console.call_soon(self._preview, request, result)

    def _preview(self, request: HelmRequest, result: HelmResult) -> None:
        if not self.console.alive:
            return
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.close()
            if pending.cancelled:
                self._cancelled(request)
                return
        deployed, chosen = self.history.deployed, self.history.get(request.revision)
        diff = manifest_diff(deployed, chosen) if deployed is not None and chosen is not None else ""
        if not result.ok:
            self.console.note(self.ref, ERROR, result.message)
        said = result.message if result.ok else f"Dry run refused, so the rollback would fail: {result.message}"
        force_flag = "--force-replace" if self.binary and self.binary.major >= 4 else "--force"
        summary = (f"Roll back Helm release {self.release} to revision {request.revision}"
                   + (f" (deployed now: {deployed.revision})" if deployed is not None else ""))
        warning, alternative = self.known_bad_warning(request.revision)
        out_of_band = self.out_of_band(chosen)

        def chosen_options(options: RollbackOptions | Instead | None) -> None:
            if options is None:
                self._cancelled(request)
            elif isinstance(options, Instead):
                self._cancelled(request)
                self.rollback(options.revision)
            else:
                self._confirm(request, options, diff)

        from ..screens.helm import HelmRollbackScreen

        screen = HelmRollbackScreen(summary, said, result.ok, diff, force_flag=force_flag, warning=warning,
                                    alternative=alternative, out_of_band=out_of_band)
        self.console.ask(screen, chosen_options)
        if pending is not None and pending.keys:
            self.console.type_into(screen, pending.keys)

    def known_bad_warning(self, revision: int) -> tuple[str, int | None]:
        """The known-bad line for a rollback to `revision`, and the suggested revision offered instead."""
        why = self.history.known_bad(revision)
        if not why:
            return "", None
        target, _ = self.history.default_target()
        alternative = target.revision if target is not None and target.revision != revision else None
        line = f"Helm revision {revision} is known bad: {why}."
        line += (f" Press {INSTEAD_LABEL} to roll back to revision {alternative} instead, the suggested one."
                 if alternative is not None else " No other revision is suggested.")
        return line, alternative

    def out_of_band(self, target) -> str:
        """Which changes made outside helm (drift) a rollback to `target` reverts, and which it keeps."""
        state = self.console.state
        docs = workload_docs(target.manifest, ADAPTERS) if target is not None else {}
        reverted, kept = [], []
        for ref, chart in sorted(state.charted.items()):
            live = state.obj(ref)
            if chart.release != self.release or live is None or ref not in docs:
                continue
            undone, left = rollback_effect(live, chart.doc, docs[ref])
            reverted += [f"{ref.name} {said}" for said in undone]
            kept += [f"{ref.name} {said}" for said in left]
        lines = []
        if reverted:
            lines.append("Out-of-band changes this rollback overwrites: " + "; ".join(reverted) + ".")
        if kept:
            lines.append("Out-of-band changes it keeps (no manifest sets them): " + "; ".join(kept) + ".")
        return "\n".join(lines)

    def _confirm(self, request: HelmRequest, options: RollbackOptions, diff: str) -> None:
        try:
            argv = rollback_argv(self.binary, self.release, request.revision, self.cluster, options)
        except ConsoleError as err:
            self._finish(request, False, err.message, "")
            return
        deployed = self.history.deployed
        op = HelmRollback(self.release, self.history.namespace, request.revision,
                          deployed.revision if deployed else None, argv, options, diff=diff,
                          production=self.console.production)
        guard = self.release if self.console.production else None

        def confirmed(result: Confirmation | Instead | None) -> None:
            if result is None or isinstance(result, Instead):
                self._cancelled(request)
                if isinstance(result, Instead):
                    self.rollback(result.revision)
                return
            self.console.evidence.target_confirmed(f"release {self.release}", request.revision)
            self.console.record("target", self.release, f"target revision {request.revision}",
                            payload={"revision": request.revision})
            self._execute(request, op, result.reason)

        warning, alternative = self.known_bad_warning(request.revision)
        self.console.ask(ConfirmScreen(op, guard=guard, guard_hint="the release's name", warning=warning,
                                       alternative=alternative), confirmed)

    def _cancelled(self, request: HelmRequest) -> None:
        self.console.ledger.finish(self.ref)
        text = f"Cancelled: {request.doing} (nothing changed)."
        self.console.note(self.ref, INFO, text)
        self.console.record("outcome", self.release, text, ok=None,  # cancelled: nothing was attempted
                        payload={"action": "helm-rollback", "revision": request.revision, "cancelled": True, "op": request.id})

    def _execute(self, request: HelmRequest, op: HelmRollback, reason: str) -> None:
        console = self.console
        console.ledger.executing(self.ref)
        console.show_all_components()  # helm's lines and every Deployment's rollout, together
        if reason:
            console.note(self.ref, INFO, f"reason for {request.doing}: {one_line(reason)}")
        console.note(self.ref, INFO, f"$ {op.command_line}")
        console.record("helm-rollback", self.release, f"helm rollback {self.release} to revision {op.revision}"
                   + (f": {one_line(reason)}" if reason else ""), op.command_line, None,
                   payload={"action": "helm-rollback", "revision": op.revision, "reason": reason, "op": request.id})
        console.run_off_loop(partial(self._run, request, op), group="helm-execute", name=request.doing)

    def _run(self, request: HelmRequest, op: HelmRollback) -> None:
        def line(text: str) -> None:
            self.console.call_soon(self.console.note, self.ref, INFO, f"helm: {one_line(text, 400)}")

        try:
            result = rollback_release(self.release, op.revision, namespace=op.namespace, helm=self.binary,
                                      kubeconfig=self.cluster.kubeconfig, context=self.cluster.context,
                                      options=op.options, on_line=line)
        except Exception as exc:  # noqa: BLE001 - a bug must end in an outcome, never a dead worker
            result = HelmResult(False, f"helm rollback failed unexpectedly ({type(exc).__name__}: "
                                f"{one_line(exc, 160)}); check `helm history {self.release}`.", op.command_line)
        self.console.call_soon(self._finish, request, result.ok, result.message, op.command_line)

    def _finish(self, request: HelmRequest, ok: bool, message: str, command_line: str) -> None:
        console = self.console
        console.ledger.finish(self.ref)
        console.record("outcome", self.release, message, command_line, ok,
                   payload={"action": "helm-rollback", "revision": request.revision, "op": request.id})
        if not ok and command_line:  # helm ran and failed (not a dry run refused before anything changed)
            console.evidence.rollback_failed(self.release, f"helm rollback failed: {message}")
        if not console.alive:
            return  # quit while helm ran: the outcome is recorded, there is no screen to show it on
        console.note(self.ref, SUCCESS if ok else ERROR, message if ok else f"Failed: {message}")
        console.say(message, title=f"Helm {self.release}", severity="information" if ok else "error")
        if ok:
            self._components_rolled_back(request.revision, command_line)

    def _components_rolled_back(self, revision: int, command_line: str) -> None:
        """The release's Deployments shown as components were rolled back: checklist evidence, as for `u`."""
        target = self.history.get(revision)
        shown = [ref.name for ref in workloads_in(target.manifest if target else "")
                 if self.console.state.obj(ref) is not None]
        self.console.ledger.rolled_back.update(shown)
        self.console.evidence.release_rolled_back(self.release, revision, shown, command_line)


def workloads_in(manifest: str) -> list[Ref]:
    """The workloads (of the kinds the console has adapters for) a rendered manifest holds."""
    return list(workload_docs(manifest, ADAPTERS))


def failed_templates(history: ReleaseHistory) -> dict[Ref, list[FailedRelease]]:
    """Per workload, the images each failed revision of the release rendered for it."""
    failed: dict[Ref, list[FailedRelease]] = {}
    for rev in history.revisions:
        if rev.status != FAILED:
            continue
        for ref, doc in workload_docs(rev.manifest, ADAPTERS).items():
            images = container_images((doc.get("spec") or {}).get("template") or {})
            failed.setdefault(ref, []).append(FailedRelease(history.release, rev.revision, rev.description,
                                                            rev.updated, images))
    return failed


def charted(history: ReleaseHistory) -> dict[Ref, Charted]:
    """The workloads the deployed revision renders, as it renders them (what drift is measured against)."""
    deployed = history.deployed
    if deployed is None:
        return {}
    return {ref: Charted(history.release, deployed.revision, doc)
            for ref, doc in workload_docs(deployed.manifest, ADAPTERS).items()}



