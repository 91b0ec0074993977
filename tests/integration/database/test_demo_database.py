"""The demo's database: SQLite at the head the deployed release (v2.0.0) expects, its URL written for a second
terminal's `alembic`, the console's config pointing at it."""

from __future__ import annotations

from pathlib import Path

from tests.support.database import RENAME, alembic
from tui.cli import _demo_config, _demo_database
from tui.demo import database


def test_demo_database_is_at_the_current_release_head_and_alembic_agrees(tmp_path):
    out = tmp_path / "out" / "database-url"
    url = _demo_database(tmp_path / "demo", out)
    assert out.read_text().strip() == url == f"sqlite:///{tmp_path / 'demo' / 'database' / 'eli-maor.db'}"
    assert alembic(out.read_text().strip(), "current").stdout.split()[0] == RENAME
    config = _demo_config(tmp_path / "kubeconfig", False, database_url=url).database
    assert config.configured and config.url == url and config.alembic_ini == str(database.INI)
    assert dict(config.versions)["v2.0.0"] == RENAME
    assert Path(config.backup_dir) == tmp_path / "demo" / "database" / "backups"
    assert not _demo_config(tmp_path / "kubeconfig", False).database.configured
