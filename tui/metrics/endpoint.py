"""Where the console reaches Prometheus: a URL, or a Service through the API server's proxy.

The proxy path (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/`) lets an on-call engineer use the
cluster's Prometheus with the kubeconfig they already have: no port-forward, the same credentials
and TLS as kubectl.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..appconfig import SERVICE, PrometheusConfig
from ..core.errors import ConsoleError


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # ends without "/"; the API paths (/api/v1/...) are appended
    describe: str  # for sentences: "Prometheus at http://..." or "Prometheus monitoring/prometheus:9090 via ..."
    headers: dict[str, str] = field(default_factory=dict)
    verify: bool | str = True  # httpx's: a CA bundle path, or whether to verify
    cert: tuple[str, str] | None = None  # a client certificate and key


def endpoint(config: PrometheusConfig, target) -> Endpoint:
    """The configured Prometheus. With a service, the kubernetes client is built (blocking: call off the loop)."""
    if config.url:
        return Endpoint(config.url, f"Prometheus at {config.url}")
    match = SERVICE.match(config.service)
    if match is None:
        raise ConsoleError("Prometheus is not configured: pass --prometheus URL or set prometheus: in the config.")
    api = target.api
    if api is None:
        raise ConsoleError("Prometheus through the API server needs a cluster; the console is offline.")
    c = api.configuration
    port = f":{match['port']}" if match["port"] else ""
    base = (f"{c.host.rstrip('/')}/api/v1/namespaces/{match['namespace']}/services/{match['name']}{port}/proxy")
    headers = {}
    if c.refresh_api_key_hook is not None:  # exec plugins and expiring tokens, as the client itself does
        c.refresh_api_key_hook(c)
    token = c.get_api_key_with_prefix("authorization") or c.get_api_key_with_prefix("BearerToken")
    if token:
        headers["Authorization"] = token
    verify: bool | str = c.ssl_ca_cert or bool(c.verify_ssl)
    cert = (c.cert_file, c.key_file) if c.cert_file and c.key_file else None
    return Endpoint(base, f"Prometheus {config.service} through the API server {target.server}", headers,
                    verify, cert)
