"""`rollback-console demo`'s back ends: the sandbox, and a real Prometheus scraping it when the binary is there."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.support.prometheus import wait_for_value
from tests.support.sandbox import Kubectl
from tests.support.tools import DEFAULT_KUBECTL, PROMETHEUS, require
from tui.cli import _demo_backends, _demo_config

pytestmark = pytest.mark.timeout(180)


def test_demo_runs_prometheus_behind_the_service_proxy_and_stops_it(tmp_path):
    crash = pytest.raises(RuntimeError, match="the console crashed")  # both are stopped even then
    with crash, _demo_backends(tmp_path / "kubeconfig", 20.0, require(PROMETHEUS)) as (sandbox, prometheus):
        assert prometheus is not None
        wait_for_value(prometheus, 'up{job="sandbox"}', lambda v: v == 1)
        with urllib.request.urlopen(f"{prometheus.url}/api/v1/rules", timeout=10) as resp:
            rules = json.loads(resp.read())["data"]["groups"]
        assert [r["name"] for g in rules for r in g["rules"]] == ["DeploymentFailed"]  # the runbook's rules
        kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
        body = json.loads(kubectl("get", "--raw", "/api/v1/namespaces/monitoring/services/prometheus:9090/proxy"
                                                  "/api/v1/query?query=kube_deployment_spec_replicas"))
        assert {r["metric"]["deployment"] for r in body["data"]["result"]} >= {"eli-maor-backend",
                                                                              "eli-maor-frontend"}
        config = _demo_config(sandbox.kubeconfig, prometheus is not None)
        assert (config.prometheus.service, config.prometheus.url) == ("monitoring/prometheus:9090", "")
        workdir = prometheus.log.parent
        raise RuntimeError("the console crashed")
    assert prometheus.proc.poll() is not None and sandbox.proc.poll() is not None
    assert not workdir.exists()


def test_demo_without_prometheus_goes_on_quietly(tmp_path, capsys):
    with _demo_backends(tmp_path / "kubeconfig", 20.0, None) as (sandbox, prometheus):
        assert prometheus is None
        assert not _demo_config(sandbox.kubeconfig, False).prometheus.configured
        kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
        assert "No resources found" in kubectl.run("get", "svc", "-n", "monitoring").stderr
    assert sandbox.proc.poll() is not None
    assert capsys.readouterr().err == ""


def test_demo_with_a_broken_prometheus_says_so_in_one_sentence(tmp_path, capsys):
    broken = tmp_path / "prometheus"
    broken.write_text("#!/bin/sh\necho 'level=error msg=\"cannot start\"' >&2\nexit 3\n")
    broken.chmod(0o755)
    with _demo_backends(tmp_path / "kubeconfig", 20.0, Path(broken)) as (sandbox, prometheus):
        assert prometheus is None
    assert sandbox.proc.poll() is not None
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rollback-console: Prometheus did not start: level=error")
    assert err[0].endswith("; the demo goes on without metrics.")


def test_demo_with_a_prometheus_that_cannot_run_says_so(tmp_path, capsys):
    not_executable = tmp_path / "prometheus"
    not_executable.write_text("")
    with _demo_backends(tmp_path / "kubeconfig", 20.0, not_executable) as (sandbox, prometheus):
        assert prometheus is None
    assert sandbox.proc.poll() is not None
    assert capsys.readouterr().err.strip() == (f"rollback-console: Prometheus did not start: cannot run {not_executable} "
                                               "(Permission denied); the demo goes on without metrics.")
