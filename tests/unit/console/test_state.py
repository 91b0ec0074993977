"""The console's state model, fed from an in-process sandbox (no terminal, no HTTP)."""

from __future__ import annotations

import pytest

from kube_sandbox.api import STRATEGIC_PATCH
from kube_sandbox.cluster import Sandbox
from kube_sandbox.resources import DEPLOYMENT, EVENT, POD, REPLICASET
from kube_sandbox.store import Change
from tui.core.items import Changed, Health, Relisted
from tui.core.state import ClusterState, image_tag
from tui.core.times import human_age
from tui.core.workload import Ref
from tui.workloads.registry import READERS

NS = "production"
KINDS = {DEPLOYMENT.key: "Deployment", REPLICASET.key: "ReplicaSet", POD.key: "Pod", EVENT.key: "Event"}
ORDER = ["eli-maor-backend", "eli-maor-worker", "eli-maor-beat", "eli-maor-frontend"]


@pytest.fixture
def world():
    """A seeded sandbox and a state that has listed it, then follows its changes."""
    sandbox = Sandbox("eli-maor")
    state = ClusterState(NS, READERS, clock=lambda: 1_800_000_000.0, order=ORDER)
    state.apply(Relisted(kind, tuple(sandbox.api.list(rt, NS)))
                for rt, kind in ((DEPLOYMENT, "Deployment"), (REPLICASET, "ReplicaSet"), (POD, "Pod"), (EVENT, "Event")))
    changes: list = []

    def follow(change: Change) -> None:
        kind = KINDS.get(change.key)
        if kind and change.namespace == NS:
            changes.append(Changed(kind, change.type, change.obj))

    sandbox.storage.subscribe(follow)
    return sandbox, state, changes


def test_components_in_configured_order_with_status(world):
    _, state, _ = world
    views = state.components()
    assert [v.name for v in views] == ORDER
    backend = views[0]
    assert (backend.desired, backend.ready, backend.updated, backend.available) == (2, 2, 2, 2)
    assert backend.revision == "5"
    assert backend.image_tags == "v2.0.0"
    assert {v.status for v in views} == {"Complete"}


def test_revisions_newest_first_with_current_marker_and_pods(world):
    _, state, _ = world
    revisions = state.revisions(Ref("Deployment", "eli-maor-backend"))
    # The seed's helm rollback kept the hand-set LOG_LEVEL, so revision 2 is still there and 5 is new.
    assert [r.revision for r in revisions] == [5, 4, 3, 2, 1]
    assert [r.current for r in revisions] == [True, False, False, False, False]
    assert revisions[0].pods == 2 and revisions[0].ready == 2
    assert revisions[2].change_cause == "Release v2.0.1 - fix memory leak #131"
    assert revisions[2].images == ("ghcr.io/eli-maor/backend:v2.0.1-crashloop",)


def test_a_rollout_streams_kubectl_wording_and_events(world):
    sandbox, state, changes = world
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "backend", "image": "ghcr.io/eli-maor/backend:v2.1.0"}]}}}}
    sandbox.api.patch(DEPLOYMENT, NS, "eli-maor-backend", STRATEGIC_PATCH, patch)
    sandbox.settle()
    dirty = state.apply(changes)
    assert Ref("Deployment", "eli-maor-backend") in dirty
    texts = [line.text for line in state.lines(Ref("Deployment", "eli-maor-backend"))]
    assert 'Waiting for deployment "eli-maor-backend" rollout to finish: 1 out of 2 new replicas have been updated...' in texts
    assert texts.count('deployment "eli-maor-backend" successfully rolled out') == 1
    assert any(t.startswith("ScalingReplicaSet: Scaled up replica set eli-maor-backend-") for t in texts)
    assert state.component(Ref("Deployment", "eli-maor-backend")).revision == "6"
    assert state.lines(Ref("Deployment", "eli-maor-worker")) == []


def test_crashloop_is_degraded_then_stalled(world):
    sandbox, state, changes = world
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "backend", "image": "ghcr.io/eli-maor/backend:v2.1.0-crashloop"}]}}}}
    sandbox.api.patch(DEPLOYMENT, NS, "eli-maor-backend", STRATEGIC_PATCH, patch)
    sandbox.clock.advance(60)
    state.apply(changes)
    changes.clear()
    assert state.component(Ref("Deployment", "eli-maor-backend")).status == "Degraded"
    sandbox.clock.advance(700)
    state.apply(changes)
    assert state.component(Ref("Deployment", "eli-maor-backend")).status == "Stalled"
    errors = [line for line in state.lines(Ref("Deployment", "eli-maor-backend")) if line.severity == "error"]
    assert any("exceeded its progress deadline" in line.text for line in errors)
    assert any(line.text.startswith("BackOff: Back-off restarting failed container") for line in errors)


def test_scaled_down_and_paused_words(world):
    sandbox, state, changes = world
    sandbox.api.patch(DEPLOYMENT, NS, "eli-maor-beat", STRATEGIC_PATCH, {"spec": {"replicas": 0}})
    sandbox.api.patch(DEPLOYMENT, NS, "eli-maor-worker", STRATEGIC_PATCH, {"spec": {"paused": True}})
    sandbox.settle()
    state.apply(changes)
    assert state.component(Ref("Deployment", "eli-maor-beat")).status == "Scaled down"
    assert state.component(Ref("Deployment", "eli-maor-worker")).status == "Paused"


def test_watch_health_keeps_the_time_it_went_down(world):
    _, state, _ = world
    state.apply([Health("Pod", True, 10.0), Health("Pod", False, 20.0, "cannot reach"),
                 Health("Pod", False, 30.0, "still cannot reach")])
    assert state.stale()["Pod"].since == 20.0
    assert state.stale()["Pod"].error == "still cannot reach"
    state.apply([Health("Pod", True, 40.0)])
    assert state.stale() == {}


def test_relist_drops_objects_that_are_gone(world):
    _, state, _ = world
    state.apply([Relisted("Deployment", ())])
    assert state.components() == []


@pytest.mark.parametrize("seconds, text", [(5, "5s"), (119, "119s"), (600, "10m"), (7300, "2h"), (3 * 86400, "3d")])
def test_human_age(seconds, text):
    assert human_age(seconds) == text


@pytest.mark.parametrize("image, tag", [("ghcr.io/eli-maor/backend:v2.0.1", "v2.0.1"), ("nginx", "latest"),
                                        ("localhost:5000/app:1.2", "1.2")])
def test_image_tag(image, tag):
    assert image_tag(image) == tag


def test_pods_listed_before_their_replicasets_belong_to_their_workload():
    """Two kinds own ReplicaSets (Deployments and Argo Rollouts): a pod that comes before its ReplicaSet is
    placed by its name on the one workload of that name, as with one owner kind."""
    sandbox = Sandbox("eli-maor")
    state = ClusterState(NS, READERS, clock=lambda: 1_800_000_000.0, order=ORDER)
    assert len(state.owned_by["ReplicaSet"]) == 2
    state.apply([Relisted("Deployment", tuple(sandbox.api.list(DEPLOYMENT, NS))),
                 Relisted("Pod", tuple(sandbox.api.list(POD, NS)))])
    backend = Ref("Deployment", "eli-maor-backend")
    assert len(state.pods_of(backend)) == 2
    state.apply([Relisted("ReplicaSet", tuple(sandbox.api.list(REPLICASET, NS)))])
    assert len(state.pods_of(backend)) == 2
