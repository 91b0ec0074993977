"""Argo Rollouts' basic-canary replica arithmetic (utils/replicaset/canary.go) as tables."""

import pytest

from kube_sandbox.controllers import canary_util as cu

pytestmark = pytest.mark.offline


def _rollout(replicas: int, weight: int, **canary) -> dict:
    steps = [{"setWeight": weight}, {"pause": {}}]
    return {"spec": {"replicas": replicas, "strategy": {"canary": {"steps": steps, **canary}}},
            "status": {"currentStepIndex": 0, "stableRS": "stable", "currentPodHash": "canary"}}


def _rs(name: str, replicas: int) -> dict:
    return {"metadata": {"name": name}, "spec": {"replicas": replicas},
            "status": {"replicas": replicas, "availableReplicas": replicas}}


def _settle(rollout: dict, new: int, stable: int) -> tuple[int, int]:
    """Apply the counts sync after sync, pods becoming available at once, until nothing changes."""
    for _ in range(20):
        got = cu.basic_canary_counts(rollout, _rs("canary", new), _rs("stable", stable), [])
        if got == (new, stable):
            return got
        new, stable = got
    raise AssertionError("the counts did not settle")


@pytest.mark.parametrize(("replicas", "weight", "canary", "stable"), [
    (3, 20, 1, 3), (3, 50, 2, 2), (3, 80, 3, 1),
    (5, 20, 1, 4), (5, 50, 3, 3), (5, 80, 4, 1),
    (10, 20, 2, 8), (10, 50, 5, 5), (10, 80, 8, 2),
])
def test_steady_counts_per_weight_with_default_budgets(replicas, weight, canary, stable):
    assert _settle(_rollout(replicas, weight), 0, replicas) == (canary, stable)


def test_walking_the_steps_never_breaks_the_budgets():
    """From stable 10 through 20/50/80: never more than 10+surge(3) pods, never fewer than 10-2 available."""
    new, stable = 0, 10
    for weight in (20, 50, 80, 100):
        rollout = _rollout(10, weight)
        if weight == 100:
            rollout["status"]["currentStepIndex"] = 2  # past the last step
        for _ in range(20):
            got = cu.basic_canary_counts(rollout, _rs("canary", new), _rs("stable", stable), [])
            assert sum(got) <= 13
            assert min(got[0], new) + min(got[1], stable) >= 8
            if got == (new, stable):
                break
            new, stable = got
    assert new == 10


def _rs_avail(name: str, replicas: int, available: int) -> dict:
    return {"metadata": {"name": name}, "spec": {"replicas": replicas},
            "status": {"replicas": replicas, "availableReplicas": available}}


def _n(v):
    return v if isinstance(v, str) else int(v)


# Rows of upstream's TestCalculateReplicaCountsForCanary (utils/replicaset/canary_test.go) without a
# traffic router: replicas, weight, maxSurge, maxUnavailable, stable spec/available, canary
# spec/available -> canary, stable.
UPSTREAM_CASES = [
    (10, 100, 3, 0, 7, 8, 6, 3, 6, 7),
    (10, 20, 2, 0, 10, 10, 0, 0, 2, 10),
    (10, 20, "20%", 0, 10, 10, 0, 0, 2, 10),
    (10, 20, "20%", 0, 10, 10, 2, 2, 2, 8),
    (10, 30, 2, 0, 10, 10, 0, 0, 2, 10),
    (10, 20, 0, 2, 10, 10, 0, 0, 0, 8),
    (10, 20, 0, "20%", 10, 10, 0, 0, 0, 8),
    (10, 30, 0, 2, 10, 10, 0, 0, 0, 8),
    (10, 50, 2, 1, 10, 10, 0, 0, 2, 9),
    (10, 0, 1, 1, 10, 10, 1, 1, 0, 10),
    (10, 100, 1, 1, 1, 1, 10, 10, 10, 0),
    (1, 20, 1, 0, 1, 1, 0, 0, 1, 1),
    (1, 90, 1, 0, 1, 1, 0, 0, 1, 1),
    (1, 49, 0, 1, 1, 1, 0, 0, 0, 1),
    (1, 51, 0, 1, 1, 1, 0, 0, 0, 0),
    (1, 51, 0, 1, 0, 0, 0, 0, 1, 0),
    (10, 30, 0, 3, 8, 5, 4, 4, 3, 7),
    (10, 100, 1, 0, 10, 2, 10, 8, 9, 2),
    (10, 5, 0, 1, 10, 10, 0, 0, 0, 9),
    (10, 5, 0, 1, 9, 9, 0, 0, 1, 9),
    (10, 10, "0%", "0%", 10, 10, 0, 0, 0, 9),
    (3, 99, 0, 2, 3, 3, 0, 0, 0, 1),
    (3, 99, 0, 2, 1, 1, 0, 0, 2, 1),
]


@pytest.mark.parametrize("case", UPSTREAM_CASES)
def test_upstream_table(case):
    replicas, weight, surge, unavailable, stable_spec, stable_avail, canary_spec, canary_avail, want_canary, want_stable = case
    rollout = _rollout(replicas, weight, maxSurge=surge, maxUnavailable=unavailable)
    got = cu.basic_canary_counts(rollout, _rs_avail("canary", canary_spec, canary_avail),
                                 _rs_avail("stable", stable_spec, stable_avail), [])
    assert got == (want_canary, want_stable)


def test_abort_sets_weight_zero_and_full_promotion_weight_100():
    rollout = _rollout(5, 50)
    rollout["status"]["abort"] = True
    assert cu.desired_weight(rollout) == 0
    assert _settle(rollout, 3, 3) == (0, 5)
    rollout = _rollout(5, 50)
    rollout["status"]["promoteFull"] = True
    assert cu.desired_weight(rollout) == 100


def test_set_weight_is_the_last_one_at_or_before_the_step():
    rollout = _rollout(5, 20)
    rollout["spec"]["strategy"]["canary"]["steps"] = [{"setWeight": 20}, {"pause": {"duration": "2m"}},
                                                      {"setWeight": 50}]
    rollout["status"]["currentStepIndex"] = 1
    assert cu.current_set_weight(rollout) == 20
    rollout["status"]["currentStepIndex"] = 3
    assert cu.current_set_weight(rollout) == 100


@pytest.mark.parametrize(("value", "seconds", "text"), [("2m", 120, "2m0s"), (30, 30, "30s"), ("1h30m", 5400, "1h30m0s"),
                                                       ("10s", 10, "10s")])
def test_pause_durations(value, seconds, text):
    assert cu.duration_seconds(value) == seconds
    assert cu.step_string({"pause": {"duration": value}}) == f"pause: {text}"


def test_a_bad_duration_is_one_sentence():
    with pytest.raises(ValueError) as caught:
        cu.duration_seconds("2 minutes")
    assert str(caught.value) == 'time: invalid duration "2 minutes"'
