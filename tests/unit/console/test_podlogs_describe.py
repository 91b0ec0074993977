"""The logs view's and the describe/YAML view's plain parts: pod order, the bounded buffer, lines split across
chunks, managedFields dropped, describe's sections."""

from __future__ import annotations

import re

import yaml

from tui.core import describe, podlogs


def pod(name: str, rs: str, created: str, restarts: int = 0) -> dict:
    return {"metadata": {"name": name, "creationTimestamp": created,
                         "ownerReferences": [{"kind": "ReplicaSet", "name": rs}]},
            "spec": {"containers": [{"name": "app"}, {"name": "sidecar"}], "initContainers": [{"name": "init"}]},
            "status": {"containerStatuses": [{"name": "app", "restartCount": restarts}]}}


def rs(name: str, revision: int) -> dict:
    return {"metadata": {"name": name, "annotations": {"deployment.kubernetes.io/revision": str(revision)}}}


def test_pods_of_the_newest_replicaset_come_first_then_the_newest_pod():
    pods = [pod("old-a", "old", "2026-01-01T00:00:02Z"), pod("new-a", "new", "2026-01-01T00:00:01Z"),
            pod("new-b", "new", "2026-01-01T00:00:03Z"), pod("old-b", "old", "2026-01-01T00:00:04Z")]
    # revision 10 is newer than 9 (a number, not a string)
    ordered = podlogs.pods_newest_first(pods, [rs("old", 9), rs("new", 10)])
    assert [p["metadata"]["name"] for p in ordered] == ["new-b", "new-a", "old-b", "old-a"]


def test_containers_then_init_containers_and_restarts():
    p = pod("a", "rs", "", restarts=3)
    assert podlogs.containers(p) == ["app", "sidecar", "init"]
    assert podlogs.restarts(p, "app") == 3 and podlogs.restarts(p, "sidecar") == 0


def test_buffer_keeps_the_last_lines_counts_all_and_marks_errors():
    buffer = podlogs.LogBuffer(re.compile("ERROR|Traceback"), limit=3)
    added = buffer.add(["INFO ok", "ERROR boom", "Traceback (most recent call last):", "INFO a", "INFO b"])
    assert [e for _, e in added] == [False, True, True, False, False]
    assert [line for line, _ in buffer.lines] == ["Traceback (most recent call last):", "INFO a", "INFO b"]
    buffer.state = podlogs.FOLLOWING
    assert buffer.summary() == "5 lines (last 3 kept) · 2 error lines · following"
    buffer.state, buffer.why = podlogs.STOPPED, "the stream ended"
    assert buffer.summary().endswith("· stopped: the stream ended")
    buffer.clear()
    assert buffer.summary() == "0 lines · stopped"


def test_a_line_split_across_chunks_is_given_whole():
    lines, rest = podlogs.split_lines("", "one\ntw")
    assert (lines, rest) == (["one"], "tw")
    lines, rest = podlogs.split_lines(rest, "o\r\nthree\n")
    assert (lines, rest) == (["two", "three"], "")


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"},
                     "annotations": {"deployment.kubernetes.io/revision": "4"},
                     "creationTimestamp": "2026-01-01T00:00:00Z",
                     "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                 "template": {"spec": {"containers": [{"name": "web", "image": "web:v2",
                                                        "ports": [{"containerPort": 8080}]}]}}},
        "status": {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 1, "unavailableReplicas": 1,
                   "conditions": [{"type": "Progressing", "status": "False",
                                   "reason": "ProgressDeadlineExceeded"}]},
    }


def test_yaml_drops_managed_fields_and_keeps_the_rest_in_order():
    obj = deployment()
    text = describe.to_yaml(obj)
    assert "managedFields" not in text
    assert yaml.safe_load(text) == describe.without_managed_fields(obj)
    assert text.startswith("apiVersion: apps/v1\nkind: Deployment\n")
    assert "managedFields" in obj["metadata"]  # the watched object is not changed


def test_describe_says_replicas_strategy_selector_conditions_and_events_newest_last():
    events = [
        {"type": "Normal", "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-2 to 2",
         "lastTimestamp": "2026-01-01T00:09:00Z", "source": {"component": "deployment-controller"}},
        {"type": "Warning", "reason": "Failed", "message": "older", "count": 3,
         "lastTimestamp": "2026-01-01T00:05:00Z", "source": {"component": "deployment-controller"}},
    ]
    now = describe.parse_rfc3339("2026-01-01T00:10:00Z")
    lines = describe.describe(deployment(), events, now)
    text = "\n".join(lines)
    assert "Replicas:               2 desired | 2 updated | 2 total | 1 available | 1 unavailable" in text
    assert "RollingUpdateStrategy:  0 max unavailable, 1 max surge" in text
    assert "Selector:               app=web" in text
    assert "Progressing    False   ProgressDeadlineExceeded" in text
    assert "Image:      web:v2" in text
    failed = next(i for i, line in enumerate(lines) if "older" in line)
    scaled = next(i for i, line in enumerate(lines) if "Scaled up" in line)
    assert failed < scaled
    assert "5m (x3)" in lines[failed] and "1m " in lines[scaled]


def test_describe_without_events_or_conditions_says_none():
    obj = deployment()
    obj["status"].pop("conditions")
    text = "\n".join(describe.describe(obj, [], 0.0))
    assert "Conditions:\n  <none>" in text and text.endswith("Events:\n  <none>")
