"""--release / --helm on the command line and release: / helm: in the config file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.appconfig import load
from tui.core.errors import ConsoleError

ROOT = Path(__file__).resolve().parents[3]


def test_example_config_names_the_release():
    config = load(ROOT / "examples" / "eli-maor.yaml")
    assert config.release == "eli-maor" and config.helm == ""


@pytest.mark.parametrize("line, says", [
    ("release: Eli_Maor", "release 'Eli_Maor' is not a valid Helm release name"),
    ("release: [a, b]", "is not a valid Helm release name"),
    ("helm: [helm]", "helm must be the path of the helm binary"),
])
def test_bad_release_or_helm_in_the_config_is_one_sentence(tmp_path, line, says):
    path = tmp_path / "c.yaml"
    path.write_text(f"application: shop\n{line}\n")
    with pytest.raises(ConsoleError, match=says):
        load(path)


def test_helm_path_in_the_config_is_expanded(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("application: shop\nrelease: shop\nhelm: ~/bin/helm\n")
    config = load(path)
    assert config.release == "shop" and config.helm == str(Path("~/bin/helm").expanduser())


def test_bad_release_flag_is_one_sentence_and_exit_1(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: x\ncontexts: [{name: x, context: "
                          "{cluster: x, user: x}}]\nclusters: [{name: x, cluster: {server: 'http://127.0.0.1:9'}}]\n"
                          "users: [{name: x, user: {}}]\n")
    done = subprocess.run([sys.executable, "-m", "tui.cli", "--kubeconfig", str(kubeconfig), "--release", "Bad_Name"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr == ("rollback-console: --release 'Bad_Name' is not a valid Helm release name (lower-case "
                           "letters, digits and '-', at most 53).\n")
