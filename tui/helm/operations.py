"""Helm rollback through pyhelm3's command builder and the user's real helm binary.

pyhelm3 (`pyhelm3.command.Command.rollback`) builds the argument list; we
capture it instead of letting pyhelm3 run it, because pyhelm3 joins it into a
shell string and returns output only at the end. We run the list itself with
anyio (no shell) and stream helm's output line by line. pyhelm3 knows helm 3's
rollback flags only, so the list is adapted to the detected major version:
helm 4 renamed `--force` to `--force-replace` and wants `--dry-run=server`.

`rollback_release()` is the plain entry point for other callers (the
"roll back every component" plan): it runs one rollback and reports.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from pyhelm3.command import Command

from ..core.errors import ConsoleError, one_line
from .release import valid_namespace, valid_release_name

VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
TIMEOUT = re.compile(r"^(\d+h)?(\d+m)?(\d+s)?$")  # a Go duration as helm takes it: 90s, 5m, 1h30m
DETECT_SECONDS = 15


@dataclass(frozen=True)
class HelmBinary:
    """A helm executable and its version (from `helm version --short`)."""

    path: str
    version: tuple[int, int, int]

    @property
    def major(self) -> int:
        return self.version[0]

    @property
    def label(self) -> str:
        return "helm v" + ".".join(map(str, self.version))


def parse_version(text: str) -> tuple[int, int, int]:
    m = VERSION.search(text)
    if not m:
        raise ValueError(f"no version in {text!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def detect(executable: str = "helm") -> HelmBinary:
    """Run `helm version --short`; a missing or broken binary becomes one sentence (ConsoleError)."""
    argv = [executable, "version", "--short"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=DETECT_SECONDS, check=False)
    except FileNotFoundError:
        where = "No helm on PATH" if os.sep not in executable else f"No helm at {executable}"
        raise ConsoleError(f"{where}: the Helm pane is read-only; install helm 3 or 4 (https://helm.sh/docs/intro/"
                           "install/, or make tools in a clone) or pass --helm PATH.") from None
    except PermissionError:
        raise ConsoleError(f"{executable} is not executable: the Helm pane is read-only; pass --helm PATH "
                           "to a working helm.") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConsoleError(f"{shlex.join(argv)} failed ({one_line(exc, 120)}): the Helm pane is read-only; "
                           "pass --helm PATH to a working helm.") from None
    try:
        version = parse_version(done.stdout)
    except ValueError:
        said = one_line(done.stderr or done.stdout, 160) or f"exit {done.returncode}"
        raise ConsoleError(f"{shlex.join(argv)} did not print a version ({said}): the Helm pane is read-only; "
                           "pass --helm PATH to a working helm.") from None
    if version[0] not in (3, 4):
        raise ConsoleError(f"{executable} is helm {'.'.join(map(str, version))}; the console drives helm 3 or 4: "
                           "the Helm pane is read-only.")
    return HelmBinary(executable, version)


@dataclass(frozen=True)
class RollbackOptions:
    wait: bool = False
    timeout: str = "5m0s"  # helm's default; with wait, how long to wait for readiness
    force: bool = False  # force replacement: --force (helm 3) / --force-replace (helm 4)
    cleanup_on_fail: bool = False
    no_hooks: bool = False

    def describe(self) -> list[str]:
        said = []
        if self.wait:
            said.append(f"wait until every resource is ready (up to {self.timeout})")
        if self.force:
            said.append("force: resources are replaced (deleted and re-created) where an update is refused")
        if self.cleanup_on_fail:
            said.append("cleanup on fail: resources this rollback creates are deleted if it fails")
        if self.no_hooks:
            said.append("no hooks: the chart's pre/post-rollback hooks do not run")
        return said


@dataclass(frozen=True)
class Cluster:
    """Where helm must talk: the console's kubeconfig, context and namespace."""

    namespace: str
    kubeconfig: str = ""
    context: str = ""


class _Capture(Command):
    """pyhelm3's command builder with its runner replaced: records the argument list, runs nothing."""

    def __init__(self, executable: str, cluster: Cluster) -> None:
        super().__init__(executable=executable, kubeconfig=cluster.kubeconfig or None,
                         kubecontext=cluster.context or None)
        self.argv: list[str] = []

    async def run(self, command, input=None) -> bytes:
        argv = [self._executable, *command]
        if self._kubeconfig:
            argv += ["--kubeconfig", self._kubeconfig]
        if self._kubecontext:
            argv += ["--kube-context", self._kubecontext]
        self.argv = [str(part) for part in argv]
        return b""


def _complete(coroutine) -> None:
    """Drive a coroutine that never awaits anything (the capture) without an event loop, so building a
    command line works on the UI loop as well as in a thread."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("pyhelm3's command builder awaited something; update _Capture")


def validate(release: str, namespace: str, revision: int) -> None:
    if not valid_release_name(release):
        raise ConsoleError(f"{release!r} is not a valid Helm release name (lower-case letters, digits and '-', "
                           "at most 53); check --release or the config file.")
    if not valid_namespace(namespace):
        raise ConsoleError(f"{namespace!r} is not a valid namespace; check -n or the config file.")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise ConsoleError(f"{revision!r} is not a revision number; choose a revision of {release} (1 or more).")


def rollback_argv(helm: HelmBinary, release: str, revision: int, cluster: Cluster,
                  options: RollbackOptions = RollbackOptions(), dry_run: bool = False) -> list[str]:
    """The exact helm command line for this rollback, for this helm's major version."""
    validate(release, cluster.namespace, revision)
    if not TIMEOUT.match(options.timeout) or options.timeout == "":
        raise ConsoleError(f"Timeout {options.timeout!r} is not a duration helm takes; write e.g. 90s, 5m or 1h30m.")
    capture = _Capture(helm.path, cluster)
    _complete(capture.rollback(
        release, revision, namespace=cluster.namespace, cleanup_on_fail=options.cleanup_on_fail, dry_run=dry_run,
        force=options.force, no_hooks=options.no_hooks, timeout=options.timeout, wait=options.wait))
    argv = capture.argv
    if helm.major >= 4:
        # Helm 4: --force became --force-replace; a bare --dry-run is deprecated (and means client-side).
        argv = ["--force-replace" if a == "--force" else "--dry-run=server" if a == "--dry-run" else a for a in argv]
    return argv


@dataclass(frozen=True)
class HelmRollback:
    """A planned helm rollback, shown by the confirmation screen exactly as it will run."""

    release: str
    namespace: str
    revision: int
    from_revision: int | None
    command: list[str]
    options: RollbackOptions
    diff: str = ""  # rendered manifests, deployed -> target, secrets masked
    production: bool = False
    kind: str = "helm-rollback"
    risk: str = "high"
    noop: str = ""
    command_heading: str = "Helm command (runs exactly this)"
    diff_heading: str = "Manifest diff (deployed → target), secrets masked"

    @property
    def component(self) -> str:
        return self.release

    @property
    def command_line(self) -> str:
        return shlex.join(self.command)

    @property
    def summary(self) -> str:
        source = f" from revision {self.from_revision}" if self.from_revision else ""
        return f"Roll back Helm release {self.release} in {self.namespace}{source} to revision {self.revision}"

    @property
    def changes(self) -> list[str]:
        lines = [(f"helm writes a new revision \"Rollback to {self.revision}\" and applies revision "
                  f"{self.revision}'s manifests; its Deployments roll out in the Rollout pane")]
        return lines + self.options.describe()


@dataclass
class HelmResult:
    ok: bool
    message: str  # one sentence: what happened, or helm's error and what to do
    command_line: str
    output: list[str] = field(default_factory=list)  # every line helm printed (stdout and stderr)
    returncode: int | None = None


def _error_line(output: list[str]) -> str:
    for line in reversed(output):
        if line.startswith("Error:"):
            return one_line(line, 300)
    return one_line(output[-1], 300) if output else ""


async def run_streaming(argv: list[str], on_line: Callable[[str], None] = lambda line: None,
                        doing: str = "helm") -> HelmResult:
    """Run `argv` (never through a shell), passing each output line to `on_line` as it comes."""
    command_line = shlex.join(argv)
    output: list[str] = []
    try:
        process = await anyio.open_process(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT)
    except FileNotFoundError:
        return HelmResult(False, f"{doing} could not start: no executable {argv[0]}; pass --helm PATH.",
                          command_line)
    except OSError as exc:
        return HelmResult(False, f"{doing} could not start ({one_line(exc, 160)}): {command_line}", command_line)
    async with process:
        pending = b""
        assert process.stdout is not None
        async for chunk in process.stdout:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    output.append(line)
                    on_line(line)
        if pending.strip():
            line = pending.decode("utf-8", "replace").rstrip()
            output.append(line)
            on_line(line)
        code = await process.wait()
    if code == 0:
        return HelmResult(True, f"{doing} succeeded.", command_line, output, code)
    error = _error_line(output) or f"exit status {code}"
    return HelmResult(False, f"{doing} failed: {error} (command: {command_line})", command_line, output, code)


def rollback_release(release: str, revision: int, *, namespace: str, helm: str | HelmBinary = "helm",
                     kubeconfig: str | Path = "", context: str = "", options: RollbackOptions = RollbackOptions(),
                     dry_run: bool = False, on_line: Callable[[str], None] = lambda line: None) -> HelmResult:
    """Roll Helm release `release` back to `revision` with the real helm binary; never raises.

    Blocking (it runs its own event loop): call it from a worker thread, never from the UI loop.
    `on_line` receives helm's output line by line, as it is printed.
    """
    try:
        binary = helm if isinstance(helm, HelmBinary) else detect(helm)
        argv = rollback_argv(binary, release, revision, Cluster(namespace, str(kubeconfig or ""), context),
                             options, dry_run=dry_run)
    except ConsoleError as err:
        return HelmResult(False, err.message, "")
    doing = f"helm rollback {release} {revision}" + (" (dry run)" if dry_run else "")
    result = anyio.run(run_streaming, argv, on_line, doing)
    if result.ok:
        result.message = (f"Dry run: helm would roll {release} back to revision {revision}; nothing changed."
                          if dry_run else f"Helm release {release} rolled back to revision {revision}.")
    return result
