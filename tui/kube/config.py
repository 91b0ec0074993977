"""Connect like kubectl: kubeconfig, context and namespace to an API client.

Every failure becomes a ConsoleError with one sentence saying what is wrong
and what to do; nothing here touches the network, so the UI can open at once
and let the watchers find out whether the server answers.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from ..errors import ConsoleError

DEFAULT_KUBECONFIG = Path("~/.kube/config")
DEFAULT_PROD_PATTERN = r"prod"


@dataclass(frozen=True)
class Target:
    """Where the console points: a context, its server and a namespace."""

    api: client.ApiClient
    context: str
    namespace: str
    server: str
    kubeconfig: Path

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
    path = kubeconfig_path(kubeconfig)
    if not path.is_file():
        raise ConsoleError(f"No kubeconfig at {path}: pass --kubeconfig or set KUBECONFIG.")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConsoleError(f"Cannot read the kubeconfig {path}: {exc.strerror}.") from None
    except yaml.YAMLError as exc:
        raise ConsoleError(f"The kubeconfig {path} is not valid YAML ({str(exc).splitlines()[0]}).") from None
    if not isinstance(document, dict):
        raise ConsoleError(f"The kubeconfig {path} is not a kubeconfig file (expected a YAML mapping).")
    contexts = {c.get("name"): c.get("context") or {} for c in document.get("contexts") or [] if isinstance(c, dict)}
    name = context or document.get("current-context")
    if not name:
        raise ConsoleError(f"The kubeconfig {path} has no current context: pass --context.")
    if name not in contexts:
        known = ", ".join(sorted(n for n in contexts if n)) or "none"
        raise ConsoleError(f"Unknown context {name!r} in {path} (known: {known}).")
    try:
        api = config.new_client_from_config(config_file=str(path), context=name)
    except (ConfigException, ValueError, TypeError, OSError) as exc:
        raise ConsoleError(f"The context {name!r} in {path} is unusable: {str(exc).splitlines()[0]}.") from None
    ns = namespace or contexts[name].get("namespace") or "default"
    return Target(api=api, context=name, namespace=ns, server=api.configuration.host, kubeconfig=path)
