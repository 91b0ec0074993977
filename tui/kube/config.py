"""Connect like kubectl: kubeconfig, context and namespace to an API client.

Every failure becomes a ConsoleError with one sentence saying what is wrong
and what to do; nothing here touches the network, so the UI can open at once
and let the watchers find out whether the server answers.

`locate()` reads the kubeconfig as YAML only (which context, namespace and
server): the console paints its first frame with that. The kubernetes client
is imported and built on first use of `Target.api`, which the console does on
a worker thread.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..core.errors import ConsoleError

if TYPE_CHECKING:
    from kubernetes import client

DEFAULT_KUBECONFIG = Path("~/.kube/config")
DEFAULT_PROD_PATTERN = r"prod"


@dataclass(eq=False)
class Target:
    """Where the console points: a context, its server and a namespace; `offline` when there is no cluster.

    `api` is the kubernetes client, built on first use (slow: hundreds of ms to import and build, so the
    console first uses it on a worker thread); ConsoleError when the context cannot be used."""

    context: str
    namespace: str
    server: str
    kubeconfig: Path
    offline: bool = False
    _api: client.ApiClient | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def api(self) -> client.ApiClient | None:
        if self.offline:
            return None
        with self._lock:
            if self._api is None:
                self._api = _client(self.kubeconfig, self.context)
            return self._api

    def is_production(self, pattern: str = DEFAULT_PROD_PATTERN) -> bool:
        regex = re.compile(pattern, re.IGNORECASE)
        return bool(regex.search(self.context) or regex.search(self.namespace))


def kubeconfig_path(explicit: str | os.PathLike | None = None) -> Path:
    """--kubeconfig, else the first file of $KUBECONFIG, else ~/.kube/config (as kubectl)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("KUBECONFIG", "")
    for part in env.split(os.pathsep):
        if part:
            return Path(part).expanduser()
    return DEFAULT_KUBECONFIG.expanduser()


def connect(
    kubeconfig: str | os.PathLike | None = None, context: str | None = None, namespace: str | None = None
) -> Target:
    """`locate()`, then the client built now (for commands without a UI, and tests)."""
    target = locate(kubeconfig, context, namespace)
    _ = target.api
    return target


def offline(context: str, namespace: str, server: str) -> Target:
    """A Target without a cluster: the console shows a pre-filled state and changes nothing."""
    return Target(context, namespace, server, Path(), offline=True)


def locate(
    kubeconfig: str | os.PathLike | None = None, context: str | None = None, namespace: str | None = None
) -> Target:
    """Which context, namespace and server, from the kubeconfig's YAML alone (no client, no network)."""
    path = kubeconfig_path(kubeconfig)
    if not path.is_file():
        raise ConsoleError(f"No kubeconfig at {path}: pass --kubeconfig or set KUBECONFIG.")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConsoleError(f"Cannot read the kubeconfig {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise ConsoleError(f"The kubeconfig {path} is not text (binary data); pass --kubeconfig with a kubeconfig "
                           "YAML file.") from None
    except yaml.YAMLError as exc:
        raise ConsoleError(f"The kubeconfig {path} is not valid YAML ({str(exc).splitlines()[0]}).") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise ConsoleError(f"The kubeconfig {path} is nested too deeply to be a kubeconfig file.") from None
    if not isinstance(document, dict):
        raise ConsoleError(f"The kubeconfig {path} is not a kubeconfig file (expected a YAML mapping).")
    # Any field may hold any YAML type (or an alias of a huge structure): only names that are strings count.
    contexts = _named(document.get("contexts"), "context")
    name = context or document.get("current-context")
    if not name:
        raise ConsoleError(f"The kubeconfig {path} has no current context: pass --context.")
    if not isinstance(name, str):
        raise ConsoleError(f"The current-context in {path} is not a name: pass --context.")
    if name not in contexts:
        known = ", ".join(sorted(contexts)[:20]) or "none"
        raise ConsoleError(f"Unknown context {name[:80]!r} in {path} (known: {known[:300]}).")
    chosen = contexts[name]
    clusters = _named(document.get("clusters"), "cluster")
    cluster_name = chosen.get("cluster")
    cluster = clusters.get(cluster_name) if isinstance(cluster_name, str) else None
    server = cluster.get("server") if isinstance(cluster, dict) else None
    if not isinstance(server, str) or not server:
        raise ConsoleError(f"The context {name!r} in {path} names no cluster with a server; check its "
                           "clusters: section.")
    ns = namespace or chosen.get("namespace") or "default"
    if not isinstance(ns, str):
        raise ConsoleError(f"The namespace of context {name!r} in {path} is not a name; pass -n.")
    return Target(name, ns, server.rstrip("/"), path)


def _named(entries: object, key: str) -> dict[str, dict]:
    """A kubeconfig list of {name, <key>: {...}} as {name: {...}}; entries of other shapes are left out."""
    if not isinstance(entries, list):
        return {}
    named = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
            body = entry.get(key)
            named[entry["name"]] = body if isinstance(body, dict) else {}
    return named


def _client(path: Path, context: str) -> client.ApiClient:
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    try:
        return config.new_client_from_config(config_file=str(path), context=context)
    except (ConfigException, ValueError, TypeError, OSError) as exc:
        raise ConsoleError(f"The context {context!r} in {path} is unusable: {str(exc).splitlines()[0]}.") from None
