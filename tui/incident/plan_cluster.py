"""The plan executor's real backend: kubectl-equivalent rollbacks, helm rollbacks, rollout status.

A kubectl step is exactly what `u`/`r` do (deployments.plan_rollback then
deployments.execute); a Helm step runs the real helm binary through
tui/helm/operations.rollback_release. Everything blocks: worker threads only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from ..errors import ConsoleError, from_api_exception
from ..kube import deployments
from .plan import HELM, Backend, Step, status_of


@dataclass(frozen=True)
class HelmAccess:
    """How to run helm against the console's cluster."""

    binary: object  # tui.helm.operations.HelmBinary, or the path of a helm executable
    kubeconfig: str = ""
    context: str = ""


class ClusterBackend(Backend):
    def __init__(self, apps: client.AppsV1Api, namespace: str, helm: HelmAccess | None = None) -> None:
        self.apps = apps
        self.namespace = namespace
        self.helm = helm

    def roll_back(self, step: Step, reason: str, on_line: Callable[[str], None]) -> tuple[str, bool, str, str]:
        if step.kind == HELM:
            return self._helm(step, on_line)
        try:
            op = deployments.plan_rollback(self.apps, self.namespace, step.name, step.target, reason)
        except ConsoleError as err:
            return "failed", False, err.message, " ".join(step.command(self.namespace))
        if op.noop:
            return "noop", True, op.noop, op.command_line
        outcome = deployments.execute(self.apps, op)
        return ("ok" if outcome.ok else "failed"), outcome.ok, outcome.message, op.command_line

    def _helm(self, step: Step, on_line: Callable[[str], None]) -> tuple[str, bool, str, str]:
        command = " ".join(step.command(self.namespace))
        try:
            from ..helm.operations import rollback_release
        except ImportError:  # the Helm operations module is optional in a partial install
            return "failed", False, "Helm rollbacks are not available in this build; use helm directly.", command
        if self.helm is None:
            return "failed", False, "No helm binary is known; start the console with --helm PATH.", command
        result = rollback_release(step.name, step.target, namespace=self.namespace, helm=self.helm.binary,
                                  kubeconfig=self.helm.kubeconfig, context=self.helm.context, on_line=on_line)
        return ("ok" if result.ok else "failed"), result.ok, result.message, result.command_line or command

    def status(self, name: str) -> tuple[str, bool, bool, tuple]:
        try:
            response = self.apps.read_namespaced_deployment(name, self.namespace, _preload_content=False,
                                                           _request_timeout=30)
            deployment = json.loads(response.data or b"{}")
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise from_api_exception(exc, f"reading the rollout of deployment.apps/{name}") from None
        return status_of(deployment)
