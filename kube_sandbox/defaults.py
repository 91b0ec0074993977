"""API defaulting, as a Kubernetes 1.35 apiserver applies it to a request body.

Mirrors the generated defaulters of core/v1, apps/v1 and discovery.k8s.io/v1
(``pkg/apis/*/v1/defaults.go`` plus the ``+default`` markers of k8s.io/api),
and the few create-time touches a stock apiserver adds before storing that a
client can see: the namespace finalizer and ``clusterIPs``/IP families from
the registries, and the pod fields the default admission chain fills in.

Rollbacks depend on this: ``kubectl rollout history --revision`` prints the
stored ReplicaSet template and ``rollout undo`` copies it back, so a template
must come out exactly as a real cluster would store it.

Objects are JSON dicts and are changed in place. Where a default adds a key,
the touched struct is re-ordered into Go field order so raw JSON reads like a
real server's.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

# Go struct field order of every struct a defaulter adds keys to (k8s.io/api 1.35).
_FIELD_ORDER: dict[str, tuple[str, ...]] = {
    "DeploymentSpec": ("replicas", "selector", "template", "strategy", "minReadySeconds",
                       "revisionHistoryLimit", "paused", "progressDeadlineSeconds"),
    "DeploymentStrategy": ("type", "rollingUpdate"),
    "RollingUpdateDeployment": ("maxUnavailable", "maxSurge"),
    "ReplicaSetSpec": ("replicas", "minReadySeconds", "selector", "template"),
    "PodTemplateSpec": ("metadata", "spec"),
    "PodSpec": ("volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
                "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
                "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName",
                "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext",
                "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations",
                "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
                "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead",
                "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates",
                "resourceClaims", "resources", "hostnameOverride", "workloadRef"),
    "Container": ("name", "image", "command", "args", "workingDir", "ports", "envFrom", "env",
                  "resources", "resizePolicy", "restartPolicy", "restartPolicyRules", "volumeMounts",
                  "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
                  "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
                  "securityContext", "stdin", "stdinOnce", "tty"),
    "ContainerPort": ("name", "hostPort", "containerPort", "protocol", "hostIP"),
    "Probe": ("exec", "httpGet", "tcpSocket", "grpc", "initialDelaySeconds", "timeoutSeconds",
              "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"),
    "HTTPGetAction": ("path", "port", "host", "scheme", "httpHeaders"),
    "GRPCAction": ("port", "service"),
    "ObjectFieldSelector": ("apiVersion", "fieldPath"),
    "SecretVolumeSource": ("secretName", "items", "defaultMode", "optional"),
    "ConfigMapVolumeSource": ("name", "items", "defaultMode", "optional"),
    "DownwardAPIVolumeSource": ("items", "defaultMode"),
    "ProjectedVolumeSource": ("sources", "defaultMode"),
    "ServiceAccountTokenProjection": ("audience", "expirationSeconds", "path"),
    "HostPathVolumeSource": ("path", "type"),
    "ServiceSpec": ("ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs",
                    "sessionAffinity", "loadBalancerIP", "loadBalancerSourceRanges", "externalName",
                    "externalTrafficPolicy", "healthCheckNodePort", "publishNotReadyAddresses",
                    "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy",
                    "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy",
                    "trafficDistribution"),
    "ServicePort": ("name", "protocol", "appProtocol", "port", "targetPort", "nodePort"),
    "EndpointSliceEndpointPort": ("name", "protocol", "port", "appProtocol"),
}
_RANK = {struct: {key: i for i, key in enumerate(keys)} for struct, keys in _FIELD_ORDER.items()}

_VOLUME_FILE_MODE = 0o644  # default mode of files projected from secrets, config maps, ...
_NOT_READY_TAINT = "node.kubernetes.io/not-ready"
_UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def apply_defaults(group: str, kind: str, obj: dict) -> None:
    """Default `obj` (group "" is core) in place; kinds without defaulters are left alone.

    policy/v1 PodDisruptionBudget and core ConfigMap/Event have no visible
    defaults upstream, so they are deliberately absent from the table.
    """
    defaulter = _DEFAULTERS.get((group, kind))
    if defaulter is not None:
        defaulter(obj)


# --- helpers ---------------------------------------------------------------

def _reorder(d: dict, struct: str) -> None:
    """Re-insert `d`'s keys in Go field order (unknown keys keep their order, last)."""
    rank = _RANK[struct]
    items = sorted(d.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    d.clear()
    d.update(items)


def _set_if_nil(d: dict, key: str, value: object) -> None:
    """Default a Go pointer field: only an absent or null value is replaced."""
    if d.get(key) is None:
        d[key] = value


def _set_if_zero(d: dict, key: str, value: object) -> None:
    """Default a Go value field: its zero value ("" or 0) counts as unset too."""
    if d.get(key) in (None, "", 0):
        d[key] = value


def _dicts(d: dict, key: str) -> list[dict]:
    return d.get(key) or []


# --- apps/v1 ---------------------------------------------------------------

def _deployment(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set_if_nil(spec, "replicas", 1)
    _deployment_strategy(spec.setdefault("strategy", {}))
    _set_if_nil(spec, "revisionHistoryLimit", 10)
    _set_if_nil(spec, "progressDeadlineSeconds", 600)
    _pod_template(spec)
    _reorder(spec, "DeploymentSpec")


def _deployment_strategy(strategy: dict) -> None:
    _set_if_zero(strategy, "type", "RollingUpdate")
    # Recreate keeps rollingUpdate unset: validation rejects it there.
    if strategy["type"] == "RollingUpdate":
        _set_if_nil(strategy, "rollingUpdate", {})
        rolling = strategy["rollingUpdate"]
        _set_if_nil(rolling, "maxUnavailable", "25%")
        _set_if_nil(rolling, "maxSurge", "25%")
        _reorder(rolling, "RollingUpdateDeployment")
    _reorder(strategy, "DeploymentStrategy")


def _replica_set(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set_if_nil(spec, "replicas", 1)
    _pod_template(spec)
    _reorder(spec, "ReplicaSetSpec")


def _job(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    for key, value in (("parallelism", 1), ("completions", 1), ("backoffLimit", 6),
                       ("completionMode", "NonIndexed"), ("suspend", False),
                       ("podReplacementPolicy", "TerminatingOrFailed")):
        _set_if_nil(spec, key, value)
    uid = (obj.get("metadata") or {}).get("uid")
    if uid and not spec.get("manualSelector") and not spec.get("selector"):
        # The Job strategy's generated selector (PrepareForCreate): the Job's uid, also on the pod template.
        name = obj["metadata"].get("name", "")
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        labels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                       "controller-uid": uid, "job-name": name})
    _pod_template(spec)


def _pod_template(owner_spec: dict) -> None:
    template = owner_spec.setdefault("template", {})
    meta = template.setdefault("metadata", {})  # a struct, so always serialized
    # Clients built with older apimachinery (kubectl <= 1.33, e.g. in `rollout undo`'s patch)
    # send `creationTimestamp: null`; it decodes to the zero time, which is omitted (omitzero).
    if isinstance(meta, dict) and "creationTimestamp" in meta and meta["creationTimestamp"] is None:
        del meta["creationTimestamp"]
    _pod_spec(template.setdefault("spec", {}))
    _reorder(template, "PodTemplateSpec")


# --- core/v1 ---------------------------------------------------------------

def _pod(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    # Pod-only defaults: upstream keeps new defaults off templates, where they
    # would change every workload's template and roll it out on upgrade.
    for container in _dicts(spec, "containers") + _dicts(spec, "initContainers"):
        _requests_from_limits(container.get("resources") or {})
        if spec.get("hostNetwork"):
            for port in _dicts(container, "ports"):
                _set_if_zero(port, "hostPort", port.get("containerPort"))
    _set_if_nil(spec, "enableServiceLinks", True)
    _admit_pod(spec)
    _pod_spec(spec)


def _requests_from_limits(resources: dict) -> None:
    limits = resources.get("limits")
    if limits:
        requests = resources.setdefault("requests", {})
        for name, quantity in limits.items():
            requests.setdefault(name, quantity)


def _admit_pod(spec: dict) -> None:
    """What the admission plugins every stock apiserver runs add to a new pod.

    Priority (no PriorityClass exists in the sandbox), DefaultTolerationSeconds
    and ServiceAccount. The service-account token volume is left out: its name
    carries a random suffix and nothing in a rollback reads it.
    """
    if not spec.get("priorityClassName"):
        _set_if_nil(spec, "priority", 0)
        _set_if_nil(spec, "preemptionPolicy", "PreemptLowerPriority")
    _set_if_zero(spec, "serviceAccountName", spec.get("serviceAccount") or "default")
    tolerations = spec["tolerations"] = spec.get("tolerations") or []
    for taint in (_NOT_READY_TAINT, _UNREACHABLE_TAINT):
        if not any(_tolerates_no_execute(t, taint) for t in tolerations):
            tolerations.append({"key": taint, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": 300})


def _tolerates_no_execute(toleration: dict, taint: str) -> bool:
    return toleration.get("key", "") in ("", taint) and toleration.get("effect", "") in ("", "NoExecute")


def _pod_spec(spec: dict) -> None:
    _set_if_zero(spec, "dnsPolicy", "ClusterFirst")
    _set_if_zero(spec, "restartPolicy", "Always")
    _set_if_nil(spec, "securityContext", {})
    _set_if_nil(spec, "terminationGracePeriodSeconds", 30)
    _set_if_zero(spec, "schedulerName", "default-scheduler")
    # v1 still serves the deprecated serviceAccount as a mirror of serviceAccountName.
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account:
        spec["serviceAccountName"] = spec["serviceAccount"] = account
    for volume in _dicts(spec, "volumes"):
        _volume(volume)
    for container in _dicts(spec, "initContainers") + _dicts(spec, "containers"):
        _container(container)
    _reorder(spec, "PodSpec")


def _container(container: dict) -> None:
    _set_if_zero(container, "imagePullPolicy", _pull_policy(container.get("image", "")))
    _set_if_zero(container, "terminationMessagePath", "/dev/termination-log")
    _set_if_zero(container, "terminationMessagePolicy", "File")
    _set_if_nil(container, "resources", {})  # a struct, so always serialized
    for port in _dicts(container, "ports"):
        _set_if_zero(port, "protocol", "TCP")
        _reorder(port, "ContainerPort")
    for env in _dicts(container, "env"):
        _field_ref((env.get("valueFrom") or {}).get("fieldRef"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if container.get(probe) is not None:
            _probe(container[probe])
    for hook in ((container.get("lifecycle") or {}).get(h) for h in ("postStart", "preStop")):
        if hook and hook.get("httpGet") is not None:
            _http_get(hook["httpGet"])
    _reorder(container, "Container")


def _pull_policy(image: str) -> str:
    """Always for ":latest" or an untagged, undigested image; IfNotPresent otherwise."""
    name, _, digest = image.partition("@")
    last_part = name.rsplit("/", 1)[-1]
    tag = last_part.partition(":")[2]
    if not tag and not digest:
        tag = "latest" if name else ""  # an empty image fails to parse: no tag at all
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe(probe: dict) -> None:
    if probe.get("httpGet") is not None:
        _http_get(probe["httpGet"])
    if probe.get("grpc") is not None:
        _set_if_nil(probe["grpc"], "service", "")
        _reorder(probe["grpc"], "GRPCAction")
    _set_if_zero(probe, "timeoutSeconds", 1)
    _set_if_zero(probe, "periodSeconds", 10)
    _set_if_zero(probe, "successThreshold", 1)
    _set_if_zero(probe, "failureThreshold", 3)
    _reorder(probe, "Probe")


def _http_get(action: dict) -> None:
    _set_if_zero(action, "path", "/")
    _set_if_zero(action, "scheme", "HTTP")
    _reorder(action, "HTTPGetAction")


def _field_ref(selector: dict | None) -> None:
    if selector is not None:
        _set_if_zero(selector, "apiVersion", "v1")
        _reorder(selector, "ObjectFieldSelector")


def _volume(volume: dict) -> None:
    if set(volume) <= {"name"}:
        volume["emptyDir"] = {}
    for source, struct in (("secret", "SecretVolumeSource"), ("configMap", "ConfigMapVolumeSource"),
                           ("downwardAPI", "DownwardAPIVolumeSource"),
                           ("projected", "ProjectedVolumeSource")):
        if volume.get(source) is not None:
            _set_if_nil(volume[source], "defaultMode", _VOLUME_FILE_MODE)
            _reorder(volume[source], struct)
    for item in _dicts(volume.get("downwardAPI") or {}, "items"):
        _field_ref(item.get("fieldRef"))
    for projection in _dicts(volume.get("projected") or {}, "sources"):
        for item in _dicts(projection.get("downwardAPI") or {}, "items"):
            _field_ref(item.get("fieldRef"))
        token = projection.get("serviceAccountToken")
        if token is not None:
            _set_if_nil(token, "expirationSeconds", 3600)
            _reorder(token, "ServiceAccountTokenProjection")
    if volume.get("hostPath") is not None:
        _set_if_nil(volume["hostPath"], "type", "")
        _reorder(volume["hostPath"], "HostPathVolumeSource")


def _service(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    _set_if_zero(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
        if client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    _set_if_zero(spec, "type", "ClusterIP")
    for port in _dicts(spec, "ports"):
        _set_if_zero(port, "protocol", "TCP")
        _set_if_zero(port, "targetPort", port.get("port"))
        _reorder(port, "ServicePort")
    service_type = spec["type"]
    if service_type in ("NodePort", "LoadBalancer") or (service_type == "ClusterIP" and spec.get("externalIPs")):
        _set_if_zero(spec, "externalTrafficPolicy", "Cluster")
    if service_type in ("ClusterIP", "NodePort", "LoadBalancer"):
        _set_if_nil(spec, "internalTrafficPolicy", "Cluster")
    if service_type == "LoadBalancer":
        _set_if_nil(spec, "allocateLoadBalancerNodePorts", True)
    if service_type != "ExternalName":
        _service_ip_families(spec)
    _reorder(spec, "ServiceSpec")


def _service_ip_families(spec: dict) -> None:
    """The service registry's part, for a single-stack IPv4 cluster; IP allocation stays with the caller."""
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    headless_without_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
    _set_if_nil(spec, "ipFamilyPolicy", "RequireDualStack" if headless_without_selector else "SingleStack")
    _set_if_nil(spec, "ipFamilies", ["IPv4"])


def _secret(obj: dict) -> None:
    # stringData is write-only: the apiserver folds it into data when decoding.
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj["data"] = obj.get("data") or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(value.encode()).decode()
    _set_if_zero(obj, "type", "Opaque")


def _namespace(obj: dict) -> None:
    metadata = obj.get("metadata") or {}
    if metadata.get("name"):
        metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = metadata["name"]
    # The registry adds its finalizer on create; a namespace being deleted must
    # not get it back, or it would never finish terminating.
    if not metadata.get("deletionTimestamp"):
        spec = obj.setdefault("spec", {})
        finalizers = spec["finalizers"] = spec.get("finalizers") or []
        if "kubernetes" not in finalizers:
            finalizers.append("kubernetes")
    _set_if_zero(obj.setdefault("status", {}), "phase", "Active")


def _node(obj: dict) -> None:
    status = obj.get("status") or {}
    if status.get("allocatable") is None and status.get("capacity") is not None:
        status["allocatable"] = dict(status["capacity"])


def _endpoints(obj: dict) -> None:
    for subset in _dicts(obj, "subsets"):
        for port in _dicts(subset, "ports"):
            _set_if_zero(port, "protocol", "TCP")


def _endpoint_slice(obj: dict) -> None:
    for port in _dicts(obj, "ports"):
        _set_if_nil(port, "name", "")
        _set_if_nil(port, "protocol", "TCP")
        _reorder(port, "EndpointSliceEndpointPort")


_DEFAULTERS: dict[tuple[str, str], Callable[[dict], None]] = {
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("batch", "Job"): _job,
    ("", "Pod"): _pod,
    ("", "Service"): _service,
    ("", "Secret"): _secret,
    ("", "Namespace"): _namespace,
    ("", "Node"): _node,
    ("", "Endpoints"): _endpoints,
    ("discovery.k8s.io", "EndpointSlice"): _endpoint_slice,
}
