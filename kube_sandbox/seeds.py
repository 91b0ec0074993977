"""Seeds: the starting state of a sandbox.

`eli-maor` is the runbook's application, deployed as the Helm release
`eli-maor` in `production` (see `helm_seed`): installed, upgraded, a failed
upgrade whose backend crashloops, and a rollback to revision 2, all played
through the real controllers in simulated past time, so the Deployments'
revision histories and the release's Secrets agree the way a real week of
releases leaves them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .api import Api
from .clock import Clock
from .crds import install_argo_crds
from .helm_seed import seed_release
from .resources import NAMESPACE

SEEDS = ("eli-maor", "empty")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
APP = "eli-maor"
APP_NAMESPACE = "production"
IMAGE = "ghcr.io/eli-maor/{component}:{version}"


@dataclass(frozen=True)
class Component:
    name: str

    @property
    def deployment(self) -> str:
        return f"{APP}-{self.name}"


# In the runbook's order (the chart's values hold their specs).
COMPONENTS = tuple(Component(name) for name in ("backend", "worker", "beat", "frontend"))


def labels(component: str) -> dict:
    return {"app": APP, "component": component}


def namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def seed_system(api: Api) -> None:
    for ns in SYSTEM_NAMESPACES:
        api.create(NAMESPACE, "", namespace(ns), manager="sandbox")
    install_argo_crds(api)


def seed_eli_maor(api: Api, clock: Clock, settle: Callable[[], None], advance: Callable[[float], None],
                  end: float) -> None:
    """The production namespace and the eli-maor release's history, ending by `end` (epoch seconds)."""
    api.create(NAMESPACE, "", namespace(APP_NAMESPACE), manager="sandbox")
    seed_release(api, clock, settle, advance, end)
