"""The kubeconfig a sandbox hands to kubectl, helm and the console."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

NAME = "sandbox"


def kubeconfig(url: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": NAME, "cluster": {"server": url}}],
        # The sandbox does not authenticate; a token keeps clients from prompting.
        "users": [{"name": NAME, "user": {"token": "sandbox"}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": NAME, "namespace": namespace}}],
        "current-context": NAME,
        "preferences": {},
    }


def write_kubeconfig(path: Path, url: str, namespace: str = "default") -> Path:
    """Write atomically with mode 0600, as kubectl itself keeps kubeconfigs."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(kubeconfig(url, namespace), fh, sort_keys=False)
    os.replace(tmp, path)
    return path
