"""Raw JSON calls through the kubernetes client: objects as the server stored them, failures as one sentence.

Objects are read as raw JSON rather than client models: a rollback patches a
pod template back exactly as the server stored it, and a model round trip
could drop fields this client version does not know.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import urllib3
from kubernetes.client.exceptions import ApiException

from .errors import from_api_exception


def call(doing: str, method: Callable, *args, **kwargs) -> dict:
    """Call a client method for raw JSON; API and connection failures become one sentence."""
    try:
        response = method(*args, _preload_content=False, **kwargs)
        return json.loads(response.data or b"{}")
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise from_api_exception(exc, doing) from None


def list_all(doing: str, method: Callable, namespace: str, **kwargs) -> list[dict]:
    """All items of a namespaced list, following continue tokens as kubectl's FollowContinue."""
    items: list[dict] = []
    token = None
    while True:
        extra = {"_continue": token} if token else {}
        body = call(doing, method, namespace, **kwargs, **extra)
        items.extend(body.get("items") or [])
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return items
