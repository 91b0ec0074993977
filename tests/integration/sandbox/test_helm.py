"""Real helm 3 and 4 against the sandbox's seeded eli-maor release.

The release is stored as helm's secrets driver stores it, so helm reads its
history, values, manifest and hooks; helm's rollbacks and upgrades (client-side
patches, server-side apply, PUT replacement, dry runs, `--wait`, hook Jobs,
atomic upgrades) go through the sandbox's API and its controllers roll the
Deployments out. The seed's manifests are checked against a fresh
`helm template` of the chart, so they cannot drift from it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from kube_sandbox import helm_seed
from kube_sandbox.helm_storage import release_from_secret, secret_name
from tests.support.sandbox import Kubectl, start_sandbox
from tests.support.tools import DEFAULT_KUBECTL, HELM, REPO_ROOT, require

NS = "production"
RELEASE = "eli-maor"
COMPONENTS = ("backend", "beat", "frontend", "worker")
CHART = str(REPO_ROOT / "kube_sandbox" / "charts" / "eli-maor")
FORCE = {"3": "--force", "4": "--force-replace"}
ROLLBACK_ON_FAILURE = {"3": "--atomic", "4": "--rollback-on-failure"}


class Helm:
    """A real helm binary pointed at one sandbox, with its own config, cache and data dirs."""

    def __init__(self, version: str, sandbox, home: Path):
        self.version = version
        self.major = version.split(".")[0]
        self.binary = require(HELM[version])
        home.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBERNETES_"))}
        self.env.update(KUBECONFIG=str(sandbox.kubeconfig), HOME=str(home), HELM_CACHE_HOME=str(home / "cache"),
                        HELM_CONFIG_HOME=str(home / "config"), HELM_DATA_HOME=str(home / "data"))

    def run(self, *args: str, check: bool = True, timeout: float = 120, namespace: str = NS
            ) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.binary), *args, "-n", namespace], env=self.env, capture_output=True,
                                text=True, check=False, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"helm {self.version} {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stderr}")
        return result

    def __call__(self, *args: str, **kwargs) -> str:
        return self.run(*args, **kwargs).stdout

    def json(self, *args: str):
        return json.loads(self(*args, "-o", "json"))

    def history(self) -> list[tuple[int, str, str]]:
        return [(r["revision"], r["status"], r["description"]) for r in self.json("history", RELEASE)]


def image(component: str, tag: str) -> str:
    return f"ghcr.io/eli-maor/{component}:{tag}"


def images(kubectl: Kubectl) -> dict[str, str]:
    items = kubectl.json("get", "deployments", "-n", NS)["items"]
    return {d["metadata"]["labels"]["component"]: d["spec"]["template"]["spec"]["containers"][0]["image"]
            for d in items}


def rolled_out(kubectl: Kubectl) -> None:
    for c in COMPONENTS:
        kubectl("rollout", "status", f"deployment/{RELEASE}-{c}", "-n", NS, "--timeout=120s", timeout=150)


def running_images(kubectl: Kubectl) -> set[str]:
    pods = kubectl.json("get", "pods", "-n", NS, "-l", f"app={RELEASE}")["items"]
    return {p["spec"]["containers"][0]["image"] for p in pods
            if not p["metadata"].get("deletionTimestamp") and p["status"].get("phase") == "Running"}


def release(kubectl: Kubectl, version: int) -> dict:
    return release_from_secret(kubectl.json("get", "secret", secret_name(RELEASE, version), "-n", NS))


def checked_stop(sb) -> None:
    code = sb.stop()
    assert code == 0, f"sandbox exited with {code}: {''.join(sb.stderr)[-2000:]}"
    errors = [line for line in sb.stderr if "ERROR" in line or "Traceback" in line]
    assert not errors, "".join(sb.stderr)[-4000:]


SEEDED_HISTORY = [
    (1, "superseded", "Install complete"),
    (2, "superseded", "Upgrade complete"),
    (3, "failed", "Upgrade failed"),
    (4, "deployed", "Rollback to 2"),
]


@pytest.fixture(params=sorted(HELM), ids=lambda v: f"helm-{v}")
def helm_version(request) -> str:
    return request.param


# ---- read-only: one sandbox for the module ------------------------------------------


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory):
    sb = start_sandbox(tmp_path_factory.mktemp("helm-readonly"))
    yield sb
    checked_stop(sb)


@pytest.fixture
def reader(shared_sandbox, helm_version, tmp_path) -> Helm:
    return Helm(helm_version, shared_sandbox, tmp_path / "helm-home")


def test_list_and_history_show_the_runbooks_release(reader):
    [listed] = reader.json("list")
    assert (listed["name"], listed["namespace"], listed["revision"], listed["status"]) == (RELEASE, NS, "4", "deployed")
    assert (listed["chart"], listed["app_version"]) == ("eli-maor-2.0.0", "v2.0.0")
    assert reader.history() == SEEDED_HISTORY
    rows = reader.json("history", RELEASE)
    assert [r["chart"] for r in rows] == ["eli-maor-1.9.0", "eli-maor-2.0.0", "eli-maor-2.0.1", "eli-maor-2.0.0"]
    table = reader("history", RELEASE).splitlines()
    assert table[0].split() == ["REVISION", "UPDATED", "STATUS", "CHART", "APP", "VERSION", "DESCRIPTION"]
    assert table[3].split()[-3:] == ["v2.0.1", "Upgrade", "failed"] and "failed" in table[3].split()


def test_status_names_the_deployed_revision(reader):
    text = reader("status", RELEASE)
    for line in ("NAME: eli-maor", "NAMESPACE: production", "STATUS: deployed", "REVISION: 4"):
        assert line in text.splitlines(), text
    status = reader.json("status", RELEASE)
    assert status["info"]["description"] == "Rollback to 2"
    assert status["info"]["first_deployed"] < status["info"]["last_deployed"]


def test_get_values_shows_the_users_values_and_all_of_them(reader):
    assert reader.json("get", "values", RELEASE) == helm_seed.REVISIONS[1].config
    failed = reader.json("get", "values", RELEASE, "--revision", "3")
    assert failed["components"] == {"backend": {"image": {"tag": "v2.0.1-crashloop"}}}
    every = reader.json("get", "values", RELEASE, "--all")
    assert every["image"] == {"registry": "ghcr.io/eli-maor", "tag": "v2.0.0"}
    assert every["components"]["backend"]["replicas"] == 2
    assert every["database"]["password"] == helm_seed.DB_PASSWORD


def test_get_manifest_is_revision_twos_rendering(reader):
    manifest = reader("get", "manifest", RELEASE)
    assert manifest.rstrip("\n") == helm_seed.load_rendered(2).manifest.rstrip("\n")  # helm prints one more newline
    kinds = [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(manifest) if d]
    assert ("Deployment", "eli-maor-backend") in kinds and ("PodDisruptionBudget", "eli-maor-frontend") in kinds
    assert "backend:v2.0.1-crashloop" in reader("get", "manifest", RELEASE, "--revision", "3")


def test_get_hooks_shows_the_pre_upgrade_migration(reader):
    docs = [d for d in yaml.safe_load_all(reader("get", "hooks", RELEASE)) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("Job", "eli-maor-db-migrate")]
    assert docs[0]["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"


def test_live_objects_carry_helms_ownership(shared_sandbox):
    kubectl = Kubectl(DEFAULT_KUBECTL, shared_sandbox)
    for d in kubectl.json("get", "deployments,services,poddisruptionbudgets", "-n", NS)["items"]:
        meta = d["metadata"]
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm", meta["name"]
        assert meta["annotations"]["meta.helm.sh/release-name"] == RELEASE
        assert meta["annotations"]["meta.helm.sh/release-namespace"] == NS
    assert set(images(kubectl).values()) == {image(c, "v2.0.0") for c in COMPONENTS}
    history = kubectl("rollout", "history", f"deployment/{RELEASE}-backend", "-n", NS).split("\n")
    assert [line.split()[0] for line in history[2:] if line.strip()] == ["1", "2", "3", "4", "5"]
    assert release(kubectl, 3)["hooks"][0]["last_run"]["phase"] == "Succeeded"


# ---- changes: a sandbox each --------------------------------------------------------


@pytest.fixture
def world(tmp_path, helm_version):
    sb = start_sandbox(tmp_path, "eli-maor", 20.0)
    yield Helm(helm_version, sb, tmp_path / "helm-home"), Kubectl(DEFAULT_KUBECTL, sb)
    checked_stop(sb)


def test_rollback_to_a_revision_and_to_the_previous_one(world):
    helm, kubectl = world
    helm("rollback", RELEASE, "1", "--wait", "--timeout", "120s")
    assert images(kubectl) == {c: image(c, "v1.9.0") for c in COMPONENTS}
    rolled_out(kubectl)
    assert running_images(kubectl) == {image(c, "v1.9.0") for c in COMPONENTS}
    assert helm.history()[-2:] == [(4, "superseded", "Rollback to 2"), (5, "deployed", "Rollback to 1")]

    helm("rollback", RELEASE, "2", "--wait", "--timeout", "120s")
    rolled_out(kubectl)
    assert running_images(kubectl) == {image(c, "v2.0.0") for c in COMPONENTS}

    helm("rollback", RELEASE, "--wait", "--timeout", "120s")  # no revision: the previous one, 5
    rolled_out(kubectl)
    assert running_images(kubectl) == {image(c, "v1.9.0") for c in COMPONENTS}
    assert helm.history()[4:] == [(5, "superseded", "Rollback to 1"), (6, "superseded", "Rollback to 2"),
                                  (7, "deployed", "Rollback to 5")]
    # The controllers renumber as on a real cluster. helm's three-way merge keeps the seed's hand-set
    # LOG_LEVEL (no manifest sets it), so release 1 came back as a new template (6), release 2 as the
    # seed's 5 (now 7), and release 1 again as 6 (now 8).
    history = kubectl("rollout", "history", f"deployment/{RELEASE}-backend", "-n", NS).split("\n")
    assert [line.split()[0] for line in history[2:] if line.strip()] == ["1", "2", "3", "4", "7", "8"]
    # The Secrets helm wrote look like the seeded ones: same type, same labels, the same release fields.
    seeded, written = (kubectl.json("get", "secret", secret_name(RELEASE, v), "-n", NS) for v in (4, 7))
    assert seeded["type"] == written["type"] == "helm.sh/release.v1"
    assert set(seeded["metadata"]["labels"]) == set(written["metadata"]["labels"])
    assert set(release(kubectl, 7)) - set(release(kubectl, 4)) <= {"apply_method"}  # helm 4 records csa/ssa


def test_dry_run_changes_nothing(world):
    helm, kubectl = world
    before = kubectl.json("get", "deployments,secrets", "-n", NS)["items"]
    out = helm("rollback", RELEASE, "1", "--dry-run")
    assert "Rollback was a success" in out
    assert kubectl.json("get", "deployments,secrets", "-n", NS)["items"] == before
    assert helm.history() == SEEDED_HISTORY


@pytest.mark.parametrize("helm_version", [v for v in sorted(HELM) if not v.startswith("3.")])  # helm 4 only
def test_server_side_apply_rollback(world):
    helm, kubectl = world
    helm("rollback", RELEASE, "1", "--server-side=true", "--wait", "--timeout", "120s")
    rolled_out(kubectl)
    assert running_images(kubectl) == {image(c, "v1.9.0") for c in COMPONENTS}
    managers = {m["manager"]: m["operation"]
                for m in kubectl.json("get", "deployment", f"{RELEASE}-backend", "-n", NS,
                                      "--show-managed-fields")["metadata"]["managedFields"]}
    assert managers.get("helm") == "Apply", managers


def test_forced_rollback_replaces_the_objects(world):
    helm, kubectl = world
    backend = f"deployment/{RELEASE}-backend"
    kubectl("annotate", backend, "oncall/note=looking into it", "-n", NS)
    uid = kubectl.json("get", backend, "-n", NS)["metadata"]["uid"]
    helm("rollback", RELEASE, "1", FORCE[helm.major], "--wait", "--timeout", "120s")
    rolled_out(kubectl)
    d = kubectl.json("get", backend, "-n", NS)
    # A PUT of the rendered manifest: what helm does not render is gone (a patch would have kept it).
    assert "oncall/note" not in d["metadata"]["annotations"]
    assert d["metadata"]["uid"] == uid
    assert running_images(kubectl) == {image(c, "v1.9.0") for c in COMPONENTS}
    assert helm.history()[-1] == (5, "deployed", "Rollback to 1")


def test_failed_upgrade_rolls_itself_back(world):
    helm, kubectl = world
    result = helm.run("upgrade", "--install", RELEASE, CHART, "--reuse-values",
                      "--set", "components.backend.image.tag=v2.1.0-crashloop", "--set", "image.tag=v2.1.0",
                      ROLLBACK_ON_FAILURE[helm.major], "--timeout", "12s", check=False, timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "has been rolled back" in result.stderr
    assert helm.history()[-3:] == [
        (4, "superseded", "Rollback to 2"),
        (5, "failed", helm.history()[4][2]),
        (6, "deployed", "Rollback to 4"),
    ]
    assert helm.history()[4][2].startswith('Upgrade "eli-maor" failed: ')
    rolled_out(kubectl)
    assert images(kubectl) == {c: image(c, "v2.0.0") for c in COMPONENTS}
    # The pre-upgrade hook's Job ran to completion before the upgrade, and was deleted after.
    last_run = release(kubectl, 5)["hooks"][0]["last_run"]
    assert last_run["phase"] == "Succeeded" and last_run["started_at"] <= last_run["completed_at"]
    assert kubectl.json("get", "jobs", "-n", NS)["items"] == []


def test_install_and_uninstall_a_second_release(world):
    """A fresh install (server-side apply on helm 4, its default), --wait, then uninstall removes it all."""
    helm, kubectl = world
    helm.run("install", "canary", CHART, "--create-namespace", "--set", "image.tag=v2.1.0", "--wait",
             "--timeout", "120s", namespace="staging")

    def deployments() -> list[dict]:
        return kubectl.json("get", "deployments", "-n", "staging")["items"]

    assert sorted(d["metadata"]["name"] for d in deployments()) == [f"canary-{c}" for c in COMPONENTS]
    assert all(d["status"].get("readyReplicas") == d["spec"]["replicas"] for d in deployments())
    managers = {m["manager"]: m["operation"] for m in kubectl.json(
        "get", "deployment", "canary-backend", "-n", "staging", "--show-managed-fields")["metadata"]["managedFields"]}
    assert managers["helm"] == ("Update" if helm.major == "3" else "Apply"), managers

    helm.run("uninstall", "canary", "--wait", "--timeout", "120s", namespace="staging")
    assert deployments() == []
    assert kubectl.json("get", "secrets", "-n", "staging", "-l", "owner=helm")["items"] == []
    assert [r["name"] for r in helm.json("list")] == [RELEASE]  # production's release was never touched


# ---- the seed's manifests are the chart's --------------------------------------------


def _renderer():
    spec = importlib.util.spec_from_file_location("render_seed_release", REPO_ROOT / "scripts" / "render_seed_release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n", helm_seed.RENDERED)
def test_seed_manifests_are_the_charts_rendering(helm_version, n):
    fresh = _renderer().render(require(HELM[helm_version]), n)
    assert fresh == helm_seed.rendered_path(n).read_text(), (
        f"kube_sandbox/seed_release/revision-{n}.yaml differs from helm template of the chart; "
        "run scripts/render_seed_release.py")
