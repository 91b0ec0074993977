"""A Rollout in readiness (the runbook's "Using Argo Rollouts") and in the plan (a step like a Deployment's,
undone with the plugin's command), on the fixed canary capture."""

from __future__ import annotations

import copy

from tests.support.fixtures.canary import canary_objects, canary_state
from tui.core.plan import KUBECTL, build_plan, status_of
from tui.core.readiness import check_rollout
from tui.workloads.registry import READERS

RO = "eli-maor-backend"


def rollout(state: str = "paused") -> dict:
    return copy.deepcopy(next(r for r in canary_objects(state)["Rollout"] if r["metadata"]["name"] == RO))


def test_the_seeds_rollout_is_the_runbooks():
    assert check_rollout(rollout()) == []


def test_each_runbook_rule_says_what_to_change():
    ro = rollout()
    canary = ro["spec"]["strategy"]["canary"]
    canary["steps"][3] = {"pause": {}}
    canary["analysis"]["startingStep"] = 1
    canary["analysis"]["args"] = [{"name": "service-name", "value": "eli-maor-frontend"}]
    ro["spec"]["revisionHistoryLimit"] = 2
    texts = {w.rule + ": " + w.text for w in check_rollout(ro)}
    assert texts == {
        "steps: canary steps are setWeight 20, pause 2m, setWeight 50, pause (until promoted), setWeight 80, "
        "pause 2m; the runbook's are setWeight 20, pause 2m, setWeight 50, pause 2m, setWeight 80, pause 2m: "
        "change spec.strategy.canary.steps.",
        "analysis: the analysis starts at step 1; the runbook's startingStep is 2 (at setWeight 50): set "
        "spec.strategy.canary.analysis.startingStep: 2.",
        "analysis: the analysis's service-name arg is 'eli-maor-frontend', so it measures another service; set it "
        "to 'eli-maor-backend'.",
        "history: revisionHistoryLimit is 2, below the runbook's 10; set spec.revisionHistoryLimit to 10.",
    }
    del canary["analysis"]
    assert [w.rule for w in check_rollout(ro)] == ["steps", "analysis", "history"]
    assert check_rollout(ro)[1].text.startswith("no background analysis with the success-rate template")


def test_the_plan_has_a_rollout_step_undone_onto_stable_with_the_plugins_command():
    state, _ = canary_state("paused")
    plan = build_plan("production", state.workload_objects(), state.owned_of, READERS)
    step = plan.steps[0]
    assert (step.kind, step.name, step.workload, step.current, step.target) == (KUBECTL, RO, "Rollout", 3, 2)
    assert step.images == "v2.1.0 → v2.0.0"
    assert step.command("production") == ["kubectl", "argo", "rollouts", "undo", RO, "--to-revision=2",
                                          "-n", "production"]
    assert [s.name for s in plan.steps][1:] == ["eli-maor-worker", "eli-maor-beat", "eli-maor-frontend"]


def test_a_timed_pause_is_on_schedule_never_a_stall():
    ro = rollout()  # waiting at step 3/6: pause {duration: 2m}
    ticks = iter([1.0, 2.0])
    reader = READERS["Rollout"]
    first = status_of(reader, ro, clock=lambda: next(ticks))
    second = status_of(reader, ro, clock=lambda: next(ticks))
    assert first[:3] == (f'rollout "{RO}" Paused: CanaryPauseStep', False, False) and first[3] != second[3]
    ro["spec"]["strategy"]["canary"]["steps"][3] = {"pause": {}}  # waits for a promote: no progress by itself
    assert status_of(reader, ro, clock=lambda: 1.0)[3] == status_of(reader, ro, clock=lambda: 2.0)[3]
    aborted = status_of(reader, rollout("aborted"))
    assert aborted[1:3] == (False, True) and aborted[0].startswith(f'rollout "{RO}" Degraded: RolloutAborted: ')


def test_an_analysis_abort_is_known_bad_evidence_against_the_canary_revision():
    state, _ = canary_state("aborted")
    from tui.core.workload import Ref

    views = state.revisions(Ref("Rollout", RO))
    bad = {v.revision: [e.reason for e in v.known_bad] for v in views if v.known_bad}
    assert bad == {4: ['aborted by the analysis: Metric "success-rate" assessed Failed due to failed (4) > '
                       'failureLimit (3)']}
    assert state.newest_healthy(Ref("Rollout", RO)).revision == 3
    by_hand = rollout("aborted")
    for cond in by_hand["status"]["conditions"]:
        if cond.get("reason") == "RolloutAborted":
            cond["message"] = "Rollout aborted update to revision 4"
    assert READERS["Rollout"].failed(by_hand) == "aborted by hand"
    assert READERS["Rollout"].failed(rollout("paused")) == ""


def test_describe_says_a_rollouts_strategy_phase_and_steps():
    from tui.core.describe import describe

    lines = describe(rollout(), [], 0.0)
    assert "StrategyType:           Canary" in lines and not any(line.startswith("RollingUpdateStrategy") for line in lines)
    start = lines.index("Status:                 Paused (CanaryPauseStep)")
    assert lines[start + 1:start + 5] == ["Step:                   3/6", "SetWeight:              50",
                                          "    0: setWeight: 20", "    1: pause: {duration: 2m}"]
    assert "  → 3: pause: {duration: 2m}" in lines
