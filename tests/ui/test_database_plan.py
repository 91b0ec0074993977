"""The plan (A) with a database: the downgrade its targets need runs first, then the rollbacks, end to end on
a sandbox and a real SQLite database migrated by Alembic; `alembic current` agrees afterwards."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.database import CURRENCY, INI, RENAME, VERSIONS, alembic, upgraded
from tests.support.pilot import wait_for
from tui.app import RollbackConsole
from tui.appconfig import AppConfig, DatabaseConfig
from tui.core import checklist as runbook
from tui.core.plan import DATABASE, ROLLED_OUT
from tui.kube.config import connect
from tui.screens.prompt import PromptScreen

from .test_plan import RUNBOOK, SIZE, execute, open_plan

pytestmark = pytest.mark.timeout(240)


def test_the_plan_downgrades_the_database_before_the_old_code_starts(sb, tmp_path):
    url = upgraded(f"sqlite:///{tmp_path / 'eli.db'}", RENAME)
    config = AppConfig(database=DatabaseConfig(alembic_ini=str(INI), url=url, versions=tuple(VERSIONS.items()),
                                               backup_dir=str(tmp_path / "backups")))
    app = RollbackConsole(connect(kubeconfig=sb.kubeconfig), config=config)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            app.database.refresh()
            await wait_for(pilot, lambda: app.database.schema is not None, "the database read")
            await open_plan(pilot, app)
            plan = app.plans.plan
            for name in RUNBOOK:  # every component to v1.9.0, with t as an engineer would
                screen = app.screen
                screen.query_one("#steps").move_cursor(row=[s.name for s in plan.steps].index(name))
                await pilot.press("t")
                await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), "the target prompt")
                await pilot.press("ctrl+a", "ctrl+k", "1", "enter")
                await wait_for(pilot, lambda plan_screen=screen: app.screen is plan_screen, "the prompt to close")
                assert next(s for s in plan.steps if s.name == name).target == 1
                assert plan.steps[0].kind == DATABASE  # from the first one on, before every rollback
            assert [s.name for s in plan.steps] == ["database", *RUNBOOK]
            assert (plan.steps[0].schema_from, plan.steps[0].schema_to) == (RENAME, CURRENCY)
            await execute(pilot, app)
            await wait_for(pilot, lambda: app.plans.executor is None and plan.finished, "the plan to finish", 180)
            assert [s.state for s in plan.steps] == [ROLLED_OUT] * 5, app.plans.message
            kinds = [(e[1], e[2], e[5]) for e in app.timeline_entries if e[1] in ("plan-step", "outcome")]
            assert kinds[:3] == [("plan-step", "database", None), ("outcome", "database", True),
                                 ("plan-step", RUNBOOK[0], None)]
            await wait_for(pilot, lambda: app.checklist.get(runbook.DATABASE).done, "the database item ticked")
            assert "database at 9c3e40516d72" in app.checklist.get(runbook.DATABASE).evidence

    asyncio.run(scenario())
    assert alembic(url, "current").stdout.split()[0] == CURRENCY
    assert len(list((tmp_path / "backups").iterdir())) == 1
