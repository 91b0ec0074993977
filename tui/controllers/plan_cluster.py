"""The plan executor's real backend: kubectl-equivalent rollbacks, helm rollbacks, rollout status.

A kubectl step is exactly what `u`/`r` do (deployments.plan_rollback then
deployments.execute); a Helm step runs the real helm binary through
tui/helm/operations.rollback_release. Everything blocks: worker threads only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubernetes import client

from ..core.errors import ConsoleError
from ..core.plan import HELM, Backend, Step, status_of
from ..workloads.registry import adapter_for


@dataclass(frozen=True)
class HelmAccess:
    """How to run helm against the console's cluster."""

    binary: object  # tui.helm.operations.HelmBinary, or the path of a helm executable
    kubeconfig: str = ""
    context: str = ""


class ClusterBackend(Backend):
    def __init__(self, api: client.ApiClient, namespace: str, helm: HelmAccess | None = None,
                 database: Callable[[Step, str, Callable[[str], None]], tuple[bool, str, str]] | None = None) -> None:
        self.api = api
        self.namespace = namespace
        self.helm = helm
        self.database = database  # DatabaseController.plan_downgrade: a backup, then alembic downgrade

    def downgrade(self, step: Step, reason: str, on_line: Callable[[str], None]) -> tuple[bool, str, str]:
        if self.database is None:
            return super().downgrade(step, reason, on_line)
        return self.database(step, reason, on_line)

    def roll_back(self, step: Step, reason: str, on_line: Callable[[str], None]) -> tuple[str, bool, str, str]:
        if step.kind == HELM:
            return self._helm(step, on_line)
        try:
            adapter = adapter_for(step.workload)
            op = adapter.plan_rollback(self.api, self.namespace, step.name, step.target, reason)
        except ConsoleError as err:
            return "failed", False, err.message, " ".join(step.command(self.namespace))
        if op.noop:
            return "noop", True, op.noop, op.command_line
        outcome = adapter.execute(self.api, op)
        return ("ok" if outcome.ok else "failed"), outcome.ok, outcome.message, op.command_line

    def _helm(self, step: Step, on_line: Callable[[str], None]) -> tuple[str, bool, str, str]:
        command = " ".join(step.command(self.namespace))
        try:
            from ..helm.operations import rollback_release
        except ImportError:  # the Helm operations module is optional in a partial install
            return "failed", False, "Helm rollbacks are not available in this build; use helm directly.", command
        if self.helm is None:
            return "failed", False, "No helm binary is known; start the console with --helm PATH.", command
        from ..helm.operations import RollbackOptions

        # --wait: helm records a rollback whose pods never become ready as failed, not as deployed.
        options = RollbackOptions(wait=True, timeout=step.wait) if step.wait else RollbackOptions()
        result = rollback_release(step.name, step.target, namespace=self.namespace, helm=self.helm.binary,
                                  kubeconfig=self.helm.kubeconfig, context=self.helm.context, on_line=on_line,
                                  options=options)
        return ("ok" if result.ok else "failed"), result.ok, result.message, result.command_line or command

    def status(self, name: str, kind: str = "Deployment") -> tuple[str, bool, bool, tuple]:
        adapter = adapter_for(kind)
        obj = adapter.read(self.api, self.namespace, name, f"reading the rollout of {adapter.resource}/{name}")
        return status_of(adapter.reader, obj)
