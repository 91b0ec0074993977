"""The plugin's bodies, planned offline from the captured canary (tui/workloads/rollout/plan.py), against
upstream's promote.go getPatches cases and undo.go's choice of revision."""

from __future__ import annotations

import copy

import pytest

from tests.support.fixtures.canary import canary_objects
from tui.core.errors import ConsoleError
from tui.workloads.rollout.plan import (
    plan_abort,
    plan_back_to_stable,
    plan_promote,
    plan_rollback,
    plan_set_image,
    promote_patches,
    with_image,
)

RO = "eli-maor-backend"


def objects(state: str = "paused") -> tuple[dict, list[dict]]:
    found = canary_objects(state)
    ro = copy.deepcopy(next(r for r in found["Rollout"] if r["metadata"]["name"] == RO))
    sets = [copy.deepcopy(rs) for rs in found["ReplicaSet"] if rs["metadata"]["name"].startswith(RO)]
    return ro, sets


def test_promote_patches_as_get_patches():
    ro, _ = objects()  # paused at a pause step: clear the pause conditions only
    assert promote_patches(ro) == (None, {"status": {"pauseConditions": None}},
                                   {"spec": {"paused": False}, "status": {"pauseConditions": None}})
    ro["spec"]["paused"] = True  # manually paused too: unpause the spec as well
    assert promote_patches(ro)[0] == {"spec": {"paused": False}}
    ro, _ = objects()
    ro["status"]["pauseConditions"] = None  # at a step with no pause (analysis running): skip it
    assert promote_patches(ro)[1:] == ({"status": {"pauseConditions": None, "currentStepIndex": 4}},
                                       {"spec": {"paused": False}, "status": {"pauseConditions": None,
                                                                              "currentStepIndex": 4}})
    ro, _ = objects()  # an inconclusive step analysis paused by the controller
    ro["status"]["canary"] = {"currentStepAnalysisRunStatus": {"status": "Inconclusive"}}
    ro["status"]["controllerPause"] = True
    assert promote_patches(ro)[1] == {"status": {"pauseConditions": None, "controllerPause": False,
                                                 "currentStepIndex": 4}}
    assert promote_patches(ro, full=True) == (None, {"status": {"promoteFull": True}},
                                              {"spec": {"paused": False}, "status": {"promoteFull": True}})


def test_promote_on_a_promoted_rollout_changes_nothing():
    ro, sets = objects()
    ro["status"]["currentPodHash"] = ro["status"]["stableRS"]
    ro["status"].update(pauseConditions=None, controllerPause=False, phase="Healthy", message="")
    op = plan_promote(ro, sets)
    assert op.noop == f"rollout '{RO}' is fully promoted (Healthy); nothing to promote"


def test_abort_and_the_fast_path():
    ro, sets = objects()
    op = plan_abort(ro, sets)
    assert (op.command_line, op.patch["status"], op.risk) == (
        f"kubectl argo rollouts abort {RO} -n production", {"status": {"abort": True}}, "high")
    fast = plan_back_to_stable(ro, sets)
    assert (fast.kind, fast.revision, fast.command_line) == (
        "rollback", 2, f"kubectl argo rollouts undo {RO} --to-revision=2 -n production")
    assert fast.summary == f"Roll back rollout {RO} from revision 3 to stable revision 2 (ghcr.io/eli-maor/backend:v2.0.0)"
    # Without the stable ReplicaSet in the history, undo is impossible: abort, and the confirmation says why.
    stable = ro["status"]["stableRS"]
    fast = plan_back_to_stable(ro, [rs for rs in sets if not rs["metadata"]["name"].endswith(stable)])
    assert fast.kind == "back_to_stable" and fast.patch["status"] == {"status": {"abort": True}}
    assert fast.changes[0] == "abort, not undo: its stable ReplicaSet is not in the history"


def test_undo_picks_the_second_newest_and_strips_the_hash():
    ro, sets = objects()
    op = plan_rollback(ro, sets)
    assert op.revision == 2 and op.patch[0]["path"] == "/spec/template"
    assert "rollouts-pod-template-hash" not in op.patch[0]["value"]["metadata"]["labels"]
    assert any("skips the remaining steps" in line for line in op.changes)
    assert plan_rollback(ro, sets, 1).changes[1].startswith("a new canary: every step and the analysis run again")
    with pytest.raises(ConsoleError, match="unable to find specified revision 7 in history"):
        plan_rollback(ro, sets, 7)


def test_set_image_as_the_plugin():
    ro, sets = objects()
    assert with_image(ro, "*", "x:1")["spec"]["template"]["spec"]["containers"][0]["image"] == "x:1"
    with pytest.raises(ConsoleError, match='unable to find container named "web"'):
        plan_set_image(ro, sets, "web=x:1")
    with pytest.raises(ConsoleError, match="CONTAINER=IMAGE"):
        plan_set_image(ro, sets, "x:1")
    op = plan_set_image(ro, sets, "backend=ghcr.io/eli-maor/backend:v2.1.1")
    assert op.changes[0] == "image ghcr.io/eli-maor/backend:v2.1.0 → ghcr.io/eli-maor/backend:v2.1.1"
