"""`rollback-console demo` in a real terminal (tmux), read back with `tmux capture-pane`.

However the demo ends (q, a closed terminal's SIGHUP, SIGTERM) it stops its sandbox and leaves no
`rollback-console-*` folder (a kubeconfig) in the temporary folder; a sandbox that dies is said in the
flash line and reaped; identity (kind, image tag) is readable at 80x24 and 160x48.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Demo:
    """One `rollback-console demo` in its own tmux session, with its own TMPDIR."""

    def __init__(self, tmp: Path, size: tuple[int, int]):
        self.tmp = tmp
        self.session = f"rc-demo-{uuid.uuid4().hex[:8]}"
        # Without COLUMNS and LINES (a test runner may set them): the console must read the pane's size.
        env = f"env -u COLUMNS -u LINES TMPDIR={tmp} PYTHONPATH={ROOT}"
        # The console draws on stderr: the pane stays open after it for the screen to be read.
        command = f"{env} {sys.executable} -m tui.cli demo --speed 20; sleep 60"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", str(size[0]), "-y", str(size[1]),
                        command], check=True)
        self.pane_pid = int(self.tmux("display-message", "-p", "-t", self.session, "#{pane_pid}"))

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout.strip()

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait(self, predicate, what: str, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")

    def children(self) -> list[int]:
        """The demo's sandbox child (the console process is the pane's shell's exec'd command)."""
        out = subprocess.run(["ps", "-o", "pid=,stat=", "--ppid", str(self.pane_pid)], capture_output=True,
                             text=True).stdout
        console = [int(line.split()[0]) for line in out.splitlines() if line.strip()]
        pids = []
        for pid in [self.pane_pid, *console]:
            out = subprocess.run(["ps", "-o", "pid=,stat=,args=", "--ppid", str(pid)], capture_output=True,
                                 text=True).stdout
            pids += [int(line.split()[0]) for line in out.splitlines() if "sandbox serve" in line]
        return pids

    def alive(self) -> bool:
        return self.session in self.tmux("list-sessions", "-F", "#{session_name}")

    def leftovers(self) -> list[Path]:
        return list(self.tmp.glob("rollback-console-*"))

    def close(self) -> None:
        if self.alive():
            self.tmux("kill-session", "-t", self.session)


@pytest.fixture
def demo_at(tmp_path):
    demos: list[Demo] = []

    def start(size: tuple[int, int]) -> Demo:
        demo = Demo(tmp_path, size)
        demos.append(demo)
        demo.wait(lambda: "eli-maor-frontend" in demo.screen() and " live" in demo.screen(), "the live console")
        return demo

    yield start
    for demo in demos:
        demo.close()


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state in ("Z", "X")


@pytest.mark.parametrize("end", ["q", "hangup", "term"])
def test_the_demo_leaves_nothing_behind_however_it_ends(demo_at, end):
    demo = demo_at((120, 40))
    sandboxes = demo.children()
    assert len(sandboxes) == 1 and demo.leftovers()  # running: one sandbox, one kubeconfig folder
    if end == "q":
        demo.tmux("send-keys", "-t", demo.session, "q")
    elif end == "hangup":
        demo.tmux("kill-session", "-t", demo.session)  # the terminal goes away: SIGHUP
    else:
        console = int(subprocess.run(["ps", "-o", "pid=", "--ppid", str(demo.pane_pid)], capture_output=True,
                                     text=True).stdout.split()[0])
        os.kill(console, signal.SIGTERM)
    demo.wait(lambda: process_gone(sandboxes[0]), "the sandbox to stop", 20)
    demo.wait(lambda: not demo.leftovers(), "the kubeconfig folder to be removed", 10)
    if end != "hangup":
        demo.wait(lambda: "The sandbox has stopped" in demo.screen(), "the demo to say it stopped", 10)
        assert "Traceback" not in demo.screen()


def test_a_dead_sandbox_is_said_in_the_flash_line_and_reaped(demo_at):
    demo = demo_at((80, 24))
    [sandbox] = demo.children()
    os.kill(sandbox, signal.SIGKILL)
    demo.wait(lambda: "sandbox" in demo.screen() and "exited" in demo.screen(), "the flash line")
    screen = demo.screen()
    assert f"The demo's sandbox (pid {sandbox}) exited with code -9" in screen.replace("\n", " ")
    demo.wait(lambda: not Path(f"/proc/{sandbox}").exists(), "the child to be reaped (no zombie)", 5)
    demo.tmux("send-keys", "-t", demo.session, "q")
    demo.wait(lambda: not demo.leftovers(), "the kubeconfig folder to be removed", 10)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
def test_kind_and_image_tags_are_readable_at_every_size(demo_at, size):
    demo = demo_at(size)

    def backend_rows() -> list[str]:
        return [line for line in demo.screen().splitlines() if "eli-maor-backend " in line and "Deploy" in line]

    # A first frame at 120 columns was once seen with every column at its header's width (cut, no …) before
    # the table measured its pane: the settled screen is what is judged here; that transient is a known issue.
    demo.wait(lambda: any("v2.0.0" in row for row in backend_rows()), "the backend's row, readable", 15)
    screen = demo.screen()
    rows = backend_rows()
    assert rows, screen
    assert "v2.0.0" in rows[0]  # the tag, whole
    assert " K " not in screen.splitlines()[2]  # no one-letter Kind header
    if size[0] >= 160:
        assert "ghcr.io/eli-maor/backend:v2.0.0" in rows[0]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_a_name_typed_at_once_after_u_lands_in_the_confirmation(demo_at, size):
    """A terminal delivers `u` and the typed name in one burst: every key goes to the confirmation that `u`
    opens, none is lost and none runs as the console's keys (e, l, i)."""
    demo = demo_at(size)
    demo.tmux("send-keys", "-t", demo.session, "u", "eli-maor-frontend")
    demo.wait(lambda: "to confirm: eli-maor-frontend" in demo.screen(), "the name typed into the guard", 15)
    assert "Start an incident" not in demo.screen()  # `i` did not start an incident
    demo.tmux("send-keys", "-t", demo.session, "Escape")
    demo.wait(lambda: "to confirm" not in demo.screen(), "the confirmation to close", 10)
