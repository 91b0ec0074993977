"""Reads the checklist's evidence needs from the cluster: recent pod logs, Services' ready endpoints.

Blocking calls of the official client: run them in worker threads only.
Failures become one-sentence ConsoleErrors (RBAC, a vanished pod).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from kubernetes import client
from kubernetes.client.rest import ApiException

from ..core.errors import ConsoleError
from ..core.evidence import SINCE_SECONDS, TAIL_LINES, count_errors, services_selecting
from ..core.names import SERVING_LABEL
from ..core.validate import validate_name
from ..kube.endpoints import ready_endpoints
from ..kube.errors import from_api_exception


def _container_log(core: client.CoreV1Api, namespace: str, pod: str, container: str, previous: bool,
                   tail_lines: int, since_seconds: int) -> str:
    kwargs = {"container": container, "tail_lines": tail_lines, "_request_timeout": 15}
    if since_seconds:
        kwargs["since_seconds"] = since_seconds
    if previous:
        kwargs["previous"] = True
    return core.read_namespaced_pod_log(pod, namespace, **kwargs) or ""


def scan_pod_logs(api: client.ApiClient, namespace: str, pods: Iterable[dict], pattern: re.Pattern,
                  tail_lines: int = TAIL_LINES, since_seconds: int = SINCE_SECONDS
                  ) -> tuple[dict[str, int], dict[str, str]]:
    """Error lines per pod (its containers' recent logs, and the previous run's if one restarted),
    and the pods whose logs could not be read, with why."""
    core = client.CoreV1Api(api)
    counts: dict[str, int] = {}
    unread: dict[str, str] = {}
    for pod in pods:
        name = pod["metadata"]["name"]
        validate_name(name)
        statuses = {cs.get("name"): cs for cs in (pod.get("status") or {}).get("containerStatuses") or []}
        total, read = 0, False
        for container in (pod.get("spec") or {}).get("containers") or []:
            cname = container["name"]
            runs = [False] + ([True] if (statuses.get(cname) or {}).get("restartCount", 0) else [])
            for previous in runs:
                try:
                    text = _container_log(core, namespace, name, cname, previous, tail_lines, since_seconds)
                except ApiException as exc:
                    if exc.status == 400:
                        continue  # waiting to start, or no previous run: nothing logged there
                    raise from_api_exception(exc, f"reading the logs of pod/{name}") from None
                read = True
                total += count_errors(text, pattern)
        if read:
            counts[name] = total
        else:
            unread[name] = "no logs yet (not started)"
    return counts, unread


def service_endpoints(api: client.ApiClient, namespace: str, pod_labels: Mapping[str, str]) -> dict[str, list[str]]:
    """The ready endpoint addresses of every Service selecting pods with these labels."""
    doing = "reading the Services' endpoints"
    try:
        services = client.CoreV1Api(api).list_namespaced_service(namespace, _request_timeout=15)
    except ApiException as exc:
        raise from_api_exception(exc, doing) from None
    plain = client.ApiClient().sanitize_for_serialization(services.items)
    names = services_selecting(plain, pod_labels, ignore=SERVING_LABEL)
    return {svc: ready_endpoints(api, namespace, svc, doing) for svc in names}


def one_sentence(exc: BaseException, doing: str) -> str:
    """Any failure of a probe as one sentence (an unreachable server included)."""
    if isinstance(exc, ConsoleError):
        return exc.message
    return from_api_exception(exc, doing).message
