"""Rollback readiness rules (tui/kube/readiness.py) against the runbook's tables (plain Python)."""

from __future__ import annotations

from tests.support.fixtures import fixed_state
from tui.core.readiness import check, check_all, role_of
from tui.core.workload import Ref


def good(role: str) -> dict:
    """A Deployment exactly as the runbook's table for `role` wants it."""
    spec = {"replicas": 2, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app": "eli-maor", "component": role}},
                         "spec": {"terminationGracePeriodSeconds": 30}}}
    if role == "backend":
        spec["minReadySeconds"] = 10
    if role == "worker":
        spec["template"]["spec"]["terminationGracePeriodSeconds"] = 120
    if role == "beat":
        spec.update(replicas=1, revisionHistoryLimit=5, strategy={"type": "Recreate"})
    return {"metadata": {"name": f"eli-maor-{role}"}, "spec": spec}


def rs(revision: int, cause: str = "Release") -> dict:
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if cause:
        annotations["kubernetes.io/change-cause"] = cause
    return {"metadata": {"name": f"rs-{revision}", "annotations": annotations}}


PDB = {"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "eli-maor", "component": "backend"}}}}
HISTORY = [rs(1), rs(2), rs(3)]


def texts(deployment, replicasets=HISTORY, pdbs=None) -> dict[str, str]:
    return {w.rule: w.text for w in check(deployment, replicasets, pdbs)}


def test_the_runbooks_settings_give_no_warning():
    for role in ("backend", "worker", "beat", "frontend"):
        assert texts(good(role)) == {}, role
    assert texts(good("backend"), pdbs=[PDB]) == {}


def test_roles_by_name_suffix():
    assert [role_of(n) for n in ("eli-maor-backend", "shop-worker", "beat", "eli-maor-db")] == [
        "backend", "worker", "beat", None]


def test_revision_history_zero_or_below_the_runbook():
    d = good("backend")
    d["spec"]["revisionHistoryLimit"] = 0
    assert texts(d)["history"] == ("revisionHistoryLimit is 0, so eli-maor-backend has no old revision to roll "
                                   "back to; set spec.revisionHistoryLimit to 10.")
    d["spec"]["revisionHistoryLimit"] = 3
    assert texts(d)["history"].startswith("revisionHistoryLimit is 3, below the runbook's 10;")
    beat = good("beat")  # the runbook's beat table keeps 5
    beat["spec"]["revisionHistoryLimit"] = 4
    assert "below the runbook's 5" in texts(beat)["history"]


def test_strategy_and_surge():
    d = good("frontend")
    d["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert texts(d)["surge"] == ("rollingUpdate is maxSurge 25% maxUnavailable 25%; the runbook's is maxSurge 1 "
                                 "maxUnavailable 0 (always keep all replicas): change spec.strategy.rollingUpdate.")
    d["spec"]["strategy"] = {"type": "Recreate"}
    assert texts(d)["strategy"].startswith("strategy is Recreate, the runbook's is RollingUpdate")


def test_beat_must_be_recreate_with_one_replica():
    d = good("beat")
    d["spec"].update(replicas=2, strategy={"type": "RollingUpdate"})
    found = texts(d)
    assert found["strategy"] == ("strategy is RollingUpdate, the runbook's is Recreate (only one beat may run at a "
                                 "time); set spec.strategy.type to Recreate.")
    assert found["replicas"].startswith("eli-maor-beat has 2 replicas; the runbook runs exactly 1")
    assert "pdb" not in texts(d, pdbs=[])  # a single scheduler gets no PDB advice


def test_min_ready_deadline_and_grace():
    backend = good("backend")
    del backend["spec"]["minReadySeconds"]
    del backend["spec"]["progressDeadlineSeconds"]
    found = texts(backend)
    assert found["min-ready"].startswith("minReadySeconds is 0, below the runbook's 10;")
    assert found["deadline"].startswith("progressDeadlineSeconds is unset")
    backend["spec"]["progressDeadlineSeconds"] = 3600
    assert texts(backend)["deadline"].startswith("progressDeadlineSeconds is 3600, longer than the runbook's 600")
    worker = good("worker")
    worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30
    assert texts(worker)["grace"] == ("terminationGracePeriodSeconds is 30, below the runbook's 120; set it to 120 "
                                      "so running tasks can finish.")


def test_pdb_rule_only_when_pdbs_are_known():
    worker = good("worker")
    assert "pdb" not in texts(worker, pdbs=None)
    assert texts(worker, pdbs=[PDB])["pdb"].startswith("no PodDisruptionBudget selects eli-maor-worker's pods")
    by_expression = {"spec": {"selector": {"matchExpressions": [
        {"key": "component", "operator": "In", "values": ["worker", "beat"]}]}}}
    assert "pdb" not in texts(worker, pdbs=[by_expression])


def test_change_cause_on_recent_revisions():
    found = texts(good("backend"), [rs(1, ""), rs(2), rs(3, ""), rs(4, "")])
    assert found["change-cause"].startswith("revisions 3, 4 have no change-cause")
    assert "kubectl annotate deployment/eli-maor-backend" in found["change-cause"]
    assert "change-cause" not in texts(good("backend"), [rs(1, ""), rs(2), rs(3), rs(4)])  # only recent ones


def test_the_fixed_fixture_is_ready():
    # The snapshot fixture has no warnings: the Components table's marker leaves its rendering alone.
    state = fixed_state()[0]
    assert check_all(state.objects["Deployment"], lambda n: state.owned_of(Ref("Deployment", n))) == {n: [] for n in state.objects["Deployment"]}
