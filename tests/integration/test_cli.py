"""The command line: usage errors, the ready line, clean stops."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import yaml

from tests.support.sandbox import start_sandbox


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "args, message",
    [
        (["sandbox", "serve", "--speed", "fast"], "invalid speed 'fast'"),
        (["sandbox", "serve", "--speed", "0"], "invalid speed '0'"),
        (["sandbox", "serve", "--port", "70000"], "invalid port '70000'"),
        (["sandbox", "serve", "--seed", "nope"], "invalid choice: 'nope'"),
        (["sandbox", "serve", "--bogus"], "unrecognized arguments: --bogus"),
        (["sandbox"], "required: SUBCOMMAND"),
    ],
)
def test_bad_flags_get_usage_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "usage: rollback-console" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_sentence(tmp_path):
    first = start_sandbox(tmp_path, "empty", 1.0)
    try:
        port = first.url.rsplit(":", 1)[1]
        result = run_cli("sandbox", "serve", "--seed", "empty", "--port", port,
                         "--kubeconfig-out", str(tmp_path / "other"))
        assert result.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        assert first.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_writes_kubeconfig_and_stops_cleanly(tmp_path, sig):
    sb = start_sandbox(tmp_path, "empty", 1.0)
    config = yaml.safe_load(sb.kubeconfig.read_text())
    assert config["current-context"] == "sandbox"
    assert config["clusters"][0] == {"name": "sandbox", "cluster": {"server": sb.url}}
    assert config["contexts"][0]["context"] == {"cluster": "sandbox", "user": "sandbox", "namespace": "default"}
    assert (sb.kubeconfig.stat().st_mode & 0o777) == 0o600
    sb.proc.send_signal(sig)
    assert sb.proc.wait(timeout=10) == 0


def test_a_binary_kubeconfig_is_one_sentence(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd")
    result = run_cli("--kubeconfig", str(path))
    assert result.returncode == 1
    assert result.stderr == (f"rollback-console: The kubeconfig {path} is not text (binary data); pass --kubeconfig "
                             "with a kubeconfig YAML file.\n")
