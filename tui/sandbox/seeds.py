"""Seeds: the starting state of a sandbox.

`eli-maor` is the runbook's application. Its revision history is made the
way a real one is: each Deployment is created, then its template is changed
release by release, and the real controllers roll every change out (in
simulated past time, so ages look like a real week of releases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .jsoncopy import clone
from .api import STRATEGIC_PATCH, Api
from .resources import DEPLOYMENT, NAMESPACE, PDB, SERVICE

SEEDS = ("eli-maor", "empty")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
APP = "eli-maor"
APP_NAMESPACE = "production"
IMAGE = "ghcr.io/eli-maor/{component}:{version}"
DAY = 86400.0


@dataclass(frozen=True)
class Component:
    name: str
    replicas: int
    strategy: dict
    history_limit: int
    releases: tuple[tuple[str, str], ...]  # (version, change-cause)
    port: int | None = None
    min_ready: int = 0
    progress_deadline: int = 600
    grace: int = 30
    command: tuple[str, ...] = ()

    @property
    def deployment(self) -> str:
        return f"{APP}-{self.name}"


ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}

COMPONENTS = (
    Component(
        "backend", 2, ROLLING, 10,
        (
            ("v1.8.0", "Initial release v1.8.0"),
            ("v1.9.0", "Update to v1.9.0 - add export API"),
            ("v2.0.0", "Update to v2.0.0 - fix bug #123"),
            ("v2.0.1", "Update to v2.0.1 - fix memory leak #131"),
        ),
        port=8000, min_ready=10, progress_deadline=600,
        command=("gunicorn", "eli_maor.wsgi", "--bind", "0.0.0.0:8000"),
    ),
    Component(
        "worker", 2, ROLLING, 10,
        (
            ("v1.8.0", "Initial release v1.8.0"),
            ("v1.9.0", "Update to v1.9.0 - retry failed exports"),
            ("v2.0.0", "Update to v2.0.0 - fix bug #123"),
            ("v2.0.1", "Update to v2.0.1 - fix memory leak #131"),
        ),
        grace=120, command=("celery", "-A", "eli_maor", "worker", "--loglevel=info"),
    ),
    Component(
        "beat", 1, {"type": "Recreate"}, 5,
        (
            ("v1.8.0", "Initial release v1.8.0"),
            ("v1.9.0", "Update to v1.9.0 - nightly report schedule"),
            ("v2.0.0", "Update to v2.0.0 - fix bug #123"),
            ("v2.0.1", "Update to v2.0.1 - fix memory leak #131"),
        ),
        command=("celery", "-A", "eli_maor", "beat", "--loglevel=info"),
    ),
    Component(
        "frontend", 2, ROLLING, 10,
        (
            ("v1.8.0", "Initial release v1.8.0"),
            ("v1.9.0", "Update to v1.9.0 - new dashboard"),
            ("v2.0.0", "Update to v2.0.0 - fix bug #123"),
            ("v2.0.1", "Update to v2.0.1 - fix layout regression #129"),
        ),
        port=3000,
    ),
)


def labels(component: str) -> dict:
    return {"app": APP, "component": component}


def deployment(c: Component, version: str, cause: str) -> dict:
    container: dict = {"name": c.name, "image": IMAGE.format(component=c.name, version=version)}
    if c.command:
        container["command"] = list(c.command)
    container["env"] = [{"name": "ELI_MAOR_ENV", "value": "production"}]
    if c.port:
        container["ports"] = [{"name": "http", "containerPort": c.port}]
        container["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
    spec = {
        "replicas": c.replicas,
        "revisionHistoryLimit": c.history_limit,
        "selector": {"matchLabels": labels(c.name)},
        "strategy": clone(c.strategy),
        "progressDeadlineSeconds": c.progress_deadline,
        "template": {
            "metadata": {"labels": {**labels(c.name), "serving": "true"}},
            "spec": {"containers": [container], "terminationGracePeriodSeconds": c.grace},
        },
    }
    if c.min_ready:
        spec["minReadySeconds"] = c.min_ready
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": c.deployment,
            "namespace": APP_NAMESPACE,
            "labels": labels(c.name),
            "annotations": {"kubernetes.io/change-cause": cause},
        },
        "spec": spec,
    }


def service(c: Component) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": c.deployment, "namespace": APP_NAMESPACE, "labels": labels(c.name)},
        "spec": {
            "selector": {**labels(c.name), "serving": "true"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def pdb(c: Component) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": c.deployment, "namespace": APP_NAMESPACE, "labels": labels(c.name)},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": labels(c.name)}},
    }


def namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def seed_system(api: Api) -> None:
    for ns in SYSTEM_NAMESPACES:
        api.create(NAMESPACE, "", namespace(ns), manager="sandbox")


def seed_eli_maor(api: Api, settle: Callable[[], None], advance: Callable[[float], None]) -> None:
    """Create the app and roll out each release in turn, a couple of days apart."""
    api.create(NAMESPACE, "", namespace(APP_NAMESPACE), manager="sandbox")
    for c in COMPONENTS:
        version, cause = c.releases[0]
        api.create(DEPLOYMENT, APP_NAMESPACE, deployment(c, version, cause), manager="kubectl-client-side-apply")
        if c.port:
            api.create(SERVICE, APP_NAMESPACE, service(c), manager="kubectl-client-side-apply")
        if c.name in ("backend", "frontend"):
            api.create(PDB, APP_NAMESPACE, pdb(c), manager="kubectl-client-side-apply")
    settle()
    releases = max(len(c.releases) for c in COMPONENTS)
    for n in range(1, releases):
        advance(2 * DAY)
        for c in COMPONENTS:
            version, cause = c.releases[n]
            patch = {
                "metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
                "spec": {"template": {"spec": {"containers": [
                    {"name": c.name, "image": IMAGE.format(component=c.name, version=version)}
                ]}}},
            }
            api.patch(DEPLOYMENT, APP_NAMESPACE, c.deployment, STRATEGIC_PATCH, patch, manager="kubectl-set")
            settle()
