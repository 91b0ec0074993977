"""API defaulting: objects come out as a Kubernetes 1.35 apiserver stores them."""

import copy
import json

import pytest

from kube_sandbox.defaults import apply_defaults


def defaulted(group: str, kind: str, obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    apply_defaults(group, kind, obj)
    return obj


def web_deployment(**spec) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
                                                       "ports": [{"containerPort": 80}]}]}},
                 **spec},
    }


# What `kubectl get deploy web -o json` shows for the manifest above on a real cluster.
STORED_WEB_SPEC = {
    "replicas": 1,
    "selector": {"matchLabels": {"app": "web"}},
    "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
            "containers": [{
                "name": "web", "image": "nginx:1.25",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        },
    },
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
    "revisionHistoryLimit": 10,
    "progressDeadlineSeconds": 600,
}


def test_deployment_is_stored_like_a_real_cluster_including_key_order():
    spec = defaulted("apps", "Deployment", web_deployment())["spec"]
    # json.dumps keeps insertion order, so this also checks Go field order
    assert json.dumps(spec) == json.dumps(STORED_WEB_SPEC)


def test_recreate_deployment_gets_no_rolling_update():
    spec = defaulted("apps", "Deployment", web_deployment(strategy={"type": "Recreate"}))["spec"]
    assert spec["strategy"] == {"type": "Recreate"}


def test_partial_rolling_update_is_completed_in_field_order():
    spec = defaulted("apps", "Deployment", web_deployment(strategy={"rollingUpdate": {"maxSurge": 1}}))["spec"]
    assert list(spec["strategy"].items()) == [("type", "RollingUpdate"),
                                             ("rollingUpdate", {"maxUnavailable": "25%", "maxSurge": 1})]
    assert list(spec["strategy"]["rollingUpdate"]) == ["maxUnavailable", "maxSurge"]


@pytest.mark.parametrize("field, value", [
    ("replicas", 0), ("revisionHistoryLimit", 0), ("progressDeadlineSeconds", 120),
])
def test_explicit_deployment_values_including_zero_are_kept(field, value):
    assert defaulted("apps", "Deployment", web_deployment(**{field: value}))["spec"][field] == value


def test_defaulting_twice_changes_nothing():
    once = defaulted("apps", "Deployment", web_deployment())
    assert defaulted("apps", "Deployment", once) == once


def test_replica_set_gets_replicas_and_template_defaults():
    rs = {"metadata": {"name": "web-5d8f9"},
          "spec": {"selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                       {"name": "web", "image": "nginx:1.25"}]}}}}
    spec = defaulted("apps", "ReplicaSet", rs)["spec"]
    assert list(spec) == ["replicas", "selector", "template"] and spec["replicas"] == 1
    assert spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    # Pod-only defaults stay off templates, so templates keep comparing equal
    assert "enableServiceLinks" not in spec["template"]["spec"]
    assert "priority" not in spec["template"]["spec"]


def container_after_defaults(container: dict) -> dict:
    deployment = web_deployment()
    deployment["spec"]["template"]["spec"]["containers"] = [{"name": "web", "image": "nginx:1.25", **container}]
    return defaulted("apps", "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("image, policy", [
    ("nginx", "Always"),
    ("nginx:latest", "Always"),
    ("nginx:1.25", "IfNotPresent"),
    ("localhost:5000/shop/web", "Always"),
    ("registry.example.com:5000/shop/web:v2", "IfNotPresent"),
    ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ("nginx:latest@sha256:" + "a" * 64, "Always"),
])
def test_image_pull_policy_follows_the_tag(image, policy):
    assert container_after_defaults({"image": image})["imagePullPolicy"] == policy


def test_explicit_pull_policy_is_kept():
    assert container_after_defaults({"image": "nginx", "imagePullPolicy": "Never"})["imagePullPolicy"] == "Never"


@pytest.mark.parametrize("probe, expected", [
    ({"httpGet": {"port": 8080}},
     {"httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10,
      "successThreshold": 1, "failureThreshold": 3}),
    ({"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 5, "initialDelaySeconds": 3},
     {"exec": {"command": ["cat", "/tmp/ready"]}, "initialDelaySeconds": 3, "timeoutSeconds": 1,
      "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3}),
    ({"grpc": {"port": 9090}, "failureThreshold": 6},
     {"grpc": {"port": 9090, "service": ""}, "timeoutSeconds": 1, "periodSeconds": 10,
      "successThreshold": 1, "failureThreshold": 6}),
])
def test_probe_defaults(probe, expected):
    got = container_after_defaults({"readinessProbe": probe})["readinessProbe"]
    assert json.dumps(got) == json.dumps(expected)


def test_container_env_lifecycle_and_volumes():
    deployment = web_deployment()
    pod_spec = deployment["spec"]["template"]["spec"]
    pod_spec["containers"][0].update(
        env=[{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        lifecycle={"preStop": {"httpGet": {"port": 80, "path": "/drain"}}})
    pod_spec["volumes"] = [{"name": "scratch"}, {"name": "conf", "configMap": {"name": "web", "optional": True}},
                           {"name": "tls", "secret": {"secretName": "web-tls"}}]
    pod_spec = defaulted("apps", "Deployment", deployment)["spec"]["template"]["spec"]
    container = pod_spec["containers"][0]
    assert container["env"][0]["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "status.podIP"}
    assert container["lifecycle"]["preStop"]["httpGet"] == {"path": "/drain", "port": 80, "scheme": "HTTP"}
    assert json.dumps(pod_spec["volumes"]) == json.dumps([
        {"name": "scratch", "emptyDir": {}},
        {"name": "conf", "configMap": {"name": "web", "defaultMode": 420, "optional": True}},
        {"name": "tls", "secret": {"secretName": "web-tls", "defaultMode": 420}}])
    assert next(iter(pod_spec)) == "volumes"


def test_pod_gets_pod_only_defaults_and_what_admission_adds():
    pod = {"metadata": {"name": "debug"},
           "spec": {"containers": [{"name": "sh", "image": "busybox:1.36",
                                    "resources": {"limits": {"cpu": "500m", "memory": "64Mi"},
                                                  "requests": {"cpu": "100m"}}}]}}
    spec = defaulted("", "Pod", pod)["spec"]
    assert spec["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    assert (spec["enableServiceLinks"], spec["priority"], spec["preemptionPolicy"]) == (True, 0, "PreemptLowerPriority")
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("default", "default")
    assert spec["tolerations"] == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}]
    assert list(spec) == ["containers", "restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy",
                          "serviceAccountName", "serviceAccount", "securityContext", "schedulerName",
                          "tolerations", "priority", "enableServiceLinks", "preemptionPolicy"]


def test_pod_keeps_its_own_tolerations_service_account_and_priority_class():
    pod = {"metadata": {"name": "web"},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}], "serviceAccountName": "web",
                    "priorityClassName": "high", "enableServiceLinks": False,
                    "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                     "effect": "NoExecute", "tolerationSeconds": 30}]}}
    spec = defaulted("", "Pod", pod)["spec"]
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("web", "web")
    assert "priority" not in spec and spec["enableServiceLinks"] is False
    assert [(t["key"], t["tolerationSeconds"]) for t in spec["tolerations"]] == [
        ("node.kubernetes.io/not-ready", 30), ("node.kubernetes.io/unreachable", 300)]


def test_host_network_pod_exposes_container_ports_on_the_host():
    pod = {"metadata": {"name": "agent"},
           "spec": {"hostNetwork": True, "containers": [{"name": "agent", "image": "agent:2",
                                                         "ports": [{"containerPort": 9100}]}]}}
    port = defaulted("", "Pod", pod)["spec"]["containers"][0]["ports"][0]
    assert list(port.items()) == [("hostPort", 9100), ("containerPort", 9100), ("protocol", "TCP")]


def service(**spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


@pytest.mark.parametrize("spec, expected", [
    pytest.param({"selector": {"app": "web"}, "ports": [{"port": 80}]},
                 {"ports": [{"protocol": "TCP", "port": 80, "targetPort": 80}], "selector": {"app": "web"},
                  "type": "ClusterIP", "sessionAffinity": "None", "ipFamilies": ["IPv4"],
                  "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"}, id="cluster-ip"),
    pytest.param({"selector": {"app": "web"}, "clusterIP": "10.96.4.4", "ports": [{"port": 80, "targetPort": "http"}]},
                 {"ports": [{"protocol": "TCP", "port": 80, "targetPort": "http"}], "selector": {"app": "web"},
                  "clusterIP": "10.96.4.4", "clusterIPs": ["10.96.4.4"], "type": "ClusterIP",
                  "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                  "internalTrafficPolicy": "Cluster"}, id="allocated-named-target"),
    pytest.param({"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 443, "protocol": "TCP"}]},
                 {"ports": [{"protocol": "TCP", "port": 443, "targetPort": 443}], "selector": {"app": "web"},
                  "type": "LoadBalancer", "sessionAffinity": "None", "externalTrafficPolicy": "Cluster",
                  "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "allocateLoadBalancerNodePorts": True,
                  "internalTrafficPolicy": "Cluster"}, id="load-balancer"),
    pytest.param({"clusterIP": "None", "ports": [{"port": 5432}]},
                 {"ports": [{"protocol": "TCP", "port": 5432, "targetPort": 5432}], "clusterIP": "None",
                  "clusterIPs": ["None"], "type": "ClusterIP", "sessionAffinity": "None", "ipFamilies": ["IPv4"],
                  "ipFamilyPolicy": "RequireDualStack", "internalTrafficPolicy": "Cluster"},
                 id="headless-without-selector"),
    pytest.param({"type": "ExternalName", "externalName": "db.example.com"},
                 {"type": "ExternalName", "sessionAffinity": "None", "externalName": "db.example.com"},
                 id="external-name"),
    pytest.param({"sessionAffinity": "ClientIP", "ports": [{"port": 80}]},
                 {"ports": [{"protocol": "TCP", "port": 80, "targetPort": 80}], "type": "ClusterIP",
                  "sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                  "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"},
                 id="client-ip-affinity"),
])
def test_service_defaults(spec, expected):
    assert json.dumps(defaulted("", "Service", service(**spec))["spec"]) == json.dumps(expected)


def test_secret_defaults_type_and_folds_string_data_into_data():
    secret = {"metadata": {"name": "db"}, "data": {"user": "YWRtaW4="}, "stringData": {"password": "s3cr3t"}}
    assert defaulted("", "Secret", secret) == {"metadata": {"name": "db"},
                                               "data": {"user": "YWRtaW4=", "password": "czNjcjN0"},
                                               "type": "Opaque"}
    tls = {"metadata": {"name": "web-tls"}, "type": "kubernetes.io/tls", "data": {}}
    assert defaulted("", "Secret", tls)["type"] == "kubernetes.io/tls"


def test_new_namespace_gets_finalizer_phase_and_name_label():
    namespace = defaulted("", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    assert namespace == {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop"}},
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def test_terminating_namespace_does_not_get_its_finalizer_back():
    namespace = {"metadata": {"name": "shop", "deletionTimestamp": "2026-11-26T16:00:00Z"},
                 "spec": {}, "status": {"phase": "Terminating"}}
    assert defaulted("", "Namespace", namespace)["spec"] == {}
    assert defaulted("", "Namespace", namespace)["status"] == {"phase": "Terminating"}


def test_endpoint_ports_default_to_tcp():
    endpoints = {"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 8080}]}]}
    assert defaulted("", "Endpoints", endpoints)["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
    endpoint_slice = {"addressType": "IPv4", "ports": [{"port": 8080}]}
    port = defaulted("discovery.k8s.io", "EndpointSlice", endpoint_slice)["ports"][0]
    assert list(port.items()) == [("name", ""), ("protocol", "TCP"), ("port", 8080)]


def test_node_allocatable_defaults_to_capacity():
    node = {"metadata": {"name": "node-1"}, "status": {"capacity": {"cpu": "4", "pods": "110"}}}
    assert defaulted("", "Node", node)["status"]["allocatable"] == {"cpu": "4", "pods": "110"}


@pytest.mark.parametrize("group, kind, obj", [
    ("policy", "PodDisruptionBudget", {"metadata": {"name": "web"}, "spec": {"minAvailable": 1}}),
    ("", "ConfigMap", {"metadata": {"name": "web"}, "data": {"a": "b"}}),
    ("", "Event", {"metadata": {"name": "web.1"}, "reason": "Started"}),
])
def test_kinds_without_upstream_defaulters_are_left_alone(group, kind, obj):
    assert defaulted(group, kind, obj) == obj
