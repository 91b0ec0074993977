"""The demo's migrations on a database of the test's own, and the real `alembic` command beside the console."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.tools import REPO_ROOT

MIGRATIONS = REPO_ROOT / "examples" / "eli-maor-migrations"
INI = MIGRATIONS / "alembic.ini"
# The demo's revisions (examples/eli-maor-migrations/versions), oldest first.
ACCOUNTS, ORDERS, CURRENCY, RENAME, INDEX = (
    "7a1c2e3f4b50", "8b2d3f405c61", "9c3e40516d72", "ad4f51627e83", "be5062738f94")
# Which head each release's code expects: the fixed state's and the sandbox's image tags.
VERSIONS = {"v1.9.0": ORDERS, "v2.0.0": RENAME, "v2.0.1": INDEX, "v2.0.1-crashloop": INDEX}
ALEMBIC = Path(sys.executable).parent / "alembic"


def alembic(url: str, *args: str, ini: Path = INI, check: bool = True) -> subprocess.CompletedProcess:
    """The real `alembic` command of the venv on `url` (the demo's env.py reads ELI_MAOR_DATABASE_URL)."""
    env = {**os.environ, "ELI_MAOR_DATABASE_URL": url}
    result = subprocess.run([str(ALEMBIC), "-c", str(ini), *args], capture_output=True, text=True, env=env,
                            timeout=60, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"alembic {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result


def upgraded(url: str, revision: str = RENAME) -> str:
    alembic(url, "upgrade", revision)
    return url


# A migration whose downgrade fails half way (its first statement ran): for the failure tests.
FAILING = '''"""a migration whose downgrade fails half way

Revision ID: cf6173849a05
Revises: be5062738f94
"""
import sqlalchemy as sa
from alembic import op

revision = "cf6173849a05"
down_revision = "be5062738f94"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("no_such_table")
'''
