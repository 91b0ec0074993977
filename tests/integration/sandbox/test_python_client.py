"""The official kubernetes Python client against a real sandbox process."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.support.sandbox import start_sandbox

NS = "production"


@pytest.fixture
def k8s(tmp_path):
    # Slow clock: no controller churn between a list and its watch in these tests.
    sb = start_sandbox(tmp_path, "eli-maor", 1.0)
    api_client = config.new_client_from_config(config_file=str(sb.kubeconfig))
    yield api_client
    api_client.close()
    assert sb.stop() == 0


def _configmap(name: str, data: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {}}


def test_list_then_watch_sees_every_later_change_once_in_order(k8s):
    core = client.CoreV1Api(k8s)
    listed = core.list_namespaced_config_map(NS)
    rv = listed.metadata.resource_version
    seen: list[tuple[str, str, str]] = []
    done = threading.Event()

    def consume():
        w = watch.Watch()
        for event in w.stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=20):
            obj = event["object"]
            seen.append((event["type"], obj.metadata.name, (obj.data or {}).get("n", "")))
            if event["type"] == "DELETED" and obj.metadata.name == "cm-2":
                w.stop()
        done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    # Changes made before and while the watch connects must all arrive, once.
    core.create_namespaced_config_map(NS, _configmap("cm-1", {"n": "1"}))
    core.create_namespaced_config_map(NS, _configmap("cm-2", {"n": "1"}))
    core.patch_namespaced_config_map("cm-1", NS, {"data": {"n": "2"}})
    core.patch_namespaced_config_map("cm-2", NS, {"data": {"n": "2"}})
    core.delete_namespaced_config_map("cm-1", NS)
    core.delete_namespaced_config_map("cm-2", NS)
    assert done.wait(30), f"watch did not finish; saw {seen}"
    assert seen == [
        ("ADDED", "cm-1", "1"),
        ("ADDED", "cm-2", "1"),
        ("MODIFIED", "cm-1", "2"),
        ("MODIFIED", "cm-2", "2"),
        ("DELETED", "cm-1", "2"),
        ("DELETED", "cm-2", "2"),
    ]


def test_resource_versions_increase_and_generation_tracks_spec_only(k8s):
    apps = client.AppsV1Api(k8s)
    before = apps.read_namespaced_deployment("eli-maor-backend", NS)
    labelled = apps.patch_namespaced_deployment("eli-maor-backend", NS, {"metadata": {"labels": {"team": "a"}}})
    assert int(labelled.metadata.resource_version) > int(before.metadata.resource_version)
    assert labelled.metadata.generation == before.metadata.generation
    scaled = apps.patch_namespaced_deployment("eli-maor-backend", NS, {"spec": {"replicas": 3}})
    assert scaled.metadata.generation == before.metadata.generation + 1


def test_too_old_resource_version_is_gone(tmp_path):
    sb = start_sandbox(tmp_path, "empty", 1.0, "--history-window", "50")
    try:
        api_client = config.new_client_from_config(config_file=str(sb.kubeconfig))
        core = client.CoreV1Api(api_client)
        first = core.list_namespaced_config_map("default").metadata.resource_version
        for n in range(60):
            core.create_namespaced_config_map("default", _configmap(f"c{n}"))
        with pytest.raises(ApiException) as err:
            for _ in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                          resource_version=first, timeout_seconds=5):
                pass
        assert err.value.status == 410
        assert "too old resource version" in err.value.reason or "too old" in str(err.value)
        api_client.close()
    finally:
        assert sb.stop() == 0


def test_stale_update_conflicts(k8s):
    core = client.CoreV1Api(k8s)
    cm = core.create_namespaced_config_map(NS, _configmap("stale", {"a": "1"}))
    core.patch_namespaced_config_map("stale", NS, {"data": {"a": "2"}})
    cm.data = {"a": "3"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("stale", NS, cm)
    assert err.value.status == 409
    assert "the object has been modified" in err.value.body


@pytest.mark.parametrize(
    "call, status, reason",
    [
        (lambda core: core.read_namespaced_config_map("missing", NS), 404, "NotFound"),
        (lambda core: core.create_namespaced_config_map(NS, _configmap("Bad_Name")), 422, "Invalid"),
        (lambda core: core.create_namespaced_config_map(NS, {"apiVersion": "v1", "kind": "ConfigMap",
                                                            "metadata": {}}), 422, "Invalid"),
        (lambda core: core.create_namespaced_config_map("no-such-ns", _configmap("x")), 404, "NotFound"),
        (lambda core: core.list_namespaced_pod(NS, label_selector="app in (a"), 400, "BadRequest"),
        (lambda core: core.list_namespaced_pod(NS, field_selector="spec.bogus=1"), 400, "BadRequest"),
        (lambda core: core.create_namespace({"apiVersion": "v1", "kind": "Namespace",
                                             "metadata": {"name": "production"}}), 409, "AlreadyExists"),
    ],
)
def test_bad_requests_get_the_apiserver_status(k8s, call, status, reason):
    core = client.CoreV1Api(k8s)
    with pytest.raises(ApiException) as err:
        call(core)
    assert err.value.status == status
    assert f'"reason":"{reason}"' in err.value.body.replace(" ", "")
    # The server keeps serving after every refusal.
    assert core.read_namespace(NS).metadata.name == NS


def test_unknown_patch_type_is_415(k8s):
    # The client refuses unknown patch types itself, so send this one by hand.
    request = urllib.request.Request(
        f"{k8s.configuration.host}/api/v1/namespaces/{NS}/configmaps/x", method="PATCH",
        data=b'{"data": {}}', headers={"Content-Type": "application/x-unknown-patch"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 415
    assert json.loads(err.value.read())["reason"] == "UnsupportedMediaType"


def test_dry_run_changes_nothing(k8s):
    apps = client.AppsV1Api(k8s)
    before = apps.read_namespaced_deployment("eli-maor-backend", NS)
    result = apps.patch_namespaced_deployment("eli-maor-backend", NS, {"spec": {"replicas": 5}}, dry_run="All")
    assert result.spec.replicas == 5
    after = apps.read_namespaced_deployment("eli-maor-backend", NS)
    assert after.spec.replicas == before.spec.replicas
    assert after.metadata.resource_version == before.metadata.resource_version


def test_a_resumed_watch_replays_only_its_own_kind(k8s):
    # A PDB and a Deployment share a name; a Deployment watch must never see the PDB.
    apps, policy = client.AppsV1Api(k8s), client.PolicyV1Api(k8s)
    rv = apps.list_namespaced_deployment(NS).metadata.resource_version
    policy.patch_namespaced_pod_disruption_budget("eli-maor-backend", NS, {"metadata": {"labels": {"x": "1"}}})
    apps.patch_namespaced_deployment("eli-maor-backend", NS, {"metadata": {"labels": {"x": "1"}}})
    kinds = []
    for event in watch.Watch().stream(apps.list_namespaced_deployment, NS, resource_version=rv,
                                      field_selector="metadata.name=eli-maor-backend", timeout_seconds=2,
                                      deserialize=False):
        kinds.append(event["object"].get("kind"))
    assert kinds == ["Deployment"]
