"""Jobs and protobuf bodies: what helm's hooks and its storage driver need, through real kubectl.

A Job runs one pod to completion (the kubelet finishes a pod whose
restartPolicy is not Always); `-crashloop` makes it fail. kubectl's typed
`create secret` sends protobuf, as helm's storage driver does.
"""

from __future__ import annotations

import base64

import yaml

from tests.support.sandbox import Kubectl, wait_for
from tests.support.tools import DEFAULT_KUBECTL

NS = "production"


def job(name: str, image: str, backoff_limit: int = 0) -> dict:
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS},
        "spec": {"backoffLimit": backoff_limit, "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "migrate", "image": image, "command": ["python", "manage.py", "migrate"]}]}}},
    }


def apply(kubectl: Kubectl, tmp_path, obj: dict) -> None:
    path = tmp_path / f"{obj['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(obj))
    kubectl("apply", "-f", str(path))


def test_a_job_runs_its_pod_to_completion_and_its_pods_go_with_it(sandbox, tmp_path):
    kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
    apply(kubectl, tmp_path, job("migrate", "ghcr.io/eli-maor/backend:v2.0.0"))
    out = kubectl("wait", "--for=condition=complete", "job/migrate", "-n", NS, "--timeout=60s", timeout=90)
    assert out.strip() == "job.batch/migrate condition met"
    done = kubectl.json("get", "job", "migrate", "-n", NS)
    assert done["status"]["succeeded"] == 1 and "active" not in done["status"]
    assert {c["type"] for c in done["status"]["conditions"]} == {"SuccessCriteriaMet", "Complete"}
    uid = done["metadata"]["uid"]
    assert done["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    [pod] = kubectl.json("get", "pods", "-n", NS, "-l", "job-name=migrate")["items"]
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["metadata"]["ownerReferences"][0]["uid"] == uid
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"

    kubectl("delete", "job", "migrate", "-n", NS)  # background propagation: the GC takes the pod
    wait_for("the Job's pod to be collected",
             lambda: kubectl("get", "pods", "-n", NS, "-l", "job-name=migrate", "-o", "name").strip() == "")


def test_a_job_whose_pod_fails_past_its_backoff_limit_fails(sandbox, tmp_path):
    kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
    apply(kubectl, tmp_path, job("broken", "ghcr.io/eli-maor/backend:v2.1.0-crashloop"))
    out = kubectl("wait", "--for=condition=failed", "job/broken", "-n", NS, "--timeout=60s", timeout=90)
    assert out.strip() == "job.batch/broken condition met"
    failed = kubectl.json("get", "job", "broken", "-n", NS)
    condition = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert (condition["reason"], condition["message"]) == ("BackoffLimitExceeded",
                                                           "Job has reached the specified backoff limit")
    assert failed["status"]["failed"] == 1


def test_typed_clients_protobuf_bodies_are_decoded(sandbox):
    kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
    out = kubectl("create", "secret", "generic", "db", "--from-literal=password=s3cr3t", "-n", NS)
    assert out.strip() == "secret/db created"
    secret = kubectl.json("get", "secret", "db", "-n", NS)
    assert (secret["type"], base64.b64decode(secret["data"]["password"])) == ("Opaque", b"s3cr3t")
    kubectl("create", "configmap", "settings", "--from-literal=mode=safe", "-n", NS)
    assert kubectl.json("get", "configmap", "settings", "-n", NS)["data"] == {"mode": "safe"}
    # Kinds the sandbox does not decode from protobuf stay one clear refusal.
    refused = kubectl.run("create", "deployment", "x", "--image=nginx", "-n", NS, check=False)
    assert refused.returncode == 1
    assert "the body of the request was in an unknown format" in refused.stderr
