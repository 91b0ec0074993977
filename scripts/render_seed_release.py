#!/usr/bin/env python3
"""Render the eli-maor seed release's manifests with real `helm template`.

    .venv/bin/python scripts/render_seed_release.py [--helm PATH]

Writes `kube_sandbox/seed_release/revision-<n>.yaml`, one per distinct set of
manifests in the seeded history (`kube_sandbox/helm_seed.py`), from the chart
in `kube_sandbox/charts/eli-maor` and each revision's values. The files are
committed, so the sandbox needs no helm binary to start;
`tests/sandbox/test_helm.py` re-renders them and fails if they differ, so
after changing the chart or the story, run this script again.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kube_sandbox.helm_seed import (
    CHART_DIR,
    NAMESPACE,
    RELEASE,
    RENDERED,
    rendered_path,
    rendering,
)
from tests.support.tools import DEFAULT_HELM


def render(helm: Path, n: int) -> str:
    """`helm template` of rendered set `n`, with the values of the revision it comes from."""
    with tempfile.TemporaryDirectory() as home:  # no user's helm config can leak into the rendering
        values = Path(home) / "values.yaml"
        values.write_text(yaml.safe_dump(rendering(n).config))
        result = subprocess.run(
            [str(helm), "template", RELEASE, str(CHART_DIR), "--namespace", NAMESPACE, "--values", str(values)],
            capture_output=True, text=True, timeout=60, check=False, env={"HOME": home, "PATH": "/usr/bin:/bin"},
        )
    if result.returncode != 0:
        raise SystemExit(f"helm template failed for revision {n}: {result.stderr.strip()}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helm", type=Path, default=DEFAULT_HELM, help="the helm binary (default: %(default)s)")
    args = parser.parse_args()
    for n in RENDERED:
        path = rendered_path(n)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(args.helm, n))
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
