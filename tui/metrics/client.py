"""Prometheus's HTTP API (query, query_range, alerts) with an async client; every failure is one sentence."""

from __future__ import annotations

import json

import httpx

from ..core.errors import ConsoleError
from ..core.metrics import PrometheusAnswerError
from .endpoint import Endpoint

TIMEOUT = 5.0  # seconds: a Prometheus slower than this is reported as such, the console goes on


class PrometheusError(ConsoleError):
    """Prometheus could not answer (unreachable, an HTTP error, not its API)."""


class PrometheusClient:
    def __init__(self, where: Endpoint, timeout: float = TIMEOUT) -> None:
        self.where = where
        self._http = httpx.AsyncClient(base_url=where.base_url, headers=where.headers, verify=where.verify,
                                       cert=where.cert, timeout=timeout, follow_redirects=False)

    async def __aenter__(self) -> PrometheusClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def query(self, expr: str, at: float | None = None) -> dict:
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        return await self._get("/api/v1/query", params)

    async def query_range(self, expr: str, start: float, end: float, step: float) -> dict:
        return await self._get("/api/v1/query_range", {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}",
                                                         "step": f"{max(step, 0.001):.3f}"})

    async def alerts(self) -> dict:
        return await self._get("/api/v1/alerts", {})

    async def _get(self, path: str, params: dict) -> dict:
        who = self.where.describe
        try:
            response = await self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise PrometheusError(f"{who} did not answer within {self._http.timeout.read:g} s.") from None
        except httpx.HTTPError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PrometheusError(f"{who} is unreachable ({reason}); check that it runs and the address.") from None
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        if response.status_code >= 400:
            detail = _detail(answer) or response.reason_phrase or "error"
            raise PrometheusError(f"{who} answered {response.status_code} ({detail}).")
        if not isinstance(answer, dict):
            raise PrometheusError(f"{who} answered something that is not Prometheus's JSON API.")
        if answer.get("status") != "success":
            raise PrometheusError(f"{who} refused the query: {_detail(answer) or 'no reason given'}.")
        return answer


def _detail(answer) -> str:
    """Prometheus's `error`, or a Kubernetes Status's `message` (the service proxy's own errors)."""
    if isinstance(answer, dict):
        for key in ("error", "message"):
            if isinstance(answer.get(key), str):
                return answer[key].splitlines()[0][:200]
    return ""


__all__ = ["PrometheusAnswerError", "PrometheusClient", "PrometheusError"]
