"""A Helm release's history, decoded from Helm's own storage: plain Python, no Textual, no network.

Helm 3 and 4 (secrets driver, the default) keep each revision in a Secret of
type `helm.sh/release.v1`, labelled owner=helm, name=<release>, whose
`release` key holds base64(gzip(JSON)) (helm's `pkg/storage/driver/util.go`);
the API serves a Secret's data base64-encoded once more. Watching those
Secrets gives the history live, without running `helm history`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..core.times import parse_rfc3339

IMAGE_LINE = re.compile(r"^\s*-?\s*image:\s*(\S+)\s*$", re.MULTILINE)
RELEASE_TYPE = "helm.sh/release.v1"
GZIP_MAGIC = b"\x1f\x8b\x08"

DEPLOYED, SUPERSEDED, FAILED = "deployed", "superseded", "failed"
PENDING = ("pending-install", "pending-upgrade", "pending-rollback")
# Helm releases and Kubernetes namespaces are DNS-1123 labels (helm's chartutil.ValidateReleaseName).
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
RELEASE_MAX, NAMESPACE_MAX = 53, 63


def selector(release: str) -> str:
    """The label selector of a release's storage Secrets."""
    return f"owner=helm,name={release}"


def valid_release_name(name: str) -> bool:
    return bool(name) and len(name) <= RELEASE_MAX and bool(NAME.match(name))


def valid_namespace(name: str) -> bool:
    return bool(name) and len(name) <= NAMESPACE_MAX and bool(NAME.match(name))


@dataclass(frozen=True)
class Hook:
    name: str
    kind: str
    events: tuple[str, ...]
    phase: str = ""  # last run: Running, Succeeded, Failed, or "" if it never ran
    started: float | None = None
    completed: float | None = None


@dataclass(frozen=True)
class Revision:
    """One revision of a release, as helm stored it."""

    release: str
    namespace: str
    revision: int
    status: str
    updated: float | None  # info.last_deployed
    chart: str  # "name-version", as `helm history` shows it
    app_version: str
    description: str
    manifest: str = field(default="", repr=False)
    config: dict = field(default_factory=dict, repr=False)  # the user-supplied values (helm get values)
    chart_values: dict = field(default_factory=dict, repr=False)  # the chart's defaults
    hooks: tuple[Hook, ...] = ()
    secret: str = ""  # the storage Secret's name
    error: str = ""  # set when the Secret could not be decoded: the sentence to show

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def computed_values(self) -> dict:
        """Chart defaults merged with the user's values (helm get values --all)."""
        return merge_values(self.chart_values, self.config)


def merge_values(defaults: dict, overrides: dict) -> dict:
    """Helm's coalescing, simplified: maps merge recursively, anything else is replaced; null deletes."""
    merged = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged




def images_of(manifest: str) -> frozenset[str]:
    """Every `image:` a rendered manifest sets: what makes two revisions run the same code."""
    return frozenset(m.group(1).strip().strip("\"'") for m in IMAGE_LINE.finditer(manifest or ""))


def decode_storage(data: str | bytes) -> dict:
    """Helm's decodeRelease: base64, gunzip when gzipped, JSON."""
    raw = base64.b64decode(data, validate=False)
    if raw[:3] == GZIP_MAGIC:
        raw = gzip.decompress(raw)
    return json.loads(raw)


def from_release(doc: dict, secret: str = "") -> Revision:
    """A Revision from helm's release JSON."""
    info = doc.get("info") or {}
    chart = doc.get("chart") or {}
    meta = chart.get("metadata") or {}
    hooks = []
    for h in doc.get("hooks") or []:
        run = h.get("last_run") or {}
        hooks.append(Hook(str(h.get("name", "")), str(h.get("kind", "")), tuple(h.get("events") or ()),
                          str(run.get("phase") or ""), parse_rfc3339(run.get("started_at")), parse_rfc3339(run.get("completed_at"))))
    name, version = meta.get("name", ""), meta.get("version", "")
    return Revision(
        release=str(doc.get("name", "")),
        namespace=str(doc.get("namespace", "")),
        revision=int(doc.get("version") or 0),
        status=str(info.get("status") or "unknown"),
        updated=parse_rfc3339(info.get("last_deployed")),
        chart=f"{name}-{version}" if name else "",
        app_version=str(meta.get("appVersion") or ""),
        description=str(info.get("description") or ""),
        manifest=str(doc.get("manifest") or ""),
        config=doc.get("config") or {},
        chart_values=chart.get("values") or {},
        hooks=tuple(hooks),
        secret=secret,
    )


def from_secret(secret: dict) -> Revision:
    """Decode a storage Secret as the API serves it; a broken one becomes a Revision carrying `error`."""
    meta = secret.get("metadata") or {}
    labels = meta.get("labels") or {}
    name = str(meta.get("name", ""))
    try:
        encoded = base64.b64decode((secret.get("data") or {})["release"])
        return from_release(decode_storage(encoded), secret=name)
    except (KeyError, ValueError, TypeError, binascii.Error, OSError, EOFError, zlib.error) as exc:
        version = labels.get("version", "0")
        return Revision(
            release=str(labels.get("name", "")), namespace=str(meta.get("namespace", "")),
            revision=int(version) if str(version).isdigit() else 0, status=str(labels.get("status", "unknown")),
            updated=None, chart="", app_version="", description="", secret=name,
            error=f"Helm's record {name} cannot be decoded ({type(exc).__name__}); "
                  "check it with `helm history` or restore it from a backup.",
        )


@dataclass(frozen=True)
class Stuck:
    """A release left in a pending-* state: helm refuses every other operation until it is recovered."""

    revision: int
    status: str
    recover_to: int | None  # the revision to roll back to, if one exists

    @property
    def sentence(self) -> str:
        doing = self.status.removeprefix("pending-")
        lead = (f"Revision {self.revision} is stuck in {self.status}: helm will refuse upgrades with "
                f"\"another operation (install/upgrade/rollback) is in progress\"")
        if self.recover_to is None:
            return (f"{lead}; no earlier revision was ever deployed, so uninstall the release (or wait if a "
                    f"{doing} is really running).")
        return (f"{lead}; if no {doing} is really running, roll back to revision {self.recover_to} "
                "(the last deployed one) to recover.")


class ReleaseHistory:
    """One release's revisions, fed by watch items of its storage Secrets (already decoded)."""

    def __init__(self, release: str, namespace: str) -> None:
        self.release = release
        self.namespace = namespace
        self._by_revision: dict[int, Revision] = {}
        self.listed = False  # the first list arrived (until then: "loading", not "no release")

    def relist(self, revisions: Iterable[Revision]) -> None:
        self._by_revision = {r.revision: r for r in revisions if r.release == self.release}
        self.listed = True

    def change(self, type_: str, revision: Revision) -> None:
        if revision.release != self.release:
            return
        if type_ == "DELETED":
            self._by_revision.pop(revision.revision, None)
        else:
            self._by_revision[revision.revision] = revision

    # ---- views ----------------------------------------------------------------------------------

    @property
    def revisions(self) -> list[Revision]:
        """Newest first."""
        return [self._by_revision[n] for n in sorted(self._by_revision, reverse=True)]

    def get(self, revision: int) -> Revision | None:
        return self._by_revision.get(revision)

    @property
    def deployed(self) -> Revision | None:
        """The deployed revision (the newest, should helm ever leave two)."""
        return next((r for r in self.revisions if r.status == DEPLOYED), None)

    @property
    def stuck(self) -> Stuck | None:
        """The newest revision, when it is pending-*: the release is locked until recovered."""
        newest = next(iter(self.revisions), None)
        if newest is None or not newest.pending:
            return None
        recover = next((r for r in self.revisions if r.revision < newest.revision
                        and r.status in (DEPLOYED, SUPERSEDED)), None)
        return Stuck(newest.revision, newest.status, recover.revision if recover else None)

    def known_bad(self, revision: int) -> str:
        """Why rolling back to `revision` would bring back a failure ("" when nothing is known against it)."""
        chosen = self.get(revision)
        if chosen is None:
            return ""
        if chosen.status == FAILED:
            return f"Helm revision {revision} failed: {chosen.description or 'no description'}"
        images = images_of(chosen.manifest)
        failed = next((r for r in self.revisions if r.status == FAILED and images and images_of(r.manifest) == images),
                      None)
        if failed is not None:
            return (f"it runs the images of Helm revision {failed.revision}, which failed: "
                    f"{failed.description or 'no description'}")
        return ""

    def default_target(self) -> tuple[Revision | None, str]:
        """The revision `r` offers first, and why.

        The newest older revision that was once deployed (superseded) and whose manifest differs
        from the deployed one: failed revisions are skipped because they never came up healthy, so is
        a revision that runs a failed one's images (a rollback to it would fail the same way), and
        an identical manifest would change nothing (the deployed revision may itself be a rollback).
        """
        current = self.deployed
        stuck = self.stuck
        if stuck is not None and stuck.recover_to is not None:
            target = self.get(stuck.recover_to)
            return target, f"the last deployed revision before the stuck {stuck.status} of {stuck.revision}"
        if current is None:
            return None, f"release {self.release} has no deployed revision to roll back from"
        skipped, like_failed = [], []
        failed_images = {images_of(r.manifest) for r in self.revisions if r.status == FAILED} - {frozenset()}
        for r in self.revisions:
            if r.revision >= current.revision:
                continue
            if r.status == FAILED:
                skipped.append(r.revision)
                continue
            if images_of(r.manifest) in failed_images:
                like_failed.append(r.revision)
                continue
            if r.status == SUPERSEDED and r.manifest != current.manifest:
                why = f"the newest earlier deployed revision that differs from {current.revision}"
                if skipped:
                    why += f"; failed {', '.join(map(str, skipped))} skipped (never came up healthy)"
                if like_failed:
                    why += f"; {', '.join(map(str, like_failed))} skipped (the images of a failed revision)"
                return r, why
        return None, f"no earlier deployed revision of {self.release} differs from revision {current.revision}"
