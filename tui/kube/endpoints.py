"""Which Services select a workload's pods, and their ready endpoints (EndpointSlices, else Endpoints)."""

from __future__ import annotations

import ipaddress

from kubernetes import client

from ..core.errors import ConsoleError
from ..core.names import SERVICE_NAME_LABEL
from .rest import call as _call
from .rest import list_all as _list


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}

def pod_ready(pod: dict) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _ip_key(ip: str):
    try:
        return (0, ipaddress.ip_address(ip))
    except ValueError:
        return (1, ip)


def services_of(core: client.CoreV1Api, namespace: str, pod_labels: dict, label: str, doing: str) -> list[str]:
    """Services whose selector picks the component's pods, the diversion label aside."""
    names = []
    for svc in _list(doing, core.list_namespaced_service, namespace):
        selector = (svc.get("spec") or {}).get("selector") or {}
        if selector and all(pod_labels.get(k) == v for k, v in selector.items() if k != label):
            names.append(_meta(svc).get("name", ""))
    return sorted(names)


def ready_endpoints(api: client.ApiClient, namespace: str, service: str, doing: str = "") -> list[str]:
    """A Service's ready endpoint addresses, from its EndpointSlices (core Endpoints when slices are absent)."""
    doing = doing or f"reading the endpoints of service/{service}"
    try:
        slices = _list(doing, client.DiscoveryV1Api(api).list_namespaced_endpoint_slice, namespace,
                       label_selector=f"{SERVICE_NAME_LABEL}={service}")
    except ConsoleError as err:
        if err.status != 404:
            raise
        slices = None
    addresses: set[str] = set()
    if slices is not None:
        for s in slices:
            for endpoint in s.get("endpoints") or []:
                # A nil "ready" means ready (discovery/v1 EndpointConditions).
                if (endpoint.get("conditions") or {}).get("ready") is not False:
                    addresses.update(endpoint.get("addresses") or [])
    else:
        endpoints = _call(doing, client.CoreV1Api(api).read_namespaced_endpoints, service, namespace)
        for subset in endpoints.get("subsets") or []:
            addresses.update(a.get("ip", "") for a in subset.get("addresses") or [])
    return sorted(addresses, key=_ip_key)


def service_endpoints(api: client.ApiClient, namespace: str, services: list[str], doing: str) -> dict[str, list[str]]:
    return {svc: ready_endpoints(api, namespace, svc, doing) for svc in services}
