"""`database:` in the config file, --database-url, and Alembic kept out of the console's start-up."""

import subprocess
import sys
import textwrap

import pytest

from tests.support.tools import REPO_ROOT
from tui.appconfig import load
from tui.core.errors import ConsoleError


def write(tmp_path, text: str):
    path = tmp_path / "console.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_database_settings_relative_to_the_config_file(tmp_path, monkeypatch):
    config = load(write(tmp_path, """
        application: eli-maor
        database:
          alembic_ini: migrations/alembic.ini
          url_env: ELI_DB
          versions: {v1.9.0: 8b2d3f405c61}
          backup_dir: backups
    """)).database
    assert config.alembic_ini == str(tmp_path / "migrations" / "alembic.ini")
    assert config.backup_dir == str(tmp_path / "backups")
    assert dict(config.versions) == {"v1.9.0": "8b2d3f405c61"}
    assert config.annotation == "rollback-console/alembic-head"
    monkeypatch.setenv("ELI_DB", "sqlite:///x.db")
    assert config.database_url() == "sqlite:///x.db"


@pytest.mark.parametrize("database, said", [
    ("{url: sqlite:///x.db}", "needs alembic_ini"),
    ("{alembic_ini: a.ini, url: nope}", "must be a SQLAlchemy URL"),
    ("{alembic_ini: a.ini, url: 'sqlite:///x', url_env: X}", "a url or a url_env, not both"),
    ("{alembic_ini: a.ini, url_env: 'not a name'}", "environment variable's name"),
    ("{alembic_ini: a.ini, versions: [a, b]}", "versions must map image tags"),
    ("{alembic_ini: a.ini, urls: x}", "no setting 'urls'"),
    ("[a]", "database must be a mapping"),
])
def test_bad_database_settings_are_one_sentence(tmp_path, database, said):
    with pytest.raises(ConsoleError, match=said):
        load(write(tmp_path, f"application: eli-maor\ndatabase: {database}\n"))


def test_database_url_needs_alembic_ini(tmp_path, capsys):
    from tui.cli import main

    assert main(["--kubeconfig", str(tmp_path / "none"), "--database-url", "sqlite:///x.db"]) == 1
    assert "--database-url needs database.alembic_ini" in capsys.readouterr().err


def test_console_start_imports_no_alembic():
    script = ("import sys, tui.app, tui.cli; "
              "print(sorted(m for m in ('alembic', 'sqlalchemy', 'psycopg') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True,
                         cwd=REPO_ROOT)
    assert out.stdout.strip() == "[]"
