"""Server-side printing: columns and cells as a Kubernetes 1.35 apiserver serves them."""

from datetime import UTC, datetime

import pytest

from kube_sandbox.printers import human_duration, table

NOW = datetime(2026, 11, 26, 16, 0, 0, tzinfo=UTC).timestamp()


def ago(seconds: float) -> str:
    """The RFC3339 timestamp `seconds` before NOW."""
    return datetime.fromtimestamp(NOW - seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cells(group: str, resource: str, obj: dict) -> list:
    return table(group, resource, [obj], NOW)["rows"][0]["cells"]


def column_names(group: str, resource: str) -> list[tuple[str, int]]:
    return [(c["name"], c["priority"]) for c in table(group, resource, [], NOW)["columnDefinitions"]]


# --- durations ---------------------------------------------------------------

@pytest.mark.parametrize("seconds, expected", [
    (0, "0s"), (45, "45s"), (119.9, "119s"), (120, "2m"), (310, "5m10s"), (600, "10m"),
    (179 * 60 + 59, "179m"), (3 * 3600, "3h"), (3 * 3600 + 60, "3h1m"), (8 * 3600, "8h"),
    (47 * 3600, "47h"), (48 * 3600, "2d"), (2 * 86400 + 5 * 3600, "2d5h"), (8 * 86400, "8d"),
    (400 * 86400, "400d"), (730 * 86400, "2y"), ((3 * 365 + 100) * 86400, "3y100d"),
    (9 * 365 * 86400, "9y"), (-1.9, "0s"), (-2, "<invalid>"),
])
def test_human_duration_matches_apimachinery(seconds, expected):
    assert human_duration(seconds) == expected


# --- pods --------------------------------------------------------------------

def pod(phase="Running", statuses=None, init_containers=None, init_statuses=None, **extra) -> dict:
    obj = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-5d8f9-abcde", "namespace": "shop", "creationTimestamp": ago(310)},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}], "nodeName": "node-1"},
        "status": {"phase": phase, "containerStatuses": statuses or []},
    }
    if init_containers:
        obj["spec"]["initContainers"] = init_containers
    if init_statuses:
        obj["status"]["initContainerStatuses"] = init_statuses
    for key, value in extra.items():
        obj[key].update(value)
    return obj


RUNNING = {"name": "web", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": ago(300)}}}
CRASH_LOOPING = {
    "name": "web", "ready": False, "restartCount": 5,
    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container"}},
    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(30)}},
}


@pytest.mark.parametrize("obj, ready, status, restarts", [
    pytest.param(pod(statuses=[RUNNING]), "1/1", "Running", "0", id="running"),
    pytest.param(pod(statuses=[CRASH_LOOPING]), "0/1", "CrashLoopBackOff", "5 (30s ago)", id="crash-looping"),
    pytest.param(pod("Pending", [{"name": "web", "ready": False, "restartCount": 0,
                                  "state": {"waiting": {"reason": "ContainerCreating"}}}]),
                 "0/1", "ContainerCreating", "0", id="container-creating"),
    pytest.param(pod("Pending"), "0/1", "Pending", "0", id="unscheduled"),
    pytest.param(pod(statuses=[RUNNING], metadata={"deletionTimestamp": ago(5)}),
                 "1/1", "Terminating", "0", id="terminating"),
    pytest.param(pod("Succeeded", [{"name": "web", "restartCount": 0,
                                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                     metadata={"deletionTimestamp": ago(5)}),
                 "0/1", "Completed", "0", id="terminating-but-finished"),
    pytest.param(pod(statuses=[RUNNING], metadata={"deletionTimestamp": ago(5)}, status={"reason": "NodeLost"}),
                 "1/1", "Unknown", "0", id="node-lost"),
    pytest.param(pod("Succeeded", [{"name": "web", "restartCount": 0,
                                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]),
                 "0/1", "Completed", "0", id="completed"),
    pytest.param(pod("Failed", [{"name": "web", "restartCount": 2,
                                 "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]),
                 "0/1", "Error", "2", id="error-without-last-state"),
    pytest.param(pod("Failed", [{"name": "web", "restartCount": 0, "state": {"terminated": {"exitCode": 137}}}]),
                 "0/1", "ExitCode:137", "0", id="exit-code"),
    pytest.param(pod("Failed", [{"name": "web", "restartCount": 0,
                                 "state": {"terminated": {"exitCode": 0, "signal": 9}}}]),
                 "0/1", "Signal:9", "0", id="signal"),
    pytest.param(pod("Pending", init_containers=[{"name": "migrate", "image": "migrate:7"}],
                     init_statuses=[{"name": "migrate", "restartCount": 0,
                                     "state": {"running": {"startedAt": ago(10)}}}]),
                 "0/1", "Init:0/1", "0", id="initializing"),
    pytest.param(pod("Pending", init_containers=[{"name": "migrate", "image": "migrate:7"}],
                     init_statuses=[{"name": "migrate", "restartCount": 3,
                                     "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(90)}}}]),
                 "0/1", "Init:CrashLoopBackOff", "3 (90s ago)", id="init-crash-looping"),
    pytest.param(pod("Pending", init_containers=[{"name": "migrate", "image": "migrate:7"}],
                     init_statuses=[{"name": "migrate", "restartCount": 0,
                                     "state": {"terminated": {"exitCode": 2, "reason": "Error"}}}]),
                 "0/1", "Init:Error", "0", id="init-failed"),
    pytest.param(pod(statuses=[RUNNING],
                     init_containers=[{"name": "proxy", "image": "envoy:1.30", "restartPolicy": "Always"}],
                     init_statuses=[{"name": "proxy", "ready": True, "started": True, "restartCount": 1,
                                     "state": {"running": {}},
                                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(200)}}}]),
                 "2/2", "Running", "1 (3m20s ago)", id="sidecar"),
    pytest.param(pod("Running", [{"name": "web", "ready": True, "restartCount": 0, "state": {"running": {}}},
                                 {"name": "job", "restartCount": 0,
                                  "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                     spec={"containers": [{"name": "web", "image": "nginx:1.25"}, {"name": "job", "image": "job:1"}]}),
                 "1/2", "NotReady", "0", id="one-completed-one-running-not-ready"),
    pytest.param(pod("Pending", status={"conditions": [{"type": "PodScheduled", "status": "False",
                                                        "reason": "SchedulingGated"}]}),
                 "0/1", "SchedulingGated", "0", id="scheduling-gated"),
])
def test_pod_ready_status_and_restarts(obj, ready, status, restarts):
    assert cells("", "pods", obj)[1:4] == [ready, status, restarts]


def test_pod_row_name_age_and_wide_cells():
    obj = pod(statuses=[RUNNING])
    obj["status"].update(podIPs=[{"ip": "10.244.1.7"}], conditions=[{"type": "example.com/lb", "status": "True"}])
    obj["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]
    assert cells("", "pods", obj) == ["web-5d8f9-abcde", "1/1", "Running", "0", "5m10s",
                                      "10.244.1.7", "node-1", "<none>", "1/2"]


def test_unscheduled_pod_wide_cells_are_none_and_age_unknown_without_timestamp():
    obj = pod("Pending")
    del obj["spec"]["nodeName"], obj["metadata"]["creationTimestamp"]
    assert cells("", "pods", obj)[4:] == ["<unknown>", "<none>", "<none>", "<none>", "<none>"]


def test_finished_pods_carry_a_completed_row_condition_and_running_ones_none():
    done = pod("Succeeded", [{"name": "web", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}])
    rows = table("", "pods", [done, pod(statuses=[RUNNING])], NOW)["rows"]
    assert rows[0]["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                      "message": "The pod has completed successfully."}]
    assert "conditions" not in rows[1]
    assert rows[1]["object"]["metadata"]["name"] == "web-5d8f9-abcde"


def test_pod_columns():
    assert column_names("", "pods") == [
        ("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0),
        ("IP", 1), ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1)]


def test_column_definitions_have_the_metav1_shape():
    name = table("", "pods", [], NOW)["columnDefinitions"][0]
    assert list(name) == ["name", "type", "format", "description", "priority"]
    assert (name["type"], name["format"]) == ("string", "name")
    assert name["description"].startswith("Name must be unique within a namespace.")


# --- workloads ---------------------------------------------------------------

def deployment(**spec) -> dict:
    return {
        "metadata": {"name": "web", "creationTimestamp": ago(86400 * 3)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "tier": "frontend"}},
                 "template": {"metadata": {"labels": {"app": "web", "tier": "frontend"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.26"},
                                                      {"name": "log", "image": "fluent-bit:3"}]}},
                 **spec},
        # mid-rollout: one pod on the new template, two old ones still serving
        "status": {"replicas": 4, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2},
    }


def test_deployment_mid_rollout():
    assert cells("apps", "deployments", deployment()) == [
        "web", "2/3", 1, 2, "3d", "web,log", "nginx:1.26,fluent-bit:3", "app=web,tier=frontend"]


@pytest.mark.parametrize("selector, printed", [
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]},
                           {"key": "app", "operator": "Exists"}]}, "app,tier in (api,web)"),
    ({"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"},
                           {"key": "env", "operator": "NotIn", "values": ["dev"]}]}, "!canary,env notin (dev)"),
    ({}, ""),
    ({"matchExpressions": [{"key": "app", "operator": "Near"}]}, "<invalid>"),
])
def test_deployment_selector_cell(selector, printed):
    assert cells("apps", "deployments", deployment(selector=selector))[-1] == printed


def test_deployment_columns():
    assert column_names("apps", "deployments") == [
        ("Name", 0), ("Ready", 0), ("Up-to-date", 0), ("Available", 0), ("Age", 0),
        ("Containers", 1), ("Images", 1), ("Selector", 1)]


def replica_set(**spec) -> dict:
    return {"metadata": {"name": "web-5d8f9", "creationTimestamp": ago(600)},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d8f9"}},
                     "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}, **spec},
            "status": {"replicas": 3, "readyReplicas": 1}}


@pytest.mark.parametrize("obj, expected", [
    (replica_set(), ["web-5d8f9", 3, 3, 1, "10m", "web", "nginx:1.26", "app=web,pod-template-hash=5d8f9"]),
    (replica_set(replicas=0, selector={}), ["web-5d8f9", 0, 3, 1, "10m", "web", "nginx:1.26", "<none>"]),
])
def test_replica_set_cells(obj, expected):
    assert cells("apps", "replicasets", obj) == expected


def test_replica_set_columns():
    assert column_names("apps", "replicasets") == [
        ("Name", 0), ("Desired", 0), ("Current", 0), ("Ready", 0), ("Age", 0),
        ("Containers", 1), ("Images", 1), ("Selector", 1)]


# --- networking --------------------------------------------------------------

def service(spec: dict, status: dict | None = None) -> dict:
    return {"metadata": {"name": "web", "creationTimestamp": ago(7200)}, "spec": spec, "status": status or {}}


@pytest.mark.parametrize("obj, expected", [
    pytest.param(service({"type": "ClusterIP", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"],
                          "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}],
                          "selector": {"app": "web"}}),
                 ["web", "ClusterIP", "10.96.12.7", "<none>", "80/TCP,443/TCP", "120m", "app=web"], id="cluster-ip"),
    pytest.param(service({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
                          "ports": [{"port": 5432, "protocol": "TCP"}]}),
                 ["web", "ClusterIP", "None", "<none>", "5432/TCP", "120m", "<none>"], id="headless"),
    pytest.param(service({"type": "NodePort", "clusterIPs": ["10.96.0.9"], "externalIPs": ["203.0.113.4"],
                          "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}),
                 ["web", "NodePort", "10.96.0.9", "203.0.113.4", "80:30080/TCP", "120m", "<none>"], id="node-port"),
    pytest.param(service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.9"],
                          "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}),
                 ["web", "LoadBalancer", "10.96.0.9", "<pending>", "80:31000/TCP", "120m", "<none>"], id="lb-pending"),
    pytest.param(service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.9"], "externalIPs": ["198.51.100.1"]},
                         {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "a.elb.example.com"}]}}),
                 ["web", "LoadBalancer", "10.96.0.9", "203.0.113.9,a.elb.example.com,198.51.100.1", "<none>",
                  "120m", "<none>"], id="lb-ready"),
    pytest.param(service({"type": "ExternalName", "externalName": "db.example.com"}),
                 ["web", "ExternalName", "<none>", "db.example.com", "<none>", "120m", "<none>"], id="external-name"),
])
def test_service_cells(obj, expected):
    assert cells("", "services", obj) == expected


def test_service_columns():
    assert column_names("", "services") == [
        ("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0), ("Selector", 1)]


def endpoints(*subsets: dict) -> dict:
    return {"metadata": {"name": "web", "creationTimestamp": ago(60)}, "subsets": list(subsets)}


def addresses(*ips: str) -> list[dict]:
    return [{"ip": ip} for ip in ips]


@pytest.mark.parametrize("obj, printed", [
    (endpoints({"addresses": addresses("10.0.0.1", "10.0.0.2"), "ports": [{"port": 8080}]}),
     "10.0.0.1:8080,10.0.0.2:8080"),
    (endpoints({"addresses": addresses(*(f"10.0.0.{i}" for i in range(1, 6))), "ports": [{"port": 8080}]}),
     "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more..."),
    (endpoints({"addresses": addresses("10.0.0.1", "10.0.0.2"), "ports": [{"port": 80}, {"port": 443}]}),
     "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."),
    (endpoints({"addresses": addresses("10.0.0.1")}), "10.0.0.1"),
    (endpoints({"addresses": addresses("fd00::1"), "ports": [{"port": 80}]}), "[fd00::1]:80"),
    (endpoints({"notReadyAddresses": addresses("10.0.0.1"), "ports": [{"port": 80}]}), ""),
    (endpoints(), "<none>"),
])
def test_endpoints_cell(obj, printed):
    assert cells("", "endpoints", obj) == ["web", printed, "60s"]


def test_endpoint_slice_cells():
    obj = {"metadata": {"name": "web-x7k2p", "creationTimestamp": ago(60)}, "addressType": "IPv4",
           "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "metrics"}],
           "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]}
    assert cells("discovery.k8s.io", "endpointslices", obj) == [
        "web-x7k2p", "IPv4", "8080,metrics", "10.0.0.1,10.0.0.2", "60s"]
    empty = {"metadata": {"name": "web-x7k2p"}, "addressType": "IPv4"}
    assert cells("discovery.k8s.io", "endpointslices", empty) == ["web-x7k2p", "IPv4", "<unset>", "<unset>",
                                                                  "<unknown>"]


# --- cluster and config ------------------------------------------------------

@pytest.mark.parametrize("group, resource, obj, expected", [
    ("", "namespaces", {"metadata": {"name": "shop", "creationTimestamp": ago(90000)},
                        "status": {"phase": "Terminating"}}, ["shop", "Terminating", "25h"]),
    ("", "secrets", {"metadata": {"name": "db", "creationTimestamp": ago(5)}, "type": "Opaque",
                     "data": {"user": "YWRtaW4=", "password": "czNjcjN0"}}, ["db", "Opaque", 2, "5s"]),
    ("", "secrets", {"metadata": {"name": "sh.helm.release.v1.shop.v3", "creationTimestamp": ago(5)},
                     "type": "helm.sh/release.v1", "data": {"release": "H4sI"}},
     ["sh.helm.release.v1.shop.v3", "helm.sh/release.v1", 1, "5s"]),
    ("", "configmaps", {"metadata": {"name": "web-config", "creationTimestamp": ago(5)},
                        "data": {"nginx.conf": "..."}, "binaryData": {"logo.png": "iVBO"}}, ["web-config", 2, "5s"]),
    ("policy", "poddisruptionbudgets", {"metadata": {"name": "web", "creationTimestamp": ago(5)},
                                        "spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 1}},
     ["web", "2", "N/A", 1, "5s"]),
    ("policy", "poddisruptionbudgets", {"metadata": {"name": "web"}, "spec": {"maxUnavailable": "25%"}},
     ["web", "N/A", "25%", 0, "<unknown>"]),
])
def test_simple_resource_cells(group, resource, obj, expected):
    assert cells(group, resource, obj) == expected


def node(labels: dict, conditions: list, unschedulable=False) -> dict:
    return {"metadata": {"name": "node-1", "labels": labels, "creationTimestamp": ago(86400 * 400)},
            "spec": {"unschedulable": unschedulable},
            "status": {"conditions": conditions, "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
                       "nodeInfo": {"kubeletVersion": "v1.35.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                    "containerRuntimeVersion": "containerd://2.1.1"}}}


@pytest.mark.parametrize("obj, status, roles", [
    (node({"node-role.kubernetes.io/control-plane": ""}, [{"type": "Ready", "status": "True"}]),
     "Ready", "control-plane"),
    (node({"kubernetes.io/role": "worker", "node-role.kubernetes.io/": ""}, [{"type": "Ready", "status": "False"}],
          unschedulable=True), "NotReady,SchedulingDisabled", "worker"),
    (node({}, []), "Unknown", "<none>"),
])
def test_node_cells(obj, status, roles):
    assert cells("", "nodes", obj) == ["node-1", status, roles, "400d", "v1.35.0", "172.18.0.2", "<none>",
                                       "Debian GNU/Linux 12 (bookworm)", "<unknown>", "containerd://2.1.1"]


# --- events ------------------------------------------------------------------

CORE_EVENT = {
    "metadata": {"name": "web.1879f2c3a1b2", "namespace": "shop"},
    "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "shop"},
    "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-5d8f9 from 0 to 3\n", "type": "Normal",
    "source": {"component": "deployment-controller"},
    "firstTimestamp": ago(600), "lastTimestamp": ago(30), "count": 4,
}


@pytest.mark.parametrize("event, expected", [
    pytest.param(CORE_EVENT, ["30s", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller",
                              "Scaled up replica set web-5d8f9 from 0 to 3", "10m", 4, "web.1879f2c3a1b2"],
                 id="core"),
    pytest.param({**CORE_EVENT, "involvedObject": {"kind": "Pod", "name": "web-5d8f9-abcde",
                                                   "fieldPath": "spec.containers{web}"},
                  "source": {"component": "kubelet", "host": "node-1"}, "reason": "BackOff", "type": "Warning",
                  "message": "Back-off restarting failed container web", "count": 0, "lastTimestamp": None},
                 ["10m", "Warning", "BackOff", "pod/web-5d8f9-abcde", "spec.containers{web}", "kubelet, node-1",
                  "Back-off restarting failed container web", "10m", 1, "web.1879f2c3a1b2"], id="singleton-kubelet"),
    pytest.param({**CORE_EVENT, "firstTimestamp": None, "lastTimestamp": None, "eventTime": ago(45),
                  "series": {"count": 7, "lastObservedTime": ago(15)}, "source": {},
                  "reportingComponent": "deployment-controller", "reportingInstance": "cp-1"},
                 ["15s", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller, cp-1",
                  "Scaled up replica set web-5d8f9 from 0 to 3", "45s", 7, "web.1879f2c3a1b2"], id="series"),
])
def test_core_event_cells(event, expected):
    assert cells("", "events", event) == expected


def test_events_k8s_io_event_prints_like_its_core_twin():
    event = {"metadata": {"name": "web.1879f2c3a1b2"}, "eventTime": "2026-11-26T15:59:20.000000Z",
             "reportingController": "deployment-controller", "reportingInstance": "cp-1", "action": "Scale",
             "reason": "ScalingReplicaSet", "regarding": {"kind": "Deployment", "name": "web"},
             "note": "Scaled down replica set web-7c9d4 from 1 to 0", "type": "Normal"}
    assert cells("events.k8s.io", "events", event) == [
        "40s", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller, cp-1",
        "Scaled down replica set web-7c9d4 from 1 to 0", "40s", 1, "web.1879f2c3a1b2"]


@pytest.mark.parametrize("group", ["", "events.k8s.io"])
def test_event_columns(group):
    assert column_names(group, "events") == [
        ("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Subobject", 1), ("Source", 1),
        ("Message", 0), ("First Seen", 1), ("Count", 1), ("Name", 1)]


# --- anything else -----------------------------------------------------------

def test_unknown_resource_gets_the_default_table():
    result = table("rbac.authorization.k8s.io", "roles", [
        {"metadata": {"name": "reader", "creationTimestamp": "2026-11-20T08:30:00Z"}},
        {"metadata": {"name": "new"}}], NOW)
    assert [(c["name"], c["type"]) for c in result["columnDefinitions"]] == [("Name", "string"),
                                                                             ("Created At", "date")]
    assert [r["cells"] for r in result["rows"]] == [["reader", "2026-11-20T08:30:00Z"],
                                                    ["new", "0001-01-01T00:00:00Z"]]


def test_an_empty_list_still_has_columns_and_no_rows():
    result = table("apps", "deployments", [], NOW)
    assert result["rows"] == [] and len(result["columnDefinitions"]) == 8
