"""Helm's release storage, as its secrets driver writes it.

Helm 3 and 4 keep each revision of a release in a Secret of type
`helm.sh/release.v1` named `sh.helm.release.v1.<name>.v<version>`, labelled
name, owner=helm, status, version (plus createdAt on create and modifiedAt
on update, which replace each other since helm rewrites the whole Secret),
whose `release` key holds base64(gzip(JSON of the release)). On the wire the
Secret's data is base64 once more, as every Secret's data is.

Matches helm's `pkg/storage/driver/secrets.go` and `util.go`. The sandbox
does not import the console's `tui/helm` package: this is its own writer.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

RELEASE_TYPE = "helm.sh/release.v1"
OWNER = "helm"
SYSTEM_LABELS = ("name", "owner", "status", "version", "createdAt", "modifiedAt")

# Helm's statuses (pkg/release/common/status.go).
DEPLOYED = "deployed"
SUPERSEDED = "superseded"
FAILED = "failed"
UNINSTALLED = "uninstalled"
UNINSTALLING = "uninstalling"
PENDING_INSTALL = "pending-install"
PENDING_UPGRADE = "pending-upgrade"
PENDING_ROLLBACK = "pending-rollback"


def secret_name(release: str, version: int) -> str:
    return f"sh.helm.release.v1.{release}.v{version}"


def helm_time(ts: float | None) -> str:
    """A Go time.Time in JSON (RFC 3339 with fraction), or "" for the zero time as helm 3 writes it."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_release(release: dict) -> str:
    """util.go's encodeRelease: JSON, gzip at best compression, standard base64."""
    raw = json.dumps(release, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9)).decode()


def decode_release(data: str) -> dict:
    """util.go's decodeRelease: base64, gunzip when the gzip magic is there, JSON."""
    raw = base64.b64decode(data)
    if raw[:3] == b"\x1f\x8b\x08":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def release_secret(release: dict, *, created_at: float | None = None, modified_at: float | None = None,
                   extra_labels: dict | None = None) -> dict:
    """The Secret object helm's driver writes for `release` (newSecretsObject)."""
    labels = dict(extra_labels or {})
    if created_at is not None:
        labels["createdAt"] = str(int(created_at))
    if modified_at is not None:
        labels["modifiedAt"] = str(int(modified_at))
    labels.update(
        name=release["name"],
        owner=OWNER,
        status=release["info"]["status"],
        version=str(release["version"]),
    )
    encoded = encode_release(release)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(release["name"], release["version"]),
            "namespace": release["namespace"],
            "labels": labels,
        },
        "type": RELEASE_TYPE,
        # The driver's data is the encoded string; a Secret's data is base64 again on the wire.
        "data": {"release": base64.b64encode(encoded.encode()).decode()},
    }


def release_from_secret(secret: dict) -> dict:
    """The release a Secret (as the API serves it) holds."""
    encoded = base64.b64decode(secret["data"]["release"]).decode()
    return decode_release(encoded)
