"""The Argo Rollouts controller for the canary strategy without a traffic router.

Follows upstream's rollout/canary.go: find or create the new ReplicaSet and
sync revisions, reconcile the background AnalysisRun (rollout/analysis.go),
scale stable, canary and older ReplicaSets by the basic-canary arithmetic
(canary_util), honour pause steps (rollout/pause.go), then compute the status
(step index, stableRS, pause conditions, abort, conditions, phase and
message) and write it to the status subresource.

What the kubectl-argo-rollouts plugin sends, which this controller honours
(upstream pkg/kubectl-argo-rollouts/cmd/<cmd>/<cmd>.go). Every status body is
a merge patch (application/merge-patch+json) on the /status subresource; when
that answers 404 (no status subresource) the plugin sends the "unified" body
to the main resource instead. Spec bodies are merge patches on the main
resource.

- ``promote`` (getPatches, default case):
  spec ``{"spec":{"paused":false}}`` when spec.paused, and on /status:
  ``{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":i+1}}``
  when paused by an inconclusive analysis (pauseConditions and controllerPause set);
  else ``{"status":{"pauseConditions":null}}`` when there are pause conditions;
  else, for a canary, ``{"status":{"pauseConditions":null, "currentStepIndex":i+1}}``
  (i is status.currentStepIndex, 0 when unset; i+1 never passes len(steps)).
  Unified: ``{"spec":{"paused":false},"status":{"pauseConditions":null}}`` (with
  ``"currentStepIndex":i+1`` in the last case).
- ``promote --skip-current-step``: ``{"status":{"currentStepIndex":i+1}}``;
  ``promote --skip-all-steps``: ``{"status":{"currentStepIndex":len(steps)}}``.
- ``promote --full``: ``{"spec":{"paused":false}}`` when spec.paused, and
  ``{"status":{"promoteFull":true}}`` unless currentPodHash == stableRS;
  unified ``{"spec":{"paused":false},"status":{"promoteFull":true}}``.
- ``abort``: ``{"status":{"abort":true}}``.
- ``retry rollout``: ``{"status":{"abort":false}}``.
- ``pause``: ``{"spec":{"paused":true}}`` (there is no resume: promote resumes).
- ``restart [--in D]``: ``{"spec":{"restartAt":"<RFC 3339, now + D>"}}``.
- ``set image ROLLOUT CONTAINER=IMAGE``: GET the Rollout, change the image, PUT
  it back, retried up to 5 times on 409 Conflict.
- ``undo [--to-revision N]``: a JSON patch (application/json-patch+json)
  ``[{"op":"replace","path":"/spec/template","value":<that ReplicaSet's
  spec.template without the rollouts-pod-template-hash label>}]``; N defaults
  to the second-highest rollout.argoproj.io/revision among the Rollout's
  ReplicaSets. Client-side answers: "skipped rollback (current template
  already matches revision N)", "unable to find specified revision N in
  history", "no revision found for rollout "NAME"".
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import parse_rfc3339, rfc3339
from ..errors import ApiError
from ..jsoncopy import clone
from ..resources import ANALYSIS_RUN, POD, REPLICASET, ROLLOUT
from ..store import Change
from . import analysis_util as au
from . import canary_util as cu
from . import deployment_util as du
from . import podutil
from .base import Context, Controller, Key
from .recorder import NORMAL, WARNING, EventRecorder
from .rollout_util import (
    AVAILABLE_MESSAGE,
    AVAILABLE_REASON,
    CANARY_PAUSE_STEP,
    COMPLETED_REASON,
    DEFAULT_PROGRESS_DEADLINE,
    DEFAULT_REVISION_HISTORY_LIMIT,
    HEALTHY_MESSAGE,
    HEALTHY_REASON,
    INCONCLUSIVE_ANALYSIS,
    MANAGER,
    NEW_RS_AVAILABLE_REASON,
    NOT_AVAILABLE_MESSAGE,
    NOT_HEALTHY_MESSAGE,
    PAUSED_MESSAGE,
    PAUSED_REASON,
    REPLICASET_COMPLETED_MESSAGE,
    REPLICASET_NOT_AVAILABLE_REASON,
    REPLICASET_PROGRESSING_MESSAGE,
    REPLICASET_TIMED_OUT_MESSAGE,
    REPLICASET_UPDATED_REASON,
    RESUMED_MESSAGE,
    RESUMED_REASON,
    ROLLOUT_ABORTED_MESSAGE,
    ROLLOUT_ABORTED_REASON,
    TIMED_OUT_REASON,
    PauseContext,
    calculate_phase,
    hash_of,
    normalized_template,
    pod_template_hash,
    revision_of,
    spec_problem,
    status_of,
    steps_hash,
)


class RolloutController(Controller):
    name = "rollout"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.recorder = EventRecorder(ctx.api, "rollouts-controller")

    # ---- keys ------------------------------------------------------------

    def keys_for(self, change: Change) -> Iterable[Key]:
        if change.key == ROLLOUT.key:
            return [(change.namespace, change.name)]
        if change.key in (REPLICASET.key, ANALYSIS_RUN.key):
            ref = du.controller_of(change.obj)
            if ref and ref.get("kind") == "Rollout":
                return [(change.namespace, ref["name"])]
        return []

    def all_keys(self) -> Iterable[Key]:
        return [(r["metadata"]["namespace"], r["metadata"]["name"]) for r in self.ctx.storage.items(ROLLOUT.key)]

    # ---- sync ------------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        try:
            rollout = self.api.get(ROLLOUT, namespace, name)
        except ApiError:
            return
        strategy = (rollout.get("spec") or {}).get("strategy") or {}
        if rollout["metadata"].get("deletionTimestamp") or "canary" not in strategy:
            return  # blue-green is not simulated
        problem = spec_problem(rollout)
        if problem:
            self._invalid(rollout, problem)
            return
        _Sync(self, clone(rollout)).run()

    def _invalid(self, rollout: dict, message: str) -> None:
        """The InvalidSpec condition (Degraded "InvalidSpec: ..."), nothing else done, as upstream."""
        status = clone(rollout.get("status") or {})
        conditions = [c for c in status.get("conditions") or () if c.get("type") != "InvalidSpec"]
        current = next((c for c in status.get("conditions") or () if c.get("type") == "InvalidSpec"), None)
        if current is not None and current.get("message") == message:
            return
        stamp = rfc3339(self.clock.now())
        conditions.append({"type": "InvalidSpec", "status": "True", "reason": "InvalidSpec", "message": message,
                           "lastUpdateTime": stamp, "lastTransitionTime": stamp})
        status["conditions"] = conditions
        status["observedGeneration"] = str(rollout["metadata"].get("generation", 1))
        status["phase"], status["message"] = calculate_phase(rollout, status)
        body = clone(rollout)
        body["status"] = status
        self.api.update(ROLLOUT, rollout["metadata"]["namespace"], rollout["metadata"]["name"], body,
                        subresource="status", manager=MANAGER)
        self.recorder.event(rollout, WARNING, "InvalidSpec", message)

    def owned_replica_sets(self, rollout: dict) -> list[dict]:
        uid = rollout["metadata"]["uid"]
        return [rs for rs in self.api.list(REPLICASET, rollout["metadata"]["namespace"])
                if (du.controller_of(rs) or {}).get("uid") == uid and not rs["metadata"].get("deletionTimestamp")]

    def owned_analysis_runs(self, rollout: dict) -> list[dict]:
        uid = rollout["metadata"]["uid"]
        return [ar for ar in self.api.list(ANALYSIS_RUN, rollout["metadata"]["namespace"])
                if (du.controller_of(ar) or {}).get("uid") == uid]


class _Sync:
    """One reconciliation of one Rollout (upstream's rolloutContext)."""

    def __init__(self, ctrl: RolloutController, rollout: dict):
        self.ctrl = ctrl
        self.api = ctrl.api
        self.rollout = rollout
        self.ns = rollout["metadata"]["namespace"]
        self.pause = PauseContext(rollout)
        self.now = ctrl.clock.now()
        self.background: dict | None = None  # the current background AnalysisRun
        self.new_status: dict = {}

    # ---- ReplicaSets -----------------------------------------------------

    def _load(self) -> None:
        self.all_rss = self.ctrl.owned_replica_sets(self.rollout)
        self.new_rs = self._find_new_rs()
        stable_hash = status_of(self.rollout).get("stableRS")
        self.stable_rs = next((rs for rs in self.all_rss if stable_hash and hash_of(rs) == stable_hash), None)
        self.other_rss = [rs for rs in self.all_rss if rs is not self.new_rs and rs is not self.stable_rs]

    def _find_new_rs(self) -> dict | None:
        wanted = pod_template_hash(self.rollout)
        template = normalized_template(self.rollout["spec"].get("template"))
        for rs in self.all_rss:
            if hash_of(rs) == wanted:
                return rs
        for rs in self.all_rss:  # a template copied back from an older ReplicaSet (undo)
            if normalized_template(rs["spec"].get("template")) == template:
                return rs
        return None

    def _sync_revision(self) -> None:
        """getAllReplicaSetsAndSyncRevision: create the new ReplicaSet or give it the next revision."""
        old = [rs for rs in self.all_rss if rs is not self.new_rs]
        new_revision = max((revision_of(rs) for rs in old), default=0) + 1
        if self.new_rs is None:
            self.new_rs = self._create_new_rs(new_revision)
            self.all_rss.append(self.new_rs)
        elif revision_of(self.new_rs) < new_revision and revision_of(self.new_rs) != max(
                (revision_of(rs) for rs in self.all_rss), default=0):
            rs = clone(self.new_rs)
            ann = rs["metadata"].setdefault("annotations", {})
            previous = ann.get(cu.REVISION_ANNOTATION)
            ann[cu.REVISION_ANNOTATION] = str(new_revision)
            if previous:
                history = ann.get(cu.REVISION_HISTORY_ANNOTATION)
                ann[cu.REVISION_HISTORY_ANNOTATION] = f"{history},{previous}" if history else previous
            self.new_rs = self._replace_rs(rs)
        revision = str(revision_of(self.new_rs))
        ann = self.rollout["metadata"].get("annotations") or {}
        if ann.get(cu.REVISION_ANNOTATION) != revision:
            body = clone(self.rollout)
            body["metadata"].setdefault("annotations", {})[cu.REVISION_ANNOTATION] = revision
            updated = self.api.update(ROLLOUT, self.ns, body["metadata"]["name"], body, manager=MANAGER)
            self.rollout["metadata"] = clone(updated["metadata"])
            self.recorder_event(NORMAL, "RolloutUpdated", f"Rollout updated to revision {revision}")

    def _create_new_rs(self, revision: int) -> dict:
        pod_hash = pod_template_hash(self.rollout)
        template = clone(self.rollout["spec"].get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[cu.HASH_LABEL] = pod_hash
        selector = clone(self.rollout["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[cu.HASH_LABEL] = pod_hash
        meta = self.rollout["metadata"]
        body = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{pod_hash}",
                "namespace": self.ns,
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {cu.REVISION_ANNOTATION: str(revision)},
                "ownerReferences": [podutil.owner_reference(self.rollout)],
            },
            "spec": {"replicas": 0, "minReadySeconds": self.rollout["spec"].get("minReadySeconds", 0),
                     "selector": selector, "template": template},
        }
        try:
            rs = self.api.create(REPLICASET, self.ns, body, manager=MANAGER)
        except ApiError as exc:
            if exc.code != 409:
                raise
            # A ReplicaSet of another template holds the name: bump collisionCount (which goes into
            # the hash) and try again on the next sync, as upstream's getNewReplicaSet does.
            status = clone(status_of(self.rollout))
            status["collisionCount"] = status.get("collisionCount", 0) + 1
            self.api.update(ROLLOUT, self.ns, meta["name"], {**clone(self.rollout), "status": status},
                            subresource="status", manager=MANAGER)
            raise
        self.recorder_event(NORMAL, "NewReplicaSetCreated",
                            f"Created ReplicaSet {rs['metadata']['name']} (revision {revision})")
        return rs

    def _replace_rs(self, rs: dict) -> dict:
        return self.api.update(REPLICASET, self.ns, rs["metadata"]["name"], rs, manager=MANAGER)

    def _scale(self, rs: dict, count: int) -> bool:
        current = du.spec_replicas(rs)
        if current == count:
            return False
        body = clone(rs)
        body["spec"]["replicas"] = count
        updated = self._replace_rs(body)
        for group in (self.all_rss, self.other_rss):
            for i, known in enumerate(group):
                if known is rs:
                    group[i] = updated
        if rs is self.new_rs:
            self.new_rs = updated
        if rs is self.stable_rs:
            self.stable_rs = updated
        direction = "up" if count > current else "down"
        self.recorder_event(NORMAL, "ScalingReplicaSet",
                            f"Scaled {direction} ReplicaSet {rs['metadata']['name']} (revision {revision_of(rs)}) "
                            f"from {current} to {count}")
        return True

    def recorder_event(self, type_: str, reason: str, message: str) -> None:
        self.ctrl.recorder.event(self.rollout, type_, reason, message)

    # ---- the reconcile ---------------------------------------------------

    def run(self) -> None:
        self._load()
        template_changed = self._template_or_steps_changed()
        self._sync_revision()
        self.other_rss = [rs for rs in self.all_rss if rs is not self.new_rs and rs is not self.stable_rs]
        if template_changed:
            self._finish()
            return
        if self._restart_pods():
            return
        self._reconcile_revision_history_limit()
        self._reconcile_analysis()
        if INCONCLUSIVE_ANALYSIS in self.pause.add:
            self._finish()
            return
        if self._reconcile_replica_sets():
            self._finish()
            return
        self._reconcile_pause()
        self._finish()

    def _template_or_steps_changed(self) -> bool:
        status = status_of(self.rollout)
        if status.get("currentStepHash") and status.get("currentStepHash") != steps_hash(self.rollout):
            return True
        return bool(status.get("currentPodHash")) and status.get("currentPodHash") != pod_template_hash(self.rollout)

    def _restart_pods(self) -> bool:
        """podRestarter: delete pods older than spec.restartAt one at a time, while all others are available."""
        restart_at = self.rollout["spec"].get("restartAt")
        if not restart_at or status_of(self.rollout).get("restartedAt") == restart_at:
            return False
        restart_time = parse_rfc3339(restart_at) or 0.0
        if restart_time > self.now:
            self.ctrl.enqueue_after(-self._elapsed(restart_at), self.ns, self.rollout["metadata"]["name"])
            return False
        hashes = {hash_of(rs) for rs in self.all_rss}
        pods = [p for p in self.api.list(POD, self.ns)
                if (p["metadata"].get("labels") or {}).get(cu.HASH_LABEL) in hashes
                and not p["metadata"].get("deletionTimestamp")]
        stale = [p for p in pods if (parse_rfc3339(p["metadata"].get("creationTimestamp")) or 0) < restart_time]
        if not stale:
            self.new_status["restartedAt"] = restart_at
            self.recorder_event(NORMAL, "RestartedPods", "Rollout restart complete")
            return False
        self.ctrl.enqueue_after(1, self.ns, self.rollout["metadata"]["name"])
        total_available = sum(du.status_int(rs, "availableReplicas") for rs in self.all_rss)
        if total_available < sum(du.spec_replicas(rs) for rs in self.all_rss):
            return False  # one pod at a time: wait for the last one to be replaced
        victim = sorted(stale, key=lambda p: p["metadata"]["name"])[0]
        self.api.delete(POD, self.ns, victim["metadata"]["name"])
        self.recorder_event(NORMAL, "RestartingPod", f"Restarting pod {victim['metadata']['name']}")
        return True

    def _reconcile_revision_history_limit(self) -> None:
        limit = self.rollout["spec"].get("revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
        idle = [rs for rs in self.other_rss if du.spec_replicas(rs) == 0 and du.status_int(rs, "replicas") == 0]
        idle.sort(key=revision_of)
        for rs in idle[:max(0, len(idle) - int(limit))]:
            self.api.delete(REPLICASET, self.ns, rs["metadata"]["name"])
            self.all_rss.remove(rs)
            self.other_rss.remove(rs)

    # ---- analysis --------------------------------------------------------

    def _reconcile_analysis(self) -> None:
        """reconcileAnalysisRuns for the background analysis (step analyses are not simulated)."""
        status = status_of(self.rollout)
        runs = self.ctrl.owned_analysis_runs(self.rollout)
        current_name = ((status.get("canary") or {}).get("currentBackgroundAnalysisRunStatus") or {}).get("name")
        current = next((ar for ar in runs if ar["metadata"]["name"] == current_name), None)
        fully_promoted = bool(status.get("stableRS")) and status.get("stableRS") == status.get("currentPodHash")
        cancel = (fully_promoted or self.pause.is_aborted() or status.get("promoteFull")
                  or not status.get("stableRS"))
        new_current = None
        if not cancel:
            new_current = self._reconcile_background(current)
        self.background = new_current
        others = [ar for ar in runs if new_current is None or ar["metadata"]["name"] != new_current["metadata"]["name"]]
        for ar in others:
            self._terminate(ar)
        for ar in self._runs_to_delete(others):
            self.api.delete(ANALYSIS_RUN, self.ns, ar["metadata"]["name"])
        if new_current is not None:
            self._analysis_event(status, new_current)
            ar_status = status_of(new_current)
            entry = {"name": new_current["metadata"]["name"], "status": ar_status.get("phase") or "Pending"}
            if ar_status.get("message"):
                entry["message"] = ar_status["message"]
            self.new_status.setdefault("canary", {})["currentBackgroundAnalysisRunStatus"] = entry

    def _runs_to_delete(self, runs: list[dict]) -> list[dict]:
        """FilterAnalysisRunsToDelete: runs of vanished ReplicaSets, and finished runs past
        spec.analysis.successfulRunHistoryLimit / unsuccessfulRunHistoryLimit (5 each), oldest first."""
        analysis = self.rollout["spec"].get("analysis") or {}
        limits = {"ok": int(analysis.get("successfulRunHistoryLimit", 5)),
                  "bad": int(analysis.get("unsuccessfulRunHistoryLimit", 5))}
        hashes = {hash_of(rs) for rs in self.all_rss}
        kept = {"ok": 0, "bad": 0}
        doomed = []
        for ar in sorted(runs, key=lambda a: (a["metadata"].get("creationTimestamp", ""), a["metadata"]["name"]),
                         reverse=True):
            if (ar["metadata"].get("labels") or {}).get(cu.HASH_LABEL) not in hashes:
                doomed.append(ar)
                continue
            phase = status_of(ar).get("phase")
            kind = "ok" if phase == "Successful" else "bad" if phase in ("Failed", "Error", "Inconclusive") else None
            if kind is None:
                continue
            if kept[kind] < limits[kind]:
                kept[kind] += 1
            else:
                doomed.append(ar)
        return doomed

    def _analysis_event(self, status: dict, run: dict) -> None:
        """emitAnalysisRunStatusChanges: "Background Analysis Run '<name>' Status New: ... Previous: ..."."""
        phase = status_of(run).get("phase")
        previous = (status.get("canary") or {}).get("currentBackgroundAnalysisRunStatus")
        if not phase:
            return
        if previous is None or (previous.get("name") == run["metadata"]["name"] and previous.get("status") != phase):
            type_ = WARNING if phase in ("Failed", "Error") else NORMAL
            before = previous.get("status") if previous else "NoPreviousStatus"
            self.recorder_event(type_, f"AnalysisRun{phase}", f"Background Analysis Run '{run['metadata']['name']}' "
                                f"Status New: '{phase}' Previous: '{before}'")

    def _reconcile_background(self, current: dict | None) -> dict | None:
        analysis = cu.canary(self.rollout).get("analysis") or {}
        if not analysis.get("templates"):
            return None
        status = status_of(self.rollout)
        if not status.get("currentPodHash") or cu.before_starting_step(self.rollout):
            return None
        if any(c.get("reason") == INCONCLUSIVE_ANALYSIS for c in status.get("pauseConditions") or ()):
            return current
        if self._needs_new_run(current):
            return self._create_run(analysis)
        phase = status_of(current).get("phase")
        if phase == "Inconclusive":
            self.pause.add.append(INCONCLUSIVE_ANALYSIS)
        elif phase in ("Error", "Failed"):
            message = "Background analysis phase error/failed"
            if status_of(current).get("message"):
                message += ": " + status_of(current)["message"]
            self.pause.add_abort = True
            self.pause.abort_message = message
        return current

    def _needs_new_run(self, current: dict | None) -> bool:
        if current is None:
            return True
        status = status_of(self.rollout)
        reasons = {c.get("reason") for c in status.get("pauseConditions") or ()}
        if status.get("controllerPause") and CANARY_PAUSE_STEP not in reasons:
            return status_of(current).get("phase") == "Inconclusive"
        return status.get("abortedAt") is not None

    def _create_run(self, analysis: dict) -> dict:
        pod_hash = hash_of(self.new_rs)
        revision = (self.rollout["metadata"].get("annotations") or {}).get(cu.REVISION_ANNOTATION, "")
        labels = {cu.HASH_LABEL: pod_hash, "rollout-type": "Background",
                  **((self.rollout["spec"].get("selector") or {}).get("matchLabels") or {})}
        name = f"{self.rollout['metadata']['name']}-{pod_hash}-{revision}"
        try:
            body = au.run_from_templates(self.api, self.ns, analysis, name, labels,
                                         {cu.REVISION_ANNOTATION: revision},
                                         {"Stable": status_of(self.rollout).get("stableRS", ""), "Latest": pod_hash})
        except au.AnalysisSpecError as exc:
            self.pause.add_abort = True
            self.pause.abort_message = str(exc)
            return None
        body["metadata"]["ownerReferences"] = [podutil.owner_reference(self.rollout)]
        existing = {ar["metadata"]["name"] for ar in self.ctrl.owned_analysis_runs(self.rollout)}
        base, collision = name, 0
        while body["metadata"]["name"] in existing:  # CreateWithCollisionCounter
            collision += 1
            body["metadata"]["name"] = f"{base}.{collision}"
        return self.api.create(ANALYSIS_RUN, self.ns, body, manager=MANAGER)

    def _terminate(self, ar: dict) -> None:
        if ar["spec"].get("terminate") or status_of(ar).get("phase") in au.COMPLETED:
            return
        body = clone(ar)
        body["spec"]["terminate"] = True
        self.api.update(ANALYSIS_RUN, self.ns, ar["metadata"]["name"], body, manager=MANAGER)

    # ---- scaling and pauses ------------------------------------------------

    def _reconcile_replica_sets(self) -> bool:
        """reconcileCanaryReplicaSets: True when something was scaled (the step is not done)."""
        if self.rollout["spec"].get("paused") or self._inconclusive_pause():
            return False  # haltProgress: "user paused", "inconclusive analysis"
        if cu.stable_exists(self.new_rs, self.stable_rs):
            _, stable = cu.basic_canary_counts(self._with_pause_status(), self.new_rs, self.stable_rs, self.other_rss)
            if self._scale(self.stable_rs, stable):
                return True
        new, _ = cu.basic_canary_counts(self._with_pause_status(), self.new_rs, self.stable_rs, self.other_rss)
        if self._scale(self.new_rs, new):
            return True
        return self._scale_down_others()

    def _with_pause_status(self) -> dict:
        """The Rollout as the arithmetic sees it this sync (an abort added now counts)."""
        if not self.pause.add_abort:
            return self.rollout
        view = clone(self.rollout)
        view.setdefault("status", {})["abort"] = True
        return view

    def _scale_down_others(self) -> bool:
        """scaleDownOldReplicaSetsForCanary: older ReplicaSets first, within maxUnavailable."""
        available = sum(du.status_int(rs, "availableReplicas") for rs in self.all_rss)
        max_scale_down = available - (cu.replicas(self.rollout) - cu.max_unavailable(self.rollout))
        scaled = False
        for rs in sorted(self.other_rss, key=revision_of, reverse=True):
            if max_scale_down <= 0:
                break
            current = du.spec_replicas(rs)
            if current == 0:
                continue
            target = current - max_scale_down if current > max_scale_down else 0
            self._scale(rs, target)
            max_scale_down -= current - target
            scaled = True
        return scaled

    def _reconcile_pause(self) -> None:
        """reconcileCanaryPause: add the CanaryPauseStep condition on a pause step, wake up when it ends."""
        spec, status = self.rollout["spec"], status_of(self.rollout)
        if spec.get("paused") or status.get("promoteFull"):
            return
        step, _ = cu.current_step(self.rollout)
        if step is None or "pause" not in step:
            return
        cond = next((c for c in status.get("pauseConditions") or () if c.get("reason") == CANARY_PAUSE_STEP), None)
        if cond is None:
            if not status.get("controllerPause"):
                self.pause.add.append(CANARY_PAUSE_STEP)
            return
        duration = (step.get("pause") or {}).get("duration")
        if duration is not None:
            remaining = cu.duration_seconds(duration) - self._elapsed(cond.get("startTime"))
            if remaining > 0:
                self.ctrl.enqueue_after(remaining, self.ns, self.rollout["metadata"]["name"])

    def _elapsed(self, stamp: str | None) -> float:
        """Simulated seconds since a status timestamp (timestamps are wall time, the clock may run faster)."""
        return self.ctrl.clock.elapsed(parse_rfc3339(stamp) or self.now)

    def _completed_pause_step(self, step: dict) -> bool:
        """CompletedCanaryPauseStep."""
        status = status_of(self.rollout)
        cond = next((c for c in status.get("pauseConditions") or () if c.get("reason") == CANARY_PAUSE_STEP), None)
        if status.get("controllerPause") and cond is None:
            return True
        duration = (step.get("pause") or {}).get("duration")
        if duration is not None and cond is not None:
            return self._elapsed(cond.get("startTime")) >= cu.duration_seconds(duration)
        return False

    def _inconclusive_pause(self) -> bool:
        return any(c.get("reason") == INCONCLUSIVE_ANALYSIS for c in status_of(self.rollout).get("pauseConditions") or ())

    def _completed_current_step(self) -> bool:
        # An inconclusive analysis holds the steps too (upstream would let a pause step pass here,
        # its controllerPause being set by the analysis' pause, not the step's).
        if self.rollout["spec"].get("paused") or self._inconclusive_pause():
            return False
        step, _ = cu.current_step(self.rollout)
        if step is None:
            return False
        if "pause" in step:
            return self._completed_pause_step(step)
        if step.get("setWeight") is not None:
            return cu.at_desired_counts(self.rollout, self.new_rs, self.stable_rs, self.other_rss)
        return False

    # ---- status ----------------------------------------------------------

    def _base_status(self) -> dict:
        old = status_of(self.rollout)
        new = self.new_status
        new["currentPodHash"] = hash_of(self.new_rs) or pod_template_hash(self.rollout)
        new["replicas"] = sum(du.status_int(rs, "replicas") for rs in self.all_rss)
        new["updatedReplicas"] = du.status_int(self.new_rs, "replicas")
        new["readyReplicas"] = sum(du.status_int(rs, "readyReplicas") for rs in self.all_rss)
        new["availableReplicas"] = sum(du.status_int(rs, "availableReplicas") for rs in self.all_rss)
        new["HPAReplicas"] = new["replicas"]
        new["selector"] = ",".join(f"{k}={v}" for k, v in sorted(
            ((self.rollout["spec"].get("selector") or {}).get("matchLabels") or {}).items()))
        for key in ("collisionCount", "conditions"):
            if old.get(key) is not None:
                new[key] = clone(old[key])
        if "restartedAt" not in new and old.get("restartedAt"):
            new["restartedAt"] = old["restartedAt"]
        new["stableRS"] = old.get("stableRS", "")
        new["currentStepHash"] = steps_hash(self.rollout)
        if old.get("promoteFull") and new["currentPodHash"] != new["stableRS"]:
            new["promoteFull"] = True
        return new

    def _finish(self) -> None:
        """syncRolloutStatusCanary, then persistRolloutStatus."""
        new = self._base_status()
        old = status_of(self.rollout)
        step_count = len(cu.steps(self.rollout))
        index = old.get("currentStepIndex", 0 if step_count else None)
        name = self.rollout["metadata"]["name"]

        if self._template_or_steps_changed():
            self.pause.clear = True
            self.pause.remove_abort = True
            new.pop("promoteFull", None)
            new.get("canary", {}).pop("currentBackgroundAnalysisRunStatus", None)
            if "restartAt" in self.rollout["spec"]:
                new["restartedAt"] = self.rollout["spec"]["restartAt"]
            index = 0 if step_count else None
            if self.new_rs is not None and step_count and old.get("stableRS") == hash_of(self.new_rs):
                self.recorder_event(NORMAL, "SkipSteps", "Rollback to stable ReplicaSets")
                index = step_count
            self._persist(new, index)
            return

        if old.get("promoteFull"):
            self.pause.clear = True
            self.pause.remove_abort = True
            if step_count:
                index = step_count
        reason = self._should_full_promote(index, step_count)
        if reason:
            self.pause.clear = True
            self.pause.remove_abort = True
            new.pop("promoteFull", None)
            index = step_count if step_count else None
            if new["stableRS"] != new["currentPodHash"]:
                new["stableRS"] = new["currentPodHash"]
                self.recorder_event(NORMAL, COMPLETED_REASON,
                                    f"Rollout completed update to revision {revision_of(self.rollout)} "
                                    f"({new['currentPodHash']}): {reason}")
            self._persist(new, index)
            return

        if self.pause.is_aborted():
            if step_count:
                index = step_count if new["stableRS"] == new["currentPodHash"] else 0
            self._persist(new, index)
            return

        if self._completed_current_step():
            step, _ = cu.current_step(self.rollout)
            index += 1
            new.get("canary", {}).pop("currentStepAnalysisRunStatus", None)
            self.recorder_event(NORMAL, "RolloutStepCompleted",
                                f"Rollout step {index}/{step_count} completed ({cu.step_string(step)})")
            self.pause.remove.append(CANARY_PAUSE_STEP)
            self.ctrl.enqueue(self.ns, name)  # the next step starts on the next sync
        self._persist(new, index)

    def _should_full_promote(self, index: int | None, step_count: int) -> str:
        if self.stable_rs is None:
            return "Initial deploy"
        if self.pause.is_aborted():
            return ""
        if self.new_rs is None or du.status_int(self.new_rs, "availableReplicas") < cu.replicas(self.rollout):
            return ""
        if status_of(self.rollout).get("promoteFull"):
            return "Full promotion requested"
        if step_count == 0 or index == step_count:
            return f"Completed all {step_count} canary steps"
        return ""

    def _persist(self, new: dict, index: int | None) -> None:
        if index is not None:
            new["currentStepIndex"] = index
        new["observedGeneration"] = str(self.rollout["metadata"].get("generation", 1))
        self.pause.apply(new, rfc3339(self.now))
        self._conditions(new)
        new["phase"], new["message"] = calculate_phase(self.rollout, new)
        if not new["message"]:
            del new["message"]  # omitempty, as upstream's status
        if not new.get("canary"):
            new["canary"] = {}
        old = status_of(self.rollout)
        self._pause_events(old, new)
        self.requeue_stuck(new)
        if new == old:
            return
        body = clone(self.rollout)
        body["status"] = new
        self.api.update(ROLLOUT, self.ns, self.rollout["metadata"]["name"], body, subresource="status",
                        manager=MANAGER)

    def _pause_events(self, old: dict, new: dict) -> None:
        if new.get("pauseConditions") and not old.get("pauseConditions"):
            self.recorder_event(NORMAL, PAUSED_REASON, PAUSED_MESSAGE)
        elif old.get("pauseConditions") and not new.get("pauseConditions") and not new.get("abort"):
            self.recorder_event(NORMAL, RESUMED_REASON, RESUMED_MESSAGE)

    def _set_condition(self, new: dict, type_: str, status: str, reason: str, message: str,
                       refresh: bool = False) -> bool:
        """SetRolloutCondition: no change when status and reason are the same (unless `refresh`, as
        upstream's remove-then-set for progress); the transition time kept while the status holds."""
        conditions = new.setdefault("conditions", [])
        current = next((c for c in conditions if c.get("type") == type_), None)
        if current is not None and current.get("status") == status and current.get("reason") == reason \
                and not refresh:
            return False
        stamp = rfc3339(self.now)
        transition = current.get("lastTransitionTime", stamp) if current and current.get("status") == status else stamp
        new["conditions"] = [c for c in conditions if c.get("type") != type_] + [
            {"type": type_, "status": status, "reason": reason, "message": message,
             "lastUpdateTime": stamp, "lastTransitionTime": transition}]
        return True

    def _healthy(self, new: dict) -> bool:
        """conditions.RolloutHealthy for the canary strategy."""
        replicas = cu.replicas(self.rollout)
        step_count = len(cu.steps(self.rollout))
        all_steps = not step_count or new.get("currentStepIndex") == step_count
        stable_is_current = bool(new.get("stableRS")) and new["stableRS"] == new["currentPodHash"]
        return (new["updatedReplicas"] == replicas and new["availableReplicas"] == replicas
                and all_steps and stable_is_current and new["replicas"] == replicas)

    def _conditions(self, new: dict) -> None:
        """calculateRolloutConditions: Healthy, Progressing (or RolloutAborted), Available, Completed."""
        old = status_of(self.rollout)
        paused = bool(new.get("pauseConditions")) or bool(self.rollout["spec"].get("paused"))
        aborted = bool(new.get("abort"))
        healthy = self._healthy(new)
        became_unhealthy = False
        had_healthy = any(c.get("type") == "Healthy" for c in old.get("conditions") or ())
        if not paused and healthy:
            self._set_condition(new, "Healthy", "True", HEALTHY_REASON, HEALTHY_MESSAGE)
        elif had_healthy:
            became_unhealthy = self._set_condition(new, "Healthy", "False", HEALTHY_REASON, NOT_HEALTHY_MESSAGE)
        rs_name = self.new_rs["metadata"]["name"] if self.new_rs else ""
        if aborted:
            message = ROLLOUT_ABORTED_MESSAGE.format(revision_of(self.rollout))
            if self.pause.abort_message:
                message = f"{message}: {self.pause.abort_message}"
            if self._set_condition(new, "Progressing", "False", ROLLOUT_ABORTED_REASON, message):
                self.recorder_event(WARNING, ROLLOUT_ABORTED_REASON, message)
        elif healthy:
            self._set_condition(new, "Progressing", "True", NEW_RS_AVAILABLE_REASON,
                                REPLICASET_COMPLETED_MESSAGE.format(rs_name))
        elif self._progressing(old, new) or became_unhealthy:
            reason, message = REPLICASET_UPDATED_REASON, REPLICASET_PROGRESSING_MESSAGE.format(rs_name)
            if new.get("stableRS") == new["currentPodHash"] and became_unhealthy:
                reason, message = REPLICASET_NOT_AVAILABLE_REASON, NOT_AVAILABLE_MESSAGE
            self._set_condition(new, "Progressing", "True", reason, message, refresh=True)
        elif not self._indefinite_step() and self._timed_out(new):
            if self._set_condition(new, "Progressing", "False", TIMED_OUT_REASON,
                                   REPLICASET_TIMED_OUT_MESSAGE.format(rs_name)):
                self.recorder_event(WARNING, TIMED_OUT_REASON, REPLICASET_TIMED_OUT_MESSAGE.format(rs_name))
        if new["availableReplicas"] >= cu.replicas(self.rollout):
            self._set_condition(new, "Available", "True", AVAILABLE_REASON, AVAILABLE_MESSAGE)
        else:
            self._set_condition(new, "Available", "False", AVAILABLE_REASON, NOT_AVAILABLE_MESSAGE)
        completed = bool(new.get("stableRS")) and new["stableRS"] == new["currentPodHash"]
        if self._set_condition(new, "Completed", "True" if completed else "False", COMPLETED_REASON,
                               COMPLETED_REASON) and not completed:
            self.recorder_event(NORMAL, "RolloutNotCompleted",
                                f"Rollout not completed, started update to revision {revision_of(self.rollout)} "
                                f"({new['currentPodHash']})")

    def _indefinite_step(self) -> bool:
        """isIndefiniteStep: a pause (with or without duration) waits as long as it takes."""
        step, _ = cu.current_step(self.rollout)
        return step is not None and any(k in step for k in ("pause", "analysis", "experiment"))

    def _deadline(self) -> float:
        return float(self.rollout["spec"].get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE))

    def _timed_out(self, new: dict) -> bool:
        """RolloutTimedOut: no progress reported for progressDeadlineSeconds (simulated)."""
        cond = next((c for c in new.get("conditions") or () if c.get("type") == "Progressing"), None)
        if cond is None or cond.get("reason") in (ROLLOUT_ABORTED_REASON, PAUSED_REASON):
            return False
        if cond.get("reason") == TIMED_OUT_REASON:
            return True
        return self._elapsed(cond.get("lastUpdateTime")) > self._deadline()

    def requeue_stuck(self, new: dict) -> None:
        """requeueStuckRollout: look again when the deadline would pass without progress."""
        cond = next((c for c in new.get("conditions") or () if c.get("type") == "Progressing"), None)
        paused = bool(new.get("pauseConditions")) or bool(self.rollout["spec"].get("paused"))
        if (cond is None or self._healthy(new) or cond.get("reason") == TIMED_OUT_REASON or paused
                or new.get("abort") or self._indefinite_step()):
            return
        remaining = self._deadline() - self._elapsed(cond.get("lastUpdateTime"))
        self.ctrl.enqueue_after(max(1.0, remaining + 1.0), self.ns, self.rollout["metadata"]["name"])

    @staticmethod
    def _progressing(old: dict, new: dict) -> bool:
        """conditions.RolloutProgressing for the canary strategy."""
        step_changed = (new.get("currentStepIndex") is not None and old.get("currentStepIndex") is not None
                        and new["currentStepIndex"] != old["currentStepIndex"])
        strategy = (new.get("stableRS") != old.get("stableRS") or step_changed
                    or new.get("currentStepHash") != old.get("currentStepHash"))
        old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
        new_old = new["replicas"] - new["updatedReplicas"]
        return (new["updatedReplicas"] != old.get("updatedReplicas", 0) or new_old < old_old
                or new["readyReplicas"] > old.get("readyReplicas", 0)
                or new["availableReplicas"] > old.get("availableReplicas", 0) or strategy)
