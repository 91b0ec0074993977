"""Paths of the real kubectl/helm/prometheus/promtool binaries the tests run against.

The version table lives in ``scripts/fetch_tools.py`` (the single source of
truth); this module loads that file by path and maps versions to paths::

    from tests.support.tools import KUBECTL, HELM, require
    kubectl = require(KUBECTL["1.35.2"])

Fetch the binaries with ``make test`` or ``python scripts/fetch_tools.py``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_FETCH_SCRIPT = REPO_ROOT / "scripts" / "fetch_tools.py"
_MODULE_NAME = "_rollback_console_fetch_tools"


def _load_fetch_tools():
    module = sys.modules.get(_MODULE_NAME)
    if module is None:
        spec = importlib.util.spec_from_file_location(_MODULE_NAME, _FETCH_SCRIPT)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {_FETCH_SCRIPT}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[_MODULE_NAME]
            raise
    return module


_fetch_tools = _load_fetch_tools()

# version -> binary path, newest first, e.g. KUBECTL["1.35.2"], HELM["3.17.2"].
KUBECTL: dict[str, Path] = {
    v: _fetch_tools.tool_path("kubectl", v) for v in _fetch_tools.kubectl_versions()
}
HELM: dict[str, Path] = {v: _fetch_tools.tool_path("helm", v) for v in _fetch_tools.helm_versions()}

# Debian's prometheus package, unpacked side by side.
PROMETHEUS: Path = _fetch_tools.deb_tool_path("prometheus")
PROMTOOL: Path = _fetch_tools.deb_tool_path("promtool")

# PostgreSQL's server binaries (initdb, postgres, pg_ctl, pg_dump): the machine's, else Debian's fetched ones,
# whose libpq is in POSTGRES_LIBS.
POSTGRES_BIN: Path = _fetch_tools.postgres_bin()
POSTGRES_LIBS: Path = _fetch_tools.postgres_libs()

# The newest of each (first row of the table).
DEFAULT_KUBECTL: Path = next(iter(KUBECTL.values()))
DEFAULT_HELM: Path = next(iter(HELM.values()))


def require(path: Path) -> Path:
    """Return ``path`` if it is an executable file; otherwise raise RuntimeError.

    Tests call this instead of skipping, so missing tools fail loudly.
    """
    path = Path(path)
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise RuntimeError(
        f"test tool {path} is missing or not executable; "
        "run `make test` or `python scripts/fetch_tools.py` to fetch kubectl, helm and prometheus"
    )
