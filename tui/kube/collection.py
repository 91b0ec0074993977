"""List and watch a collection by its API path, through the official client's `ApiClient`.

The client's generated API classes (`CoreV1Api`, `AppsV1Api`) build a pydantic
validator for each of their hundreds of methods when imported: 0.4-0.8 s on a
worker thread, holding the GIL, before the first list could go out. The
watchers only GET a path; `ApiClient.param_serialize` and `call_api` are the
same HTTP layer those classes call (credentials, TLS, proxy, timeouts), so a
`Collection` is a drop-in for their `list_namespaced_*` methods with
`_preload_content=False`. The classes are still used for actions, imported on
first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubernetes.client.exceptions import ApiException

if TYPE_CHECKING:
    from kubernetes import client

# The generated methods' keyword names -> the API's query parameters.
QUERY = {
    "label_selector": "labelSelector", "field_selector": "fieldSelector", "limit": "limit", "_continue": "continue",
    "resource_version": "resourceVersion", "timeout_seconds": "timeoutSeconds", "watch": "watch",
    "allow_watch_bookmarks": "allowWatchBookmarks",
}


@dataclass(frozen=True)
class Collection:
    """`Collection(api, "/api/v1/namespaces/{namespace}/pods")(namespace, label_selector=..., watch=True)`:
    the raw urllib3 response (JSON), as a generated method returns with `_preload_content=False`. A path to
    one object (`/api/v1/namespaces/{namespace}`) reads that object the same way."""

    api: client.ApiClient
    path: str

    def __call__(self, namespace: str, *, _preload_content: bool = False, _request_timeout=None, **params):
        unknown = set(params) - set(QUERY)
        if unknown or _preload_content:
            raise TypeError(f"Collection takes {sorted(QUERY)} and raw content only, not {sorted(unknown)}")
        query = [(QUERY[k], v) for k, v in params.items() if v is not None]
        method, url, headers, body, post = self.api.param_serialize(
            "GET", self.path, path_params={"namespace": namespace}, query_params=query,
            header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
        response = self.api.call_api(method, url, headers, body, post, _request_timeout=_request_timeout)
        if not 200 <= response.status <= 299:
            response.read()  # as the generated methods: the body goes into the exception
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response
