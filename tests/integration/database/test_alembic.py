"""tui/database on real databases (SQLite and a real PostgreSQL server), against the real `alembic` command.

Differential: what the console reads as current, heads and history is what `alembic` prints on the same
database; after a downgrade by the console, `alembic current` agrees. The backup restores to the
database as it was; a failing migration is reported, and the database is where Alembic says.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess

import pytest

from tests.support.database import (
    CURRENCY,
    FAILING,
    INDEX,
    INI,
    MIGRATIONS,
    ORDERS,
    RENAME,
    VERSIONS,
    alembic,
    upgraded,
)
from tui.core import database as db
from tui.core.errors import ConsoleError
from tui.database import backup, migrations

pytestmark = pytest.mark.timeout(180)
HISTORY_LINE = re.compile(r"^(?P<down>.+?) -> (?P<rev>\w+)(?P<marks>(?: \((?:head|current|branchpoint|mergepoint)\))*)"
                          r", (?P<message>.*)$")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        sqlite3.connect(tmp_path / "eli.db").close()  # an empty database (a missing file is refused)
        return f"sqlite:///{tmp_path / 'eli.db'}"
    pg = request.getfixturevalue("pg")
    return pg.create_database(f"eli_{request.node.name.split('[')[0][-20:]}_{tmp_path.name[-8:]}".lower())


def cli_history(url: str) -> list[tuple[str, tuple[str, ...], str, bool]]:
    rows = []
    for line in alembic(url, "history", "--indicate-current").stdout.splitlines():
        m = HISTORY_LINE.match(line.strip())
        assert m, line
        down = () if m["down"] == "<base>" else tuple(m["down"].split(", "))
        rows.append((m["rev"], down, m["message"], "(current)" in m["marks"]))
    return rows


def test_current_heads_and_history_equal_alembic(url):
    upgraded(url, RENAME)
    schema = migrations.read_schema(INI, url)
    assert schema.current == (alembic(url, "current").stdout.split()[0],)
    assert schema.heads == tuple(line.split()[0] for line in alembic(url, "heads").stdout.splitlines())
    assert [(m.revision, m.down, m.message, m.revision in schema.current) for m in schema.history] == cli_history(url)
    assert {m.revision: m.backward_compatible for m in schema.history} == {
        "7a1c2e3f4b50": True, ORDERS: True, CURRENCY: True, RENAME: False, INDEX: True}
    assert "s3cret" not in schema.where


def test_an_empty_database_is_at_base(url):
    schema = migrations.read_schema(INI, url)
    assert schema.current == () and alembic(url, "current").stdout.strip() == ""


def test_seed_revisions_verdicts_on_the_demo_database(url):
    """The demo's database at v2.0.0's head: each seed release's verdict."""
    upgraded(url, RENAME)
    schema = migrations.read_schema(INI, url)

    def judged(tag: str) -> db.Verdict:
        template = {"spec": {"containers": [{"image": f"ghcr.io/eli-maor/backend:{tag}"}]}}
        return db.verdict(schema, db.expected_head(template, versions=VERSIONS), f"backend {tag}")

    assert judged("v2.0.0").outcome == db.COMPATIBLE
    v = judged("v1.9.0")
    assert (v.outcome, v.downgrade_to) == (db.DOWNGRADE, CURRENCY)
    assert judged("v2.0.1").outcome == db.BEHIND


def test_downgrade_preview_run_and_alembic_agrees(url, tmp_path, request):
    upgraded(url, RENAME)
    sql = migrations.downgrade_sql(INI, url, RENAME, CURRENCY)
    assert re.search(r"ALTER TABLE accounts RENAME (COLUMN )?display_name TO name;", sql), sql
    assert sql == alembic(url, "downgrade", f"{RENAME}:{CURRENCY}", "--sql").stdout.strip()
    pg = request.getfixturevalue("pg") if url.startswith("postgresql") else None
    copy = backup.backup(url, tmp_path / "backups", 0.0, pg.pg_dump if pg else "")
    assert copy.is_file() and copy.stat().st_size > 0
    lines: list[str] = []
    result = migrations.downgrade(INI, url, CURRENCY, lines.append)
    assert result.ok, result.message
    assert result.current == (CURRENCY,)
    assert alembic(url, "current").stdout.split()[0] == CURRENCY
    assert any(f"Running downgrade {RENAME} -> {CURRENCY}" in line for line in lines)
    # The backup restores to the database as it was before the downgrade.
    if pg is None:
        with sqlite3.connect(copy) as restored:
            assert restored.execute("select version_num from alembic_version").fetchone() == (RENAME,)
    else:
        restored = pg.create_database(f"restored_{tmp_path.name[-8:]}".lower())
        name = restored.rsplit("/", 1)[1]
        subprocess.run([pg.pg_restore, "--no-owner", "-d", f"postgresql://app@127.0.0.1:{pg.port}/{name}",
                        str(copy)], check=True, env={"PGPASSWORD": "s3cret", "PATH": "/usr/bin:/bin"},
                       capture_output=True, timeout=60)
        assert alembic(restored, "current").stdout.split()[0] == RENAME


def test_relative_step_past_base_and_bad_revision_change_nothing(url):
    upgraded(url, ORDERS)
    result = migrations.downgrade(INI, url, "-5")
    assert not result.ok and "didn't produce 5 migrations" in result.message and "nothing changed" in result.message
    assert alembic(url, "current").stdout.split()[0] == ORDERS




def test_a_failing_migration_is_reported_where_alembic_says(url, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "cf6173849a05_failing.py").write_text(FAILING)
    ini = folder / "alembic.ini"
    alembic(url, "upgrade", "head", ini=ini)
    result = migrations.downgrade(ini, url, INDEX)
    assert not result.ok
    assert "The downgrade failed" in result.message and "no_such_table" in result.message
    said = alembic(url, "current", ini=ini).stdout.split()[0]
    assert result.current == (said,)
    assert f"the database is at {said} (alembic current)" in result.message


def test_unreachable_and_missing_databases_are_one_sentence(tmp_path):
    with pytest.raises(ConsoleError, match=r"Cannot reach the database postgresql\+psycopg://app:\*\*\*@127.0.0.1:1/x"):
        migrations.read_schema(INI, "postgresql+psycopg://app:pw@127.0.0.1:1/x")
    with pytest.raises(ConsoleError, match="No SQLite database at"):
        migrations.read_schema(INI, f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(ConsoleError, match="No Alembic configuration at"):
        migrations.read_schema(tmp_path / "alembic.ini", f"sqlite:///{tmp_path / 'none.db'}")


def test_pg_dump_failure_is_one_sentence(pg, tmp_path):
    with pytest.raises(ConsoleError, match=r"pg_dump of postgresql\+psycopg://app:\*\*\*@.* failed"):
        backup.backup(pg.url("no_such_db"), tmp_path, 0.0, pg.pg_dump)
    assert not list(tmp_path.iterdir())


BRANCH = '''"""a branch off v1.9.0's head

Revision ID: d0e1f2a3b4c5
Revises: 8b2d3f405c61
"""
import sqlalchemy as sa
from alembic import op

revision = "d0e1f2a3b4c5"
down_revision = "8b2d3f405c61"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("coupons", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("coupons")
'''


def test_several_heads_are_read_as_alembic_reads_them_and_refused(tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "d0e1f2a3b4c5_branch.py").write_text(BRANCH)
    ini, url = folder / "alembic.ini", f"sqlite:///{tmp_path / 'eli.db'}"
    alembic(url, "upgrade", "heads", ini=ini)
    schema = migrations.read_schema(ini, url)
    assert sorted(schema.current) == sorted(alembic(url, "current", ini=ini).stdout.split()[::2])
    assert len(schema.current) == 2 and len(schema.heads) == 2
    template = {"spec": {"containers": [{"image": "ghcr.io/eli-maor/backend:v1.9.0"}]}}
    v = db.verdict(schema, db.expected_head(template, versions=VERSIONS), "backend revision 1")
    assert v.outcome == db.UNKNOWN and "several heads" in v.reason
    with pytest.raises(ValueError, match="several heads"):
        db.downgrade_target(schema, "-1")


def test_a_database_that_moved_since_the_preview_is_not_touched(url):
    upgraded(url, RENAME)
    alembic(url, "downgrade", "-1")  # a colleague, from another terminal, after the console read it
    result = migrations.downgrade(INI, url, ORDERS, expect=(RENAME,))
    assert not result.ok and result.current == (CURRENCY,)
    assert result.message.startswith(f"The database moved to {CURRENCY} since it was read at {RENAME}")
    assert alembic(url, "current").stdout.split()[0] == CURRENCY
