"""API and connection failures as one sentence, read from the Status object the API server sends back
(its `message` is what kubectl prints)."""

from __future__ import annotations

import json

import urllib3

from ..core.errors import ConsoleError, one_line

MAX_DETAIL = 240  # characters of a server's message kept in a sentence


def from_api_exception(exc: BaseException, doing: str) -> ConsoleError:
    """Turn an API or connection failure into one sentence.

    `doing` is what we were doing, as a phrase that reads after "while" or as
    a sentence start: "rolling back deployment.apps/eli-maor-backend",
    "watching deployments".
    """
    doing = one_line(doing) or "talking to the API server"
    lead = doing[0].upper() + doing[1:]
    server = _server_of(exc)
    if server is not None:
        return ConsoleError(
            f"{lead} failed: cannot reach the API server at {server}; "
            "check that the cluster is up and that your kubeconfig points at it.",
            reason="Unreachable",
        )
    status = getattr(exc, "status", None)
    if not isinstance(status, int) or status == 0:
        # The client raises ApiException(status=0) for transport errors it wrapped itself.
        detail = one_line(getattr(exc, "reason", "") or exc, MAX_DETAIL) or type(exc).__name__
        return ConsoleError(f"{lead} failed: {detail}.", reason="Unknown")
    message, reason = _status_of(exc)
    detail = message or one_line(getattr(exc, "reason", ""), MAX_DETAIL) or f"HTTP {status}"
    if status == 401:
        text = f"{lead} failed: the API server did not accept your credentials; refresh them in your kubeconfig."
    elif status == 403:
        text = f"{lead} is not allowed ({detail}); ask a cluster admin for that permission."
    elif status == 404:
        text = f"{lead} failed: {detail}; check the name and the namespace."
    elif status == 409 and reason == "AlreadyExists":
        text = f"{lead} failed: {detail}; pick another name."
    elif status == 409:
        text = f"{lead} failed: it changed since you looked; re-read and try again."
    elif status == 410:
        text = f"{lead} failed: what you read is too old for the API server (410 Gone); re-read and try again."
    elif status == 422:
        text = f"{lead} failed: the API server rejected it as invalid ({detail}); correct it and try again."
    elif status == 400:
        text = f"{lead} failed: the API server refused the request ({detail})."
    elif status == 429 or status >= 500:
        text = f"{lead} failed: the API server is unavailable or overloaded ({status}: {detail}); try again shortly."
    else:
        text = f"{lead} failed: the API server answered {status} ({detail})."
    return ConsoleError(text, status=status, reason=reason)


def _status_of(exc: BaseException) -> tuple[str, str]:
    """(message, reason) from the Status body the API server sent, if any."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return "", ""
    try:
        status = json.loads(body)
    except ValueError:
        return one_line(body, MAX_DETAIL), ""
    if not isinstance(status, dict):
        return "", ""
    return one_line(status.get("message") or "", MAX_DETAIL), str(status.get("reason") or "")


def _server_of(exc: BaseException) -> str | None:
    """The server URL when `exc` is a failure to connect or a lost connection, else None."""
    transport = (
        urllib3.exceptions.MaxRetryError,
        urllib3.exceptions.NewConnectionError,
        urllib3.exceptions.ProtocolError,
        urllib3.exceptions.TimeoutError,
        ConnectionError,
    )
    if not isinstance(exc, transport):
        return None
    pool = getattr(exc, "pool", None)
    if pool is None or not getattr(pool, "host", None):
        return "the configured address"
    return f"{pool.scheme}://{pool.host}:{pool.port}" if pool.port else f"{pool.scheme}://{pool.host}"
