"""Small pod and ownership helpers the workload controllers share.

Mirrors `pkg/api/v1/pod/util.go` (IsPodReady, IsPodAvailable, FindPort) and
the bits of `pkg/controller/controller_utils.go` the sandbox needs
(IsPodActive, IsPodTerminating, controller references). Durations are
simulated seconds on the sandbox clock; timestamps are the stored RFC 3339
strings, so every controller sees the same second-precision times.
"""

from __future__ import annotations

from ..clock import Clock, parse_rfc3339
from ..discovery import SERVER_VERSION

SUCCEEDED, FAILED, RUNNING, PENDING, UNKNOWN = "Succeeded", "Failed", "Running", "Pending", "Unknown"


def server_minor() -> int:
    """The Kubernetes minor version the sandbox reports (feature gates follow it)."""
    try:
        return int(str(SERVER_VERSION.get("minor", "0")).rstrip("+"))
    except ValueError:
        return 0


def get_condition(status: dict | None, type_: str) -> dict | None:
    for cond in (status or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond
    return None


def is_pod_ready(pod: dict) -> bool:
    cond = get_condition(pod.get("status"), "Ready")
    return cond is not None and cond.get("status") == "True"


def ready_since(pod: dict) -> float | None:
    """lastTransitionTime of a True Ready condition (epoch seconds), else None."""
    cond = get_condition(pod.get("status"), "Ready")
    if cond is None or cond.get("status") != "True":
        return None
    return parse_rfc3339(cond.get("lastTransitionTime"))


def available_in(pod: dict, min_ready_seconds: int, clock: Clock) -> float | None:
    """Simulated seconds until the pod counts as available: 0 if it is, None if not ready."""
    if not is_pod_ready(pod):
        return None
    if not min_ready_seconds:
        return 0.0
    since = ready_since(pod)
    if since is None:
        return None
    return max(0.0, min_ready_seconds - clock.elapsed(since))


def is_pod_available(pod: dict, min_ready_seconds: int, clock: Clock) -> bool:
    """Ready for at least minReadySeconds of simulated time."""
    return available_in(pod, min_ready_seconds, clock) == 0.0


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase", "")


def is_terminal(pod: dict) -> bool:
    return phase(pod) in (SUCCEEDED, FAILED)


def is_pod_active(pod: dict) -> bool:
    """controller.IsPodActive: not terminal and not being deleted."""
    return not is_terminal(pod) and not pod["metadata"].get("deletionTimestamp")


def is_pod_terminating(pod: dict) -> bool:
    """controller.IsPodTerminating: being deleted but not yet terminal."""
    return not is_terminal(pod) and bool(pod["metadata"].get("deletionTimestamp"))


def max_restarts(pod: dict) -> int:
    return max((c.get("restartCount", 0) for c in (pod.get("status") or {}).get("containerStatuses") or ()), default=0)


def controller_ref(obj: dict) -> dict | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def owner_reference(owner: dict, *, controller: bool = True, block_owner_deletion: bool = True) -> dict:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": block_owner_deletion,
    }


def find_port(pod: dict, target_port, protocol: str = "TCP") -> int | None:
    """podutil.FindPort: a numeric targetPort is itself; a name is looked up in the containers."""
    if isinstance(target_port, int) and not isinstance(target_port, bool):
        return target_port
    if isinstance(target_port, str):
        spec = pod.get("spec") or {}
        sidecars = [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
        for container in list(spec.get("containers") or ()) + sidecars:
            for port in container.get("ports") or ():
                if port.get("name") == target_port and port.get("protocol", "TCP") == protocol:
                    return port.get("containerPort")
    return None


def image_tag(image: str) -> str:
    """The tag of an image reference ("" when it has none)."""
    name = image.partition("@")[0]
    return name.rsplit("/", 1)[-1].partition(":")[2]
