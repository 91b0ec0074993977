"""Rollouts over HTTP by API path through the client's ApiClient (no generated CustomObjectsApi: slow to
import, and the console's start-up is measured); bodies and answers as raw JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import urllib3
from kubernetes.client.exceptions import ApiException

from ...core.validate import validate_name, validate_namespace
from ...kube.errors import from_api_exception

if TYPE_CHECKING:
    from kubernetes import client

ROLLOUTS = "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/rollouts"
REPLICASETS = "/apis/apps/v1/namespaces/{namespace}/replicasets"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def request(api: client.ApiClient, method: str, path: str, namespace: str, doing: str, *, name: str = "",
            body=None, content_type: str = "", query: list | None = None) -> dict:
    """One request; the answer's JSON. API and connection failures raise ConsoleError (one sentence), with
    the status (404, 409) for the caller to tell apart."""
    validate_namespace(namespace)
    if name:
        validate_name(name)
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    params = {"namespace": namespace, **({"name": name} if name else {})}
    try:
        method_, url, headers_, body_, post = api.param_serialize(
            method, path, path_params=params, query_params=query or [], header_params=headers, body=body,
            auth_settings=["BearerToken"])
        response = api.call_api(method_, url, headers_, body_, post, _request_timeout=30)
        response.read()
        if not 200 <= response.status <= 299:
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return json.loads(response.data or b"{}")
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise from_api_exception(exc, doing) from None


def get_rollout(api: client.ApiClient, namespace: str, name: str, doing: str) -> dict:
    return request(api, "GET", ROLLOUTS + "/{name}", namespace, doing, name=name)


def list_replicasets(api: client.ApiClient, namespace: str, selector: str, doing: str) -> list[dict]:
    items: list[dict] = []
    token = ""
    while True:
        query = [("labelSelector", selector)] + ([("continue", token)] if token else [])
        body = request(api, "GET", REPLICASETS, namespace, doing, query=query)
        items += body.get("items") or []
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


def patch(api: client.ApiClient, namespace: str, name: str, body, doing: str, *, status: bool = False,
          content_type: str = MERGE_PATCH, dry_run: bool = False) -> dict:
    """PATCH the Rollout, or its status subresource (where the plugin sends promote, abort, retry)."""
    path = ROLLOUTS + "/{name}" + ("/status" if status else "")
    return request(api, "PATCH", path, namespace, doing, name=name, body=body, content_type=content_type,
                   query=[("dryRun", "All")] if dry_run else [])


def put(api: client.ApiClient, namespace: str, name: str, body: dict, doing: str, *, dry_run: bool = False) -> dict:
    return request(api, "PUT", ROLLOUTS + "/{name}", namespace, doing, name=name, body=body,
                   content_type="application/json", query=[("dryRun", "All")] if dry_run else [])
