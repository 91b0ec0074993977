"""Snapshots of the Database view (D) and the downgrade confirmation with its SQL (pytest-textual-snapshot).

Deterministic: the fixed state (offline, fixed clock) and the demo's migrations read by Alembic from
examples/eli-maor-migrations, with the database at v2.0.0's head; the SQL is Alembic's offline mode.
Update with `pytest tests/ui/test_database_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import pytest

from tests.support.database import CURRENCY, INI, RENAME, VERSIONS
from tests.support.fixtures import fixed_app
from tui.appconfig import AppConfig, DatabaseConfig
from tui.core.database import Schema
from tui.database.migrations import alembic_config, downgrade_sql, history

pytestmark = pytest.mark.offline
URL = "postgresql+psycopg://eli:secret@db.production.svc:5432/eli_maor"  # never connected to: a fixed schema


def app_with_schema():
    config = AppConfig(database=DatabaseConfig(alembic_ini="examples/eli-maor-migrations/alembic.ini", url=URL,
                                               versions=tuple(VERSIONS.items()), backup_dir="/var/backups/eli"))
    app = fixed_app(config=config)
    migrations, heads = history(alembic_config(INI, URL))
    app.database.schema = Schema((RENAME,), heads, migrations, "postgresql+psycopg://eli:***@db.production.svc:5432/"
                                 "eli_maor")
    app.database.auto_read = False
    return app


async def open_on_backend_1(pilot) -> None:
    app = pilot.app
    await pilot.pause()
    await pilot.press("D")
    await pilot.pause()
    screen = app.screen
    screen.selected = next(n for n, r in enumerate(screen.rows) if r.component == "eli-maor-backend"
                           and r.revision == 1)
    screen.repaint()
    await pilot.pause()


def test_database_view(snap_compare):
    assert snap_compare(app_with_schema(), run_before=open_on_backend_1, terminal_size=(150, 50))


def test_downgrade_confirmation(snap_compare):
    app = app_with_schema()
    sql = downgrade_sql(INI, "postgresql+psycopg://eli@db/eli_maor", RENAME, CURRENCY)

    async def before(pilot) -> None:
        await open_on_backend_1(pilot)
        controller = app.database
        # The preview runs in a worker: here its (offline, deterministic) SQL is handed over on the UI loop.
        controller._preview = lambda op: controller._confirm(op, sql, "")
        app.run_off_loop = lambda work, **kwargs: work()
        await pilot.press("d")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, run_before=before, terminal_size=(120, 48))
