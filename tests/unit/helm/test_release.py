"""Decoding Helm's storage Secrets and the release-history model (plain Python, no cluster).

Secrets are built here by Helm's documented format (pkg/storage/driver/util.go:
base64(gzip(JSON)), then base64 again as every Secret's data is on the wire);
that real helm's own writes decode too is proven end to end in
tests/ui/test_helm.py, where helm 3 and 4 write the new revisions.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

import pytest

from tests.support.helm_release import MANIFEST_V1, MANIFEST_V2, release
from tui.helm.release import (
    ReleaseHistory,
    Revision,
    from_release,
    from_secret,
    merge_values,
    selector,
)


def secret(doc: dict, gzipped: bool = True) -> dict:
    raw = json.dumps(doc).encode()
    stored = base64.b64encode(gzip.compress(raw) if gzipped else raw)
    return {
        "metadata": {"name": f"sh.helm.release.v1.{doc['name']}.v{doc['version']}", "namespace": doc["namespace"],
                     "labels": {"owner": "helm", "name": doc["name"], "status": doc["info"]["status"],
                                "version": str(doc["version"])}},
        "type": "helm.sh/release.v1",
        "data": {"release": base64.b64encode(stored).decode()},  # the API's own base64 of Secret data
    }


def test_selector_matches_helms_labels():
    assert selector("shop") == "owner=helm,name=shop"


@pytest.mark.parametrize("gzipped", [True, False])
def test_decode_a_storage_secret(gzipped):
    r = from_secret(secret(release(2, "deployed", "Upgrade complete"), gzipped))
    assert (r.release, r.namespace, r.revision, r.status) == ("shop", "prod", 2, "deployed")
    assert (r.chart, r.app_version, r.description) == ("shop-1.2.0", "v2", "Upgrade complete")
    assert r.updated == datetime(2026, 11, 22, 10, 0, 0, 500000, tzinfo=UTC).timestamp()
    assert r.manifest == MANIFEST_V2
    assert r.config == {"image": {"tag": "v2"}, "db": {"password": "s3cret"}}
    assert r.computed_values == {"image": {"tag": "v2", "pullPolicy": "IfNotPresent"}, "db": {"password": "s3cret"}}
    migrate, smoke = r.hooks
    assert (migrate.name, migrate.kind, migrate.events, migrate.phase) == (
        "shop-migrate", "Job", ("pre-upgrade", "pre-install"), "Succeeded")
    assert migrate.completed - migrate.started == 30
    assert (smoke.phase, smoke.started, smoke.completed) == ("", None, None)  # Go's zero time: never ran
    assert r.secret == "sh.helm.release.v1.shop.v2" and not r.error


def test_a_broken_secret_becomes_a_sentence_not_a_crash():
    broken = secret(release(3, "failed", "x"))
    broken["data"]["release"] = base64.b64encode(b"H4sIAAAA-not-gzip").decode()
    r = from_secret(broken)
    assert (r.revision, r.status) == (3, "failed")
    assert r.error.startswith("Helm's record sh.helm.release.v1.shop.v3 cannot be decoded")
    assert "helm history" in r.error


def test_merge_values_like_helm():
    assert merge_values({"a": {"b": 1, "c": 2}, "d": 1, "e": 5}, {"a": {"c": 3}, "d": [1], "e": None}) == {
        "a": {"b": 1, "c": 3}, "d": [1]}


def seeded() -> ReleaseHistory:
    """The runbook's example: 1 installed, 2 upgraded, 3 failed, 4 deployed "Rollback to 2"."""
    h = ReleaseHistory("shop", "prod")
    h.relist([from_release(release(1, "superseded", "Install complete", MANIFEST_V1)),
              from_release(release(2, "superseded", "Upgrade complete")),
              from_release(release(3, "failed", "Upgrade failed", MANIFEST_V2.replace("v2", "v3-crashloop"))),
              from_release(release(4, "deployed", "Rollback to 2")),
              from_release({**release(9, "deployed", "other release"), "name": "other"})])
    return h


def test_history_newest_first_deployed_and_live_changes():
    h = seeded()
    assert [r.revision for r in h.revisions] == [4, 3, 2, 1]  # the other release is not ours
    assert h.deployed.revision == 4 and h.stuck is None
    h.change("MODIFIED", from_release(release(4, "superseded", "Rollback to 2")))
    h.change("ADDED", from_release(release(5, "deployed", "Rollback to 1", MANIFEST_V1)))
    assert [r.revision for r in h.revisions] == [5, 4, 3, 2, 1] and h.deployed.revision == 5
    h.change("DELETED", h.get(1))  # --history-max prunes the oldest
    assert [r.revision for r in h.revisions] == [5, 4, 3, 2]


def test_default_target_skips_failed_and_identical_revisions():
    target, why = seeded().default_target()
    # 3 failed; 2 is what 4 rolled back to (same manifest): rolling back to it changes nothing.
    assert target.revision == 1
    assert why == "the newest earlier deployed revision that differs from 4; failed 3 skipped (never came up healthy)"


def test_default_target_when_nothing_differs():
    h = ReleaseHistory("shop", "prod")
    h.relist([from_release(release(1, "superseded", "Install complete")),
              from_release(release(2, "deployed", "Upgrade complete"))])
    assert h.default_target() == (None, "no earlier deployed revision of shop differs from revision 2")


@pytest.mark.parametrize("status", ["pending-upgrade", "pending-rollback"])
def test_stuck_release_offers_the_last_deployed_revision(status):
    h = seeded()
    h.change("ADDED", from_release(release(5, status, "Preparing upgrade")))
    stuck = h.stuck
    assert (stuck.revision, stuck.status, stuck.recover_to) == (5, status, 4)
    doing = status.removeprefix("pending-")
    assert stuck.sentence == (
        f"Revision 5 is stuck in {status}: helm will refuse upgrades with \"another operation "
        f"(install/upgrade/rollback) is in progress\"; if no {doing} is really running, roll back to revision 4 "
        "(the last deployed one) to recover.")
    target, why = h.default_target()
    assert target.revision == 4 and why == f"the last deployed revision before the stuck {status} of 5"


def test_stuck_install_has_nothing_to_roll_back_to():
    h = ReleaseHistory("shop", "prod")
    h.relist([from_release(release(1, "pending-install", "Initial install underway"))])
    assert h.stuck.recover_to is None
    assert "no earlier revision was ever deployed, so uninstall the release" in h.stuck.sentence
    assert h.default_target()[0] is None


def test_revision_repr_stays_short():
    assert "manifest" not in repr(from_release(release(1, "deployed", "x")))
    assert isinstance(from_release(release(1, "deployed", "x")), Revision)
