"""`kubectl logs -f` against the sandbox, as against a kubelet: a running container is followed as it writes,
and the follow ends when that container exits (a crash-looping one), after its last lines."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.support.sandbox import Kubectl, start_sandbox, wait_for
from tests.support.tools import DEFAULT_KUBECTL

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def sandbox(tmp_path):
    sb = start_sandbox(tmp_path, speed=20.0)
    yield sb
    assert sb.stop() == 0


def follow(sb, pod: str) -> subprocess.Popen:
    return subprocess.Popen([str(DEFAULT_KUBECTL), "--kubeconfig", str(sb.kubeconfig), "-n", "production",
                             "logs", "-f", "--tail=2", pod], stdout=subprocess.PIPE, text=True)


def test_follow_streams_new_lines_of_a_running_container(sandbox):
    kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
    pods = kubectl.json("get", "pods", "-n", "production")["items"]
    pod = next(p["metadata"]["name"] for p in pods if p["metadata"]["name"].startswith("eli-maor-frontend"))
    proc = follow(sandbox, pod)
    try:
        started = time.monotonic()
        lines = [proc.stdout.readline() for _ in range(6)]  # 2 of the tail, then new ones as they are written
        assert all(" INFO  " in line for line in lines), lines
        assert time.monotonic() - started > 0.4  # not all at once: the later ones were written meanwhile
        assert proc.poll() is None  # still following
    finally:
        proc.kill()
        proc.wait()


def test_follow_of_a_crashlooping_container_ends_when_it_exits(sandbox):
    kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
    kubectl("set", "image", "-n", "production", "deployment/eli-maor-backend",
            "backend=ghcr.io/eli-maor/backend:v2.1.0-crashloop")

    def running_crashloop() -> str:
        for p in kubectl.json("get", "pods", "-n", "production")["items"]:
            for cs in p["status"].get("containerStatuses") or []:
                if "crashloop" in cs.get("image", "") and "running" in cs.get("state", {}):
                    return p["metadata"]["name"]
        return ""

    pod = wait_for("a crash-looping container running", running_crashloop, timeout=60, interval=0.02)
    proc = follow(sandbox, pod)
    try:
        out, _ = proc.communicate(timeout=60)  # ends by itself
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert out.rstrip().endswith("ConnectionError: could not connect to postgres://db:5432/app: connection refused")
