"""A Helm release document as helm stores it (plain data, no cluster), for the Helm unit and integration tests."""

from __future__ import annotations

MANIFEST_V2 = "---\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  image: web:v2\n"
MANIFEST_V1 = MANIFEST_V2.replace("v2", "v1")


def release(version: int, status: str, description: str, manifest: str = MANIFEST_V2, **info) -> dict:
    """Release `shop` in namespace `prod` at `version`: its chart, values (a secret among them) and two hooks."""
    return {
        "name": "shop", "namespace": "prod", "version": version, "manifest": manifest,
        "info": {"status": status, "description": description,
                 "first_deployed": "2026-11-20T10:00:00.123456789Z",
                 "last_deployed": f"2026-11-2{version}T10:00:00.5Z", **info},
        "chart": {"metadata": {"name": "shop", "version": f"1.{version}.0", "appVersion": f"v{version}"},
                  "values": {"image": {"tag": "latest", "pullPolicy": "IfNotPresent"}, "db": {"password": ""}}},
        "config": {"image": {"tag": f"v{version}"}, "db": {"password": "s3cret"}},
        "hooks": [{"name": "shop-migrate", "kind": "Job", "events": ["pre-upgrade", "pre-install"],
                   "last_run": {"started_at": "2026-11-21T10:00:00Z", "completed_at": "2026-11-21T10:00:30Z",
                                "phase": "Succeeded"}},
                  {"name": "shop-smoke", "kind": "Pod", "events": ["post-upgrade"],
                   "last_run": {"started_at": "0001-01-01T00:00:00Z", "completed_at": "0001-01-01T00:00:00Z",
                                "phase": ""}}],
    }
