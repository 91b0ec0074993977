"""Endpoints and EndpointSlices for Services with a selector.

One controller does the work of upstream's two (pkg/controller/endpoint and
pkg/controller/endpointslice), since both answer the same question: which
pods back this Service, on which ports, and are they ready?

* Endpoints `<svc>`: ready pods under `addresses`, unready ones under
  `notReadyAddresses`; terminating pods are left out (unless the Service
  sets publishNotReadyAddresses), as upstream's endpoints controller does.
* EndpointSlice `<svc>-xxxxx` (addressType IPv4), one per distinct port set:
  every pod with an IP, terminating ones included, with conditions
  ready/serving/terminating; a placeholder slice with no endpoints when no pod
  matches. Owned by the Service, so the garbage collector removes it.

Objects are rewritten only when their content changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import errors
from ..clock import rfc3339
from ..jsoncopy import clone
from ..resources import ENDPOINTS, ENDPOINTSLICE, POD, SERVICE
from ..store import DELETED, Change
from . import podutil
from .base import Controller, Key

MANAGER = "kube-controller-manager"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"


class EndpointsController(Controller):
    name = "endpoint-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        # (namespace, pod) -> names of the Services whose endpoints listed it at their last sync,
        # so a pod that stops matching (relabelled, deleted) wakes those Services.
        self._pod_services: dict[Key, set[str]] = {}
        self._service_pods: dict[Key, set[str]] = {}
        # namespace -> {pod: labels} and namespace -> {service: selector}, kept from storage
        # changes so neither a pod event nor a sync has to list the namespace.
        self._pod_labels: dict[str, dict[str, dict]] = {}
        self._selectors: dict[str, dict[str, dict]] = {}
        for pod in self.ctx.storage.items(POD.key):
            self._index(self._pod_labels, pod, pod["metadata"].get("labels") or {})
        for svc in self.ctx.storage.items(SERVICE.key):
            self._index(self._selectors, svc, _selector(svc))

    @staticmethod
    def _index(index: dict[str, dict[str, dict]], obj: dict, value: dict | None) -> None:
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        if value is None:
            bucket = index.get(ns)
            if bucket is not None:
                bucket.pop(name, None)
        else:
            index.setdefault(ns, {})[name] = value

    # ---- event handlers --------------------------------------------------

    def keys_for(self, change: Change) -> Iterable[Key]:
        ns = change.namespace
        deleted = change.type == DELETED
        if change.key == SERVICE.key:
            self._index(self._selectors, change.obj, None if deleted else _selector(change.obj))
            return [(ns, change.name)]
        if change.key == POD.key:
            labels = change.obj["metadata"].get("labels") or {}
            self._index(self._pod_labels, change.obj, None if deleted else labels)
            names = set(self._pod_services.get((ns, change.name), ()))
            if not deleted:
                for svc, selector in self._selectors.get(ns, {}).items():
                    if all(labels.get(k) == v for k, v in selector.items()):
                        names.add(svc)
            return [(ns, n) for n in sorted(names)]
        if change.key == ENDPOINTS.key:
            # Someone else touched (or removed) an Endpoints we manage: put it back.
            return [(ns, change.name)] if self._manages(ns, change.name) else []
        if change.key == ENDPOINTSLICE.key:
            labels = change.obj["metadata"].get("labels") or {}
            svc = labels.get(SERVICE_NAME_LABEL)
            if svc and labels.get(MANAGED_BY_LABEL) == MANAGED_BY:
                return [(ns, svc)]
        return []

    def _manages(self, namespace: str, name: str) -> bool:
        svc = self.ctx.storage.get(SERVICE.key, namespace, name)
        return svc is not None and _selector(svc) is not None

    def all_keys(self) -> Iterable[Key]:
        return [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in self.ctx.storage.items(SERVICE.key)]

    # ---- sync ------------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        svc = self.ctx.storage.get(SERVICE.key, namespace, name)
        if svc is None:
            self._remember(namespace, name, set())
            if self.ctx.storage.get(ENDPOINTS.key, namespace, name) is not None:
                try:
                    self.api.delete(ENDPOINTS, namespace, name)
                except errors.ApiError as exc:
                    if exc.code != 404:
                        raise
            return  # the EndpointSlices are owned by the Service: the garbage collector takes them
        selector = _selector(svc)
        if selector is None:
            self._remember(namespace, name, set())
            return  # no selector: Endpoints are the user's to manage
        matching = sorted(pod for pod, labels in self._pod_labels.get(namespace, {}).items()
                          if all(labels.get(k) == v for k, v in selector.items()))
        pods = [p for p in (self.ctx.storage.get(POD.key, namespace, n) for n in matching) if p is not None]
        self._remember(namespace, name, {p["metadata"]["name"] for p in pods})
        self._sync_endpoints(svc, pods)
        self._sync_slices(svc, pods)

    def _remember(self, namespace: str, service: str, pods: set[str]) -> None:
        key = (namespace, service)
        for pod in self._service_pods.pop(key, set()) - pods:
            names = self._pod_services.get((namespace, pod))
            if names is not None:
                names.discard(service)
                if not names:
                    del self._pod_services[(namespace, pod)]
        if pods:
            self._service_pods[key] = set(pods)
            for pod in pods:
                self._pod_services.setdefault((namespace, pod), set()).add(service)

    # ---- core/v1 Endpoints -------------------------------------------------

    def _sync_endpoints(self, svc: dict, pods: list[dict]) -> None:
        meta = svc["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        spec = svc.get("spec") or {}
        publish = bool(spec.get("publishNotReadyAddresses"))
        groups: dict[tuple, dict] = {}
        for pod in pods:
            if not _should_be_in_endpoints(pod, include_terminating=publish):
                continue
            address = _endpoint_address(svc, pod)
            ready = publish or podutil.is_pod_ready(pod)
            if spec.get("ports"):
                ports = []
                for sp in spec["ports"]:
                    number = podutil.find_port(pod, sp.get("targetPort", sp.get("port")), sp.get("protocol", "TCP"))
                    if number is None:
                        continue
                    ports.append(_endpoint_port(sp, number))
                if not ports:
                    continue
            elif spec.get("clusterIP") == "None":
                ports = []
            else:
                continue
            port_key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
            group = groups.setdefault(port_key, {"ready": {}, "unready": {}, "ports": ports})
            group["ready" if ready else "unready"][address["ip"]] = address
        subsets = []
        for port_key in sorted(groups):
            group = groups[port_key]
            subset: dict = {}
            ready = [group["ready"][ip] for ip in sorted(group["ready"], key=_ip_key)]
            unready = [group["unready"][ip] for ip in sorted(group["unready"], key=_ip_key) if ip not in group["ready"]]
            if ready:
                subset["addresses"] = ready
            if unready:
                subset["notReadyAddresses"] = unready
            if group["ports"]:
                subset["ports"] = sorted(group["ports"], key=lambda p: (p.get("name", ""), p["port"]))
            subsets.append(subset)
        labels = dict(meta.get("labels") or {})
        if spec.get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        current = self.ctx.storage.get(ENDPOINTS.key, namespace, name)
        if current is not None:
            same_subsets = (current.get("subsets") or []) == subsets
            same_labels = (current["metadata"].get("labels") or {}) == labels
            if same_subsets and same_labels:
                return
            updated = clone(current)
            updated["metadata"]["labels"] = labels
            if not labels:
                updated["metadata"].pop("labels")
            annotations = dict(updated["metadata"].get("annotations") or {})
            annotations[TRIGGER_TIME] = rfc3339(self.clock.now())
            updated["metadata"]["annotations"] = annotations
            updated.pop("subsets", None)
            if subsets:
                updated["subsets"] = subsets
            updated["metadata"].pop("resourceVersion", None)
            self.api.update(ENDPOINTS, namespace, name, updated, manager=MANAGER)
            return
        body: dict = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "annotations": {TRIGGER_TIME: rfc3339(self.clock.now())}},
        }
        if labels:
            body["metadata"]["labels"] = labels
        if subsets:
            body["subsets"] = subsets
        try:
            self.api.create(ENDPOINTS, namespace, body, manager=MANAGER)
        except errors.ApiError as exc:
            if exc.reason != "AlreadyExists":
                raise
            self.enqueue(namespace, name)

    # ---- discovery.k8s.io/v1 EndpointSlices ----------------------------------

    def _sync_slices(self, svc: dict, pods: list[dict]) -> None:
        meta = svc["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        spec = svc.get("spec") or {}
        publish = bool(spec.get("publishNotReadyAddresses"))
        desired: dict[tuple, dict] = {}  # port set -> {"ports": [...], "endpoints": {uid: endpoint}}
        for pod in pods:
            if not _should_be_in_endpoints(pod, include_terminating=True):
                continue
            ip = _pod_ipv4(pod)
            if ip is None:
                continue
            ports = []
            for sp in spec.get("ports") or ():
                number = podutil.find_port(pod, sp.get("targetPort", sp.get("port")), sp.get("protocol", "TCP"))
                if number is None:
                    continue
                port = {"name": sp.get("name", ""), "protocol": sp.get("protocol", "TCP"), "port": number}
                if sp.get("appProtocol"):
                    port["appProtocol"] = sp["appProtocol"]
                ports.append(port)
            ports.sort(key=lambda p: (p["name"], p["port"], p["protocol"]))
            key = tuple((p["name"], p["port"], p["protocol"]) for p in ports)
            entry = desired.setdefault(key, {"ports": ports, "endpoints": {}})
            entry["endpoints"][pod["metadata"]["uid"]] = _slice_endpoint(svc, pod, ip, publish)

        existing = [s for s in self.ctx.storage.items(ENDPOINTSLICE.key, namespace)
                    if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
                    and (s["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY]
        labels = _slice_labels(svc)
        owner = podutil.owner_reference(svc)
        now = rfc3339(self.clock.now())
        unused = list(existing)
        for key in sorted(desired):
            entry = desired[key]
            match = next((s for s in unused if _port_key(s) == key and s.get("endpoints")), None)
            if match is None:
                self._create_slice(svc, labels, owner, entry["ports"], _ordered(None, entry["endpoints"]), now)
                continue
            unused.remove(match)
            endpoints = _ordered(match.get("endpoints"), entry["endpoints"])
            if (match.get("endpoints") == endpoints and match.get("ports") == entry["ports"]
                    and (match["metadata"].get("labels") or {}) == labels
                    and match.get("addressType") == "IPv4"
                    and [owner] == [{**r} for r in match["metadata"].get("ownerReferences") or ()]):
                continue
            updated = clone(match)
            updated["endpoints"] = endpoints
            updated["ports"] = entry["ports"]
            updated["metadata"]["labels"] = labels
            updated["metadata"]["ownerReferences"] = [owner]
            updated["metadata"].setdefault("annotations", {})[TRIGGER_TIME] = now
            updated["metadata"].pop("resourceVersion", None)
            self.api.update(ENDPOINTSLICE, namespace, match["metadata"]["name"], updated, manager=MANAGER)
        if not desired:
            # No endpoints at all: keep (or make) one placeholder slice, as upstream does.
            placeholder = next((s for s in unused if not s.get("endpoints") and not s.get("ports")), None)
            if placeholder is not None:
                unused.remove(placeholder)
            else:
                self._create_slice(svc, labels, owner, None, None, now)
        for stale in unused:
            try:
                self.api.delete(ENDPOINTSLICE, namespace, stale["metadata"]["name"],
                                preconditions={"uid": stale["metadata"]["uid"]})
            except errors.ApiError as exc:
                if exc.code not in (404, 409):
                    raise

    def _create_slice(self, svc: dict, labels: dict, owner: dict, ports, endpoints, now: str) -> None:
        meta = svc["metadata"]
        body = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{meta['name']}-",
                "labels": labels,
                "annotations": {TRIGGER_TIME: now},
                "ownerReferences": [owner],
            },
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports,
        }
        for _ in range(8):
            try:
                self.api.create(ENDPOINTSLICE, meta["namespace"], clone(body), manager=MANAGER)
                return
            except errors.ApiError as exc:
                if exc.reason != "AlreadyExists":
                    raise


# ---- helpers -------------------------------------------------------------------


def _selector(svc: dict) -> dict | None:
    """The Service's selector map, or None when it has none (nil and {} alike, as after a round trip)."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return None
    return spec.get("selector") or None


def _should_be_in_endpoints(pod: dict, include_terminating: bool) -> bool:
    """endpointutil.ShouldPodBeInEndpoints."""
    status = pod.get("status") or {}
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    if not include_terminating and pod["metadata"].get("deletionTimestamp"):
        return False
    phase = status.get("phase")
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    if policy == "Never":
        return phase not in ("Failed", "Succeeded")
    if policy == "OnFailure":
        return phase != "Succeeded"
    return phase not in ("Failed", "Succeeded")


def _pod_ipv4(pod: dict) -> str | None:
    status = pod.get("status") or {}
    candidates = [status.get("podIP")] + [p.get("ip") for p in status.get("podIPs") or ()]
    return next((ip for ip in candidates if ip and ":" not in ip), None)


def _target_ref(pod: dict) -> dict:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}


def _hostname(svc: dict, pod: dict) -> str | None:
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        return spec["hostname"]
    return None


def _endpoint_address(svc: dict, pod: dict) -> dict:
    address: dict = {"ip": _pod_ipv4(pod) or (pod.get("status") or {}).get("podIP")}
    hostname = _hostname(svc, pod)
    if hostname:
        address["hostname"] = hostname
    if pod["spec"].get("nodeName"):
        address["nodeName"] = pod["spec"]["nodeName"]
    address["targetRef"] = _target_ref(pod)
    return address


def _endpoint_port(service_port: dict, number: int) -> dict:
    port: dict = {}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    port["port"] = number
    port["protocol"] = service_port.get("protocol", "TCP")
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _slice_endpoint(svc: dict, pod: dict, ip: str, publish: bool) -> dict:
    serving = publish or podutil.is_pod_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    endpoint: dict = {
        "addresses": [ip],
        "conditions": {"ready": publish or (serving and not terminating), "serving": serving,
                       "terminating": terminating},
    }
    hostname = _hostname(svc, pod)
    if hostname:
        endpoint["hostname"] = hostname
    endpoint["targetRef"] = _target_ref(pod)
    if pod["spec"].get("nodeName"):
        endpoint["nodeName"] = pod["spec"]["nodeName"]
    return endpoint


def _slice_labels(svc: dict) -> dict:
    labels = {k: v for k, v in (svc["metadata"].get("labels") or {}).items()
              if k not in (SERVICE_NAME_LABEL, MANAGED_BY_LABEL)}
    if (svc.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = svc["metadata"]["name"]
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    return labels


def _port_key(slice_: dict) -> tuple:
    ports = slice_.get("ports") or []
    return tuple(sorted((p.get("name") or "", p.get("port"), p.get("protocol", "TCP")) for p in ports))


def _ordered(current: list | None, wanted: dict[str, dict]) -> list[dict]:
    """Keep the order of endpoints already in a slice; append new ones by IP."""
    out, seen = [], set()
    for endpoint in current or ():
        uid = (endpoint.get("targetRef") or {}).get("uid")
        if uid in wanted and uid not in seen:
            out.append(wanted[uid])
            seen.add(uid)
    fresh = [e for uid, e in wanted.items() if uid not in seen]
    out.extend(sorted(fresh, key=lambda e: _ip_key(e["addresses"][0])))
    return out


def _ip_key(ip: str) -> tuple:
    try:
        return tuple(int(part) for part in ip.split("."))
    except ValueError:
        return (999, ip)
