"""tui.core.rollout: phase, step, set/actual weight and images as `kubectl argo rollouts get` prints them."""

from __future__ import annotations

import copy

from tui.core.rollout import calculate_phase, phase, set_weight, summarize

STEPS = [{"setWeight": 20}, {"pause": {"duration": "2m"}}, {"setWeight": 50}, {"pause": {"duration": "2m"}},
         {"setWeight": 80}, {"pause": {"duration": "2m"}}]


def rs(hash_: str, image: str, available: int) -> dict:
    return {"metadata": {"name": f"eli-maor-backend-{hash_}", "labels": {"rollouts-pod-template-hash": hash_},
                         "annotations": {"rollout.argoproj.io/revision": "1"}},
            "spec": {"replicas": available, "template": {"spec": {"containers": [{"name": "backend", "image": image}]}}},
            "status": {"replicas": available, "availableReplicas": available}}


def rollout(**status) -> dict:
    base = {"metadata": {"name": "eli-maor-backend", "generation": 3},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": copy.deepcopy(STEPS)}},
                     "template": {"spec": {"containers": [{"name": "backend", "image": "backend:v2.1.0"}]}}},
            "status": {"observedGeneration": "3", "stableRS": "aaa", "currentPodHash": "bbb", "availableReplicas": 5}}
    base["status"].update(status)
    return base


SETS = [rs("aaa", "backend:v2.0.0", 2), rs("bbb", "backend:v2.1.0", 3)]


def test_paused_at_step_three_of_six():
    ro = rollout(currentStepIndex=3, phase="Paused", message="CanaryPauseStep",
                 pauseConditions=[{"reason": "CanaryPauseStep", "startTime": "2026-12-05T05:00:00Z"}],
                 controllerPause=True)
    s = summarize(ro, SETS)
    assert (s.phase, s.message, s.step_text) == ("Paused", "CanaryPauseStep", "3/6")
    assert (s.set_weight, s.actual_weight, s.weight_text) == (50, 60, "50/60")
    assert (s.canary_images, s.stable_images) == (("backend:v2.1.0",), ("backend:v2.0.0",))
    assert s.pause_reasons == ("CanaryPauseStep",) and not s.promoted


def test_aborted_weight_zero_and_upstreams_message():
    msg = ('RolloutAborted: Rollout aborted update to revision 3: Background analysis phase error/failed: '
           'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')
    ro = rollout(currentStepIndex=2, abort=True, phase="Degraded", message=msg)
    s = summarize(ro, [rs("aaa", "backend:v2.0.0", 5), rs("bbb", "backend:v2.1.0", 0)])
    assert (s.phase, s.message, s.set_weight, s.actual_weight, s.aborted) == ("Degraded", msg, 0, 0, True)


def test_promoted_is_healthy_at_one_hundred():
    ro = rollout(currentStepIndex=6, phase="Healthy", message="", currentPodHash="aaa")
    s = summarize(ro, SETS)
    assert (s.phase, s.step_text, s.weight_text, s.canary_images, s.promoted) == ("Healthy", "6/6", "100", (), True)


def test_client_side_overrides_as_get_rollout_phase():
    # The spec changed and the controller has not seen it yet: whatever the status says.
    ro = rollout(phase="Healthy", observedGeneration="2")
    assert phase(ro) == ("Progressing", "waiting for rollout spec update to be observed")
    # Promoted (pause conditions cleared) but the controller has not unpaused yet.
    ro = rollout(phase="Paused", controllerPause=True)
    assert phase(ro) == ("Progressing", "waiting for rollout to unpause")


def test_calculate_phase_without_a_controller_phase():
    ro = rollout(conditions=[{"type": "Progressing", "reason": "RolloutAborted",
                              "message": "Rollout aborted update to revision 3"}])
    assert phase(ro) == ("Degraded", "RolloutAborted: Rollout aborted update to revision 3")
    ro = rollout()
    ro["spec"]["paused"] = True
    assert calculate_phase(ro) == ("Paused", "manually paused")
    ro = rollout(updatedReplicas=5, availableReplicas=5, replicas=5, stableRS="bbb", currentPodHash="bbb")
    assert calculate_phase(ro) == ("Healthy", "")
    ro = rollout(updatedReplicas=2, replicas=5)
    assert calculate_phase(ro) == ("Progressing", "more replicas need to be updated")


def test_set_weight_walks_back_to_the_last_set_weight():
    assert set_weight(rollout(currentStepIndex=1)) == 20
    assert set_weight(rollout(currentStepIndex=5)) == 80
    assert set_weight(rollout(currentStepIndex=0)) == 20
    assert set_weight(rollout(currentStepIndex=6)) == 100
