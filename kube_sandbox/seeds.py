"""Seeds: the starting state of a sandbox.

`eli-maor-canary` is the same application with the backend run as the
runbook's Argo Rollouts canary ("Automated Rollback"): see `seed_eli_maor_canary`.

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
from .jsoncopy import clone
from .resources import ANALYSIS_TEMPLATE, DEPLOYMENT, NAMESPACE, ROLLOUT

SEEDS = ("eli-maor", "eli-maor-canary", "empty")
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


# The runbook's "Automated Rollback" Rollout and its analysis.
CANARY_STEPS = ({"setWeight": 20}, {"pause": {"duration": "2m"}}, {"setWeight": 50}, {"pause": {"duration": "2m"}},
                {"setWeight": 80}, {"pause": {"duration": "2m"}})
CANARY_REPLICAS = 5  # enough pods for 20/50/80 to show as 1/4, 3/3, 4/1 (the chart runs 2 backends)
PROMETHEUS_ADDRESS = "http://prometheus.monitoring.svc.cluster.local:9090"
# The backend's share of non-5xx answers from the sandbox's simulated traffic (metrics/traffic.py),
# whose `deployment` label names the workload, a Rollout included.
SUCCESS_RATE_QUERY = (
    'sum(rate(http_requests_total{namespace="production",deployment="{{args.service-name}}",code!~"5.."}[1m])) / '
    'sum(rate(http_requests_total{namespace="production",deployment="{{args.service-name}}"}[1m]))'
)


def success_rate_template() -> dict:
    """The runbook's `success-rate` AnalysisTemplate, shaped as upstream's docs/analysis/prometheus.md example."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "success-rate", "labels": labels("backend")},
        "spec": {
            "args": [{"name": "service-name"}],
            "metrics": [{
                "name": "success-rate",
                "interval": "30s",
                "successCondition": "result[0] >= 0.95",
                "failureLimit": 3,
                "provider": {"prometheus": {"address": PROMETHEUS_ADDRESS, "query": SUCCESS_RATE_QUERY}},
            }],
        },
    }


def backend_rollout(template: dict) -> dict:
    name = Component("backend").deployment
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "labels": labels("backend")},
        "spec": {
            "replicas": CANARY_REPLICAS,
            "revisionHistoryLimit": 10,
            "minReadySeconds": 10,
            "selector": {"matchLabels": labels("backend")},
            "template": template,
            "strategy": {"canary": {
                "steps": [clone(step) for step in CANARY_STEPS],
                "analysis": {"templates": [{"templateName": "success-rate"}], "startingStep": 2,
                             "args": [{"name": "service-name", "value": name}]},
            }},
        },
    }


def seed_eli_maor_canary(api: Api, clock: Clock, settle: Callable[[], None], advance: Callable[[float], None],
                         end: float) -> None:
    """`eli-maor`, then the backend moved from its Deployment to the runbook's Rollout.

    As when a team adopts Argo Rollouts: the Deployment is deleted and a Rollout with its pod
    template takes over (the Helm release's manifest still lists the Deployment). Its history:
    revision 1 is v1.9.0, revision 2 the current v2.0.0, which walked the canary steps before
    the analysis was added (there was no Prometheus in the seed's past to query).
    """
    seed_eli_maor(api, clock, settle, advance, end - 3600)
    name = Component("backend").deployment
    deployment = api.get(DEPLOYMENT, APP_NAMESPACE, name)
    template = clone(deployment["spec"]["template"])
    current_image = template["spec"]["containers"][0]["image"]
    api.delete(DEPLOYMENT, APP_NAMESPACE, name)
    settle()  # its ReplicaSets and pods are collected before the Rollout makes its own
    api.create(ANALYSIS_TEMPLATE, APP_NAMESPACE, success_rate_template(), manager="helm")
    rollout = backend_rollout(clone(template))
    analysis = rollout["spec"]["strategy"]["canary"].pop("analysis")
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = IMAGE.format(component="backend",
                                                                                 version="v1.9.0")
    api.create(ROLLOUT, APP_NAMESPACE, rollout, manager="helm")
    advance(600)
    rollout = clone(api.get(ROLLOUT, APP_NAMESPACE, name))
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = current_image
    api.update(ROLLOUT, APP_NAMESPACE, name, rollout, manager="helm")
    advance(1200)  # 20%, 2m, 50%, 2m, 80%, 2m: promoted
    rollout = clone(api.get(ROLLOUT, APP_NAMESPACE, name))
    rollout["spec"]["strategy"]["canary"]["analysis"] = analysis  # not a step change: nothing restarts
    api.update(ROLLOUT, APP_NAMESPACE, name, rollout, manager="helm")
    advance(60)
