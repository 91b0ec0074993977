"""The Rollout view's model on objects captured with kubectl from the eli-maor-canary sandbox with a real Prometheus
(tests/support/fixtures/rollout.py): a good canary paused at step 3 with its analysis running, and an `-errors`
canary aborted by the analysis. Then the rules one at a time on small hand-made objects: measurement numbering past
the kept ten, failureCondition against successCondition, Inconclusive, Error, pod statuses, step states."""

from __future__ import annotations

import copy

from tests.support.fixtures.capture import FIXED_NOW
from tests.support.fixtures.rollout import load
from tui.core import rollout_view as rv

SUCCESS = "result[0] >= 0.95"
FAILED = 'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'


def view(moment: str, now: float = FIXED_NOW) -> rv.RolloutView:
    objs = load(moment)
    (rollout,) = objs["Rollout"]
    return rv.build(rollout, objs["ReplicaSet"], objs["Pod"], objs["AnalysisRun"], now)


# ---- the captured canary paused at step 3 ----------------------------------------------------------


def test_a_paused_canary_header_says_step_weights_and_tagged_images():
    v = view("progressing")
    assert (v.name, v.namespace, v.status, v.icon, v.message) == (
        "eli-maor-backend", "production", "Paused", rv.PAUSED, "CanaryPauseStep")
    assert (v.strategy, v.step, v.set_weight, v.actual_weight) == ("Canary", "3/6", "50", "50")
    assert v.images == (rv.Image("ghcr.io/eli-maor/backend:v2.0.0", ("stable",)),
                        rv.Image("ghcr.io/eli-maor/backend:v2.1.0", ("canary",)))
    assert (v.desired, v.updated) == (5, 3)


def test_steps_before_the_current_one_are_done_and_after_it_pending():
    v = view("progressing")
    assert [(s.text, s.state) for s in v.steps] == [
        ("setWeight: 20", rv.DONE), ("pause: 2m", rv.DONE), ("setWeight: 50", rv.DONE),
        ("pause: 2m", rv.CURRENT), ("setWeight: 80", rv.PENDING), ("pause: 2m", rv.PENDING)]


def test_revisions_newest_first_with_only_the_rollouts_replicasets_and_their_pods():
    v = view("progressing")
    objs = load("progressing")
    assert len(objs["ReplicaSet"]) > 3  # the namespace's other components' ReplicaSets are listed too
    assert [r.number for r in v.revisions] == [3, 2, 1]
    (canary,), (stable,), (old,) = (r.replicasets for r in v.revisions)
    assert (canary.canary, canary.stable, canary.tags, canary.desired, canary.ready, canary.status) == (
        True, False, "canary", 3, 3, "Healthy")
    assert (stable.tags, stable.desired, stable.status) == ("stable", 3, "Healthy")
    assert (old.tags, old.desired, old.status, old.icon, old.pods) == ("", 0, "ScaledDown", rv.NEUTRAL, ())
    assert canary.hash in canary.name and all(p.name.startswith(canary.name) for p in canary.pods)
    assert [(p.ready, p.status, p.restarts) for p in canary.pods] == [("1/1", "Running", 0)] * 3
    # oldest pod first (addPodInfos's order)
    ages = [p.age for p in stable.pods]
    assert ages[0].endswith("m") and len(stable.pods) == 3


def test_a_running_analysis_shows_each_measurement_against_its_condition_and_no_why_yet():
    (run,) = view("progressing").analysisruns
    assert (run.phase, run.kind, run.revision, run.message) == ("Running", "Background", 3, "")
    (metric,) = run.metrics
    assert (metric.name, metric.success_condition, metric.failure_limit, metric.interval) == (
        "success-rate", SUCCESS, 3, "30s")
    assert metric.held_against == f"success `{SUCCESS}`"
    # The query as Prometheus was asked it: the run's arg service-name put in.
    assert 'deployment="eli-maor-backend"' in metric.query and "{{args." not in metric.query
    assert metric.measurements and all(m.phase == "Successful" for m in metric.measurements)
    assert [m.number for m in metric.measurements] == list(range(1, len(metric.measurements) + 1))
    assert metric.measurements[0].why == f"value {metric.measurements[0].shown} met `{SUCCESS}`"
    assert metric.why == "" and metric.verdict == ""


# ---- the captured -errors canary aborted by the analysis ---------------------------------------------


def test_the_aborted_canary_says_upstreams_abort_message_and_stable_alone_serves():
    v = view("aborted")
    assert (v.status, v.icon) == ("Degraded", rv.BAD)
    assert v.message == ("RolloutAborted: Rollout aborted update to revision 3: "
                         f"Background analysis phase error/failed: {FAILED}")
    assert (v.set_weight, v.actual_weight) == ("0", "0")  # aborted: GetCurrentSetWeight is 0
    assert v.images == (rv.Image("ghcr.io/eli-maor/backend:v2.0.0", ("stable",)),)  # the canary has no pods
    assert v.steps[0].state == rv.ABORTED and all(s.state == rv.PENDING for s in v.steps[1:])
    canary = v.revisions[0].replicasets[0]
    assert (canary.canary, canary.desired, canary.status, canary.pods) == (True, 0, "ScaledDown", ())
    stable = v.revisions[1].replicasets[0]
    assert (stable.stable, stable.ready, len(stable.pods)) == (True, 5, 5)


def test_the_failed_analysis_says_which_measurement_failed_which_condition_and_the_limit_crossed():
    (run,) = view("aborted").analysisruns
    assert (run.phase, run.icon, run.message) == ("Failed", rv.BAD, FAILED)
    (metric,) = run.metrics
    failed = [m for m in metric.measurements if m.phase == "Failed"]
    assert len(failed) == 4 and metric.verdict == "failed (4) > failureLimit (3)"
    assert run.counts == metric.counts == f"{rv.OK} {len(metric.measurements) - 4} {rv.BAD} 4"
    last = failed[-1]
    assert 0.5 < float(last.shown) < 0.95, last
    assert last.why == f"value {last.shown} failed `{SUCCESS}`"
    assert metric.why == f"measurement {last.number} value {last.shown} failed `{SUCCESS}`; " \
                         "failed (4) > failureLimit (3)"
    assert last.value.startswith("[") and last.shown == f"{float(last.value.strip('[]')):.4g}"


# ---- the rules, one at a time ----------------------------------------------------------------------


def _run(metric: dict, result: dict, phase: str = "Failed") -> rv.AnalysisRunView:
    (rollout,) = load("aborted")["Rollout"]
    run = {"metadata": {"name": "r", "creationTimestamp": "2026-11-26T01:59:00Z",
                        "annotations": {rv.REVISION: "3"},
                        "ownerReferences": [{"uid": rollout["metadata"]["uid"]}]},
           "spec": {"metrics": [{"name": "m", **metric}]},
           "status": {"phase": phase, "metricResults": [{"name": "m", "phase": phase, **result}]}}
    v = rv.build(rollout, [], [], [run], FIXED_NOW)
    return v.analysisruns[0]


def _measurements(*phases_values) -> list[dict]:
    return [{"phase": p, "value": v, "finishedAt": "2026-11-26T01:59:00Z"} for p, v in phases_values]


def test_measurements_are_numbered_among_all_taken_when_only_the_last_ten_are_kept():
    kept = _measurements(*[("Successful", "[1]")] * 9, ("Failed", "[0.5]"))
    run = _run({"successCondition": SUCCESS, "failureLimit": 0}, {"count": 14, "failed": 1, "measurements": kept})
    numbers = [m.number for m in run.metrics[0].measurements]
    assert numbers == list(range(5, 15))
    assert run.metrics[0].why == f"measurement 14 value 0.5 failed `{SUCCESS}`; failed (1) > failureLimit (0)"


def test_a_failure_condition_that_held_is_the_reason_not_the_success_condition():
    run = _run({"successCondition": SUCCESS, "failureCondition": "result[0] < 0.5", "failureLimit": 1},
               {"count": 2, "failed": 2, "measurements": _measurements(("Failed", "[0.2]"), ("Failed", "[0.1]"))})
    metric = run.metrics[0]
    assert metric.held_against == f"success `{SUCCESS}` · failure `result[0] < 0.5`"
    assert metric.why == ("measurement 2 value 0.1 met failureCondition `result[0] < 0.5`; "
                          "failed (2) > failureLimit (1)")


def test_inconclusive_says_neither_condition_held_and_its_limit():
    run = _run({"successCondition": SUCCESS, "failureCondition": "result[0] < 0.5"},
               {"count": 1, "inconclusive": 1, "measurements": _measurements(("Inconclusive", "[0.7]"))},
               "Inconclusive")
    assert run.metrics[0].why == ("measurement 1 value 0.7 met neither `result[0] >= 0.95` nor failureCondition "
                                  "`result[0] < 0.5`; inconclusive (1) > inconclusiveLimit (0)")


def test_an_error_says_the_providers_message_and_the_consecutive_error_limit():
    error = {"phase": "Error", "message": 'Post "http://prometheus/api/v1/query": connection refused'}
    run = _run({"successCondition": SUCCESS},
               {"count": 5, "error": 5, "consecutiveError": 5, "message": error["message"],
                "measurements": [error] * 5}, "Error")
    metric = run.metrics[0]
    assert metric.measurements[-1].shown == "(none)"
    assert metric.why == (f"measurement 5 error: {error['message']}; "
                          "consecutiveErrors (5) > consecutiveErrorLimit (4)")
    assert run.counts == f"{rv.WARNING} 5"


def test_values_for_the_eye():
    assert rv.shown_value("[0.6153846153846154]") == "0.6154"
    assert rv.shown_value("[1,0.5]") == "[1,0.5]"
    assert rv.shown_value("0.25") == "0.25"
    assert rv.shown_value("[]") == "[]"
    assert rv.shown_value("NaN") == "nan"


def test_pod_statuses_as_the_plugin_prints_them():
    def pod(**status) -> dict:
        return {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]}, "status": status}

    crash = pod(phase="Running", containerStatuses=[
        {"name": "app", "ready": False, "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    assert rv.pod_status(crash) == ("CrashLoopBackOff", "0/1", 3)
    assert rv.pod_icon("CrashLoopBackOff") == rv.BAD
    running = pod(phase="Running", containerStatuses=[
        {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}])
    assert rv.pod_status(running) == ("Running", "1/1", 0)
    going = copy.deepcopy(running)
    going["metadata"]["deletionTimestamp"] = "2026-11-26T01:59:00Z"
    assert rv.pod_status(going)[0] == "Terminating"
    exited = pod(phase="Running", containerStatuses=[
        {"name": "app", "restartCount": 1, "state": {"terminated": {"exitCode": 2}}}])
    assert rv.pod_status(exited)[0] == "ExitCode:2" and rv.pod_icon("ExitCode:2") == rv.BAD
    assert rv.pod_status(pod(phase="Pending"))[0] == "Pending"


def test_a_promoted_rollout_has_every_step_done_and_full_weight():
    (rollout,) = copy.deepcopy(load("progressing")["Rollout"])
    rollout["status"].update(currentStepIndex=6, phase="Healthy", message="")
    v = rv.build(rollout, [], [], [], FIXED_NOW)
    assert all(s.state == rv.DONE for s in v.steps)
    assert (v.step, v.set_weight, v.actual_weight, v.icon) == ("6/6", "100", "100", rv.OK)


def test_an_unobserved_spec_is_progressing_whatever_the_old_phase_says():
    (rollout,) = copy.deepcopy(load("aborted")["Rollout"])
    rollout["metadata"]["generation"] = int(rollout["status"]["observedGeneration"]) + 1
    v = rv.build(rollout, [], [], [], FIXED_NOW)
    assert (v.status, v.message) == ("Progressing", "waiting for rollout spec update to be observed")


def test_step_texts():
    assert rv.step_text({"pause": {}}) == "pause (until promoted)"
    assert rv.step_text({"pause": {"duration": "2m"}}) == "pause: 2m"
    assert rv.step_text({"analysis": {"templates": [{"templateName": "success-rate"}]}}) == "analysis: success-rate"
    assert rv.step_text({"setCanaryScale": {"replicas": 2}}) == "setCanaryScale: replicas=2"


# ---- the live objects behind the view -----------------------------------------------------------------


def test_live_objects_build_the_view_from_lists_and_changes_and_say_what_is_stale():
    from tui.core.items import Changed, Health, Relisted

    objs = load("aborted")
    live = rv.LiveObjects("production", "eli-maor-backend")
    assert live.stale(FIXED_NOW) == "connecting…" and live.view(FIXED_NOW) is None and live.missing() == ""
    live.apply([Health(kind, False, FIXED_NOW, "connecting") for kind in rv.KINDS])
    assert live.stale(FIXED_NOW) == "connecting…"
    live.apply([Relisted(kind, tuple(objs[kind])) for kind in rv.KINDS])
    live.apply([Health(kind, True, FIXED_NOW) for kind in rv.KINDS])
    assert live.stale(FIXED_NOW) == "" and live.view(FIXED_NOW).status == "Degraded"
    (run,) = objs["AnalysisRun"]
    assert live.apply([Changed(rv.ANALYSISRUN, "DELETED", run)])
    assert live.view(FIXED_NOW).analysisruns == ()
    down = "Cannot reach the API server at http://127.0.0.1:1; retrying (check the cluster and your network)."
    live.apply([Health(rv.POD, False, FIXED_NOW - 30, down)])
    live.apply([Health(rv.POD, False, FIXED_NOW - 5, down)])  # still down: since when it went down
    assert live.stale(FIXED_NOW) == f"stale for 30s (Pod not watched): {down}"
    assert live.view(FIXED_NOW).revisions[1].replicasets[0].pods  # the last known pods stay
    live.apply([Relisted(rv.ROLLOUT, ())])
    assert live.view(FIXED_NOW) is None
    assert live.missing() == "Rollout eli-maor-backend is not in namespace production (deleted, or never created)."
