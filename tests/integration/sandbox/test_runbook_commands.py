"""The runbook's literal commands, typed as written, on the demo's seed.

The runbook (`rollback-strategy.md`) shows `rollout history --revision=3`,
`rollout undo --to-revision=2` and `helm rollback eli-maor 2`; the seed's
history (five Deployment revisions, Helm revisions 1-4) must let each of them
run as written with real kubectl and helm.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.support.sandbox import Kubectl, start_sandbox, wait_for
from tests.support.tools import DEFAULT_HELM, DEFAULT_KUBECTL, require

NS = "production"
BACKEND = "eli-maor-backend"


@pytest.fixture
def sandbox(tmp_path):
    sb = start_sandbox(tmp_path, "eli-maor", 20.0)
    yield sb
    sb.stop()


def helm(sb, *args: str) -> subprocess.CompletedProcess:
    home = sb.kubeconfig.parent / "helm-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBERNETES_"))}
    env.update(KUBECONFIG=str(sb.kubeconfig), HOME=str(home), HELM_CACHE_HOME=str(home / "cache"),
               HELM_CONFIG_HOME=str(home / "config"), HELM_DATA_HOME=str(home / "data"))
    return subprocess.run([str(require(DEFAULT_HELM)), *args], env=env, capture_output=True, text=True,
                          timeout=180, check=False)


def backend_image(kubectl: Kubectl) -> str:
    d = kubectl.json("get", "deployment", BACKEND, "-n", NS)
    return d["spec"]["template"]["spec"]["containers"][0]["image"]


def test_the_runbooks_literal_commands_work_on_the_seed(sandbox):
    kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)

    rows = kubectl("rollout", "history", f"deployment/{BACKEND}", "-n", NS).split("\n")[2:]
    assert [line.split()[0] for line in rows if line.strip()] == ["1", "2", "3", "4", "5"]

    shown = kubectl.run("rollout", "history", f"deployment/{BACKEND}", "--revision=3", "-n", NS)
    assert shown.returncode == 0, shown.stderr
    assert "ghcr.io/eli-maor/backend:v2.0.1-crashloop" in shown.stdout

    history = helm(sandbox, "history", "eli-maor", "-n", "production")
    assert history.returncode == 0, history.stderr
    listed = json.loads(helm(sandbox, "history", "eli-maor", "-n", "production", "-o", "json").stdout)
    assert [(r["revision"], r["status"], r["description"]) for r in listed] == [
        (1, "superseded", "Install complete"), (2, "superseded", "Upgrade complete"),
        (3, "failed", "Upgrade failed"), (4, "deployed", "Rollback to 2")]

    undo = kubectl.run("rollout", "undo", f"deployment/{BACKEND}", "--to-revision=2", "-n", NS)
    assert undo.returncode == 0, undo.stderr
    assert undo.stdout.strip() == f"deployment.apps/{BACKEND} rolled back"
    assert backend_image(kubectl) == "ghcr.io/eli-maor/backend:v2.0.0"
    kubectl("rollout", "status", f"deployment/{BACKEND}", "-n", NS, "--timeout=60s", timeout=90)

    rollback = helm(sandbox, "rollback", "eli-maor", "2", "-n", "production")
    assert rollback.returncode == 0, rollback.stderr
    assert "Rollback was a success" in rollback.stdout
    wait_for("helm's revision 5", lambda: "Rollback to 2" in helm(sandbox, "history", "eli-maor", "-n", NS).stdout
             .splitlines()[-1])
    assert backend_image(kubectl) == "ghcr.io/eli-maor/backend:v2.0.0"
