"""Validation: the errors, wording and 422 Status a Kubernetes 1.35 apiserver returns."""

import copy

import pytest

from kube_sandbox.defaults import apply_defaults
from kube_sandbox.validation import FieldError, invalid_status, validate

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 r"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
               "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
               "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
NAME_PART_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
                 "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                 "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                   "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
PERCENT_MSG = ("a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
               "regex used for validation is '[0-9]+%')")
CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                  "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")


def messages(group: str, kind: str, obj: dict, old: dict | None = None) -> list[str]:
    return [e.message() for e in validate(group, kind, obj, old)]


def deployment(**spec) -> dict:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}}
    obj["spec"].update(spec)
    return obj


def with_containers(obj: dict, *containers: dict) -> dict:
    obj["spec"]["template"]["spec"]["containers"] = list(containers)
    return obj


# --- valid objects -----------------------------------------------------------

@pytest.mark.parametrize("group, kind, obj", [
    ("apps", "Deployment", deployment()),
    ("apps", "Deployment", deployment(strategy={"type": "Recreate"}, minReadySeconds=10,
                                      progressDeadlineSeconds=60)),
    ("apps", "ReplicaSet", deployment()),
    ("", "Service", {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    ("", "Service", {"metadata": {"name": "db"}, "spec": {"clusterIP": "None", "selector": {"app": "db"}}}),
    ("", "Pod", {"metadata": {"name": "debug"}, "spec": {"containers": [{"name": "sh", "image": "busybox"}]}}),
    ("", "Namespace", {"metadata": {"name": "shop", "labels": {"team": "payments"}}}),
    ("", "Secret", {"metadata": {"name": "db"}, "data": {"PASSWORD": "czNjcjN0", ".env": ""}}),
    ("policy", "PodDisruptionBudget", {"metadata": {"name": "web"},
                                       "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}}),
])
def test_valid_objects_pass_before_and_after_defaulting(group, kind, obj):
    assert validate(group, kind, obj) == []
    obj = copy.deepcopy(obj)
    apply_defaults(group, kind, obj)
    assert validate(group, kind, obj) == []


# --- names, labels, annotations ---------------------------------------------

@pytest.mark.parametrize("group, kind, metadata, expected", [
    ("apps", "Deployment", {"name": "Bad_Name"}, [f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}']),
    ("apps", "Deployment", {}, ["metadata.name: Required value: name or generateName is required"]),
    ("apps", "Deployment", {"generateName": "web-"}, []),
    ("apps", "Deployment", {"generateName": "Web-"},
     [f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_MSG}']),
    ("apps", "Deployment", {"name": "a" * 254},
     [f'metadata.name: Invalid value: "{"a" * 254}": must be no more than 253 characters']),
    ("", "Namespace", {"name": "team.shop"}, ['metadata.name: Invalid value: "team.shop": must not contain dots']),
    ("", "Namespace", {"name": "Shop"}, [f'metadata.name: Invalid value: "Shop": {LABEL_MSG}']),
    ("", "Service", {"name": "1web"}, [f'metadata.name: Invalid value: "1web": {DNS1035_MSG}']),
    ("", "ConfigMap", {"name": "web.config"}, []),
])
def test_object_names(group, kind, metadata, expected):
    obj = {"metadata": metadata, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    if kind == "Deployment":
        obj = deployment()
        obj["metadata"] = metadata
    assert messages(group, kind, obj) == expected


def test_names_are_not_revalidated_on_update():
    old = deployment()
    new = deployment()
    new["metadata"]["name"] = "Bad_Name"
    assert messages("apps", "Deployment", new, old) == []


@pytest.mark.parametrize("labels, expected", [
    ({"-app": "web"}, [f'metadata.labels: Invalid value: "-app": {NAME_PART_MSG}']),
    ({"app": "web server"}, [f'metadata.labels: Invalid value: "web server": {LABEL_VALUE_MSG}']),
    ({"Example.com/app": "web"}, [f'metadata.labels: Invalid value: "Example.com/app": prefix part {SUBDOMAIN_MSG}']),
    ({"/app": "web"}, ['metadata.labels: Invalid value: "/app": prefix part must be non-empty']),
    ({"a/b/c": "web"}, ['metadata.labels: Invalid value: "a/b/c": a valid label key must consist of alphanumeric '
                        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                        "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
                        "(e.g. 'example.com/MyName')"]),
    ({"app": "x" * 64}, [f'metadata.labels: Invalid value: "{"x" * 64}": must be no more than 63 characters']),
    ({"app.kubernetes.io/name": "", "tier": "Front_End.1"}, []),
])
def test_labels(labels, expected):
    obj = {"metadata": {"name": "web", "labels": labels}}
    assert messages("", "ConfigMap", obj) == expected


def test_annotation_keys_ignore_case_but_not_format():
    annotations = {"Example.COM/Owner": "team", "bad key": "x"}
    assert messages("", "ConfigMap", {"metadata": {"name": "web", "annotations": annotations}}) == [
        'metadata.annotations: Invalid value: "bad key": name part must consist of alphanumeric characters, '
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
        "or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]


def test_oversized_last_applied_annotation_is_too_long():
    annotations = {"kubectl.kubernetes.io/last-applied-configuration": "x" * 262_144}
    assert messages("", "ConfigMap", {"metadata": {"name": "web", "annotations": annotations}}) == [
        "metadata.annotations: Too long: may not be more than 262144 bytes"]


# --- deployments and replica sets --------------------------------------------

@pytest.mark.parametrize("obj, expected", [
    pytest.param(deployment(selector=None),
                 ["spec.selector: Required value",
                  'spec.template.metadata.labels: Invalid value: {"app":"web"}: '
                  "`selector` does not match template `labels`"], id="no-selector"),
    pytest.param(deployment(selector={}),
                 ["spec.selector: Invalid value: {}: empty selector is invalid for deployment"], id="empty-selector"),
    pytest.param(deployment(selector={"matchLabels": {"app": "api"}}),
                 ['spec.template.metadata.labels: Invalid value: {"app":"web"}: '
                  "`selector` does not match template `labels`"], id="selector-mismatch"),
    pytest.param(deployment(selector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]},
                                                           {"key": "canary", "operator": "DoesNotExist"}]}),
                 [], id="expression-selector-matches"),
    pytest.param(deployment(selector={"matchExpressions": [{"key": "app", "operator": "Near", "values": ["web"]}]}),
                 ['spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
                  'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Near",'
                  '"values":["web"]}]}: invalid label selector'], id="bad-operator"),
    pytest.param(deployment(replicas=-1),
                 ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"], id="negative-replicas"),
    pytest.param(deployment(minReadySeconds=30, progressDeadlineSeconds=30),
                 ["spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"],
                 id="deadline-not-after-min-ready"),
    pytest.param(deployment(revisionHistoryLimit=-1),
                 ["spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
                 id="negative-history"),
])
def test_deployment_spec(obj, expected):
    assert messages("apps", "Deployment", obj) == expected


@pytest.mark.parametrize("strategy, expected", [
    pytest.param({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}},
                 ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
                 id="recreate-with-rolling-update"),
    pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
                 ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"],
                 id="both-zero"),
    pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "0%"}},
                 ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": '
                  "may not be 0 when `maxSurge` is 0"], id="both-zero-percent"),
    pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "30", "maxUnavailable": "150%"}},
                 [f'spec.strategy.rollingUpdate.maxSurge: Invalid value: "30": {PERCENT_MSG}',
                  'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%'],
                 id="bad-percentages"),
    pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": -1}},
                 ["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"],
                 id="negative-surge"),
    pytest.param({"type": "Rolling"},
                 ['spec.strategy: Unsupported value: {"Type":"Rolling","RollingUpdate":null}: '
                  'supported values: "Recreate", "RollingUpdate"'], id="unknown-type"),
])
def test_deployment_strategy(strategy, expected):
    assert messages("apps", "Deployment", deployment(strategy=strategy)) == expected


@pytest.mark.parametrize("containers, expected", [
    pytest.param([], ["spec.template.spec.containers: Required value"], id="no-containers"),
    pytest.param([{"name": "web"}], ["spec.template.spec.containers[0].image: Required value"], id="no-image"),
    pytest.param([{"image": "nginx"}], ["spec.template.spec.containers[0].name: Required value"], id="no-name"),
    pytest.param([{"name": "Web", "image": "nginx"}],
                 [f'spec.template.spec.containers[0].name: Invalid value: "Web": {LABEL_MSG}'], id="bad-name"),
    pytest.param([{"name": "web", "image": "nginx"}, {"name": "web", "image": "envoy"}],
                 ['spec.template.spec.containers[1].name: Duplicate value: "web"'], id="duplicate-names"),
    pytest.param([{"name": "web", "image": "nginx", "imagePullPolicy": "Sometimes"}],
                 ['spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": '
                  'supported values: "Always", "IfNotPresent", "Never"'], id="bad-pull-policy"),
    pytest.param([{"name": "web", "image": "nginx", "ports": [{"containerPort": 70000, "protocol": "HTTP"},
                                                             {"name": "http_port", "containerPort": 80}]}],
                 ["spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
                  "must be between 1 and 65535, inclusive",
                  'spec.template.spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": '
                  'supported values: "SCTP", "TCP", "UDP"',
                  'spec.template.spec.containers[0].ports[1].name: Invalid value: "http_port": '
                  "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"], id="bad-ports"),
    pytest.param([{"name": "web", "image": "nginx", "livenessProbe": {"periodSeconds": 5},
                   "readinessProbe": {"httpGet": {"port": "web-http-port-too-long"}, "successThreshold": 2},
                   "startupProbe": {"tcpSocket": {"port": 8080}, "successThreshold": 3}}],
                 ["spec.template.spec.containers[0].livenessProbe: Required value: must specify a handler type",
                  'spec.template.spec.containers[0].readinessProbe.httpGet.port: Invalid value: '
                  '"web-http-port-too-long": must be no more than 15 characters',
                  "spec.template.spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"],
                 id="probes"),
])
def test_template_containers(containers, expected):
    assert messages("apps", "Deployment", with_containers(deployment(), *containers)) == expected


def test_template_restart_policy_must_be_always():
    obj = deployment()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert messages("apps", "Deployment", obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']


def test_template_labels_are_validated_at_upstreams_path():
    obj = deployment(selector={"matchLabels": {"app": "web"}})
    obj["spec"]["template"]["metadata"]["labels"]["version"] = "1.0 beta"
    assert messages("apps", "Deployment", obj) == [
        f'spec.template.labels: Invalid value: "1.0 beta": {LABEL_VALUE_MSG}']


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet"])
def test_selector_is_immutable_on_update(kind):
    old = deployment()
    new = deployment(selector={"matchLabels": {"app": "web", "track": "stable"}})
    new["spec"]["template"]["metadata"]["labels"]["track"] = "stable"
    assert messages("apps", kind, new, old) == [
        'spec.selector: Invalid value: {"matchLabels":{"app":"web","track":"stable"}}: field is immutable']


def test_unchanged_selector_may_be_spelled_differently_on_update():
    old = deployment(selector={"matchLabels": {"app": "web"}, "matchExpressions": []})
    assert messages("apps", "Deployment", deployment(), old) == []


def test_replica_set_reports_the_upstream_deployment_wording_for_empty_selectors():
    assert messages("apps", "ReplicaSet", deployment(selector={}, replicas=-2)) == [
        "spec.replicas: Invalid value: -2: must be greater than or equal to 0",
        "spec.selector: Invalid value: {}: empty selector is invalid for deployment"]


# --- pods --------------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ({"containers": []}, ["spec.containers: Required value"]),
    ({"containers": [{"name": "web", "image": " nginx:1.25"}]},
     ['spec.containers[0].image: Invalid value: " nginx:1.25": must not have leading or trailing whitespace']),
    ({"containers": [{"name": "web", "image": "nginx"}], "restartPolicy": "Sometimes"},
     ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']),
    ({"initContainers": [{"name": "web", "image": "migrate"}], "containers": [{"name": "web", "image": "nginx"}]},
     ['spec.initContainers[0].name: Duplicate value: "web"']),
    ({"containers": [{"name": "web", "image": "nginx"}], "serviceAccountName": "Web"},
     [f'spec.serviceAccountName: Invalid value: "Web": {SUBDOMAIN_MSG}']),
])
def test_pod_spec(spec, expected):
    assert messages("", "Pod", {"metadata": {"name": "web"}, "spec": spec}) == expected


# --- services ----------------------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ({"selector": {"app": "web"}}, ["spec.ports: Required value"]),
    ({"type": "ExternalName", "externalName": "db.example.com"}, []),
    # the defaulted targetPort copies the bad port, so upstream reports both
    ({"ports": [{"port": 0}]}, ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                                "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"]),
    ({"ports": [{"name": "http", "port": 80}, {"port": 443}]}, ["spec.ports[1].name: Required value"]),
    ({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 8080}]},
     ['spec.ports[1].name: Duplicate value: "http"']),
    ({"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80, "protocol": "TCP"}]},
     ['spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,'
      '"TargetPort":0,"NodePort":0}']),
    ({"ports": [{"port": 80, "targetPort": 0x10000}]},
     ["spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive"]),
    ({"ports": [{"port": 80, "nodePort": 30080}]},
     ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]),
    ({"type": "Internal", "ports": [{"port": 80}]},
     ['spec.type: Unsupported value: "Internal": supported values: '
      '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']),
])
def test_service_spec(spec, expected):
    assert messages("", "Service", {"metadata": {"name": "web"}, "spec": spec}) == expected


# --- config ------------------------------------------------------------------

@pytest.mark.parametrize("kind, obj, expected", [
    ("ConfigMap", {"data": {"nginx conf": "x", "ok.key": "y"}},
     [f'data[nginx conf]: Invalid value: "nginx conf": {CONFIG_KEY_MSG}']),
    ("ConfigMap", {"data": {"..data": "x"}}, ['data[..data]: Invalid value: "..data": must not start with \'..\'']),
    ("ConfigMap", {"data": {"logo": "x"}, "binaryData": {"logo": "eA=="}},
     ['data[logo]: Invalid value: "logo": duplicate of key present in binaryData']),
    ("ConfigMap", {"data": {"big": "x" * (1024 * 1024 + 1)}}, [": Too long: may not be more than 1048576 bytes"]),
    ("Secret", {"stringData": {"db password": "s3cr3t"}},
     [f'data[db password]: Invalid value: "db password": {CONFIG_KEY_MSG}']),
    ("Secret", {"type": "kubernetes.io/tls", "data": {"tls.crt": "LS0t"}}, ["data[tls.key]: Required value"]),
    ("Secret", {"type": "kubernetes.io/dockerconfigjson"}, ["data[.dockerconfigjson]: Required value"]),
    ("Secret", {"data": {"release": "QUFB" * 349_526}}, ["data: Too long: may not be more than 1048576 bytes"]),
])
def test_config_data(kind, obj, expected):
    assert messages("", kind, {"metadata": {"name": "web"}, **obj}) == expected


def test_immutable_config_map_and_secret_type_on_update():
    old = {"metadata": {"name": "web"}, "immutable": True, "data": {"a": "1"}}
    assert messages("", "ConfigMap", {"metadata": {"name": "web"}, "data": {"a": "2"}}, old) == [
        "immutable: Forbidden: field is immutable when `immutable` is set",
        "data: Forbidden: field is immutable when `immutable` is set"]
    old_secret = {"metadata": {"name": "web"}, "type": "Opaque"}
    new_secret = {"metadata": {"name": "web"}, "type": "kubernetes.io/basic-auth", "data": {"username": "YQ=="}}
    assert messages("", "Secret", new_secret, old_secret) == [
        'type: Invalid value: "kubernetes.io/basic-auth": field is immutable']


# --- pod disruption budgets --------------------------------------------------

@pytest.mark.parametrize("spec, expected", [
    ({"minAvailable": 2, "maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
     ['spec: Invalid value: {"MinAvailable":2,"Selector":{"matchLabels":{"app":"web"}},"MaxUnavailable":1,'
      '"UnhealthyPodEvictionPolicy":null}: minAvailable and maxUnavailable cannot be both set']),
    ({"minAvailable": "150%"}, ['spec.minAvailable: Invalid value: "150%": must not be greater than 100%']),
    ({"maxUnavailable": -1}, ["spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0"]),
    ({"minAvailable": 1, "unhealthyPodEvictionPolicy": "Never"},
     ['spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: '
      '"AlwaysAllow", "IfHealthyBudget"']),
])
def test_pod_disruption_budget(spec, expected):
    assert messages("policy", "PodDisruptionBudget", {"metadata": {"name": "web"}, "spec": spec}) == expected


# --- errors and the 422 Status -----------------------------------------------

@pytest.mark.parametrize("error, message", [
    (FieldError("FieldValueRequired", "spec.selector", ""), "spec.selector: Required value"),
    (FieldError("FieldValueForbidden", "spec.x", "not allowed", "ignored"), "spec.x: Forbidden: not allowed"),
    (FieldError("FieldValueInvalid", "spec.paused", "must be false", True),
     "spec.paused: Invalid value: true: must be false"),
    (FieldError("FieldValueInvalid", "spec.template.metadata.labels", "bad", None),
     "spec.template.metadata.labels: Invalid value: null: bad"),
    (FieldError("FieldValueInvalid", "metadata.annotations", "x", {"b": "<tag>", "a": [1, 2]}),
     'metadata.annotations: Invalid value: {"b":"\\u003ctag\\u003e","a":[1,2]}: x'),
    (FieldError("FieldValueDuplicate", "spec.containers[1].name", "", "web"),
     'spec.containers[1].name: Duplicate value: "web"'),
])
def test_field_error_message(error, message):
    assert error.message() == message


def test_single_error_status_has_no_brackets():
    errors = validate("apps", "Deployment", with_containers(deployment(), {"name": "web"}))
    assert invalid_status("apps", "Deployment", "web", errors) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
        "reason": "Invalid",
        "details": {"name": "web", "group": "apps", "kind": "Deployment",
                    "causes": [{"reason": "FieldValueRequired", "message": "Required value",
                                "field": "spec.template.spec.containers[0].image"}]},
        "code": 422,
    }


def test_multiple_errors_are_bracketed_deduplicated_and_core_group_omitted():
    errors = [FieldError("FieldValueRequired", "spec.containers", ""),
              FieldError("FieldValueRequired", "spec.containers", ""),
              FieldError("FieldValueInvalid", "spec.restartPolicy", "bad", "Sometimes")]
    status = invalid_status("", "Pod", "debug", errors)
    assert status["message"] == ('Pod "debug" is invalid: [spec.containers: Required value, '
                                 'spec.restartPolicy: Invalid value: "Sometimes": bad]')
    assert "group" not in status["details"] and len(status["details"]["causes"]) == 3


def test_cause_without_field_omits_it():
    status = invalid_status("", "ConfigMap", "big", [FieldError("FieldValueTooLong", "", "may not be more than 1048576 bytes",
                                                                "<value omitted>")])
    assert status["details"]["causes"] == [{"reason": "FieldValueTooLong",
                                            "message": "Too long: may not be more than 1048576 bytes"}]
    assert status["message"] == 'ConfigMap "big" is invalid: : Too long: may not be more than 1048576 bytes'
