"""examples/prometheus/: the runbook's DeploymentFailed rule, checked and unit-tested by the real promtool."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.support.tools import PROMTOOL, REPO_ROOT, require

EXAMPLES = REPO_ROOT / "examples" / "prometheus"
RUNBOOK_RULE = {
    "alert": "DeploymentFailed",
    "expr": 'kube_deployment_status_condition{condition="Progressing",status="false"} == 1',
    "for": "5m",
    "labels": {"severity": "critical"},
    "annotations": {"summary": "Deployment {{ $labels.deployment }} failed"},
}


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(require(PROMTOOL)), *args], cwd=EXAMPLES, input=stdin, capture_output=True,
                          text=True, timeout=60)


def rules_of(doc: dict) -> list[dict]:
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_rules_are_the_runbooks():
    rules = rules_of(yaml.safe_load((EXAMPLES / "rules.yaml").read_text()))
    assert rules == [RUNBOOK_RULE]


def test_prometheusrule_holds_the_same_rule():
    doc = yaml.safe_load((EXAMPLES / "prometheusrule.yaml").read_text())
    assert (doc["apiVersion"], doc["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert rules_of(doc["spec"]) == rules_of(yaml.safe_load((EXAMPLES / "rules.yaml").read_text()))


@pytest.mark.parametrize("args", [("check", "rules", "rules.yaml"), ("check", "config", "prometheus.yml"),
                                  ("test", "rules", "rules_test.yaml")])
def test_promtool_accepts(args):
    result = promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_unit_test_catches_a_wrong_for(tmp_path):
    # The rules test must be able to fail: with `for: 3m` the alert fires before 4m.
    rules = yaml.safe_load((EXAMPLES / "rules.yaml").read_text())
    rules["groups"][0]["rules"][0]["for"] = "3m"
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    (tmp_path / "rules_test.yaml").write_text((EXAMPLES / "rules_test.yaml").read_text())
    result = subprocess.run([str(require(PROMTOOL)), "test", "rules", "rules_test.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_metrics_md_corrects_the_restart_counter():
    text = (EXAMPLES / "metrics.md").read_text()
    for name in ("kube_deployment_status_replicas_updated", "kube_deployment_status_replicas_available",
                 "kube_pod_container_status_restarts_total", "http_request_duration_seconds"):
        assert f"`{name}`" in text
    assert "`container_restarts_total` exists neither in kube-state-metrics nor in cAdvisor" in text
