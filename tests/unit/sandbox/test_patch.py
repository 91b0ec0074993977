"""PATCH semantics: JSON patch, merge patch and strategic merge patch as the apiserver applies them."""

import copy

import pytest

from kube_sandbox.patch import (
    STRATEGIC_KINDS,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)

REJECTED = "the server rejected our request due to an error in our request"


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "annotations": {"deployment.kubernetes.io/revision": "2", "team": "payments"},
            "finalizers": ["example.com/audit"],
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "creationTimestamp": None},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "web:v1",
                            "args": ["--port=8080"],
                            "env": [{"name": "MODE", "value": "prod"}, {"name": "LOG", "value": "info"}],
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        },
                        {"name": "proxy", "image": "envoy:1.30"},
                    ],
                    "tolerations": [{"key": "dedicated", "operator": "Exists"}],
                },
            },
        },
        "status": {"conditions": [{"type": "Available", "status": "True"},
                                  {"type": "Progressing", "status": "True"}]},
    }


def containers(obj: dict) -> list:
    return obj["spec"]["template"]["spec"]["containers"]


def smp(patch: dict, obj: dict | None = None, kind: str = "Deployment") -> dict:
    return apply_strategic_merge_patch(obj or deployment(), patch, kind)


# ---- the patches kubectl sends ------------------------------------------------------

def test_kubectl_set_image():
    # kubectl set image deployment/web app=web:v2 (a two-way SMP with $setElementOrder)
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "proxy"}],
        "containers": [{"image": "web:v2", "name": "app"}],
    }}}}
    result = smp(patch)
    assert [(c["name"], c["image"]) for c in containers(result)] == [("app", "web:v2"), ("proxy", "envoy:1.30")]
    assert containers(result)[0]["env"] == deployment()["spec"]["template"]["spec"]["containers"][0]["env"]
    assert "$setElementOrder/containers" not in result["spec"]["template"]["spec"]


def test_set_element_order_reorders_the_merged_list():
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "proxy"}, {"name": "app"}],
        "containers": [{"image": "web:v2", "name": "app"}],
    }}}}
    assert [c["name"] for c in containers(smp(patch))] == ["proxy", "app"]


def test_kubectl_rollout_restart():
    patch = {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2024-05-01T10:00:00Z"}}}}}
    template = smp(patch)["spec"]["template"]
    assert template["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": "2024-05-01T10:00:00Z"}
    assert template["metadata"]["labels"] == {"app": "web"}
    assert template["spec"] == deployment()["spec"]["template"]["spec"]


@pytest.mark.parametrize("paused", [True, False])
def test_kubectl_rollout_pause_and_resume(paused):
    result = smp({"spec": {"paused": paused}})
    assert result["spec"]["paused"] is paused
    assert result["spec"]["replicas"] == 3


def test_kubectl_rollout_undo_deployment_json_patch():
    template = {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "web:v0"}]}}
    annotations = {"deployment.kubernetes.io/revision": "2"}
    ops = [{"op": "replace", "path": "/spec/template", "value": template},
           {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    result = apply_json_patch(deployment(), ops)
    assert result["spec"]["template"] == template
    assert result["metadata"]["annotations"] == annotations
    assert result["spec"]["replicas"] == 3


def test_kubectl_rollout_undo_statefulset_replaces_the_template():
    # StatefulSet/DaemonSet undo patches with the ControllerRevision data, marked `$patch: replace`.
    sts = deployment() | {"kind": "StatefulSet"}
    old = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "web:v0"}]}}
    result = smp({"spec": {"template": old | {"$patch": "replace"}}}, sts, "StatefulSet")
    assert result["spec"]["template"] == old


@pytest.mark.parametrize(
    "patch, labels",
    [
        ({"metadata": {"labels": {"app": "api"}}}, {"app": "api"}),  # kubectl label --overwrite app=api
        ({"metadata": {"labels": {"tier": "frontend"}}}, {"app": "web", "tier": "frontend"}),
        ({"metadata": {"labels": {"app": None}}}, {}),  # kubectl label app-
    ],
)
def test_kubectl_label_merge_patch(patch, labels):
    result = apply_merge_patch(deployment(), patch)
    assert result["metadata"]["labels"] == labels
    assert result["metadata"]["annotations"] == deployment()["metadata"]["annotations"]


def test_kubectl_annotate_merge_patch():
    patch = {"metadata": {"annotations": {"team": None, "owner": "sre"}}}
    assert apply_merge_patch(deployment(), patch)["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "2", "owner": "sre"}


# ---- strategic merge patch semantics ------------------------------------------------

def test_env_var_merged_by_name():
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "LOG", "value": "debug"}, {"name": "TRACE", "value": "1"}]}]}}}}
    assert containers(smp(patch))[0]["env"] == [
        {"name": "MODE", "value": "prod"}, {"name": "LOG", "value": "debug"}, {"name": "TRACE", "value": "1"}]


def test_env_var_deleted_by_name():
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "MODE", "$patch": "delete"}]}]}}}}
    assert containers(smp(patch))[0]["env"] == [{"name": "LOG", "value": "info"}]


def test_container_removed_with_patch_delete():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "proxy", "$patch": "delete"}]}}}}
    assert [c["name"] for c in containers(smp(patch))] == ["app"]


def test_new_container_goes_before_the_live_ones():
    # Elements the live list lacks sort ahead of it unless a $setElementOrder says otherwise.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "log", "image": "fluent:2", "args": None}]}}}}
    result = containers(smp(patch))
    assert [c["name"] for c in result] == ["log", "app", "proxy"]
    assert result[0] == {"name": "log", "image": "fluent:2"}


def test_container_port_merged_by_container_port():
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090}]}]}}}}
    assert containers(smp(patch))[0]["ports"] == [
        {"containerPort": 8080, "protocol": "TCP", "name": "http"}, {"containerPort": 9090}]


@pytest.mark.parametrize("field, value", [("args", ["--port=9090"]), ("command", ["/bin/web"])])
def test_untagged_container_lists_are_replaced(field, value):
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", field: value}]}}}}
    assert containers(smp(patch))[0][field] == value


def test_tolerations_are_replaced_atomically():
    patch = {"spec": {"template": {"spec": {"tolerations": [{"key": "gpu", "operator": "Exists"}]}}}}
    assert smp(patch)["spec"]["template"]["spec"]["tolerations"] == [{"key": "gpu", "operator": "Exists"}]


def test_finalizers_union():
    result = smp({"metadata": {"finalizers": ["example.com/backup", "example.com/audit"]}})
    assert result["metadata"]["finalizers"] == ["example.com/backup", "example.com/audit"]
    result = smp({"metadata": {"finalizers": ["example.com/backup"]}})
    assert result["metadata"]["finalizers"] == ["example.com/backup", "example.com/audit"]


def test_delete_from_primitive_list():
    obj = deployment()
    obj["metadata"]["finalizers"] = ["a", "b", "c"]
    result = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "z"]}}, obj)
    assert result["metadata"]["finalizers"] == ["a", "c"]


def test_owner_references_merged_by_uid():
    obj = deployment()
    obj["metadata"]["ownerReferences"] = [{"uid": "u1", "name": "a"}, {"uid": "u2", "name": "b"}]
    result = smp({"metadata": {"ownerReferences": [{"uid": "u2", "name": "b2"}, {"uid": "u3", "name": "c"}]}}, obj)
    assert result["metadata"]["ownerReferences"] == [
        {"uid": "u1", "name": "a"}, {"uid": "u2", "name": "b2"}, {"uid": "u3", "name": "c"}]


def test_status_conditions_merged_by_type():
    patch = {"status": {"conditions": [{"type": "Progressing", "status": "False", "reason": "Deadline"}]}}
    assert smp(patch)["status"]["conditions"] == [
        {"type": "Available", "status": "True"},
        {"type": "Progressing", "status": "False", "reason": "Deadline"}]


def test_pod_conditions_merged_by_type():
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]},
           "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    patch = {"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]}}
    assert smp(patch, pod, "Pod")["status"]["conditions"] == [
        {"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]


def test_service_ports_merged_by_port():
    svc = {"kind": "Service", "metadata": {"name": "s"},
           "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}}
    result = smp({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, svc, "Service")
    assert result["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443, "targetPort": 8443}]


def test_pdb_selector_is_replaced():
    pdb = {"kind": "PodDisruptionBudget", "metadata": {"name": "p"},
           "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web", "tier": "frontend"}}}}
    result = smp({"spec": {"selector": {"matchLabels": {"app": "api"}}}}, pdb, "PodDisruptionBudget")
    assert result["spec"] == {"minAvailable": 1, "selector": {"matchLabels": {"app": "api"}}}


def test_deployment_selector_map_merges():
    result = smp({"spec": {"selector": {"matchLabels": {"tier": "frontend"}}}})
    assert result["spec"]["selector"] == {"matchLabels": {"app": "web", "tier": "frontend"}}


def test_retain_keys_clears_unlisted_strategy_fields():
    # kubectl apply switching a Deployment to Recreate sends $retainKeys for spec.strategy
    result = smp({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_null_deletes_a_field():
    result = smp({"spec": {"replicas": None, "template": {"spec": {"tolerations": None}}}})
    assert "replicas" not in result["spec"]
    assert "tolerations" not in result["spec"]["template"]["spec"]


def test_patch_replace_directive_in_a_map():
    result = smp({"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}})
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_patch_delete_directive_in_a_map_empties_it():
    result = smp({"metadata": {"labels": {"$patch": "delete"}}})
    assert result["metadata"]["labels"] == {}


def test_patch_replace_directive_in_a_list():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "solo", "image": "solo:1"},
                                                           {"$patch": "replace"}]}}}}
    assert containers(smp(patch)) == [{"name": "solo", "image": "solo:1"}]


def test_directives_in_new_content_are_dropped():
    obj = deployment()
    del obj["spec"]["strategy"]
    result = smp({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}, obj)
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_integer_and_float_merge_keys_differ_like_go():
    # The apiserver decodes 8080 as int64 and 8080.0 as float64; they are not the same key.
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 8080.0}]}]}}}}
    assert len(containers(smp(patch))[0]["ports"]) == 2


def test_null_strategic_patch_changes_nothing():
    assert smp(None) == deployment()


def test_strategic_kinds():
    assert {"Pod", "Deployment", "ReplicaSet", "Service", "Endpoints", "EndpointSlice", "Namespace", "Secret",
            "ConfigMap", "Event", "PodDisruptionBudget", "Node", "StatefulSet", "DaemonSet"} <= STRATEGIC_KINDS
    assert "Widget" not in STRATEGIC_KINDS


@pytest.mark.parametrize("kind", ["Pod", "ReplicaSet", "DaemonSet", "Node", "Secret", "Event"])
def test_metadata_schema_is_shared_by_every_kind(kind):
    obj = {"kind": kind, "metadata": {"name": "x", "finalizers": ["a"]}}
    assert smp({"metadata": {"finalizers": ["b"]}}, obj, kind)["metadata"]["finalizers"] == ["b", "a"]


def test_replicaset_template_containers_merge_by_name():
    rs = deployment() | {"kind": "ReplicaSet"}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy:1.31"}]}}}}
    assert [c["image"] for c in containers(smp(patch, rs, "ReplicaSet"))] == ["web:v1", "envoy:1.31"]


def test_node_pod_cidrs_merge_as_a_set():
    node = {"kind": "Node", "metadata": {"name": "n"}, "spec": {"podCIDRs": ["10.0.0.0/24"]}}
    result = smp({"spec": {"podCIDRs": ["10.0.0.0/24", "fd00::/64"]}}, node, "Node")
    assert result["spec"]["podCIDRs"] == ["10.0.0.0/24", "fd00::/64"]


# ---- strategic merge patch errors ---------------------------------------------------------

@pytest.mark.parametrize(
    "patch, code, reason, message",
    [
        ([{"op": "replace"}], 400, "BadRequest",
         "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ("spec", 400, "BadRequest", "json: cannot unmarshal string into Go value of type map[string]interface {}"),
        (3, 400, "BadRequest", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
        ({"spec": {"strategy": {"$retainKeys": "type"}}}, 400, "BadRequest", "invalid patch format of retainKeys"),
        ({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}}, 400, "BadRequest",
         "invalid patch format of retainKeys"),
        ({"metadata": {"$setElementOrderfinalizers": ["a"]}}, 400, "BadRequest",
         "invalid patch format of setElementOrder list"),
        ({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}, 400, "BadRequest",
         "invalid patch format of primitive list"),
        ({"spec": {"template": {"spec": {"containers": [{"image": "web:v2"}]}}}}, 500, "",
         "map: map[image:web:v2] does not contain declared merge key: name"),
        ({"metadata": {"labels": {"$patch": "merge", "a": "b"}}}, 500, "",
         "unknown patch type: merge in map: map[$patch:merge a:b]"),
        ({"spec": {"template": {"spec": {"containers": [{"$patch": "merge"}]}}}}, 500, "",
         "merging lists cannot yet be specified in the patch"),
        ({"metadata": {"finalizers": ["a", 1]}}, 500, "",
         "list element types are not identical: [[example.com/audit] [a 1]]"),
        ({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "proxy"}],
                                         "containers": [{"name": "app"}]}}}}, 500, "",
         "The order in patch list:\n[map[name:app]]\n doesn't match $setElementOrder list:\n[map[name:proxy]]\n"),
    ],
)
def test_strategic_merge_patch_errors(patch, code, reason, message):
    with pytest.raises(PatchError) as caught:
        smp(patch)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (code, reason, message)


def test_lists_of_lists_are_rejected():
    obj = deployment()
    obj["metadata"]["finalizers"] = []
    with pytest.raises(PatchError) as caught:
        smp({"metadata": {"finalizers": [["a"]]}}, obj)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (422, "Invalid", REJECTED)


def test_strategic_merge_patch_refuses_kinds_without_a_schema():
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch({"kind": "Widget"}, {"spec": {}}, "Widget")
    assert (caught.value.code, caught.value.reason) == (415, "UnsupportedMediaType")
    assert caught.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")


# ---- JSON patch ----------------------------------------------------------------------

def test_json_patch_operations():
    ops = [{"op": "test", "path": "/spec/replicas", "value": 3},
           {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "log"}},
           {"op": "remove", "path": "/spec/template/spec/tolerations"},
           {"op": "copy", "from": "/metadata/labels", "path": "/spec/template/metadata/annotations"},
           {"op": "move", "from": "/metadata/finalizers", "path": "/metadata/oldFinalizers"}]
    result = apply_json_patch(deployment(), ops)
    assert [c["name"] for c in containers(result)] == ["app", "proxy", "log"]
    assert "tolerations" not in result["spec"]["template"]["spec"]
    assert result["spec"]["template"]["metadata"]["annotations"] == {"app": "web"}
    assert result["metadata"]["oldFinalizers"] == ["example.com/audit"]
    assert "finalizers" not in result["metadata"]


def test_json_patch_replace_of_a_missing_member_adds_it_like_upstream():
    obj = deployment()
    del obj["metadata"]["annotations"]
    ops = [{"op": "replace", "path": "/metadata/annotations", "value": {"deployment.kubernetes.io/revision": "1"}}]
    assert apply_json_patch(obj, ops)["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}


def test_json_patch_test_for_null_passes_on_a_missing_member_like_upstream():
    ops = [{"op": "test", "path": "/spec/paused", "value": None}, {"op": "add", "path": "/spec/paused", "value": True}]
    assert apply_json_patch(deployment(), ops)["spec"]["paused"] is True


def test_null_json_patch_changes_nothing():
    assert apply_json_patch(deployment(), None) == deployment()


@pytest.mark.parametrize(
    "ops, code, reason, message",
    [
        ([{"op": "test", "path": "/spec/replicas", "value": 5}], 422, "Invalid", REJECTED),
        ([{"op": "test", "path": "/spec/replicas", "value": True}], 422, "Invalid", REJECTED),
        ([{"op": "remove", "path": "/spec/missing"}], 422, "Invalid", REJECTED),
        ([{"op": "replace", "path": "/spec/missing/deeper", "value": 1}], 422, "Invalid", REJECTED),
        ([{"op": "add", "path": "/spec/template/spec/containers/7", "value": {}}], 422, "Invalid", REJECTED),
        ([{"op": "frobnicate", "path": "/spec"}], 422, "Invalid", REJECTED),
        ([{"path": "/spec"}], 422, "Invalid", REJECTED),
        ([None], 422, "Invalid", REJECTED),
        ({"op": "add", "path": "/spec/paused", "value": True}, 400, "BadRequest",
         "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        ("[]", 400, "BadRequest", "json: cannot unmarshal string into Go value of type jsonpatch.Patch"),
        ([1], 400, "BadRequest", "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
        ([{"op": "test", "path": "/spec/replicas", "value": 3}] * 10001, 413, "RequestEntityTooLarge",
         "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"),
        ([{"op": "replace", "path": "", "value": [1]}], 422, "Invalid",
         ' "" is invalid: patch: Invalid value: "[1]": couldn\'t get version/kind; json parse error: json: cannot '
         'unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
         'Kind string "json:\\"kind,omitempty\\"" }'),
    ],
)
def test_json_patch_errors(ops, code, reason, message):
    with pytest.raises(PatchError) as caught:
        apply_json_patch(deployment(), ops)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (code, reason, message)


# ---- merge patch ---------------------------------------------------------------------

def test_merge_patch_replaces_lists_and_prunes_nulls():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "solo", "image": None}]}}},
             "status": None, "metadata": {"ownerReferences": [{"uid": "u1", "controller": None}]}}
    result = apply_merge_patch(deployment(), patch)
    assert containers(result) == [{"name": "solo"}]
    assert "status" not in result
    assert result["metadata"]["ownerReferences"] == [{"uid": "u1"}]


@pytest.mark.parametrize("patch", [None, "x", 3, True])
def test_merge_patch_that_is_not_an_object(patch):
    with pytest.raises(PatchError) as caught:
        apply_merge_patch(deployment(), patch)
    assert (caught.value.code, caught.value.reason, caught.value.message) == (400, "BadRequest", "Invalid JSON Patch")


def test_merge_patch_with_an_array_cannot_be_decoded():
    with pytest.raises(PatchError) as caught:
        apply_merge_patch(deployment(), [{"a": None}])
    assert caught.value.code == 422
    assert caught.value.message.startswith(' "" is invalid: patch: Invalid value: "[{}]": couldn\'t get version/kind')


# ---- inputs are never mutated ---------------------------------------------------------

@pytest.mark.parametrize(
    "apply, patch",
    [
        (lambda obj, p: apply_strategic_merge_patch(obj, p, "Deployment"),
         {"metadata": {"labels": {"app": None}, "finalizers": ["b"]},
          "spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                   "template": {"spec": {"$setElementOrder/containers": [{"name": "proxy"}, {"name": "app"},
                                                                        {"name": "new"}],
                                         "containers": [{"name": "app", "env": [{"name": "MODE", "$patch": "delete"}]},
                                                        {"name": "new", "env": [{"name": "X", "value": "1"}]}]}}}}),
        (apply_merge_patch, {"metadata": {"labels": {"app": None, "x": {"y": None}}}, "spec": {"replicas": 1}}),
        (apply_json_patch, [{"op": "add", "path": "/metadata/labels/x", "value": {"nested": []}},
                            {"op": "add", "path": "/metadata/labels/x/nested/-", "value": 1},
                            {"op": "remove", "path": "/spec/template/spec/containers/0"}]),
    ],
)
def test_inputs_are_not_mutated(apply, patch):
    obj, sent = deployment(), copy.deepcopy(patch)
    result = apply(obj, sent)
    assert obj == deployment()
    assert sent == patch
    result["metadata"]["labels"]["mutated"] = "yes"  # the result shares nothing with either input
    assert obj == deployment() and sent == patch
