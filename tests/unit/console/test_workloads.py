"""The workload registry, the ledger, the guard, components keyed by (kind, name), and paint-first imports."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tui.core.errors import ConsoleError
from tui.core.guard import Guard
from tui.core.items import Changed, Relisted
from tui.core.ledger import Ledger
from tui.core.requests import Request
from tui.core.state import ClusterState
from tui.core.times import parse_rfc3339, rfc3339
from tui.core.workload import Ref, Replicas, Revision, RolloutStatus
from tui.workloads import registry
from tui.workloads.base import KindAction, Pauser, Rollbacker, Workload
from tui.workloads.deployment import Deployment
from tui.workloads.registry import READERS, adapter_for

BACKEND = Ref("Deployment", "eli-maor-backend")


# ---- the ledger and the guard --------------------------------------------------------------------


def test_the_ledger_holds_an_operation_from_request_to_outcome():
    ledger = Ledger()
    assert not ledger and ledger.in_flight() == []
    ledger.start(BACKEND, "rolling back eli-maor-backend")
    assert BACKEND in ledger and ledger.in_flight() == []  # asked for, not yet confirmed
    ledger.executing(BACKEND)
    assert [b.doing for b in ledger.in_flight()] == ["rolling back eli-maor-backend"]
    ledger.finish(BACKEND)
    assert not ledger and BACKEND not in ledger


def test_the_guard_says_why_not_in_one_sentence():
    ledger = Ledger()
    assert Guard(read_only=True, online=True, production=False).refusal("scale", BACKEND, ledger) == (
        "Read-only mode: scaling is disabled (restart the console without --read-only to act).")
    guard = Guard(read_only=False, online=True, production=True)
    assert guard.refusal("rollback", None, ledger) == "No component is selected; pick one in Components first."
    assert guard.refusal("rollback", BACKEND, ledger) is None
    ledger.start(BACKEND, "scaling eli-maor-backend")
    assert guard.refusal("rollback", BACKEND, ledger) == (
        "eli-maor-backend is busy: scaling eli-maor-backend is not finished; wait for its outcome in the "
        "Rollout stream.")
    other = Ref("Deployment", "eli-maor-worker")
    assert guard.refusal("rollback", other, ledger) is None  # one operation at a time per component
    assert guard.refusal("helm_rollback", Ref("HelmRelease", "eli-maor"), ledger, exclusive=True) == (
        "One operation at a time: scaling eli-maor-backend is not finished; wait for its outcome.")
    ledger.finish(BACKEND)
    ledger.start(Ref("HelmRelease", "eli-maor"), "rolling back Helm release eli-maor", exclusive=True)
    assert guard.refusal("rollback", other, ledger) == (
        "One operation at a time: rolling back Helm release eli-maor is not finished; wait for its outcome.")
    assert Guard(False, online=False, production=False).refusal("rollback", other, Ledger()) == (
        "Not connected to a cluster (offline view); nothing can change.")
    assert guard.confirm_name("eli-maor-backend") == "eli-maor-backend"
    assert Guard(False, True, production=False).confirm_name("eli-maor-backend") is None


# ---- the registry ----------------------------------------------------------------------------------


def test_the_registry_knows_deployments_and_says_what_it_does_not_know():
    adapter = adapter_for("Deployment")
    assert isinstance(adapter, Deployment) and adapter.reader is READERS["Deployment"]
    for action in ("rollback", "pause", "resume", "restart", "scale", "divert_traffic", "annotate"):
        assert adapter.supports(action), action
    assert not adapter.supports("promote")
    with pytest.raises(ConsoleError) as err:
        adapter_for("CronJob")
    assert err.value.message == "The console has no adapter for CronJob (it knows Deployment, Rollout)."


class _Canary(Workload):
    """A second kind, as a test builds one: it rolls back and has a kind-specific action, but cannot pause."""

    kind = "Canary"
    resource = "canary.example.io"
    kind_actions = (KindAction("promote", "P", "promote the canary to stable", "promoting"),)

    def plan_rollback(self, api, namespace, name, to_revision=0, reason=""):
        raise AssertionError("not reached in these tests")


def test_capabilities_come_from_the_protocols_a_kind_implements():
    canary = _Canary()
    assert isinstance(canary, Rollbacker) and not isinstance(canary, Pauser)
    assert canary.supports("rollback") and canary.supports("promote") and not canary.supports("pause")
    with pytest.raises(ConsoleError) as err:
        canary.plan(None, "production", Request("pause", Ref("Canary", "web")))
    assert err.value.message == "canary.example.io/web cannot be paused from the console; use the kind's own tooling."
    with pytest.raises(ConsoleError, match="promote is not an action of Canary"):
        canary.plan(None, "production", Request("promote", Ref("Canary", "web"), verb="promoting"))
    assert Request("promote", Ref("Canary", "web"), verb="promoting").doing == "promoting web"


def test_the_key_table_learns_kind_specific_actions_from_the_adapters(monkeypatch):
    from tui.screens.console import kind_keys

    # Deployments have only the generic actions; an Argo Rollout adds the plugin's.
    assert [k.key for k in kind_keys()] == ["P", "F", "X", "R", "g", "b"]
    assert all("Rollouts only" in k.help for k in kind_keys())
    monkeypatch.setitem(registry.ADAPTERS, "Canary", _Canary())
    [key] = [k for k in kind_keys() if "Canarys only" in k.help]
    assert (key.key, key.action, key.command) == ("P", "kind_action('promote')", "promote the canary to stable")
    assert "Canarys only" in key.help


# ---- components keyed by (kind, name) -----------------------------------------------------------


class _CanaryReader:
    """The pure read side of the test kind: its revisions are ReplicaSets too, as an Argo Rollout's are."""

    kind = "Canary"
    owns = "ReplicaSet"

    def revisions(self, obj, owned):
        return [Revision(n, "", (), {}, rs["metadata"]["name"], "", 1, 1, 1, n == len(owned))
                for n, rs in enumerate(owned, 1)]

    def rollout_status(self, obj):
        return RolloutStatus("canary rolled out", True, False)

    def replicas(self, obj):
        return Replicas(1, 1, 1, 1)

    def revision(self, obj):
        return "1"

    def paused(self, obj):
        return False

    def stalled(self, obj):
        return False

    def status_detail(self, obj, owned):
        return None

    def failed(self, obj):
        return ""


def _obj(kind: str, name: str, owner: tuple[str, str] | None = None) -> dict:
    meta = {"name": name, "namespace": "production"}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {"kind": kind, "metadata": meta, "spec": {"replicas": 1, "template": {}}, "status": {}}


def test_a_deployment_and_another_kind_of_the_same_name_are_two_components():
    state = ClusterState("production", {**READERS, "Canary": _CanaryReader()}, clock=lambda: 0.0)
    state.apply([
        Relisted("Deployment", (_obj("Deployment", "web"),)),
        Relisted("Canary", (_obj("Canary", "web"),)),
        Relisted("ReplicaSet", (_obj("ReplicaSet", "web-1", ("Deployment", "web")),
                                _obj("ReplicaSet", "web-2", ("Canary", "web")))),
        Relisted("Pod", (_obj("Pod", "web-2-abc", ("ReplicaSet", "web-2")),)),
    ])
    deployment, canary = Ref("Deployment", "web"), Ref("Canary", "web")
    assert state.workloads() == [deployment, canary]
    assert [v.kind for v in state.components()] == ["Canary", "Deployment"]  # by name, then kind
    assert [rs["metadata"]["name"] for rs in state.owned_of(canary)] == ["web-2"]
    assert [p["metadata"]["name"] for p in state.pods_of(canary)] == ["web-2-abc"]
    assert state.pods_of(deployment) == []
    assert [r.replicaset for r in state.revisions(canary)] == ["web-2"]
    dirty = state.apply([Changed("Pod", "MODIFIED", _obj("Pod", "web-2-abc", ("ReplicaSet", "web-2")))])
    assert dirty == {canary}


# ---- RFC 3339, once --------------------------------------------------------------------------------


def test_rfc3339_written_and_read_as_the_api_server_helm_and_the_audit_log_do():
    assert rfc3339(1_800_000_000.25) == "2027-01-15T08:00:00Z"
    assert rfc3339(1_800_000_000.25, millis=True) == "2027-01-15T08:00:00.250Z"
    assert parse_rfc3339("2027-01-15T08:00:00Z") == 1_800_000_000.0
    assert parse_rfc3339("2027-01-15T08:00:00.250000123+00:00") == 1_800_000_000.25  # Helm's nanoseconds
    assert parse_rfc3339("0001-01-01T00:00:00Z") is None  # Go's zero time: never set
    assert parse_rfc3339("yesterday") is None and parse_rfc3339(None) is None


# ---- paint first -----------------------------------------------------------------------------------


def test_the_console_locates_its_cluster_without_loading_the_kubernetes_client(tmp_path):
    """The first frame needs the context, namespace and server only: the client loads on a worker later."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Config
        current-context: prod-eu
        contexts: [{name: prod-eu, context: {cluster: eu, namespace: production, user: me}}]
        clusters: [{name: eu, cluster: {server: "https://10.0.0.1:6443/"}}]
        users: [{name: me, user: {token: x}}]
        """))
    script = textwrap.dedent(f"""\
        import sys
        import tui.app, tui.cli
        from tui.kube.config import locate
        target = locate({str(kubeconfig)!r})
        print(target.context, target.namespace, target.server)
        print(sorted(m for m in ("kubernetes", "pyhelm3", "aiohttp", "jsonpatch") if m in sys.modules))
        """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.splitlines() == ["prod-eu production https://10.0.0.1:6443", "[]"]


def test_a_context_without_a_server_is_one_sentence(tmp_path):
    from tui.kube.config import locate

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("current-context: a\ncontexts: [{name: a, context: {cluster: gone}}]\nclusters: []\n")
    with pytest.raises(ConsoleError) as err:
        locate(kubeconfig)
    assert err.value.message == (f"The context 'a' in {kubeconfig} names no cluster with a server; check its "
                                 "clusters: section.")
