"""Pod logs and an object's events through the kubernetes client: blocking calls, for worker threads only.

`LogStream.run` follows a container's log (`follow=True`, unread: `_preload_content=False`) and hands each
chunk's complete lines to a callback; `stop` from any thread ends it by shutting the response down, so the
worker's blocking read returns at once (the view closing must never wait for the next log line).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from ..core.errors import ConsoleError
from ..core.podlogs import TAIL, no_previous, split_lines
from ..core.validate import validate_name
from .errors import from_api_exception
from .rest import list_all


def read_previous(api: client.ApiClient, namespace: str, pod: str, container: str, tail: int = TAIL) -> str:
    """The last `tail` lines of the container's previous run (what a crash-looping container said as it died)."""
    validate_name(pod)
    try:
        return client.CoreV1Api(api).read_namespaced_pod_log(
            pod, namespace, container=container, previous=True, tail_lines=tail, _request_timeout=15) or ""
    except ApiException as exc:
        if exc.status == 400 and "previous terminated container" in (exc.body or ""):
            raise ConsoleError(no_previous(pod, container)) from None
        raise from_api_exception(exc, f"reading the previous logs of pod/{pod}") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise from_api_exception(exc, f"reading the previous logs of pod/{pod}") from None


class LogStream:
    """One followed log; `run` blocks until the stream ends or `stop` is called."""

    def __init__(self, api: client.ApiClient, namespace: str, pod: str, container: str, tail: int = TAIL) -> None:
        self.api = api
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.tail = tail
        self._response = None
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def run(self, on_lines: Callable[[list[str]], None]) -> None:
        """Follow the log, calling `on_lines` (on this thread) with each batch of complete lines.

        Returns when the server ends the stream (the container exited, the pod is gone) or after `stop`;
        raises ConsoleError (one sentence) when it cannot be read."""
        validate_name(self.pod)
        doing = f"following the logs of pod/{self.pod}"
        try:
            response = client.CoreV1Api(self.api).read_namespaced_pod_log(
                self.pod, self.namespace, container=self.container, follow=True, tail_lines=self.tail,
                _preload_content=False)  # no read timeout: a quiet log is not a failure
            with self._lock:
                self._response = response
                if self.stopped.is_set():  # stopped while connecting: closed in `finally`
                    return
            pending = ""
            for chunk in response.stream(2**16, decode_content=True):
                if self.stopped.is_set():
                    return
                lines, pending = split_lines(pending, chunk.decode("utf-8", errors="replace"))
                if lines:
                    on_lines(lines)
            if pending and not self.stopped.is_set():
                on_lines([pending])
        except ApiException as exc:
            if exc.status == 400 and "waiting to start" in (exc.body or ""):
                raise ConsoleError(f"Container {self.container} of pod {self.pod} is waiting to start, so it has "
                                   "logged nothing yet; s follows it again, p shows its previous run.") from None
            raise from_api_exception(exc, doing) from None
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if self.stopped.is_set():
                return  # our own shutdown interrupting the read
            raise from_api_exception(exc, doing) from None
        finally:
            self._close()

    def stop(self) -> None:
        """From any thread: end the stream now."""
        self.stopped.set()
        self._close()

    def _close(self) -> None:
        with self._lock:
            response, self._response = self._response, None
        if response is not None:
            try:
                response.shutdown()  # unblocks a read in progress on the worker thread
                response.close()  # a half-read stream's connection is not handed back to the pool
            except Exception:  # noqa: BLE001 - closing a connection that is already gone
                pass


def read_events(api: client.ApiClient, namespace: str, kind: str, name: str) -> list[dict]:
    """The events about one object (raw JSON), as `kubectl describe` lists them."""
    validate_name(name)
    return list_all(f"reading the events of {kind.lower()}/{name}", client.CoreV1Api(api).list_namespaced_event,
                    namespace, field_selector=f"involvedObject.kind={kind},involvedObject.name={name}")
