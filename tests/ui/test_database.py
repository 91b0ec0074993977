"""The Database view (D) on a real SQLite database migrated by the real `alembic` command.

The console is offline (the fixed state: its revisions' image tags map to the demo's heads); the
database is real, and what the console did is checked with `alembic current`.
"""

from __future__ import annotations

import sqlite3

import pytest
from textual.widgets import Input

from tests.support.database import CURRENCY, INDEX, INI, ORDERS, RENAME, VERSIONS, alembic, upgraded
from tests.support.fixtures import fixed_app
from tests.support.pilot import run, wait_for
from tui.appconfig import AppConfig, DatabaseConfig
from tui.core import checklist as runbook
from tui.screens.confirm import ConfirmScreen
from tui.screens.database import DatabaseScreen
from widgets.database_panel import DatabasePanel

pytestmark = [pytest.mark.offline, pytest.mark.timeout(120)]
SIZE = (150, 50)


def app_on(url: str, tmp_path, **database):
    from tui.incident.recorder import IncidentSettings

    config = AppConfig(database=DatabaseConfig(alembic_ini=str(INI), url=url, versions=tuple(VERSIONS.items()),
                                               backup_dir=str(tmp_path / "backups"), **database))
    return fixed_app(config=config, incident=IncidentSettings(state_dir=tmp_path / "state", user="alice"))


def panel_text(app) -> str:
    return str(app.screen.query_one(DatabasePanel).render())


async def open_view(pilot, app):
    await pilot.press("D")
    await wait_for(pilot, lambda: isinstance(app.screen, DatabaseScreen), "the Database view")
    await wait_for(pilot, lambda: app.database.schema is not None or app.database.error, "the database read")
    await pilot.pause()


def test_view_shows_alembic_and_the_verdict_then_downgrades(tmp_path):
    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}")
    app = app_on(url, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            assert app.incident.start_incident("INC-13")
            await open_view(pilot, app)
            schema = app.database.schema
            # The differential: what the console read is what `alembic` prints.
            assert schema.current == tuple(alembic(url, "current").stdout.split()[:1])
            assert list(schema.heads) == [alembic(url, "heads").stdout.split()[0]]
            text = panel_text(app)
            assert f"● {RENAME}" in text and "✗ incompatible" in text
            # backend revision 1 (v1.9.0) is where the cursor starts? choose it explicitly.
            screen = app.screen
            rows = screen.rows
            screen.selected = next(n for n, r in enumerate(rows) if r.component == "eli-maor-backend"
                                   and r.revision == 1)
            screen.repaint()
            await pilot.pause()
            text = panel_text(app)
            assert f"downgrade to {CURRENCY} needed" in text
            assert f"{RENAME} (rename accounts.name to display_name (v2.0.0, contract)) is not backward" in text
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the downgrade confirmation")
            confirm = app.screen
            assert "ALTER TABLE accounts RENAME COLUMN display_name TO name" in str(
                confirm.query_one("#sql").render())
            assert confirm.operation.command_line == f"alembic -c {INI} downgrade {CURRENCY}"
            assert confirm.guard == "database"  # the fixed state is production
            confirm.query_one("#guard", Input).value = "database"
            confirm.action_confirm()
            await wait_for(pilot, lambda: not app.ledger, "the downgrade's outcome", timeout=30)
            await wait_for(pilot, lambda: not app.database.reading, "the database read again")
            assert app.database.outcome.startswith(f"Downgraded the database to {CURRENCY}."), app.database.outcome
            texts = [line.text for line in app.state.log]
            assert any(f"Running downgrade {RENAME} -> {CURRENCY}" in t for t in texts), texts[-5:]
            assert any(t.startswith("backup: ") for t in texts)
            assert app.database.schema.current == (CURRENCY,)
            # The audit log has the command and its outcome; the report lists them.
            entries = app.incidents.incident.entries
            command = next(e for e in entries if e["kind"] == "database-downgrade")
            assert command["command"] == f"alembic -c {INI} downgrade {CURRENCY}"
            assert "RENAME display_name TO name" in command["payload"]["sql"].replace("COLUMN ", "")
            outcome = next(e for e in entries if e["kind"] == "outcome" and e["payload"].get("op")
                           == command["payload"]["op"])
            assert outcome["ok"] is True and outcome["payload"]["current"] == [CURRENCY]
            assert outcome["payload"]["backup"].startswith(str(tmp_path / "backups"))
            path = app.incident.export_report()
            report = path.read_text()
            assert f"alembic -c {INI} downgrade {CURRENCY}" in report
            assert f"Downgraded the database to {CURRENCY}." in report

    run(scenario())
    assert alembic(url, "current").stdout.split()[0] == CURRENCY
    backups = list((tmp_path / "backups").iterdir())
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as restored:  # the backup is the database as it was
        assert restored.execute("select version_num from alembic_version").fetchone() == (RENAME,)


def test_checklist_ticks_when_the_confirmed_target_is_compatible(tmp_path):
    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", INDEX)
    app = app_on(url, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_view(pilot, app)
            item = app.checklist.get(runbook.DATABASE)
            app.evidence.target_confirmed("eli-maor-backend", 1)  # v1.9.0: not compatible with the rename
            await wait_for(pilot, lambda: not app.database.reading, "the read")
            assert not item.done and "not backward compatible" in item.status
            app.evidence.targets.clear()
            app.evidence.target_confirmed("eli-maor-backend", 2)  # v2.0.0: only the index above its head
            await wait_for(pilot, lambda: item.done, "the database item ticked")
            assert "eli-maor-backend revision 2 compatible" in item.evidence

    run(scenario())


def test_refusals_are_one_sentence(tmp_path):
    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", ORDERS)
    app = app_on(url, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_view(pilot, app)
            app.database.downgrade("-3")
            await pilot.pause()
            assert "goes past base: the database at 8b2d3f405c61 is only 2 migrations above it" in app.notices[-1]
            assert not app.ledger

    run(scenario())


def test_unreachable_database_is_said(tmp_path):
    app = app_on("postgresql+psycopg://app:secret@127.0.0.1:1/eli", tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_view(pilot, app)
            text = panel_text(app)
            assert "Cannot reach the database postgresql+psycopg://app:***@127.0.0.1:1/eli" in text
            assert "secret" not in text

    run(scenario())


def test_plan_offers_the_downgrade_before_the_step_that_needs_it(tmp_path):
    from tui.core.plan import DATABASE, KUBECTL

    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", RENAME)
    app = app_on(url, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_view(pilot, app)
            await pilot.press("escape")
            app.plans.open()
            await pilot.pause()
            plan = app.plans.plan
            # The default targets are the newest healthy revisions (v2.0.0 everywhere): no downgrade needed.
            assert [s.kind for s in plan.steps].count(DATABASE) == 0
            backend = next(n for n, s in enumerate(plan.steps) if s.name == "eli-maor-backend")
            assert plan.set_target(backend, "1") is None  # v1.9.0
            assert app.plans.place_database_step()
            kinds = [(s.kind, s.name) for s in plan.steps]
            step = plan.steps[backend]
            assert (step.kind, step.schema_from, step.schema_to) == (DATABASE, RENAME, CURRENCY)
            assert kinds[backend + 1] == (KUBECTL, "eli-maor-backend")  # the schema first, then the old code
            assert step.command(plan.namespace) == ["alembic", "-c", str(INI), "downgrade", CURRENCY]
            assert "eli-maor-backend revision 1 expects 8b2d3f405c61" in step.why
            assert plan.set_target(backend, "2") is not None  # the database step's target follows the others
            plan.set_target(backend + 1, "5")
            app.plans.place_database_step()
            assert [s.kind for s in plan.steps].count(DATABASE) == 0

    run(scenario())


def test_plan_judges_a_helm_step_by_its_revision_manifest(tmp_path):
    from tests.support.fixtures.helm import fixed_helm_app
    from tui.core.plan import DATABASE, HELM
    from tui.incident.recorder import IncidentSettings

    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", RENAME)
    config = AppConfig(database=DatabaseConfig(alembic_ini=str(INI), url=url, versions=tuple(VERSIONS.items()),
                                               backup_dir=str(tmp_path / "backups")))
    app = fixed_helm_app(config=config, incident=IncidentSettings(state_dir=tmp_path / "state", user="alice"))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_view(pilot, app)
            await pilot.press("escape")
            app.plans.open()
            await pilot.pause()
            plan = app.plans.plan
            helm = next(n for n, s in enumerate(plan.steps) if s.kind == HELM)
            assert plan.set_target(helm, "1") is None  # the release's v1.9.0
            app.plans.place_database_step()
            assert [s.kind for s in plan.steps] == [DATABASE, HELM]  # the release manages every Deployment
            step = plan.steps[0]
            assert step.schema_to == CURRENCY and "helm release eli-maor revision 1" in step.why
            assert plan.set_target(1, "2") is None  # v2.0.0, the head the database is at: no downgrade
            app.plans.place_database_step()
            assert [s.kind for s in plan.steps] == [HELM]

    run(scenario())


def test_minus_one_then_escape_changes_nothing_and_says_so(tmp_path):
    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", RENAME)
    app = app_on(url, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_view(pilot, app)
            await pilot.press("minus")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the -1 confirmation")
            assert app.screen.operation.target == CURRENCY and app.screen.operation.step == "-1"
            await pilot.press("escape")
            await wait_for(pilot, lambda: not app.ledger, "the cancel")
            assert isinstance(app.screen, DatabaseScreen)
            assert any(line.text == "Cancelled: downgrading the database to 9c3e40516d72 (nothing changed)."
                       for line in app.state.log)

    run(scenario())
    assert alembic(url, "current").stdout.split()[0] == RENAME
    assert not (tmp_path / "backups").exists()  # no backup either: nothing was confirmed


def test_a_failing_migration_from_the_console_says_where_the_database_is(tmp_path):
    import shutil

    from tests.support.database import FAILING, MIGRATIONS

    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "cf6173849a05_failing.py").write_text(FAILING)
    url = f"sqlite:///{tmp_path / 'eli.db'}"
    alembic(url, "upgrade", "head", ini=folder / "alembic.ini")
    app = app_on(url, tmp_path)
    app.database.config = DatabaseConfig(alembic_ini=str(folder / "alembic.ini"), url=url,
                                         backup_dir=str(tmp_path / "backups"))

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await open_view(pilot, app)
            app.database.downgrade("-1")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
            app.screen.query_one("#guard", Input).value = "database"
            app.screen.action_confirm()
            await wait_for(pilot, lambda: not app.ledger, "the outcome", timeout=30)
            await wait_for(pilot, lambda: not app.database.reading, "the read after it")
            said = alembic(url, "current", ini=folder / "alembic.ini").stdout.split()[0]
            assert "The downgrade failed" in app.database.outcome and "no_such_table" in app.database.outcome
            assert f"the database is at {said} (alembic current)" in app.database.outcome
            assert app.database.schema.current == (said,)
            assert any(line.text.startswith("Failed: The downgrade failed") for line in app.state.log)
            assert f"● {said}" in panel_text(app)

    run(scenario())


def test_without_a_database_the_view_says_how_to_get_one():
    app = fixed_app()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("D")
            await wait_for(pilot, lambda: isinstance(app.screen, DatabaseScreen), "the Database view")
            assert "No database is configured: set database: {alembic_ini: PATH, url: URL}" in panel_text(app)
            await pilot.press("minus")
            await pilot.pause()
            assert app.notices[-1].startswith("No database is configured")
            assert not app.ledger

    run(scenario())


def test_space_on_the_database_item_opens_the_view(tmp_path):
    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", RENAME)
    app = app_on(url, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            item = app.checklist.get(runbook.DATABASE)
            assert item.how == "the rollback target is compatible per Alembic, or downgraded to it (D)"
            app.evidence.activate(item.key)
            await wait_for(pilot, lambda: isinstance(app.screen, DatabaseScreen), "the Database view")
            await wait_for(pilot, lambda: app.database.schema is not None, "the read")
            assert not item.done  # no target confirmed yet: nothing to judge

    run(scenario())


def test_the_plan_reads_the_database_when_it_was_not_read_yet(tmp_path):
    from tui.core.plan import DATABASE

    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", RENAME)
    app = app_on(url, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("A")
            await wait_for(pilot, lambda: app.database.schema is not None, "the database read by the plan")
            plan = app.plans.plan
            assert "Database step" not in app.plans.message  # the defaults (v2.0.0) need none
            backend = next(n for n, s in enumerate(plan.steps) if s.name == "eli-maor-backend")
            plan.set_target(backend, "1")
            app.database.refresh()  # as a read finishing now would: the open plan follows it
            await wait_for(pilot, lambda: plan.steps[0].kind == DATABASE, "the database step")
            assert app.plans.message.count("Database step:") == 1

    run(scenario())
