"""Watchers against a real sandbox process: live, down and back, relist after 410 Gone."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from kube_sandbox.process import SandboxProcess
from tests.support.sandbox import start_sandbox
from tui.core.items import Changed, Health, Relisted
from tui.kube import watch as kwatch
from tui.kube.config import connect
from tui.kube.watch import Source, WatchHub, namespaced_sources
from tui.workloads.registry import ADAPTERS

NS = "production"


def collect(hub: WatchHub, until, timeout: float = 30.0) -> list:
    """Drain the hub until `until(items)` holds; fail with what was seen otherwise."""
    items: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items.extend(hub.drain())
        if until(items):
            return items
        time.sleep(0.05)
    raise AssertionError(f"condition not reached; saw {[type(i).__name__ for i in items][-20:]} {items[-3:]}")


def live_kinds(items) -> set[str]:
    state: dict[str, bool] = {}
    for item in items:
        if isinstance(item, Health):
            state[item.kind] = item.live
    return {kind for kind, live in state.items() if live}


def test_lists_then_streams_changes(tmp_path):
    sb = start_sandbox(tmp_path, "eli-maor", 20.0)
    hub = None
    try:
        target = connect(sb.kubeconfig)
        hub = WatchHub(target.server)
        hub.start(namespaced_sources(target.api, NS, "app=eli-maor", ADAPTERS.values()))
        items = collect(hub, lambda seen: live_kinds(seen) == {"Deployment", "Rollout", "ReplicaSet", "Pod", "Event"})
        listed = {i.kind: i for i in items if isinstance(i, Relisted)}
        assert sorted(o["metadata"]["name"] for o in listed["Deployment"].objects) == [
            "eli-maor-backend", "eli-maor-beat", "eli-maor-frontend", "eli-maor-worker"]
        client.AppsV1Api(target.api).patch_namespaced_deployment(
            "eli-maor-beat", NS, {"metadata": {"labels": {"touched": "yes"}}})
        items = collect(hub, lambda seen: any(
            isinstance(i, Changed) and i.kind == "Deployment"
            and (i.obj["metadata"].get("labels") or {}).get("touched") == "yes" for i in seen))
    finally:
        if hub:
            hub.stop()
        assert sb.stop() == 0


def test_a_lost_server_is_stale_with_a_sentence_then_comes_back(tmp_path):
    sb = start_sandbox(tmp_path, "empty", 1.0)
    port = sb.url.rsplit(":", 1)[1]
    hub = None
    again = None
    try:
        target = connect(sb.kubeconfig, namespace="default")
        hub = WatchHub(target.server)
        hub.start(namespaced_sources(target.api, "default", workloads=ADAPTERS.values()))
        collect(hub, lambda seen: len(live_kinds(seen)) == 5)
        assert sb.stop() == 0
        items = collect(hub, lambda seen: any(isinstance(i, Health) and not i.live and "Cannot reach" in i.error
                                              for i in seen))
        down = next(i for i in items if isinstance(i, Health) and not i.live and i.error)
        assert down.error.endswith(".") and "Traceback" not in down.error and target.server in down.error
        # The same address answers again: every watcher relists and is live once more.
        again = SandboxProcess.start(tmp_path / "kubeconfig2", "empty", 1.0, "--port", port)
        items = collect(hub, lambda seen: len(live_kinds(seen)) == 5, timeout=60)
        assert {i.kind for i in items if isinstance(i, Relisted)} == {"Deployment", "Rollout", "ReplicaSet", "Pod",
                                                                    "Event"}
    finally:
        if hub:
            hub.stop()
        if again:
            assert again.stop() == 0
        sb.stop()


def test_an_expired_resource_version_asks_for_a_relist(tmp_path):
    # Bookmarks normally keep a watcher's resourceVersion fresh; one that fell behind the
    # server's window (a long disconnect) gets 410 Gone, and the watcher relists instead of failing.
    sb = start_sandbox(tmp_path, "empty", 1.0, "--history-window", "20")
    try:
        target = connect(sb.kubeconfig, namespace="default")
        core = client.CoreV1Api(target.api)
        hub = WatchHub(target.server)
        watcher = kwatch.Watcher(Source("ConfigMap", core.list_namespaced_config_map, ("default",)), hub)
        old = watcher._relist()
        for n in range(40):
            core.create_namespaced_secret("default", {"metadata": {"name": f"s{n}"}})
        assert watcher._watch(old) is None  # None: relist
        fresh = watcher._relist()
        assert int(fresh) > int(old)
        assert not any(isinstance(i, Health) and not i.live for i in hub.drain()), "an expired watch is no outage"
    finally:
        assert sb.stop() == 0


@pytest.mark.parametrize("kubeconfig_text, message", [
    ("not: [valid", "is not valid YAML"),
    ("- a list", "is not a kubeconfig file"),
    ("apiVersion: v1\nkind: Config\ncontexts: []\n", "has no current context"),
    ("apiVersion: v1\nkind: Config\ncurrent-context: nope\ncontexts: [{name: a, context: {}}]\n",
     "Unknown context 'nope'"),
])
def test_bad_kubeconfigs_are_one_sentence(tmp_path, kubeconfig_text, message):
    from tui.core.errors import ConsoleError

    path = tmp_path / "kc"
    path.write_text(kubeconfig_text)
    with pytest.raises(ConsoleError) as err:
        connect(path)
    assert message in err.value.message


def test_a_collection_lists_what_the_generated_client_lists(tmp_path):
    """`Collection` (a path through the ApiClient) answers as `list_namespaced_pod` does: same objects for a
    label selector, the same ApiException for a namespace that does not exist, and a watch stream."""
    import json

    from kubernetes.client.exceptions import ApiException

    from tui.kube.collection import Collection

    sb = start_sandbox(tmp_path, "eli-maor", 20.0)
    try:
        api = connect(sb.kubeconfig).api
        pods = Collection(api, "/api/v1/namespaces/{namespace}/pods")
        ours = json.loads(pods(NS, label_selector="component=backend").data)
        theirs = client.CoreV1Api(api).list_namespaced_pod(NS, label_selector="component=backend")
        assert sorted(p["metadata"]["name"] for p in ours["items"]) == sorted(p.metadata.name for p in theirs.items)
        assert ours["items"], "the seed has backend pods"
        with pytest.raises(ApiException) as ours_error:
            Collection(api, "/apis/apps/v1/namespaces/{namespace}/deployments/missing/scale")(NS)
        assert ours_error.value.status == 404
        stream = pods(NS, watch=True, resource_version=ours["metadata"]["resourceVersion"], timeout_seconds=1)
        assert stream.status == 200
        stream.release_conn()
        with pytest.raises(TypeError, match="pretty"):
            pods(NS, pretty="true")
    finally:
        assert sb.stop() == 0


def test_an_optional_kind_the_server_does_not_serve_lists_nothing_and_stays_live(tmp_path):
    """A cluster without the Argo Rollouts CRD: the Rollout watch is not shown down for ever."""
    from tui.kube.collection import Collection

    sb = start_sandbox(tmp_path, "empty", 1.0)
    hub = None
    try:
        target = connect(sb.kubeconfig, namespace="default")
        hub = WatchHub(target.server)
        absent = "/apis/nothere.example.io/v1/namespaces/{namespace}/widgets"
        hub.start([Source("Widget", Collection(target.api, absent), ("default",), optional=True),
                   Source("Gadget", Collection(target.api, absent), ("default",))])
        items = collect(hub, lambda seen: any(isinstance(i, Health) and i.kind == "Gadget" and not i.live
                                              for i in seen) and "Widget" in live_kinds(seen))
        assert next(i.objects for i in items if isinstance(i, Relisted) and i.kind == "Widget") == ()
        assert [i.error for i in items if isinstance(i, Health) and i.kind == "Widget" and not i.live] == ["connecting"]
        # Sources two adapters both want (ReplicaSets) are watched once.
        kinds = [s.kind for s in namespaced_sources(target.api, "default", workloads=ADAPTERS.values())]
        assert kinds == ["Deployment", "ReplicaSet", "Rollout", "Pod", "Event"]
    finally:
        if hub:
            hub.stop()
        assert sb.stop() == 0
