"""Configured commands (smoke test, health check, notify) run as subprocesses with anyio.

Always an argument list, never a shell: what the config file says is exactly
what runs. Output (stdout and stderr together) is handed over line by line as
it arrives, so the Rollout pane streams it; the exit code is the verdict.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
from anyio.streams.text import TextReceiveStream

from ..core.errors import ConsoleError

TIMEOUT = 300.0  # seconds before a hanging command is killed and reported
MAX_KEPT_LINES = 200  # lines kept in the result (all of them are streamed)


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_code: int | None  # None: it never ran, or was killed
    error: str = ""  # why it did not run or finish, as a phrase ("timed out after 300s and was killed")
    lines: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.error

    @property
    def command_line(self) -> str:
        return shlex.join(self.argv)


def command_line(argv: Sequence[str]) -> str:
    return shlex.join(argv)


def validate(argv: Sequence[str], what: str) -> tuple[str, ...]:
    """An argument list we are willing to run; a one-sentence ConsoleError otherwise."""
    if isinstance(argv, str) or not argv or not all(isinstance(a, str) and a and "\0" not in a for a in argv):
        raise ConsoleError(f"The {what} command must be a list of arguments, e.g. [curl, -fsS, URL]; "
                           "fix it in the config file.")
    if shutil.which(argv[0]) is None:
        raise ConsoleError(f"The {what} command {argv[0]!r} was not found on PATH; install it or fix the "
                           "config file.")
    return tuple(argv)


async def run_command(argv: Sequence[str], on_line: Callable[[str], None], timeout: float = TIMEOUT) -> CommandResult:
    """Run, streaming each output line to `on_line`; never raises for the command's own failures."""
    argv = tuple(argv)
    kept: list[str] = []

    def emit(line: str) -> None:
        line = line.rstrip("\r")
        kept.append(line)
        del kept[:-MAX_KEPT_LINES]
        on_line(line)

    try:
        process = await anyio.open_process(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT)
    except OSError as exc:
        return CommandResult(argv, None, f"could not start: {exc.strerror or exc}")
    async with process:
        finished = False
        with anyio.move_on_after(timeout):
            pending = ""
            assert process.stdout is not None
            async for chunk in TextReceiveStream(process.stdout, errors="replace"):
                pending += chunk
                *complete, pending = pending.split("\n")
                for line in complete:
                    emit(line)
            if pending:
                emit(pending)
            await process.wait()
            finished = True
        if not finished:
            process.kill()
            with anyio.CancelScope(shield=True):
                await process.wait()
            return CommandResult(argv, None, f"timed out after {int(timeout)}s and was killed", tuple(kept))
    return CommandResult(argv, process.returncode, "", tuple(kept))
