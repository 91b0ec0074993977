"""Diffs between two revisions of a release: rendered manifests and values, secrets masked.

Values are the *computed* values (chart defaults merged with the user's
config, as `helm get values --all` shows them): that is what rendered the
manifests, so a changed chart default shows up too, not only what someone
passed with --set. Values whose key looks secret are masked unless revealed;
Secret objects in manifests have their data and stringData masked likewise.
"""

from __future__ import annotations

import difflib
import re

import yaml

from .release import Revision

MASK = "••••••"
# Values are diffed with every line as context: the whole computed values read top to bottom, with the
# changes marked, and the masked secrets visible as such (m reveals them).
WHOLE = 1_000_000
SECRET_KEY = re.compile(r"(password|passwd|secret|token|api[-_]?key|private[-_]?key|credential|"
                        r"(^|[-_.])key$|^key)", re.IGNORECASE)


def looks_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(str(key)))


def mask_values(values, reveal: bool = False):
    """A copy of `values` with everything under a secret-looking key replaced by MASK."""
    if reveal:
        return values
    if isinstance(values, dict):
        return {k: MASK if looks_secret(k) and v not in (None, "", {}, []) else mask_values(v)
                for k, v in values.items()}
    if isinstance(values, list):
        return [mask_values(v) for v in values]
    return values


SCALAR = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z0-9_.-]+):\s+(\S.*)$")


def _mask_manifest(manifest: str, reveal: bool) -> str:
    """Mask a rendered manifest: Secret data/stringData, scalars under secret-looking keys, and env
    values whose variable name looks secret (`- name: DB_PASSWORD` then `value: ...`)."""
    if reveal:
        return manifest
    out: list[str] = []
    secret_doc = in_data = secret_env = False
    for line in manifest.splitlines():
        if line.startswith("---"):
            secret_doc = in_data = secret_env = False
        elif re.match(r"^kind:\s*Secret\s*$", line):
            secret_doc = True
        elif in_data and line.strip() and not line.startswith((" ", "\t")):
            in_data = False
        m = SCALAR.match(line)
        if in_data and m:
            line = f"{m.group(1)}{m.group(2)}: {MASK}"
        elif m and m.group(2) == "value" and secret_env:
            line = f"{m.group(1)}value: {MASK}"
        elif m and looks_secret(m.group(2)) and not m.group(3).startswith(("{", "[", "|", ">", "&", "*")):
            line = f"{m.group(1)}{m.group(2)}: {MASK}"
        if secret_doc and re.match(r"^(data|stringData):\s*$", line):
            in_data = True
        secret_env = bool(m and m.group(2) == "name" and looks_secret(m.group(3).strip("'\"")))
        out.append(line)
    return "\n".join(out) + ("\n" if manifest.endswith("\n") else "")


def _lines(text: str) -> list[str]:
    return [line + "\n" for line in text.splitlines()]


SECRETS_DIFFER = "# secret values differ too (masked); m reveals them\n"


def _changed(a: list[str], b: list[str]) -> int:
    return sum(1 for line in difflib.ndiff(a, b) if line[:1] in "+-")


def _diff(base: str, other: str, masked: tuple[str, str] | None, labels: tuple[str, str], context: int) -> str:
    """Unified diff of `base` -> `other`, drawn from their masked texts when given; says so when masking
    hides a change (a secret that differs would otherwise look unchanged)."""
    shown = masked or (base, other)
    diff = "".join(difflib.unified_diff(_lines(shown[0]), _lines(shown[1]), *labels, n=context))
    if masked is not None and base != other:
        raw, hidden = _changed(_lines(base), _lines(other)), _changed(_lines(shown[0]), _lines(shown[1]))
        if raw > hidden:
            diff += SECRETS_DIFFER
    return diff


def manifest_diff(base: Revision, other: Revision, reveal: bool = False) -> str:
    """Unified diff from `base` (the deployed revision) to `other` (what a rollback would apply)."""
    masked = None if reveal else (_mask_manifest(base.manifest, False), _mask_manifest(other.manifest, False))
    return _diff(base.manifest, other.manifest, masked,
                 (f"{base.release} revision {base.revision} ({base.status}) manifest",
                  f"{other.release} revision {other.revision} manifest"), 3)


def values_yaml(revision: Revision, reveal: bool = False) -> str:
    values = mask_values(revision.computed_values, reveal)
    return yaml.safe_dump(values, sort_keys=True, default_flow_style=False, allow_unicode=True) if values else ""


def values_diff(base: Revision, other: Revision, reveal: bool = False) -> str:
    """The computed values of both, whole, changes marked ("" when identical)."""
    masked = None if reveal else (values_yaml(base), values_yaml(other))
    return _diff(values_yaml(base, True), values_yaml(other, True), masked,
                 (f"{base.release} revision {base.revision} values (computed)",
                  f"{other.release} revision {other.revision} values (computed)"), WHOLE)


def revision_diff(base: Revision, other: Revision, reveal: bool = False) -> str:
    """Manifest diff then values diff, as one unified text for the diff view."""
    manifests = manifest_diff(base, other, reveal)
    values = values_diff(base, other, reveal)
    parts = [manifests or f"# manifests of revisions {base.revision} and {other.revision} are identical\n",
             values or f"# values of revisions {base.revision} and {other.revision} are identical\n"]
    return "\n".join(p.rstrip("\n") for p in parts)
