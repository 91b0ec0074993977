"""Masking, diffs, helm flag choice by version, validation, and streaming a real subprocess."""

from __future__ import annotations

import sys

import anyio
import pytest

from tests.support.helm_release import MANIFEST_V1, release
from tests.support.tools import HELM, require
from tui.core.errors import ConsoleError
from tui.helm.diff import (
    MASK,
    SECRETS_DIFFER,
    looks_secret,
    manifest_diff,
    mask_values,
    revision_diff,
    values_diff,
)
from tui.helm.operations import (
    Cluster,
    HelmBinary,
    RollbackOptions,
    detect,
    parse_version,
    rollback_argv,
    rollback_release,
    run_streaming,
)
from tui.helm.release import from_release

SECRET_MANIFEST = """---
kind: Secret
metadata:
  name: db
data:
  password: "aHVudGVyMg=="
stringData:
  user: admin
---
kind: Deployment
spec:
  env:
    - name: DB_PASSWORD
      value: hunter2
    - name: MODE
      value: fast
  apiToken: abc123
  image: web:v1
"""


@pytest.mark.parametrize("key", ["password", "DB_PASSWORD", "apiToken", "secretKey", "api_key", "privateKey",
                                 "key", "tls.key", "credentials", "Secret"])
def test_secret_looking_keys(key):
    assert looks_secret(key)


@pytest.mark.parametrize("key", ["image", "monkey", "hotkeys", "host", "replicas", "tag"])
def test_ordinary_keys(key):
    assert not looks_secret(key)


def test_mask_values_nested_and_revealed():
    values = {"db": {"password": "s3cret", "host": "db"}, "secrets": {"a": 1}, "token": "", "list": [{"key": "k"}]}
    assert mask_values(values) == {"db": {"password": MASK, "host": "db"}, "secrets": MASK, "token": "",
                                   "list": [{"key": MASK}]}
    assert mask_values(values, reveal=True) is values


def revision(version: int, status: str, manifest: str, password: str):
    doc = release(version, status, "x", manifest)
    doc["config"]["db"]["password"] = password
    return from_release(doc)


def test_manifest_diff_masks_secret_data_env_values_and_secret_keys():
    old = revision(1, "superseded", SECRET_MANIFEST.replace("hunter2", "old-pass").replace("aHVudGVyMg==", "b2xk"),
                   "one")
    new = revision(2, "deployed", SECRET_MANIFEST.replace("abc123", "xyz789"), "two")
    masked = manifest_diff(new, old)
    for leak in ("hunter2", "old-pass", "aHVudGVyMg==", "b2xk", "abc123", "xyz789", "admin"):
        assert leak not in masked
    assert f"-  apiToken: {MASK}" not in masked  # masked on both sides, a change would be invisible...
    assert masked == SECRETS_DIFFER  # ...so the diff says secrets differ
    assert manifest_diff(new, new) == ""
    visible = revision(1, "superseded", SECRET_MANIFEST.replace("web:v1", "web:v0"), "one")
    shown = manifest_diff(new, visible)
    assert shown.startswith("--- shop revision 2 (deployed) manifest\n+++ shop revision 1 manifest\n")
    assert f"   apiToken: {MASK}\n-  image: web:v1\n+  image: web:v0\n" in shown and "xyz789" not in shown
    assert shown.endswith(SECRETS_DIFFER)
    revealed = manifest_diff(new, old, reveal=True)
    assert "-      value: hunter2" in revealed and "+      value: old-pass" in revealed


def test_values_diff_is_whole_and_masked():
    old, new = revision(1, "superseded", MANIFEST_V1, "one"), revision(2, "deployed", MANIFEST_V1, "two")
    diff = values_diff(new, old)
    assert f"   password: {MASK}" in diff  # masked on both sides: the same line, as context
    assert "-  tag: v2\n+  tag: v1" in diff and "   pullPolicy: IfNotPresent" in diff
    assert diff.endswith(SECRETS_DIFFER)  # passwords one and two: masked, but said to differ
    assert "-  password: two\n+  password: one" in values_diff(new, old, reveal=True)
    both = revision_diff(new, new)
    assert both == "# manifests of revisions 2 and 2 are identical\n# values of revisions 2 and 2 are identical"


def test_parse_version():
    assert parse_version("v3.17.2+gcc0bbbd") == (3, 17, 2)
    assert parse_version("v4.1.4+g05fa379\n") == (4, 1, 4)
    with pytest.raises(ValueError):
        parse_version("helm")


CLUSTER = Cluster("production", "/tmp/kubeconfig", "prod-eu")
ALL = RollbackOptions(wait=True, timeout="90s", force=True, cleanup_on_fail=True, no_hooks=True)


def test_flags_for_helm_3():
    argv = rollback_argv(HelmBinary("helm", (3, 17, 2)), "eli-maor", 2, CLUSTER, ALL)
    assert argv == ["helm", "rollback", "eli-maor", "2", "--history-max", "10", "--timeout", "90s",
                    "--cleanup-on-fail", "--force", "--namespace", "production", "--no-hooks", "--wait",
                    "--wait-for-jobs", "--kubeconfig", "/tmp/kubeconfig", "--kube-context", "prod-eu"]
    dry = rollback_argv(HelmBinary("helm", (3, 17, 2)), "eli-maor", 2, CLUSTER, dry_run=True)
    assert "--dry-run" in dry and "--force" not in dry and "--wait" not in dry


def test_flags_for_helm_4():
    argv = rollback_argv(HelmBinary("/opt/helm", (4, 1, 4)), "eli-maor", 2, CLUSTER, ALL, dry_run=True)
    assert argv[:2] == ["/opt/helm", "rollback"]
    assert "--force-replace" in argv and "--force" not in argv
    assert "--dry-run=server" in argv and "--dry-run" not in argv


@pytest.mark.parametrize("release_name, namespace, revision, timeout, says", [
    ("Eli;rm -rf", "production", 2, "5m", "is not a valid Helm release name"),
    ("eli-maor", "--all-namespaces", 2, "5m", "is not a valid namespace"),
    ("eli-maor", "production", 0, "5m", "is not a revision number"),
    ("eli-maor", "production", 2, "5 minutes", "is not a duration helm takes"),
    ("a" * 54, "production", 2, "5m", "at most 53"),
])
def test_names_are_validated_before_the_command_line(release_name, namespace, revision, timeout, says):
    with pytest.raises(ConsoleError, match=says):
        rollback_argv(HelmBinary("helm", (3, 17, 2)), release_name, revision, Cluster(namespace),
                      RollbackOptions(timeout=timeout))


@pytest.mark.parametrize("version", sorted(HELM))
def test_detect_real_helm(version):
    binary = detect(str(require(HELM[version])))
    assert ".".join(map(str, binary.version)) == version and binary.label == f"helm v{version}"


def test_detect_missing_and_broken_helm(tmp_path):
    with pytest.raises(ConsoleError) as missing:
        detect("/nonexistent/helm")
    assert missing.value.message == ("No helm at /nonexistent/helm: the Helm pane is read-only; install helm 3 or 4 "
                                     "(https://helm.sh/docs/intro/install/, or make tools in a clone) or pass "
                                     "--helm PATH.")
    with pytest.raises(ConsoleError, match=r"^No helm on PATH: the Helm pane is read-only; install helm 3 or 4"):
        detect("helm-that-is-not-installed")
    with pytest.raises(ConsoleError, match=r"^/bin/true version --short did not print a version \(exit 0\)"):
        detect("/bin/true")
    plain = tmp_path / "helm"
    plain.write_text("not a program")
    with pytest.raises(ConsoleError, match="is not executable"):
        detect(str(plain))


def test_streaming_passes_lines_as_they_come_and_reports_helms_error():
    seen: list[str] = []
    script = ("import sys, time\nprint('line one', flush=True)\ntime.sleep(0.2)\n"
              "print('Error: release: not found', file=sys.stderr, flush=True)\nsys.exit(1)")
    result = anyio.run(run_streaming, [sys.executable, "-c", script], seen.append, "helm rollback shop 2")
    assert seen == ["line one", "Error: release: not found"] == result.output
    assert not result.ok and result.returncode == 1
    assert result.message.startswith("helm rollback shop 2 failed: Error: release: not found (command: ")
    assert result.command_line in result.message


def test_rollback_release_refuses_bad_input_without_running_anything():
    result = rollback_release("Bad Name", 2, namespace="production", helm=HelmBinary("/nonexistent", (3, 0, 0)))
    assert not result.ok and result.command_line == "" and "not a valid Helm release name" in result.message
    missing = rollback_release("shop", 2, namespace="production", helm="/nonexistent/helm")
    assert not missing.ok and missing.message.startswith("No helm at /nonexistent/helm")
