"""A wheel of rollback-console installs and runs outside the repository.

The wheel is built from a copy of the sources (so neither a stale egg-info nor
the checkout's own files can stand in for missing package data) and installed
into a fresh virtualenv under tmp_path, without the system's site-packages.
Every command runs from tmp_path with no PYTHONPATH, so only the installed
package can answer:

* without the `sandbox` extra, `rollback-console demo` and `sandbox serve`
  say in one sentence how to install it and exit 1; the console's modules
  (and the demo's smoke test) still import;
* with it, `rollback-console sandbox serve --seed eli-maor` seeds the Helm
  release from the chart shipped in the wheel and prints its ready line.

Slow-ish (a virtualenv and a pip install from the index or pip's cache: about
20 to 60 seconds), but in the default run: it is the only test of packaging.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from kube_sandbox.process import first_line

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "tui", "widgets", "kube_sandbox")
NEEDS_EXTRA = ("needs the sandbox extra (aiohttp, jsonpatch, prometheus-client); "
               "install it with: pip install 'rollback-console[sandbox]'")
READY = "sandbox ready: "

pytestmark = pytest.mark.timeout(900)


def _env() -> dict[str, str]:
    """The caller's environment minus whatever could put the checkout or the project venv on sys.path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def _check(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _can_build_without_isolation() -> bool:
    """setuptools builds wheels itself from 70.1; before that it needs the `wheel` package."""
    try:
        import setuptools
    except ImportError:
        return False
    version = tuple(int(p) for p in setuptools.__version__.split(".")[:2] if p.isdigit())
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    dist = tmp / "dist"
    # Absolute paths: pip reads a bare "src" as a project on the index.
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)]
    if _can_build_without_isolation():
        cmd.insert(4, "--no-build-isolation")
    _check(_run(cmd, tmp), "pip wheel")
    (wheel,) = dist.glob("rollback_console-*.whl")
    return wheel


def _data_files(src: Path) -> set[str]:
    """Every file of the packages that is not Python: what the console and the sandbox read at run time."""
    return {p.relative_to(src).as_posix() for name in ("tui", "widgets", "kube_sandbox")
            for p in (src / name).rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}


def _serve_until_ready(venv: Path, cwd: Path, kubeconfig: Path, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [str(venv / "bin" / "rollback-console"), "sandbox", "serve", "--seed", "eli-maor",
         "--kubeconfig-out", str(kubeconfig)],
        cwd=cwd, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line, stderr = first_line(proc, timeout)
    if not line.startswith(READY):
        _stop(proc)
        pytest.fail(f"no ready line within {timeout:.0f}s (exit {proc.returncode}): {line!r}\n"
                    + "".join(stderr)[-3000:])
    return proc, line


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait(timeout=20)


def test_the_wheel_runs_outside_the_repository_with_and_without_the_sandbox_extra(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = _data_files(tmp_path / "src")
    assert {"kube_sandbox/charts/eli-maor/Chart.yaml", "kube_sandbox/charts/eli-maor/templates/_helpers.tpl",
            "kube_sandbox/seed_release/revision-1.yaml", "tui/app.tcss"} <= data
    assert data - shipped == set(), "package data missing from the wheel (see [tool.setuptools.package-data])"
    venv = tmp_path / "venv"
    _check(_run([sys.executable, "-m", "venv", str(venv)], tmp_path), "python -m venv")
    python = str(venv / "bin" / "python")
    cli = str(venv / "bin" / "rollback-console")

    # ---- the console alone ----------------------------------------------------
    _check(_run([python, "-m", "pip", "install", "--quiet", str(wheel)], tmp_path), "pip install the wheel")
    script = ("import importlib.util, json, tui, tui.demo.smoke; "
              "print(json.dumps([tui.__file__, importlib.util.find_spec('jsonpatch') is not None]))")
    probe = _check(_run([python, "-c", script], tmp_path), "import tui.demo.smoke without the extra")
    where, has_jsonpatch = json.loads(probe.stdout.strip().splitlines()[-1])
    assert Path(where).is_relative_to(venv), f"tui imported from {where}, not the installed wheel"
    assert not has_jsonpatch, "jsonpatch came with the console's own dependencies: nothing left to check"
    for args, what in ((["demo"], "the demo"), (["sandbox", "serve"], "the sandbox")):
        result = _run([cli, *args], tmp_path, timeout=60)
        assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        assert result.stderr.strip() == f"rollback-console: {what} {NEEDS_EXTRA}"

    # ---- with the sandbox extra -------------------------------------------------
    _check(_run([python, "-m", "pip", "install", "--quiet", f"{wheel}[sandbox]"], tmp_path),
           "pip install the wheel with [sandbox]")
    _check(_run([python, "-c", "import tui.demo.smoke"], tmp_path), "import tui.demo.smoke with the extra")
    kubeconfig = tmp_path / "kc"
    proc, line = _serve_until_ready(venv, tmp_path, kubeconfig)
    try:
        url, _, path = line[len(READY):].strip().partition(" kubeconfig=")
        assert Path(path) == kubeconfig and kubeconfig.is_file()
        # The seed came from the chart and manifests inside the wheel: four Deployments, Helm's release Secrets.
        with urllib.request.urlopen(f"{url}/apis/apps/v1/namespaces/production/deployments", timeout=30) as resp:
            deployments = json.load(resp)["items"]
        assert sorted(d["metadata"]["name"] for d in deployments) == [
            "eli-maor-backend", "eli-maor-beat", "eli-maor-frontend", "eli-maor-worker"]
        with urllib.request.urlopen(f"{url}/api/v1/namespaces/production/secrets?labelSelector=owner%3Dhelm",
                                    timeout=30) as resp:
            releases = json.load(resp)["items"]
        assert len(releases) == 4, [s["metadata"]["name"] for s in releases]
    finally:
        code = _stop(proc)
    assert code == 0
