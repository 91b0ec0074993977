"""The apiserver's service proxy, for Services whose backend runs outside the sandbox.

`GET|POST /api/v1/namespaces/{ns}/services/{name}[:{port}]/proxy/{path}` (the
name may also be `http:{name}:{port}`, as the apiserver accepts) forwards to
an upstream URL given by `sandbox serve --service-proxy NS/NAME:PORT=URL`,
for which the sandbox creates the Service object, so `kubectl get svc` shows
it. This is how the console reaches the demo's Prometheus the way it would on
a real cluster (`prometheus: {service: monitoring/prometheus:9090}`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from . import errors
from .api import Api
from .resources import NAMESPACE, SERVICE

PROXY_PATH = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/services/(?P<name>[^/]+)/proxy(?P<rest>/.*)?$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SPEC = re.compile(r"^(?P<ns>[^/=]+)/(?P<name>[^/:=]+):(?P<port>\d+)=(?P<url>https?://\S+)$")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host",
               "content-length", "authorization"}
UPSTREAM_TIMEOUT = 30.0  # seconds


class ProxySpecError(ValueError):
    pass


@dataclass(frozen=True)
class Upstream:
    namespace: str
    name: str
    port: int
    url: str  # without a trailing slash


def parse_spec(text: str) -> Upstream:
    """`NS/NAME:PORT=URL`, e.g. monitoring/prometheus:9090=http://127.0.0.1:9091."""
    m = _SPEC.match(text.strip())
    if not m:
        raise ProxySpecError(f"--service-proxy {text!r} must look like NAMESPACE/NAME:PORT=URL, "
                             "e.g. monitoring/prometheus:9090=http://127.0.0.1:9091")
    ns, name, port = m["ns"], m["name"], int(m["port"])
    if not (_NAME.match(ns) and _NAME.match(name)):
        raise ProxySpecError(f"--service-proxy {text!r}: the namespace and the name must be lower-case "
                             "letters, digits and '-'")
    if not 0 < port < 65536:
        raise ProxySpecError(f"--service-proxy {text!r}: the port must be between 1 and 65535")
    return Upstream(ns, name, port, m["url"].rstrip("/"))


def create_service(api: Api, up: Upstream) -> None:
    """The Service object (and its namespace) standing for the upstream: no selector, one port."""
    if api.storage.get(NAMESPACE.key, "", up.namespace) is None:
        api.create(NAMESPACE, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": up.namespace}},
                   manager="sandbox")
    if api.storage.get(SERVICE.key, up.namespace, up.name) is None:
        api.create(SERVICE, up.namespace, {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": up.name, "namespace": up.namespace,
                         "annotations": {"sandbox.rollback-console/proxied-to": up.url}},
            "spec": {"ports": [{"name": "web", "port": up.port, "targetPort": up.port, "protocol": "TCP"}]},
        }, manager="sandbox")


def _split_name(text: str) -> tuple[str, str]:
    """The apiserver's SplitSchemeNamePort: name, name:port or scheme:name:port -> (name, port or "")."""
    parts = text.split(":")
    if len(parts) == 1:
        return parts[0], ""
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[0] in ("http", "https"):
        return parts[1], parts[2]
    raise errors.bad_request(f'invalid service request "{text}"')


class ServiceProxy:
    def __init__(self, api: Api, upstreams: list[Upstream]):
        self.api = api
        self.upstreams = {(u.namespace, u.name): u for u in upstreams}
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.Request, match: re.Match) -> web.Response:
        if request.method not in ("GET", "POST", "HEAD"):
            raise errors.method_not_allowed()
        namespace = match["ns"]
        name, port = _split_name(match["name"])
        service = self.api.get(SERVICE, namespace, name)  # 404 services "x" not found, like the apiserver
        ports = service.get("spec", {}).get("ports") or []
        if port and not any(port in (str(p.get("port")), p.get("name")) for p in ports):
            raise errors.ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{name}:{port}"')
        up = self.upstreams.get((namespace, name))
        if up is None:
            raise errors.ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{match["name"]}"')
        # The raw path keeps the client's escaping; only the part after /proxy goes upstream.
        raw = request.raw_path.partition("?")[0]
        rest = raw[raw.index("/proxy") + len("/proxy"):] or "/"
        url = up.url + rest + (f"?{request.query_string}" if request.query_string else "")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT),
                                                  auto_decompress=False)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        try:
            async with self._session.request(request.method, url, headers=headers, data=body or None,
                                             allow_redirects=False) as resp:
                payload = await resp.read()
                out = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP_BY_HOP}
                return web.Response(status=resp.status, body=payload, headers=out)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            os_error = getattr(exc, "os_error", None)
            why = os.strerror(os_error.errno).lower() if getattr(os_error, "errno", None) else (
                str(exc) or type(exc).__name__)
            raise errors.ApiError(503, "ServiceUnavailable",
                                  f"error trying to reach service {namespace}/{name}: nothing answers at {up.url} "
                                  f"({why}); start it or fix --service-proxy") from None
