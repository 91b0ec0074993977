"""The Deployment adapter against real sandbox processes, checked against real kubectl.

The differential tests run kubectl 1.35.2 on one sandbox and the adapter on a
second sandbox of the same seed, step by step, and require the same
Deployment templates, annotations, histories and messages.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from tests.support.sandbox import Kubectl, SandboxProcess, start_sandbox, wait_for
from tests.support.tools import KUBECTL
from tui.core import names, times
from tui.core.errors import ConsoleError
from tui.core.operations import Operation, Outcome
from tui.kube.errors import from_api_exception
from tui.workloads.deployment import diff, execute, history, status
from tui.workloads.deployment import plan as planner

# The Deployment adapter's functions, by the names kubectl's helpers have.
dep = SimpleNamespace(**{**vars(names), **vars(times), **vars(history), **vars(diff), **vars(status), **vars(planner),
                         **vars(execute)})

NS = "production"
BACKEND, WORKER, BEAT, FRONTEND = "eli-maor-backend", "eli-maor-worker", "eli-maor-beat", "eli-maor-frontend"
COMPONENTS = (BACKEND, WORKER, BEAT, FRONTEND)
# The seed is the Helm release's history: install v1.9.0, upgrade v2.0.0, a failed upgrade v2.0.1
# (backend crash-looping), LOG_LEVEL=debug set by hand, helm rollback to v2.0.0 (which kept LOG_LEVEL).
SEED_CAUSES = {
    BACKEND: ["Release v1.9.0 - add export API", "Release v2.0.0 - fix bug #123",
              "Release v2.0.1 - fix memory leak #131", "Debug logging for the v2.0.1 incident (LOG_LEVEL=debug)",
              "Release v2.0.0 - fix bug #123"],
}
SEED_TAGS = {BACKEND: ("v1.9.0", "v2.0.0", "v2.0.1-crashloop", "v2.0.1-crashloop", "v2.0.0")}
KUBECTL_VERSION = "1.35.2"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


# ---- fixtures and helpers ----------------------------------------------------------------------


@dataclasses.dataclass
class World:
    """One sandbox process, a Python client on it, and kubectl on it."""

    sandbox: SandboxProcess
    api: client.ApiClient
    apps: client.AppsV1Api
    core: client.CoreV1Api
    kubectl: Kubectl


@pytest.fixture
def worlds(tmp_path: Path):
    """Start sandboxes on demand; at the end each must stop cleanly and have logged no errors."""
    started: list[World] = []

    def make(speed: float = 20.0, seed: str = "eli-maor") -> World:
        home = tmp_path / f"sb{len(started)}"
        home.mkdir()
        sb = start_sandbox(home, seed, speed)
        api = config.new_client_from_config(config_file=str(sb.kubeconfig))
        world = World(sb, api, client.AppsV1Api(api), client.CoreV1Api(api), Kubectl(KUBECTL[KUBECTL_VERSION], sb))
        started.append(world)
        return world

    yield make
    for world in started:
        world.api.close()
        if world.sandbox.proc.poll() is None:
            assert world.sandbox.stop() == 0, "".join(world.sandbox.stderr)[-2000:]
        errors = [line for line in world.sandbox.stderr if "ERROR" in line or "Traceback" in line]
        assert not errors, "".join(world.sandbox.stderr)[-4000:]


@pytest.fixture
def world(worlds) -> World:
    return worlds()


def raw_deployment(w: World, name: str) -> dict:
    return json.loads(w.apps.read_namespaced_deployment(name, NS, _preload_content=False).data)


def wait_rolled_out(w: World, name: str, timeout: float = 30.0) -> dict:
    """Until kubectl's status says done; a failing rollout fails the test at once."""
    def check():
        d = raw_deployment(w, name)
        message, done, error = dep.rollout_status(d)
        assert not error, message
        return d if done else None
    return wait_for(f"{name} to roll out", check, timeout)


def template_and_annotations(w: World, name: str) -> tuple[dict, dict]:
    """What a rollback decides, read with kubectl: .spec.template and the annotations but the revision."""
    d = w.kubectl.json("get", f"deployment/{name}", "-n", NS)
    annotations = dict(d["metadata"].get("annotations") or {})
    annotations.pop(dep.REVISION, None)
    return d["spec"]["template"], annotations


def kubectl_history(w: World, name: str) -> str:
    return w.kubectl("rollout", "history", f"deployment/{name}", "-n", NS)


def endpoints_by_kubectl(w: World, service: str) -> list[str]:
    slices = w.kubectl.json("get", "endpointslices", "-n", NS, "-l", f"kubernetes.io/service-name={service}")
    ips = {ip for s in slices["items"] for e in s.get("endpoints") or []
           if (e.get("conditions") or {}).get("ready") is not False for ip in e.get("addresses") or []}
    return sorted(ips)


# ---- history -----------------------------------------------------------------------------------


def test_history_of_the_seed_is_kubectls(world: World):
    for name in COMPONENTS:
        revisions = dep.history(world.apps, NS, name)
        assert [r.number for r in revisions] == [1, 2, 3, 4, 5]
        component = name.removeprefix("eli-maor-")
        assert [r.images for r in revisions] == [
            (f"ghcr.io/eli-maor/{component}:{tag}",) for tag in SEED_TAGS.get(name, ("v1.9.0", "v2.0.0", "v2.0.1", "v2.0.1", "v2.0.0"))]
        assert [r.current for r in revisions] == [False, False, False, False, True]
        current = revisions[-1]
        desired = raw_deployment(world, name)["spec"]["replicas"]
        assert (current.desired, current.replicas, current.ready) == (desired, desired, desired)
        assert all((r.desired, r.replicas) == (0, 0) for r in revisions[:-1])
        assert all(r.replicaset.startswith(name + "-") and RFC3339.match(r.created) for r in revisions)
        assert [r.created for r in revisions] == sorted(r.created for r in revisions)
        assert all(dep.HASH_LABEL in r.template["metadata"]["labels"] for r in revisions)
        # The same table kubectl prints.
        table = kubectl_history(world, name).strip().splitlines()
        assert table[0] == f"deployment.apps/{name} "
        rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in table[2:]]
        assert rows == [[str(r.number), r.change_cause or "<none>"] for r in revisions]
    assert [r.change_cause for r in dep.history(world.apps, NS, BACKEND)] == SEED_CAUSES[BACKEND]


# ---- rollback: the differential test -----------------------------------------------------------


ROLLBACK_STEPS = [
    (WORKER, 0),  # undo: to revision 4
    (WORKER, 1),
    (BEAT, 1),  # Recreate strategy
    (WORKER, 7),  # already the current template: skipped rollback
    (BACKEND, 1),
    (BACKEND, 0),  # undo: back to 5's template, which adds to its revision-history
    (FRONTEND, 0),
]


def test_rollback_leaves_what_kubectl_rollout_undo_leaves(worlds):
    theirs, ours = worlds(), worlds()
    for name in COMPONENTS:
        assert template_and_annotations(theirs, name) == template_and_annotations(ours, name)

    # Server dry run first: same words, nothing stored.
    before = template_and_annotations(ours, BACKEND)
    said = theirs.kubectl("rollout", "undo", f"deployment/{BACKEND}", "--dry-run=server", "-n", NS).strip()
    op = dep.plan_rollback(ours.apps, NS, BACKEND, dry_run=True)
    assert op.command == ["kubectl", "rollout", "undo", f"deployment/{BACKEND}", "-n", NS, "--dry-run=server"]
    outcome = dep.execute(ours.apps, op)
    assert outcome.ok and outcome.message == said == f"deployment.apps/{BACKEND} rolled back (server dry run)"
    assert template_and_annotations(ours, BACKEND) == before == template_and_annotations(theirs, BACKEND)

    for name, revision in ROLLBACK_STEPS:
        args = ["rollout", "undo", f"deployment/{name}", "-n", NS]
        args[3:3] = [f"--to-revision={revision}"] if revision else []
        said = theirs.kubectl(*args).strip()
        op = dep.plan_rollback(ours.apps, NS, name, revision)
        assert op.command == ["kubectl", *args]
        outcome = dep.execute(ours.apps, op)
        assert outcome.ok, outcome.message
        assert outcome.message == said, (name, revision)
        assert outcome.changed == (not said.endswith(")")) == (op.noop == "")
        for w in (theirs, ours):
            wait_rolled_out(w, name)
        assert template_and_annotations(ours, name) == template_and_annotations(theirs, name), (name, revision)
        assert kubectl_history(ours, name) == kubectl_history(theirs, name), (name, revision)
    # The skip and the Recreate steps really happened as kubectl reported.
    assert [r.images[0].rsplit(":", 1)[1] for r in dep.history(ours.apps, NS, BACKEND)][-1] == "v2.0.0"
    assert raw_deployment(ours, BEAT)["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1.9.0")


def test_rollback_plan_describes_the_change(world: World):
    op = dep.plan_rollback(world.apps, NS, BACKEND, 1, reason="export API broken\nin v2.0.0")
    assert (op.kind, op.component, op.namespace, op.revision, op.risk, op.noop) == (
        "rollback", BACKEND, NS, 1, "normal", "")
    assert op.command == ["kubectl", "rollout", "undo", f"deployment/{BACKEND}", "--to-revision=1", "-n", NS]
    assert op.command_line == f"kubectl rollout undo deployment/{BACKEND} --to-revision=1 -n production"
    assert "to revision 1" in op.summary and "v1.9.0" in op.summary
    assert "container backend: image ghcr.io/eli-maor/backend:v2.0.0 → ghcr.io/eli-maor/backend:v1.9.0" in op.changes
    assert (f'annotation {dep.CHANGE_CAUSE}: "Release v2.0.0 - fix bug #123" → '
            '"Rollback to revision 1: export API broken in v2.0.0"') in op.changes
    assert any("becomes revision 6" in line for line in op.changes)
    assert "-    image: ghcr.io/eli-maor/backend:v2.0.0\n+    image: ghcr.io/eli-maor/backend:v1.9.0\n" in op.diff
    assert dep.HASH_LABEL not in op.diff
    # kubectl's two operations, plus the resourceVersion precondition.
    paths = [o["path"] for o in op.patch]
    assert paths == ["/spec/template", "/metadata/annotations", "/metadata/resourceVersion"]
    assert op.patch[2]["value"] == raw_deployment(world, BACKEND)["metadata"]["resourceVersion"]

    outcome = dep.execute(world.apps, op)
    assert outcome.ok and outcome.message == f"deployment.apps/{BACKEND} rolled back"
    wait_rolled_out(world, BACKEND)
    latest = dep.history(world.apps, NS, BACKEND)[-1]
    assert (latest.number, latest.current, latest.images) == (6, True, ("ghcr.io/eli-maor/backend:v1.9.0",))
    # The reason travelled with the template to the ReplicaSet that became revision 6.
    assert latest.change_cause == "Rollback to revision 1: export API broken in v2.0.0"
    assert "6         Rollback to revision 1: export API broken in v2.0.0" in kubectl_history(world, BACKEND)


def test_rollback_refusals_are_kubectls(world: World):
    # Unknown revision.
    refused = world.kubectl.run("rollout", "undo", f"deployment/{BACKEND}", "--to-revision=9", "-n", NS, check=False)
    with pytest.raises(ConsoleError) as err:
        dep.plan_rollback(world.apps, NS, BACKEND, 9)
    assert err.value.message == "unable to find specified revision 9 in history"
    assert refused.stderr.strip() == f"error: {err.value.message}"

    # Already the current template: not an error.
    said = world.kubectl("rollout", "undo", f"deployment/{BACKEND}", "--to-revision=5", "-n", NS).strip()
    op = dep.plan_rollback(world.apps, NS, BACKEND, 5)
    skipped = f"deployment.apps/{BACKEND} skipped rollback (current template already matches revision 5)"
    assert op.noop == said == skipped
    outcome = dep.execute(world.apps, op)
    assert (outcome.ok, outcome.changed, outcome.message) == (True, False, said)

    # Paused.
    world.kubectl("rollout", "pause", f"deployment/{BACKEND}", "-n", NS)
    refused = world.kubectl.run("rollout", "undo", f"deployment/{BACKEND}", "-n", NS, check=False)
    with pytest.raises(ConsoleError) as err:
        dep.plan_rollback(world.apps, NS, BACKEND)
    assert err.value.message == dep.PAUSED_ROLLBACK
    assert refused.stderr.strip() == f"error: {dep.PAUSED_ROLLBACK}"
    assert raw_deployment(world, BACKEND)["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v2.0.0")


def test_a_concurrent_change_is_a_409_not_a_lost_update(world: World):
    op = dep.plan_rollback(world.apps, NS, BACKEND)
    world.kubectl("set", "image", f"deployment/{BACKEND}", "backend=ghcr.io/eli-maor/backend:v2.2.0", "-n", NS)
    # The patch carries the resourceVersion read: the server refuses it as it stands.
    with pytest.raises(ApiException) as refused:
        world.apps.patch_namespaced_deployment(BACKEND, NS, op.patch, _content_type=dep.JSON_PATCH)
    assert refused.value.status == 409
    outcome = dep.execute(world.apps, op)
    assert not outcome.ok
    assert outcome.message == (f"deployment.apps/{BACKEND} changed since you looked (someone else updated it); "
                               "re-read and try again.")
    image = raw_deployment(world, BACKEND)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "ghcr.io/eli-maor/backend:v2.2.0"


def test_status_churn_alone_does_not_block_a_confirmed_rollback(world: World):
    op = dep.plan_rollback(world.apps, NS, BACKEND, 1)  # the previous revision, 4, crash-loops
    # A label on the Deployment: a new resourceVersion, same spec, same annotations.
    world.kubectl("label", f"deployment/{BACKEND}", "team=payments", "-n", NS)
    with pytest.raises(ApiException) as refused:
        world.apps.patch_namespaced_deployment(BACKEND, NS, op.patch, _content_type=dep.JSON_PATCH)
    assert refused.value.status == 409
    outcome = dep.execute(world.apps, op)
    assert outcome.ok, outcome.message
    assert wait_rolled_out(world, BACKEND)["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1.9.0")


# ---- pause, resume, restart --------------------------------------------------------------------


def test_pause_resume_restart(world: World):
    name, kubectl = WORKER, world.kubectl
    op = dep.plan_pause(world.apps, NS, name)
    assert op.command == ["kubectl", "rollout", "pause", f"deployment/{name}", "-n", NS]
    assert dep.execute(world.apps, op).message == f"deployment.apps/{name} paused"
    assert raw_deployment(world, name)["spec"]["paused"] is True

    # Refusals, word for word what kubectl prints after "error: ".
    for plan, args in ((dep.plan_pause, ("rollout", "pause")), (dep.plan_restart, ("rollout", "restart"))):
        refused = kubectl.run(*args, f"deployment/{name}", "-n", NS, check=False)
        with pytest.raises(ConsoleError) as err:
            plan(world.apps, NS, name)
        assert refused.returncode == 1 and refused.stderr.strip() == f"error: {err.value.message}"
    assert err.value.message == f'deployments.apps "{name}" can\'t restart paused deployment (run rollout resume first)'
    # A plan made before someone else paused is refused when run, as kubectl would be.
    assert dep.execute(world.apps, op) == Outcome(ok=False, message=f'deployments.apps "{name}" is already paused')

    op = dep.plan_resume(world.apps, NS, name)
    assert dep.execute(world.apps, op).message == f"deployment.apps/{name} resumed"
    assert not raw_deployment(world, name)["spec"].get("paused")
    refused = kubectl.run("rollout", "resume", f"deployment/{name}", "-n", NS, check=False)
    with pytest.raises(ConsoleError) as err:
        dep.plan_resume(world.apps, NS, name)
    assert refused.stderr.strip() == f"error: {err.value.message}" == f'error: deployments.apps "{name}" is not paused'

    # Restart: an RFC 3339 restartedAt on the template, as kubectl writes it, and a new revision.
    at = datetime(2026, 11, 26, 2, 30, 15, 999, tzinfo=UTC)
    op = dep.plan_restart(world.apps, NS, name, now=at)
    assert op.command == ["kubectl", "rollout", "restart", f"deployment/{name}", "-n", NS]
    assert dep.execute(world.apps, op).message == f"deployment.apps/{name} restarted"
    d = wait_rolled_out(world, name)
    assert d["spec"]["template"]["metadata"]["annotations"][dep.RESTARTED_AT] == "2026-11-26T02:30:15Z"
    assert [r.number for r in dep.history(world.apps, NS, name)] == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ConsoleError, match="restart has already been triggered within the past second"):
        dep.plan_restart(world.apps, NS, name, now=at)
    kubectl("rollout", "restart", f"deployment/{BEAT}", "-n", NS)
    theirs = raw_deployment(world, BEAT)["spec"]["template"]["metadata"]["annotations"][dep.RESTARTED_AT]
    assert RFC3339.match(theirs) and RFC3339.match(dep.rfc3339(datetime.now()))


# ---- scale -------------------------------------------------------------------------------------


def test_scale_to_zero_and_back(world: World):
    op = dep.plan_scale(world.apps, NS, BACKEND, 0)
    assert op.risk == "high" and op.changes[0] == "replicas 2 → 0"
    assert op.command == ["kubectl", "scale", f"deployment/{BACKEND}", "--current-replicas=2", "--replicas=0", "-n", NS]
    outcome = dep.execute(world.apps, op)
    assert (outcome.ok, outcome.message, outcome.previous_replicas) == (True, f"deployment.apps/{BACKEND} scaled", 2)
    selector = "app=eli-maor,component=backend"
    wait_for("backend pods to go", lambda: not world.core.list_namespaced_pod(NS, label_selector=selector).items)
    assert wait_rolled_out(world, BACKEND)["spec"]["replicas"] == 0

    back = dep.plan_scale(world.apps, NS, BACKEND, outcome.previous_replicas)
    assert back.risk == "normal" and back.changes == ["replicas 0 → 2"]
    assert dep.execute(world.apps, back).message == f"deployment.apps/{BACKEND} scaled"
    assert wait_rolled_out(world, BACKEND)["status"]["readyReplicas"] == 2

    # --current-replicas: a plan made on 2 replicas is not run on 3.
    op = dep.plan_scale(world.apps, NS, BACKEND, 1)
    world.kubectl("scale", f"deployment/{BACKEND}", "--replicas=3", "-n", NS)
    refused = world.kubectl.run(*op.command[1:], check=False)
    outcome = dep.execute(world.apps, op)
    assert not outcome.ok
    assert outcome.message.startswith(refused.stderr.strip().removeprefix("error: ") + ";")
    assert raw_deployment(world, BACKEND)["spec"]["replicas"] == 3

    # (To 1: the sandbox refuses kubectl's PUT of a Scale whose replicas 0 Go omitted; a real server takes it.)
    dry = dep.plan_scale(world.apps, NS, BACKEND, 1, dry_run=True)
    said = world.kubectl(*dry.command[1:]).strip()
    assert dep.execute(world.apps, dry).message == said == f"deployment.apps/{BACKEND} scaled (server dry run)"
    assert raw_deployment(world, BACKEND)["spec"]["replicas"] == 3
    with pytest.raises(ConsoleError):
        dep.plan_scale(world.apps, NS, BACKEND, -1)


# ---- traffic -----------------------------------------------------------------------------------


def test_traffic_diversion_empties_and_refills_the_service(world: World):
    pods = world.core.list_namespaced_pod(NS, label_selector="app=eli-maor,component=backend").items
    ips = sorted(p.status.pod_ip for p in pods)
    assert len(ips) == 2 and endpoints_by_kubectl(world, BACKEND) == ips

    op = dep.plan_divert_traffic(world.apps, NS, BACKEND, serving=False)
    runbook = "kubectl label pods -l app=eli-maor,component=backend --overwrite serving=false"
    assert op.command == runbook.split() + ["-n", NS]
    assert op.risk == "high"
    assert f"service/{BACKEND}: 2 → 0 ready endpoints (expected)" in op.changes
    outcome = dep.execute(world.apps, op)
    assert outcome.ok and outcome.changed
    assert outcome.endpoints_before == {BACKEND: ips}
    assert outcome.endpoints_after == {BACKEND: []}
    assert endpoints_by_kubectl(world, BACKEND) == []
    assert len(endpoints_by_kubectl(world, FRONTEND)) == 2  # only the backend was diverted
    assert outcome.details == sorted(f"pod/{p.metadata.name} labeled" for p in pods)
    # Doing it again changes nothing, in kubectl's words too.
    again = dep.execute(world.apps, op)
    said = world.kubectl(*op.command[1:]).strip().splitlines()
    assert again.details == sorted(said) == sorted(f"pod/{p.metadata.name} not labeled" for p in pods)
    assert not again.changed

    op = dep.plan_divert_traffic(world.apps, NS, BACKEND, serving=True)
    assert op.risk == "normal" and f"service/{BACKEND}: 0 → 2 ready endpoints (expected)" in op.changes
    outcome = dep.execute(world.apps, op)
    assert outcome.endpoints_before == {BACKEND: []}
    assert outcome.endpoints_after == {BACKEND: ips} and endpoints_by_kubectl(world, BACKEND) == ips


# ---- change-cause ------------------------------------------------------------------------------


def test_annotate_change_cause(world: World):
    op = dep.plan_annotate(world.apps, NS, FRONTEND, "Rollback to v1.5.0 due to\nmemory leak")
    assert op.command == ["kubectl", "annotate", f"deployment/{FRONTEND}",
                          "kubernetes.io/change-cause=Rollback to v1.5.0 due to memory leak", "--overwrite", "-n", NS]
    assert op.command_line.endswith("'kubernetes.io/change-cause=Rollback to v1.5.0 due to memory leak' "
                                    "--overwrite -n production")
    said = world.kubectl(*op.command[1:], "--dry-run=server").strip()
    outcome = dep.execute(world.apps, op)
    assert outcome.message == said.removesuffix(" (server dry run)") == f"deployment.apps/{FRONTEND} annotated"
    # The controller copies it to the current ReplicaSet, so the history shows it.
    wait_for("the change-cause in the history",
             lambda: dep.history(world.apps, NS, FRONTEND)[-1].change_cause == "Rollback to v1.5.0 due to memory leak")
    with pytest.raises(ConsoleError, match="empty"):
        dep.plan_annotate(world.apps, NS, FRONTEND, " \n ")


# ---- rollout status ----------------------------------------------------------------------------


def test_rollout_status_follows_a_rollout_like_kubectl(world: World):
    changed = json.loads(world.apps.patch_namespaced_deployment(
        BACKEND, NS, {"spec": {"template": {"spec": {"containers": [
            {"name": "backend", "image": "ghcr.io/eli-maor/backend:v2.1.0"}]}}}},
        _preload_content=False).data)
    assert dep.rollout_status(changed) == ("Waiting for deployment spec update to be observed...", False, False)
    # Every state from the change on, through a watch; kubectl's own view started a moment later.
    ours: list[str] = [dep.rollout_status(changed)[0]]

    def follow():
        w = watch.Watch()
        for event in w.stream(world.apps.list_namespaced_deployment, NS, field_selector=f"metadata.name={BACKEND}",
                              resource_version=changed["metadata"]["resourceVersion"], timeout_seconds=30,
                              deserialize=False):
            message, done, error = dep.rollout_status(event["object"])
            ours.append(message)
            if done or error:
                w.stop()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    theirs = world.kubectl("rollout", "status", f"deployment/{BACKEND}", "-n", NS, "--timeout=30s")
    follower.join(30)
    lines = theirs.strip().splitlines()
    assert lines and set(lines) <= set(ours), (lines, ours)
    assert ours[-1] == lines[-1] == f'deployment "{BACKEND}" successfully rolled out'
    assert any(re.fullmatch(rf'Waiting for deployment "{BACKEND}" rollout to finish: \d out of 2 new replicas have '
                            r"been updated\.\.\.", m) for m in ours), ours
    assert any(m.endswith(("old replicas are pending termination...", "updated replicas are available..."))
               for m in ours), ours


def test_rollout_status_wording_for_each_state():
    def deployment(generation=2, observed=2, replicas=2, updated=2, total=2, available=2, reason=None):
        conditions = [{"type": "Progressing", "status": "False", "reason": reason}] if reason else []
        return {"metadata": {"name": "x", "generation": generation, "annotations": {dep.REVISION: "3"}},
                "spec": {"replicas": replicas},
                "status": {"observedGeneration": observed, "updatedReplicas": updated, "replicas": total,
                           "availableReplicas": available, "conditions": conditions}}

    s = dep.rollout_status
    assert s(deployment(generation=3)) == ("Waiting for deployment spec update to be observed...", False, False)
    assert s(deployment(updated=1, total=3)) == (
        'Waiting for deployment "x" rollout to finish: 1 out of 2 new replicas have been updated...', False, False)
    assert s(deployment(total=3)) == (
        'Waiting for deployment "x" rollout to finish: 1 old replicas are pending termination...', False, False)
    assert s(deployment(available=1)) == (
        'Waiting for deployment "x" rollout to finish: 1 of 2 updated replicas are available...', False, False)
    assert s(deployment()) == ('deployment "x" successfully rolled out', True, False)
    assert s(deployment(updated=1, reason="ProgressDeadlineExceeded")) == (
        'deployment "x" exceeded its progress deadline', False, True)
    assert s(deployment(), revision=2) == (
        "desired revision (2) is different from the running revision (3)", False, True)
    model = client.V1Deployment(metadata=client.V1ObjectMeta(name="x", generation=1),
                                spec=client.V1DeploymentSpec(replicas=1, selector=client.V1LabelSelector(),
                                                             template=client.V1PodTemplateSpec()),
                                status=client.V1DeploymentStatus(observed_generation=1, updated_replicas=1,
                                                                 replicas=1, available_replicas=0))
    assert s(model) == ('Waiting for deployment "x" rollout to finish: 0 of 1 updated replicas are available...',
                        False, False)


def test_a_crashlooping_rollout_exceeds_its_deadline_and_is_rolled_back(worlds):
    w = worlds(speed=100.0)
    w.kubectl("set", "image", f"deployment/{BACKEND}", "backend=ghcr.io/eli-maor/backend:v2.1.0-crashloop", "-n", NS)
    seen: set[str] = set()

    def stalled():
        message, done, error = dep.rollout_status(raw_deployment(w, BACKEND))
        assert not done, "a crash-looping rollout cannot complete"
        seen.add(message)
        return message if error else None

    message = wait_for("ProgressDeadlineExceeded", stalled, timeout=40)
    assert message == f'deployment "{BACKEND}" exceeded its progress deadline'
    assert any("new replicas have been updated" in m or "updated replicas are available" in m for m in seen), seen
    refused = w.kubectl.run("rollout", "status", f"deployment/{BACKEND}", "-n", NS, "--timeout=10s", check=False)
    assert refused.returncode == 1 and refused.stderr.strip() == f"error: {message}"

    op = dep.plan_rollback(w.apps, NS, BACKEND, reason="crashloop in v2.1.0")
    assert "ghcr.io/eli-maor/backend:v2.1.0-crashloop → ghcr.io/eli-maor/backend:v2.0.0" in op.changes[0]
    assert dep.execute(w.apps, op).ok
    d = wait_rolled_out(w, BACKEND)
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/eli-maor/backend:v2.0.0"
    assert dep.history(w.apps, NS, BACKEND)[-1].change_cause == "Rollback to revision 5: crashloop in v2.1.0"


# ---- diff and names ----------------------------------------------------------------------------


def test_pod_template_diff_ignores_the_hash_label(world: World):
    revisions = dep.history(world.apps, NS, BACKEND)
    assert dep.pod_template_diff(revisions[-1].template, dep.without_hash(revisions[-1].template)) == ""
    diff = dep.pod_template_diff(revisions[-1].template, revisions[0].template, "revision 5", "revision 1")
    assert diff.startswith("--- revision 5\n+++ revision 1\n@@ ")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    # Revision 5 also has the seed's hand-set LOG_LEVEL, which revision 1 never had; each release's pod template
    # says which Alembic head its code expects.
    assert changed == ["-    rollback-console/alembic-head: ad4f51627e83",
                       "+    rollback-console/alembic-head: 8b2d3f405c61",
                       "-    - name: LOG_LEVEL", "-      value: debug", "-    image: ghcr.io/eli-maor/backend:v2.0.0",
                       "+    image: ghcr.io/eli-maor/backend:v1.9.0"]


@pytest.mark.parametrize("name", ["", "Eli-Maor", "eli_maor", "-x", "x;rm -rf /", "a" * 254, "x\ny", "x\n"])
def test_names_are_checked_before_any_command_line(name):
    with pytest.raises(ConsoleError, match="not a valid Deployment name"):
        dep.plan_rollback(None, NS, name)
    with pytest.raises(ConsoleError, match="not a valid namespace"):
        dep.plan_scale(None, name or "UPPER", BACKEND, 1)


# ---- errors ------------------------------------------------------------------------------------


def test_errors_are_one_sentence(worlds):
    w = worlds()
    with pytest.raises(ConsoleError) as err:
        dep.history(w.apps, NS, "eli-maor-nope")
    assert err.value.message == ('Reading the history of deployment.apps/eli-maor-nope failed: '
                                 'deployments.apps "eli-maor-nope" not found; check the name and the namespace.')
    assert err.value.status == 404

    # A real 422 from the server, through execute: an Outcome, not an exception.
    op = dep.plan_scale(w.apps, NS, BACKEND, 1)
    outcome = dep.execute(w.apps, dataclasses.replace(op, replicas=-1))
    assert not outcome.ok
    assert outcome.message.startswith(f"Scaling deployment.apps/{BACKEND} failed: the API server rejected it as "
                                      "invalid (")
    assert outcome.message.endswith("); correct it and try again.")

    # The server goes away.
    w.sandbox.stop()
    with pytest.raises(ConsoleError) as err:
        dep.plan_rollback(w.apps, NS, BACKEND)
    assert err.value.message == (f"Planning the rollback of deployment.apps/{BACKEND} failed: cannot reach the API "
                                 f"server at {w.sandbox.url}; check that the cluster is up and that your kubeconfig "
                                 "points at it.")
    outcome = dep.execute(w.apps, op)
    assert not outcome.ok and f"cannot reach the API server at {w.sandbox.url}" in outcome.message


@pytest.mark.parametrize("status,reason,message,expected", [
    (403, "Forbidden", 'deployments.apps "x" is forbidden: User "bob" cannot patch resource "deployments"',
     ('Rolling back deployment.apps/x is not allowed (deployments.apps "x" is forbidden: User "bob" cannot patch '
      'resource "deployments"); ask a cluster admin for that permission.')),
    (409, "Conflict", "Operation cannot be fulfilled on deployments.apps \"x\": the object has been modified",
     "Rolling back deployment.apps/x failed: it changed since you looked; re-read and try again."),
    (422, "Invalid", 'Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1',
     ('Rolling back deployment.apps/x failed: the API server rejected it as invalid (Deployment.apps "x" is '
      'invalid: spec.replicas: Invalid value: -1); correct it and try again.')),
    (503, "ServiceUnavailable", "etcd\nis down",
     ("Rolling back deployment.apps/x failed: the API server is unavailable or overloaded (503: etcd is down); "
      "try again shortly.")),
])
def test_api_statuses_become_sentences(status, reason, message, expected):
    exc = ApiException(status=status, reason=reason)
    exc.body = json.dumps({"kind": "Status", "status": "Failure", "message": message, "reason": reason,
                           "code": status})
    err = from_api_exception(exc, "rolling back deployment.apps/x")
    assert (err.message, err.status, str(err)) == (expected, status, expected)
    assert "\n" not in err.message and "Traceback" not in err.message


def test_operation_is_a_frozen_description():
    op = Operation(kind="scale", component=BACKEND, namespace=NS, summary="s", changes=["replicas 2 → 0"],
                   command=["kubectl", "scale", f"deployment/{BACKEND}", "--replicas=0", "-n", NS], risk="high")
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.risk = "normal"
    with pytest.raises(ValueError):
        Operation(kind="delete", component="x", namespace=NS, summary="", changes=[], command=[])
    assert Operation(kind="annotate", component="x", namespace=NS, summary="", changes=[],
                     command=["kubectl", "annotate", "deployment/x", "a=b c; rm -rf /"]).command_line == \
        "kubectl annotate deployment/x 'a=b c; rm -rf /'"
