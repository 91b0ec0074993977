"""Known-bad revisions and drift: the pure judgement, fed from an in-process sandbox of the demo's seed."""

from __future__ import annotations

import pytest

from kube_sandbox.api import STRATEGIC_PATCH
from kube_sandbox.cluster import Sandbox
from kube_sandbox.resources import DEPLOYMENT, EVENT, POD, REPLICASET, SECRET
from kube_sandbox.store import Change
from tui.controllers.helm import charted, failed_templates
from tui.core.drift import drift, rollback_effect
from tui.core.items import Changed, Relisted
from tui.core.knownbad import KnownBad, warning_line
from tui.core.state import ClusterState
from tui.core.workload import Ref, Revision
from tui.helm.manifest import workload_docs
from tui.helm.release import ReleaseHistory, from_secret
from tui.workloads.deployment.plan import plan_rollback_from
from tui.workloads.registry import ADAPTERS, READERS

NS = "production"
KINDS = {DEPLOYMENT.key: "Deployment", REPLICASET.key: "ReplicaSet", POD.key: "Pod", EVENT.key: "Event"}
BACKEND = Ref("Deployment", "eli-maor-backend")
NOW = 1_800_000_000.0


@pytest.fixture
def world():
    """The seeded sandbox, a state that listed it and follows it, and the release history handed in."""
    sandbox = Sandbox("eli-maor")
    state = ClusterState(NS, READERS, clock=lambda: NOW)
    state.apply(Relisted(kind, tuple(sandbox.api.list(rt, NS)))
                for rt, kind in ((DEPLOYMENT, "Deployment"), (REPLICASET, "ReplicaSet"), (POD, "Pod"), (EVENT, "Event")))
    history = ReleaseHistory("eli-maor", NS)
    history.relist(from_secret(s) for s in sandbox.api.list(SECRET, NS) if s.get("type") == "helm.sh/release.v1")
    state.knownbad.set_failed_releases("eli-maor", failed_templates(history))
    state.charted.update(charted(history))
    changes: list = []

    def follow(change: Change) -> None:
        kind = KINDS.get(change.key)
        if kind and change.namespace == NS:
            changes.append(Changed(kind, change.type, change.obj))

    sandbox.storage.subscribe(follow)
    return sandbox, state, changes, history


def bad(state: ClusterState, ref: Ref = BACKEND) -> dict[int, list[str]]:
    return {v.revision: [e.reason for e in v.known_bad] for v in state.revisions(ref) if v.known_bad}


def test_the_failed_helm_revision_marks_revisions_3_and_4_known_bad_at_start(world):
    _, state, _, _ = world
    for name in ("eli-maor-backend", "eli-maor-worker", "eli-maor-beat", "eli-maor-frontend"):
        ref = Ref("Deployment", name)
        assert bad(state, ref) == {3: ["Helm revision 3 failed: Upgrade failed"],
                                   4: ["Helm revision 3 failed: Upgrade failed"]}, name
        assert state.newest_healthy(ref).revision == 2
    said = warning_line(4, list(state.known_bad(BACKEND, 4)), 2, "Ctrl+N", NOW)
    assert said.startswith("Revision 4 is known bad: Helm revision 3 failed: Upgrade failed (")
    assert said.endswith("Press Ctrl+N to roll back to revision 2 instead, the newest healthy one.")


def test_crash_loop_evidence_is_kept_after_the_revision_is_rolled_away_from(world):
    sandbox, state, changes, _ = world
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "backend", "image": "ghcr.io/eli-maor/backend:v2.1.0-crashloop"}]}}}}
    sandbox.api.patch(DEPLOYMENT, NS, BACKEND.name, STRATEGIC_PATCH, patch)
    sandbox.clock.advance(60)
    state.apply(changes)
    changes.clear()
    crashing = bad(state)[6]
    assert any(r.startswith("pod eli-maor-backend-") and r.endswith(" CrashLoopBackOff") for r in crashing), crashing

    # kubectl rollout undo: the crash-looping revision is no longer the newest, its evidence stays.
    d = sandbox.api.get(DEPLOYMENT, NS, BACKEND.name)
    op = plan_rollback_from(d, sandbox.api.list(REPLICASET, NS), 5)
    sandbox.api.patch(DEPLOYMENT, NS, BACKEND.name, "application/json-patch+json", op.patch)
    sandbox.clock.advance(120)
    state.apply(changes)
    views = {v.revision: v for v in state.revisions(BACKEND)}
    assert views[7].current and not views[7].known_bad
    reasons = [e.reason for e in views[6].known_bad]
    assert "never became available while it was the newest" in reasons
    assert any(r.endswith(" CrashLoopBackOff") for r in reasons)
    assert all(e.at == NOW for e in views[6].known_bad)
    assert state.newest_healthy(BACKEND).revision == 2


def test_progress_deadline_is_evidence():
    kb = KnownBad()
    rev = Revision(2, "", ("img:b",), {"metadata": {"labels": {"pod-template-hash": "h2"}}}, "web-h2", "", 2, 2, 0,
                   True)
    kb.observe(Ref("Deployment", "web"), [rev], True, [], 10.0)
    assert [e.reason for e in kb.evidence(Ref("Deployment", "web"), rev)] == [
        "hit ProgressDeadlineExceeded while it was the newest"]
    assert kb.bad(Ref("Deployment", "web"), [rev]) == {2: kb.evidence(Ref("Deployment", "web"), rev)}


def test_a_revision_that_became_available_is_not_known_bad():
    kb, ref = KnownBad(), Ref("Deployment", "web")
    old = Revision(1, "", ("img:a",), {}, "web-h1", "", 2, 2, 2, True)
    kb.observe(ref, [old], False, [], 1.0)
    new = Revision(2, "", ("img:b",), {}, "web-h2", "", 2, 2, 2, True)
    kb.observe(ref, [Revision(1, "", ("img:a",), {}, "web-h1", "", 0, 0, 0, False), new], False, [], 2.0)
    assert kb.evidence(ref, old) == [] and kb.evidence(ref, new) == []


def test_drift_after_the_seed_is_the_hand_set_env_and_a_set_image_adds_to_it(world):
    sandbox, state, changes, history = world
    view = state.component(BACKEND)
    assert [d.said for d in view.drift] == ["backend env LOG_LEVEL=debug (not in the release)"]

    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "backend", "image": "ghcr.io/eli-maor/backend:v2.1.0"}]}}}}
    sandbox.api.patch(DEPLOYMENT, NS, BACKEND.name, STRATEGIC_PATCH, patch)
    sandbox.settle()
    state.apply(changes)
    assert [d.said for d in state.component(BACKEND).drift] == [
        "backend env LOG_LEVEL=debug (not in the release)", "backend image v2.1.0 (release: v2.0.0)"]

    # A helm rollback to 2 sets the image back (revision 2 renders it) and keeps the env no manifest sets.
    target = workload_docs(history.get(2).manifest, ADAPTERS)[BACKEND]
    reverted, kept = rollback_effect(state.obj(BACKEND), state.charted[BACKEND].doc, target)
    assert reverted == ["backend image v2.1.0 → v2.0.0"]
    assert kept == ["backend env LOG_LEVEL=debug (not in the release)"]


def test_drift_compares_replicas_only_when_the_chart_sets_them():
    rendered = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}}}
    live = {"spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}}}
    assert drift(live, rendered) == []
    rendered["spec"]["replicas"] = 2
    assert [d.said for d in drift(live, rendered)] == ["replicas 5 (release: 2)"]


def test_the_helm_suggestion_skips_a_revision_that_runs_a_failed_ones_images(world):
    _, _, _, history = world
    target, _why = history.default_target()
    assert target.revision == 1  # 2 renders what 4 deploys; 3 failed
    assert history.known_bad(3) == "Helm revision 3 failed: Upgrade failed"
    assert history.known_bad(2) == ""


def test_the_helm_suggestion_never_offers_the_content_of_a_failed_revision():
    from tui.helm.release import Revision as HelmRevision

    def rev(n: int, status: str, tag: str) -> HelmRevision:
        return HelmRevision("web", NS, n, status, None, "web-1", "", f"rev {n}",
                            manifest=f"kind: Deployment\nspec:\n  image: r/web:{tag}\n")

    history = ReleaseHistory("web", NS)
    # 3 failed; 5 rolled back to 3 without --wait, so helm recorded it as deployed, then superseded by 6.
    history.relist([rev(1, "superseded", "v1"), rev(2, "superseded", "v2"), rev(3, "failed", "v3-bad"),
                    rev(4, "superseded", "v2"), rev(5, "superseded", "v3-bad"), rev(6, "deployed", "v2b")])
    target, why = history.default_target()
    assert target.revision == 4
    assert "5 skipped (the images of a failed revision)" in why
    assert history.known_bad(5) == "it runs the images of Helm revision 3, which failed: rev 3"


def test_a_revision_scaled_to_zero_then_replaced_is_not_known_bad():
    kb, ref = KnownBad(), Ref("Deployment", "web")
    scaled = Revision(1, "", ("img:a",), {}, "web-h1", "", 0, 0, 0, True)
    kb.observe(ref, [scaled], False, [], 1.0)
    new = Revision(2, "", ("img:b",), {}, "web-h2", "", 2, 0, 0, True)
    kb.observe(ref, [Revision(1, "", ("img:a",), {}, "web-h1", "", 0, 0, 0, False), new], False, [], 2.0)
    assert kb.evidence(ref, scaled) == []
    # The new one, rolled away from before it was ever available, is.
    kb.observe(ref, [Revision(1, "", ("img:a",), {}, "web-h1", "", 2, 2, 2, True),
                     Revision(2, "", ("img:b",), {}, "web-h2", "", 0, 0, 0, False)], False, [], 3.0)
    assert [e.reason for e in kb.evidence(ref, new)] == ["never became available while it was the newest"]
