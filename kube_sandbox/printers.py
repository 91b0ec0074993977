"""Server-side printing: the Table that ``kubectl get`` asks for with ``as=Table``.

Mirrors pkg/printers/internalversion/printers.go (Kubernetes 1.35) for the
resources the sandbox serves, and the apiserver's default table for anything
else. Like the real TableConvertor, rows always carry the wide (priority 1)
cells; kubectl drops those columns unless asked for ``-o wide``.

Cells keep the JSON types the real server sends: int cells are ints (even in
the few columns upstream declares as "string"), everything else strings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from kube_sandbox.clock import parse_rfc3339


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: ~2-3 significant figures."""
    s = int(seconds)  # Go converts with truncation toward zero
    if s < -1:  # up to 2s of clock skew reads as "now"
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes, hours = s // 60, s // 3600
    days = hours // 24
    if minutes < 10:
        return _two_units(minutes, "m", s % 60, "s")
    if minutes < 3 * 60:
        return f"{minutes}m"
    if hours < 8:
        return _two_units(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return _two_units(days, "d", hours % 24, "h")
    if days < 2 * 365:
        return f"{days}d"
    if days < 8 * 365:
        return _two_units(days // 365, "y", days % 365, "d")
    return f"{days // 365}y"


def _two_units(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}{small}{small_unit}" if small else f"{big}{big_unit}"


def table(group: str, resource: str, objects: list[dict], now: float) -> dict:
    """The columns and rows of a meta.k8s.io/v1 Table for `objects`; `now` is epoch seconds."""
    printer = _PRINTERS.get((group, resource), _DEFAULT_PRINTER)
    return {
        "columnDefinitions": list(printer.columns),
        "rows": [_row(printer, obj, now) for obj in objects],
    }


class _Printer(NamedTuple):
    columns: tuple[dict, ...]
    cells: Callable[[dict, float], list]
    conditions: Callable[[dict], list[dict]] | None = None


def _row(printer: _Printer, obj: dict, now: float) -> dict:
    row: dict = {"cells": printer.cells(obj, now)}
    conditions = printer.conditions(obj) if printer.conditions else []
    if conditions:
        row["conditions"] = conditions
    row["object"] = obj
    return row


# --- column definitions ----------------------------------------------------

# Column descriptions are the API field docs (SwaggerDoc) upstream points at.
_DOC = {
    "name": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "creationTimestamp": "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    "podIP": "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    "nodeName": "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
    "nominatedNodeName": "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.",
    "readinessGates": 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
    "rs.spec.replicas": "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    "rs.status.replicas": "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
    "rs.status.readyReplicas": "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
    "rs.spec.selector": "Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    "deploy.status.updatedReplicas": "Total number of non-terminating pods targeted by this deployment that have the desired template spec.",
    "deploy.status.availableReplicas": "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.",
    "deploy.spec.selector": "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
    "svc.type": 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
    "svc.clusterIP": 'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
    "svc.externalIPs": "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.",
    "svc.ports": "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
    "svc.selector": "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/",
    "ep.subsets": "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.",
    "node.kubeletVersion": "Kubelet Version reported by the node.",
    "node.addresses": "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).",
    "node.osImage": "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
    "node.kernelVersion": "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    "node.containerRuntimeVersion": "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
    "ev.lastTimestamp": "The time at which the most recent occurrence of this event was recorded.",
    "ev.type": "Type of this event (Normal, Warning), new types could be added in the future",
    "ev.reason": "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    "ev.involvedObject": "The object that this event is about.",
    "ev.fieldPath": 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
    "ev.source": "The component reporting this event. Should be a short machine understandable string.",
    "ev.message": "A human-readable description of the status of this operation.",
    "ev.firstTimestamp": "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
    "ev.count": "The number of times this event has occurred.",
    "secret.type": "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
    "secret.data": "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    "cm.data": "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    "eps.addressType": "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.",
    "eps.ports": 'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
    "eps.endpoints": "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.",
    "containers": "Names of each container in the template.",
    "images": "Images referenced by each container in the template.",
}


def _column(name: str, type_: str, description: str, priority: int = 0, format_: str = "") -> dict:
    return {"name": name, "type": type_, "format": format_, "description": description, "priority": priority}


_NAME = _column("Name", "string", _DOC["name"], format_="name")
_AGE = _column("Age", "string", _DOC["creationTimestamp"])
_WIDE_CONTAINERS = (_column("Containers", "string", _DOC["containers"], 1),
                    _column("Images", "string", _DOC["images"], 1))

_POD_COLUMNS = (
    _NAME,
    _column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "string", "The aggregate status of the containers in this pod."),
    _column("Restarts", "string", "The number of times the containers in this pod have been restarted "
                                  "and when the last container in this pod has restarted."),
    _AGE,
    _column("IP", "string", _DOC["podIP"], 1),
    _column("Node", "string", _DOC["nodeName"], 1),
    _column("Nominated Node", "string", _DOC["nominatedNodeName"], 1),
    _column("Readiness Gates", "string", _DOC["readinessGates"], 1),
)
_DEPLOYMENT_COLUMNS = (
    _NAME,
    _column("Ready", "string", "Number of the pod with ready state"),
    _column("Up-to-date", "string", _DOC["deploy.status.updatedReplicas"]),
    _column("Available", "string", _DOC["deploy.status.availableReplicas"]),
    _AGE,
    *_WIDE_CONTAINERS,
    _column("Selector", "string", _DOC["deploy.spec.selector"], 1),
)
_REPLICA_SET_COLUMNS = (
    _NAME,
    _column("Desired", "integer", _DOC["rs.spec.replicas"]),
    _column("Current", "integer", _DOC["rs.status.replicas"]),
    _column("Ready", "integer", _DOC["rs.status.readyReplicas"]),
    _AGE,
    *_WIDE_CONTAINERS,
    _column("Selector", "string", _DOC["rs.spec.selector"], 1),
)
_SERVICE_COLUMNS = (
    _NAME,
    _column("Type", "string", _DOC["svc.type"]),
    _column("Cluster-IP", "string", _DOC["svc.clusterIP"]),
    _column("External-IP", "string", _DOC["svc.externalIPs"]),
    _column("Port(s)", "string", _DOC["svc.ports"]),
    _AGE,
    _column("Selector", "string", _DOC["svc.selector"], 1),
)
_ENDPOINTS_COLUMNS = (_NAME, _column("Endpoints", "string", _DOC["ep.subsets"]), _AGE)
_NAMESPACE_COLUMNS = (_NAME, _column("Status", "string", "The status of the namespace"), _AGE)
_SECRET_COLUMNS = (_NAME, _column("Type", "string", _DOC["secret.type"]),
                   _column("Data", "string", _DOC["secret.data"]), _AGE)
_CONFIG_MAP_COLUMNS = (_NAME, _column("Data", "string", _DOC["cm.data"]), _AGE)
_EVENT_COLUMNS = (
    _column("Last Seen", "string", _DOC["ev.lastTimestamp"]),
    _column("Type", "string", _DOC["ev.type"]),
    _column("Reason", "string", _DOC["ev.reason"]),
    _column("Object", "string", _DOC["ev.involvedObject"]),
    _column("Subobject", "string", _DOC["ev.fieldPath"], 1),
    _column("Source", "string", _DOC["ev.source"], 1),
    _column("Message", "string", _DOC["ev.message"]),
    _column("First Seen", "string", _DOC["ev.firstTimestamp"], 1),
    _column("Count", "string", _DOC["ev.count"], 1),
    _column("Name", "string", _DOC["name"], 1, "name"),
)
_NODE_COLUMNS = (
    _NAME,
    _column("Status", "string", "The status of the node"),
    _column("Roles", "string", "The roles of the node"),
    _AGE,
    _column("Version", "string", _DOC["node.kubeletVersion"]),
    _column("Internal-IP", "string", _DOC["node.addresses"], 1),
    _column("External-IP", "string", _DOC["node.addresses"], 1),
    _column("OS-Image", "string", _DOC["node.osImage"], 1),
    _column("Kernel-Version", "string", _DOC["node.kernelVersion"], 1),
    _column("Container-Runtime", "string", _DOC["node.containerRuntimeVersion"], 1),
)
_PDB_COLUMNS = (
    _NAME,
    _column("Min Available", "string", "The minimum number of pods that must be available."),
    _column("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
    _column("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
    _AGE,
)
_ENDPOINT_SLICE_COLUMNS = (
    _NAME,
    _column("AddressType", "string", _DOC["eps.addressType"]),
    _column("Ports", "string", _DOC["eps.ports"]),
    _column("Endpoints", "string", _DOC["eps.endpoints"]),
    _AGE,
)
_DEFAULT_COLUMNS = (_NAME, _column("Created At", "date", _DOC["creationTimestamp"]))


# --- shared cell helpers ---------------------------------------------------

def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _status(obj: dict) -> dict:
    return obj.get("status") or {}


def _since(timestamp: str | None, now: float) -> str:
    """translateTimestampSince: the age of a timestamp, "<unknown>" when unset."""
    then = parse_rfc3339(timestamp)
    return "<unknown>" if then is None else human_duration(now - then)


def _age(obj: dict, now: float) -> str:
    return _since(_meta(obj).get("creationTimestamp"), now)


def _format_labels(labels: dict | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


_REQUIREMENT_FORMATS = {"In": "{key} in ({values})", "NotIn": "{key} notin ({values})",
                        "Exists": "{key}", "DoesNotExist": "!{key}"}


def _selector_string(selector: dict | None) -> str | None:
    """labels.Selector.String() of a metav1.LabelSelector; None if it cannot be parsed."""
    selector = selector or {}
    requirements = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        text = _REQUIREMENT_FORMATS.get(expr.get("operator"))
        if text is None:
            return None
        key = expr.get("key", "")
        requirements.append((key, text.format(key=key, values=",".join(sorted(expr.get("values") or [])))))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def _or(value: str | None, fallback: str) -> str:
    return fallback if value is None else value


def _container_cells(pod_spec: dict) -> list[str]:
    containers = pod_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def _list_with_more(items: list[str], limit: int = 3, empty: str = "<unset>") -> str:
    """At most `limit` items, then "+ N more..." like upstream's list formatting."""
    text = ",".join(items[:limit])
    if len(items) > limit:
        return f"{text} + {len(items) - limit} more..."
    return text or empty


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- pods ------------------------------------------------------------------

def _condition_true(status: dict, condition_type: str) -> bool:
    return any(c.get("type") == condition_type and c.get("status") == "True"
               for c in status.get("conditions") or [])


def _later(current: float | None, container_status: dict) -> float | None:
    """The later of `current` and when the container last terminated."""
    finished = parse_rfc3339(((container_status.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
    if finished is not None and (current is None or finished > current):
        return finished
    return current


def _terminated_reason(terminated: dict, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def _pod_cells(pod: dict, now: float) -> list:
    """Ready, Status and Restarts the way kubectl has always derived them."""
    spec, status = _spec(pod), _status(pod)
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated"
           for c in status.get("conditions") or []):
        reason = "SchedulingGated"

    init_containers = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_containers if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last_restart = None

    initializing = False
    for i, container in enumerate(status.get("initContainerStatuses") or []):
        restarts += container.get("restartCount", 0)
        last_restart = _later(last_restart, container)
        is_sidecar = container.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += container.get("restartCount", 0)
            sidecar_last_restart = _later(sidecar_last_restart, container)
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting") or {}
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if is_sidecar and container.get("started"):
            ready += 1 if container.get("ready") else 0
            continue
        initializing = True
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_containers)}"
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts, last_restart = sidecar_restarts, sidecar_last_restart
        has_running = False
        for container in reversed(status.get("containerStatuses") or []):
            restarts += container.get("restartCount", 0)
            last_restart = _later(last_restart, container)
            state = container.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting") or {}
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # a container still running means the pod has not completed yet
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return [_meta(pod).get("name", ""), f"{ready}/{total}", reason, restarts_cell, _age(pod, now),
            *_pod_wide_cells(spec, status)]


def _pod_wide_cells(spec: dict, status: dict) -> list[str]:
    # podIPs is authoritative upstream; a real server always mirrors podIP into it
    pod_ips = status.get("podIPs") or ([{"ip": status["podIP"]}] if status.get("podIP") else [])
    gates = spec.get("readinessGates") or []
    readiness_gates = "<none>"
    if gates:
        conditions = status.get("conditions") or []
        passed = sum(1 for gate in gates if _first_condition_status(conditions, gate.get("conditionType")) == "True")
        readiness_gates = f"{passed}/{len(gates)}"
    return [(pod_ips[0].get("ip") if pod_ips else "") or "<none>", spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", readiness_gates]


def _first_condition_status(conditions: list[dict], condition_type: str | None) -> str | None:
    return next((c.get("status") for c in conditions if c.get("type") == condition_type), None)


def _pod_conditions(pod: dict) -> list[dict]:
    """Finished pods carry a Completed row condition, which kubectl uses to style them."""
    phase = _status(pod).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return []


# --- workloads -------------------------------------------------------------

def _deployment_cells(deployment: dict, now: float) -> list:
    spec, status = _spec(deployment), _status(deployment)
    desired = spec.get("replicas", 1)  # always defaulted on a stored object
    return [_meta(deployment).get("name", ""), f"{status.get('readyReplicas', 0)}/{desired}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0), _age(deployment, now),
            *_container_cells((spec.get("template") or {}).get("spec") or {}),
            _or(_selector_string(spec.get("selector")), "<invalid>")]


def _replica_set_cells(replica_set: dict, now: float) -> list:
    spec, status = _spec(replica_set), _status(replica_set)
    return [_meta(replica_set).get("name", ""), spec.get("replicas", 1), status.get("replicas", 0),
            status.get("readyReplicas", 0), _age(replica_set, now),
            *_container_cells((spec.get("template") or {}).get("spec") or {}),
            _or(_selector_string(spec.get("selector")), "<error>") or "<none>"]


# --- networking ------------------------------------------------------------

def _service_cells(service: dict, now: float) -> list:
    spec = _spec(service)
    # clusterIPs is authoritative upstream; a real server always mirrors clusterIP into it
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    ports = ",".join(_port_string(p) for p in spec.get("ports") or [])
    return [_meta(service).get("name", ""), spec.get("type", ""), cluster_ips[0] if cluster_ips else "<none>",
            _external_ip(service), ports or "<none>", _age(service, now), _format_labels(spec.get("selector"))]


def _port_string(port: dict) -> str:
    protocol = port.get("protocol", "")
    if port.get("nodePort"):
        return f"{port.get('port', 0)}:{port['nodePort']}/{protocol}"
    return f"{port.get('port', 0)}/{protocol}"


def _external_ip(service: dict) -> str:
    spec = _spec(service)
    service_type, external_ips = spec.get("type"), spec.get("externalIPs") or []
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) or "<none>"
    if service_type == "LoadBalancer":
        # the server always prints wide, so the ingress list is never clipped
        ingress = (_status(service).get("loadBalancer") or {}).get("ingress") or []
        balancer = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None, ""})
        return ",".join(balancer + external_ips) or "<pending>"
    if service_type == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def _endpoints_cells(endpoints: dict, now: float) -> list:
    return [_meta(endpoints).get("name", ""), _format_endpoints(endpoints.get("subsets") or []), _age(endpoints, now)]


def _format_endpoints(subsets: list[dict]) -> str:
    if not subsets:
        return "<none>"
    items = []
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:  # headless services may have no ports
            items += addresses
        for port in ports:
            items += [_join_host_port(ip, port.get("port", 0)) for ip in addresses]
    return _list_with_more(items, empty="")


def _endpoint_slice_cells(endpoint_slice: dict, now: float) -> list:
    ports = [str(p["port"]) if p.get("port") is not None else p.get("name") or "*"
             for p in endpoint_slice.get("ports") or []]
    addresses = [a for e in endpoint_slice.get("endpoints") or [] for a in e.get("addresses") or []]
    return [_meta(endpoint_slice).get("name", ""), endpoint_slice.get("addressType", ""),
            _list_with_more(ports), _list_with_more(addresses), _age(endpoint_slice, now)]


# --- cluster and config ----------------------------------------------------

def _namespace_cells(namespace: dict, now: float) -> list:
    return [_meta(namespace).get("name", ""), _status(namespace).get("phase", ""), _age(namespace, now)]


def _secret_cells(secret: dict, now: float) -> list:
    return [_meta(secret).get("name", ""), secret.get("type", ""), len(secret.get("data") or {}), _age(secret, now)]


def _config_map_cells(config_map: dict, now: float) -> list:
    data_count = len(config_map.get("data") or {}) + len(config_map.get("binaryData") or {})
    return [_meta(config_map).get("name", ""), data_count, _age(config_map, now)]


_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def _node_cells(node: dict, now: float) -> list:
    status = _status(node)
    ready = _first_condition_status(status.get("conditions") or [], "Ready")
    states = ["Unknown" if ready is None else "Ready" if ready == "True" else "NotReady"]
    if _spec(node).get("unschedulable"):
        states.append("SchedulingDisabled")
    labels = _meta(node).get("labels") or {}
    roles = {k[len(_NODE_ROLE_PREFIX):] for k in labels if k.startswith(_NODE_ROLE_PREFIX)} - {""}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    info = status.get("nodeInfo") or {}
    return [_meta(node).get("name", ""), ",".join(states), ",".join(sorted(roles)) or "<none>", _age(node, now),
            info.get("kubeletVersion", ""), _node_address(status, "InternalIP"), _node_address(status, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _node_address(status: dict, address_type: str) -> str:
    return next((a.get("address", "") for a in status.get("addresses") or [] if a.get("type") == address_type),
                "<none>")


def _pdb_cells(pdb: dict, now: float) -> list:
    spec = _spec(pdb)
    budgets = [str(spec[k]) if spec.get(k) is not None else "N/A" for k in ("minAvailable", "maxUnavailable")]
    return [_meta(pdb).get("name", ""), *budgets, _status(pdb).get("disruptionsAllowed", 0), _age(pdb, now)]


# --- events ----------------------------------------------------------------

def _core_event(event: dict) -> dict:
    return event


def _events_v1_as_core(event: dict) -> dict:
    """An events.k8s.io/v1 Event under its core/v1 field names (both share one internal type)."""
    return {
        "metadata": event.get("metadata") or {},
        "involvedObject": event.get("regarding") or {},
        "reason": event.get("reason", ""),
        "message": event.get("note", ""),
        "type": event.get("type", ""),
        "source": event.get("deprecatedSource") or {},
        "firstTimestamp": event.get("deprecatedFirstTimestamp"),
        "lastTimestamp": event.get("deprecatedLastTimestamp"),
        "count": event.get("deprecatedCount", 0),
        "eventTime": event.get("eventTime"),
        "series": event.get("series"),
        "reportingComponent": event.get("reportingController", ""),
        "reportingInstance": event.get("reportingInstance", ""),
    }


def _event_cells(as_core: Callable[[dict], dict]) -> Callable[[dict, float], list]:
    def cells(obj: dict, now: float) -> list:
        event = as_core(obj)
        first_seen = (_since(event["firstTimestamp"], now) if event.get("firstTimestamp")
                      else _since(event.get("eventTime"), now))
        last_seen = _since(event["lastTimestamp"], now) if event.get("lastTimestamp") else first_seen
        count = event.get("count") or 1  # singleton events of the new API carry no count
        if event.get("series"):
            last_seen = _since(event["series"].get("lastObservedTime"), now)
            count = event["series"].get("count", 0)
        involved = event.get("involvedObject") or {}
        target = involved.get("kind", "").lower()
        if involved.get("name"):
            target += "/" + involved["name"]
        source = event.get("source") or {}
        component = source.get("component") or event.get("reportingComponent", "")
        instance = source.get("host") or event.get("reportingInstance", "")
        return [last_seen, event.get("type", ""), event.get("reason", ""), target, involved.get("fieldPath", ""),
                f"{component}, {instance}" if instance else component, event.get("message", "").strip(),
                first_seen, count, _meta(event).get("name", "")]
    return cells


# --- anything else ---------------------------------------------------------

def _default_cells(obj: dict, now: float) -> list:
    """The generic apiserver table: the creation time itself, zero time when unset."""
    created = parse_rfc3339(_meta(obj).get("creationTimestamp"))
    created_at = ("0001-01-01T00:00:00Z" if created is None
                  else datetime.fromtimestamp(created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return [_meta(obj).get("name", ""), created_at]


# Custom resources: the apiserver renders each CRD's additionalPrinterColumns (these are
# Argo Rollouts'); a "date" column is shown as an age, a missing value as null.
_CR_AGE = _column("Age", "date", "Time since resource was created")
_ROLLOUT_COLUMNS = (
    _NAME,
    _column("Desired", "integer", "Number of desired pods"),
    _column("Current", "integer", "Total number of non-terminated pods targeted by this rollout"),
    _column("Up-to-date", "integer", "Total number of non-terminated pods targeted by this rollout that "
            "have the desired template spec"),
    _column("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) "
            "targeted by this rollout"),
    _CR_AGE,
)


def _rollout_cells(rollout: dict, now: float) -> list:
    spec, status = _spec(rollout), _status(rollout)
    return [_meta(rollout).get("name", ""), spec.get("replicas"), status.get("replicas"),
            status.get("updatedReplicas"), status.get("availableReplicas"), _age(rollout, now)]


def _phase_columns(kind: str) -> tuple[dict, ...]:
    return (_NAME, _column("Status", "string", f"{kind} status"), _CR_AGE)


def _phase_cells(obj: dict, now: float) -> list:
    return [_meta(obj).get("name", ""), _status(obj).get("phase"), _age(obj, now)]


def _age_cells(obj: dict, now: float) -> list:
    return [_meta(obj).get("name", ""), _age(obj, now)]


_DEFAULT_PRINTER = _Printer(_DEFAULT_COLUMNS, _default_cells)
_PRINTERS: dict[tuple[str, str], _Printer] = {
    ("", "pods"): _Printer(_POD_COLUMNS, _pod_cells, _pod_conditions),
    ("apps", "deployments"): _Printer(_DEPLOYMENT_COLUMNS, _deployment_cells),
    ("apps", "replicasets"): _Printer(_REPLICA_SET_COLUMNS, _replica_set_cells),
    ("", "services"): _Printer(_SERVICE_COLUMNS, _service_cells),
    ("", "endpoints"): _Printer(_ENDPOINTS_COLUMNS, _endpoints_cells),
    ("", "namespaces"): _Printer(_NAMESPACE_COLUMNS, _namespace_cells),
    ("", "secrets"): _Printer(_SECRET_COLUMNS, _secret_cells),
    ("", "configmaps"): _Printer(_CONFIG_MAP_COLUMNS, _config_map_cells),
    ("", "events"): _Printer(_EVENT_COLUMNS, _event_cells(_core_event)),
    ("events.k8s.io", "events"): _Printer(_EVENT_COLUMNS, _event_cells(_events_v1_as_core)),
    ("", "nodes"): _Printer(_NODE_COLUMNS, _node_cells),
    ("policy", "poddisruptionbudgets"): _Printer(_PDB_COLUMNS, _pdb_cells),
    ("discovery.k8s.io", "endpointslices"): _Printer(_ENDPOINT_SLICE_COLUMNS, _endpoint_slice_cells),
    ("argoproj.io", "rollouts"): _Printer(_ROLLOUT_COLUMNS, _rollout_cells),
    ("argoproj.io", "analysisruns"): _Printer(_phase_columns("AnalysisRun"), _phase_cells),
    ("argoproj.io", "experiments"): _Printer(_phase_columns("Experiment"), _phase_cells),
    ("argoproj.io", "analysistemplates"): _Printer((_NAME, _CR_AGE), _age_cells),
    ("argoproj.io", "clusteranalysistemplates"): _Printer((_NAME, _CR_AGE), _age_cells),
}
