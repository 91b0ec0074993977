"""The Database view's behaviour: Alembic read in a worker, the verdict per rollback target, the downgrade.

`D` opens the view; it asks this controller to read the database (current revision, heads, history:
tui/database/migrations.py, in a worker) and judges each application revision against it with
tui/core/database.py. A downgrade goes: the target (-1, a revision, base, or what the selected rollback
target needs) -> its SQL from Alembic's offline mode (worker) -> the shared ConfirmScreen (the SQL, the
equivalent `alembic downgrade` command, the production guard) -> a backup, then the downgrade, in a
worker, Alembic's lines streamed to the Rollout pane -> the outcome, recorded, with where the database
is now as Alembic reads it. It takes the Console protocol, never the App.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..core import checklist as runbook
from ..core import database as db
from ..core.errors import ConsoleError, one_line
from ..core.requests import operation_id
from ..core.state import ERROR, INFO, SUCCESS, WARNING
from ..core.workload import Ref
from .console import Console

REF = Ref("Database", "database")  # the database's key in the ledger and the Rollout stream
NOT_CONFIGURED = ("No database is configured: set database: {alembic_ini: PATH, url: URL} in the config file "
                  "(or --database-url with it); the demo has one.")


@dataclass(frozen=True)
class AppRevision:
    """One revision of a component, and the Alembic head its code expects."""

    component: str
    revision: int
    tags: str
    current: bool
    expected: db.Expected | None

    @property
    def label(self) -> str:
        return f"{self.component} revision {self.revision}"


@dataclass(frozen=True)
class DatabaseDowngrade:
    """A downgrade as the ConfirmScreen shows it (the Operation shape it reads)."""

    step: str  # what was asked: -1, a revision, base
    current: str
    target: str  # a revision or base
    undone: tuple[db.Migration, ...]
    sql: str
    argv: tuple[str, ...]
    where: str
    backup_dir: str
    production: bool = False
    kind: str = "database-downgrade"
    risk: str = "high"
    noop: str = ""
    diff: str = ""
    command_heading: str = "Equivalent alembic command"
    id: str = field(default_factory=operation_id, compare=False)

    @property
    def summary(self) -> str:
        asked = f" ({self.step})" if self.step not in (self.target, db.BASE) else ""
        return f"Downgrade the database {self.where} from {self.current} to {self.target}{asked}"

    @property
    def changes(self) -> list[str]:
        lines = [f"undo {m.short}" + ("" if m.backward_compatible else ", not backward compatible")
                 for m in self.undone]
        lines.append(f"a backup is taken first, into {self.backup_dir}")
        return lines

    @property
    def command_line(self) -> str:
        return shlex.join(self.argv)

    @property
    def doing(self) -> str:
        return f"downgrading the database to {self.target}"


class DatabaseController:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.config = console.config.database
        self.schema: db.Schema | None = None
        self.error = ""  # the last read's failure, one sentence
        self.reading = False
        self.view = None  # the open Database view (tui/screens/database.py), repainted after each read
        self.last_backup = ""
        self.outcome = ""  # the last downgrade's outcome, one sentence
        self.auto_read = True  # the view reads the database as it opens (snapshots hand it a schema instead)
        item = console.checklist.get(runbook.DATABASE) if self.configured else None
        if item is not None:
            item.how = "the rollback target is compatible per Alembic, or downgraded to it (D)"

    @property
    def configured(self) -> bool:
        return self.config.configured

    @property
    def url(self) -> str:
        return self.config.database_url()

    @property
    def versions(self) -> dict[str, str]:
        return dict(self.config.versions)

    # ---- reading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.configured or self.reading:
            return
        self.reading = True
        self.console.run_off_loop(self._read, group="database-read", name="alembic current")

    def _read(self) -> None:
        from ..database.migrations import read_schema

        try:
            schema, error = read_schema(self.config.alembic_ini, self._url_or_fail()), ""
        except ConsoleError as err:
            schema, error = None, err.message
        except Exception as exc:  # noqa: BLE001 - one sentence, never a traceback
            schema, error = None, f"Reading the database failed ({type(exc).__name__}: {one_line(exc, 160)})."
        self.console.call_soon(self._read_done, schema, error)

    def _url_or_fail(self) -> str:
        url = self.url
        if not url:
            raise ConsoleError(f"No database URL: the variable {self.config.url_env} is not set." if self.config.url_env
                               else "No database URL: set database.url or url_env, or pass --database-url.")
        return url

    def _read_done(self, schema: db.Schema | None, error: str) -> None:
        self.reading = False
        self.error = error
        if schema is not None:
            self.schema = schema
        if not self.console.alive:
            return
        self.judge_checklist()
        if self.view is not None:
            self.view.repaint()
        plans = getattr(self.console, "plans", None)
        if plans is not None and plans.screen is not None and not plans.running and plans.plan is not None \
                and all(s.state == "pending" for s in plans.plan.steps):
            plans.place_database_step(fresh=True)  # the open plan follows what was just read
            plans.screen.show_plan()

    # ---- what each revision expects, and the verdict -------------------------------------------

    def app_revisions(self) -> list[AppRevision]:
        """Every revision of every component, newest first per component, with the head its code expects."""
        state, rows = self.console.state, []
        versions = self.versions
        for view in state.components():
            for r in state.revisions(view.ref):
                rows.append(AppRevision(view.name, r.revision, ",".join(db.image_tag(i) or i for i in r.images),
                                        r.current, db.expected_head(r.template, self.config.annotation, versions)))
        return rows

    def default_target(self, rows: list[AppRevision]) -> int:
        """The row the view starts on: the confirmed rollback target of the selected component (else of any),
        else the selected component's previous revision (what `u` rolls back to)."""
        confirmed = dict(getattr(self.console.evidence, "targets", {}) or {})
        selected = self.console.selected.name if self.console.selected is not None else ""
        order = [selected] + [c for c in confirmed if c != selected]
        for component in order:
            revision = confirmed.get(component)
            if revision:
                for n, row in enumerate(rows):
                    if row.component == component and row.revision == revision:
                        return n
        for n, row in enumerate(rows):
            if row.component == (selected or row.component) and not row.current:
                return n
        return 0

    def verdict(self, row: AppRevision | None) -> db.Verdict | None:
        if self.schema is None or row is None:
            return None
        return db.verdict(self.schema, row.expected, row.label)

    def judge_checklist(self) -> None:
        """"Check database compatibility" from evidence: every confirmed rollback target is compatible with
        the database as Alembic reads it (after a downgrade too); otherwise the item says why it is open."""
        from ..core.evidence import Verdict

        keeper = getattr(self.console, "evidence", None)
        if keeper is None or self.schema is None or not keeper.targets:
            return
        rows = self.app_revisions()
        verdicts = []
        for component, revision in sorted(keeper.targets.items()):
            row = self._target_row(rows, component, revision)
            if row is None:
                return  # its revisions are not listed (yet)
            verdicts.append((row, self.verdict(row)))
        blocking = [(row, v) for row, v in verdicts if not v.compatible]
        if blocking:
            row, v = blocking[0]
            keeper.show(runbook.DATABASE, Verdict(False if v.outcome != db.UNKNOWN else None, v.reason))
            return
        current = ", ".join(self.schema.current) or db.BASE
        said = "; ".join(f"{row.label} {v.headline}" for row, v in verdicts)
        keeper.show(runbook.DATABASE, Verdict(True, f"database at {current}: {said} (Alembic)"),
                    verdicts[0][0].component if len(verdicts) == 1 else "")

    def open(self) -> None:
        """The Database view (D, and space on "Check database compatibility" when a database is configured)."""
        from ..screens.database import DatabaseScreen

        self.console.ask(DatabaseScreen(self))

    @staticmethod
    def _target_row(rows: list[AppRevision], component: str, revision: int) -> AppRevision | None:
        mine = [r for r in rows if r.component == component]
        if not revision:  # 0: the previous revision, as `u` takes it
            older = [r for r in mine if not r.current]
            return older[0] if older else None
        return next((r for r in mine if r.revision == revision), None)

    # ---- the downgrade --------------------------------------------------------------------------

    def _refusal(self) -> str | None:
        console = self.console
        if not self.configured:
            return NOT_CONFIGURED
        if console.read_only:
            return ("Read-only mode: database downgrade is disabled (restart the console without --read-only "
                    "to act).")
        blocking = console.ledger.exclusive() or (console.ledger.entries()[0] if console.ledger else None)
        if blocking is not None:
            return f"One operation at a time: {blocking.doing} is not finished; wait for its outcome."
        if self.schema is None:
            return self.error or "The database has not been read yet; wait a moment (r reads it again)."
        return None

    def downgrade(self, step: str) -> None:
        """`alembic downgrade STEP` with everything shown first: -1, a revision, base."""
        refusal = self._refusal()
        if refusal:
            self.console.refuse(refusal)
            return
        schema = self.schema
        try:
            target = db.downgrade_target(schema, step)
        except ValueError as exc:
            self.console.refuse(str(exc))
            return
        current = schema.current[0]
        op = DatabaseDowngrade(step, current, target, tuple(schema.between(current, target)), "",
                               self.argv(target), schema.where, str(self.backup_dir()),
                               production=self.console.production)
        self.console.ledger.start(REF, op.doing, exclusive=True)
        self.console.run_off_loop(partial(self._preview, op), group="database-plan", name=f"alembic --sql {target}")

    def downgrade_for(self, row: AppRevision | None) -> None:
        """The downgrade the selected rollback target needs (its verdict's revision)."""
        v = self.verdict(row)
        if v is None:
            self.console.refuse(self._refusal() or "Pick an application revision first.")
            return
        if v.outcome != db.DOWNGRADE:
            self.console.refuse(f"No downgrade needed for {row.label}: {v.reason}" if v.compatible else v.reason)
            return
        self.downgrade(v.downgrade_to)

    def argv(self, target: str) -> tuple[str, ...]:
        return ("alembic", "-c", self.config.alembic_ini, "downgrade", target)

    def backup_dir(self) -> Path:
        if self.config.backup_dir:
            return Path(self.config.backup_dir)
        from ..incident.auditlog import state_dir

        return state_dir() / "backups"

    def _preview(self, op: DatabaseDowngrade) -> None:
        from ..database.migrations import downgrade_sql

        try:
            sql, error = downgrade_sql(self.config.alembic_ini, self.url, op.current, op.target), ""
        except ConsoleError as err:
            sql, error = "", err.message
        except Exception as exc:  # noqa: BLE001 - the ledger must be freed, and the reason said
            sql, error = "", f"The downgrade's SQL could not be previewed ({type(exc).__name__}: {one_line(exc, 160)})."
        self.console.call_soon(self._confirm, op, sql, error)

    def _confirm(self, op: DatabaseDowngrade, sql: str, error: str) -> None:
        import dataclasses

        if not self.console.alive:
            return
        if error:
            self.console.ledger.finish(REF)
            self.console.refuse(error)
            return
        op = dataclasses.replace(op, sql=sql)
        from ..screens.confirm import Confirmation, ConfirmScreen

        guard = self.console.guard.confirm_name("database") if self.console.production else None

        def confirmed(result: Confirmation | None) -> None:
            if result is None or not isinstance(result, Confirmation):
                self._cancelled(op)
                return
            self._execute(op, result.reason)

        self.console.ask(ConfirmScreen(op, guard=guard, guard_hint="the word database",
                                       confirm_label="Back up and downgrade"), confirmed)

    def _cancelled(self, op: DatabaseDowngrade) -> None:
        self.console.ledger.finish(REF)
        text = f"Cancelled: {op.doing} (nothing changed)."
        self.console.note(REF, INFO, text)
        self.console.record("outcome", "database", text, ok=None,
                            payload={"action": "database-downgrade", "target": op.target, "cancelled": True,
                                     "op": op.id})

    def _execute(self, op: DatabaseDowngrade, reason: str) -> None:
        console = self.console
        console.ledger.executing(REF)
        console.show_all_components()
        if reason:
            console.note(REF, INFO, f"reason for {op.doing}: {one_line(reason)}")
        console.note(REF, INFO, f"$ {op.command_line}")
        console.record("database-downgrade", "database", f"alembic downgrade {op.current} -> {op.target}"
                       + (f": {one_line(reason)}" if reason else ""), op.command_line, None,
                       payload={"action": "database-downgrade", "from": op.current, "target": op.target,
                                "step": op.step, "reason": reason, "op": op.id, "sql": op.sql})
        console.run_off_loop(partial(self._run, op), group="database-execute", name=op.doing)

    def _run(self, op: DatabaseDowngrade) -> None:
        from ..database.backup import backup
        from ..database.migrations import DowngradeResult, downgrade

        def line(text: str) -> None:
            self.console.call_soon(self.console.note, REF, INFO, f"alembic: {one_line(text, 400)}")

        try:
            path = backup(self.url, Path(op.backup_dir), self.console.clock(), self.config.pg_dump)
        except ConsoleError as err:
            self.console.call_soon(self._finish, op, DowngradeResult(False, f"No backup, so no downgrade: "
                                                                      f"{err.message}", (op.current,)), "")
            return
        except Exception as exc:  # noqa: BLE001 - a bug must end in an outcome, never a dead worker
            self.console.call_soon(self._finish, op, DowngradeResult(
                False, f"The backup failed unexpectedly ({type(exc).__name__}: {one_line(exc, 160)}); nothing "
                "was downgraded.", (op.current,)), "")
            return
        self.console.call_soon(self.console.note, REF, INFO, f"backup: {path}")
        try:
            result = downgrade(self.config.alembic_ini, self.url, op.target, line, expect=(op.current,))
        except ConsoleError as err:
            result = DowngradeResult(False, f"{err.message} Nothing was downgraded.", (op.current,))
        except Exception as exc:  # noqa: BLE001
            result = DowngradeResult(False, f"The downgrade failed unexpectedly ({type(exc).__name__}: "
                                     f"{one_line(exc, 160)}); check alembic current.", ())
        self.console.call_soon(self._finish, op, result, str(path))

    def _finish(self, op: DatabaseDowngrade, result, backup_path: str) -> None:
        console = self.console
        console.ledger.finish(REF)
        message = result.message + (f" Backup: {backup_path}." if backup_path else "")
        self.outcome, self.last_backup = message, backup_path or self.last_backup
        console.record("outcome", "database", message, op.command_line, result.ok,
                       payload={"action": "database-downgrade", "target": op.target, "op": op.id,
                                "current": list(result.current), "backup": backup_path})
        if self.schema is not None and result.current is not None:
            self.schema = db.Schema(tuple(result.current), self.schema.heads, self.schema.history, self.schema.where)
        if not console.alive:
            return
        console.note(REF, SUCCESS if result.ok else ERROR, message if result.ok else f"Failed: {message}")
        console.say(message, title="Database", severity="information" if result.ok else "error")
        if not backup_path and not result.ok:
            console.note(REF, WARNING, "The database was not touched.")
        self.judge_checklist()
        self.refresh()  # what Alembic says now, read again

    # ---- the plan (A): the downgrade as a step where a target needs it ------------------------------

    def plan_step(self, plan) -> tuple[object | None, int, str]:
        """The database step the plan's targets need (tui.core.plan.database_step), the index of the first
        step needing it, and what else the plan should know (targets the database is behind, or that cannot
        be judged), one sentence or ""."""
        from ..core.plan import DATABASE, HELM, KUBECTL, database_step

        if not self.configured:
            return None, 0, ""
        if self.schema is None or len(self.schema.current) != 1:
            return None, 0, ("The database was not judged (" + (self.error or "not read yet, or several heads")
                             + "); open D before executing.")
        rows = self.app_revisions()
        needs: list[tuple[int, db.Verdict]] = []
        others: list[db.Verdict] = []
        index = 0
        for step in plan.steps:
            if step.kind == DATABASE:
                continue
            verdicts = []
            if step.kind == KUBECTL and step.target:
                row = self._target_row(rows, step.name, step.target)
                verdicts = [self.verdict(row)] if row is not None else []
            elif step.kind == HELM and step.target:
                verdicts = self._helm_verdicts(step.name, step.target)
            for v in verdicts:
                if v is not None and v.outcome == db.DOWNGRADE:
                    needs.append((index, v))
                elif v is not None and v.outcome in (db.BEHIND, db.UNKNOWN):
                    others.append(v)
            index += 1
        note = ""
        if others:
            note = f"Database: {others[0].reason}" + (f" ({len(others) - 1} more like it.)" if len(others) > 1 else "")
        if not needs:
            return None, 0, note
        deepest = max(needs, key=lambda n: self.schema.index(n[1].downgrade_to)
                      if n[1].downgrade_to != db.BASE else len(self.schema.history) + 1)[1]
        return database_step(self.schema.current[0], deepest.downgrade_to, self.config.alembic_ini,
                             deepest.reason), needs[0][0], note

    def _helm_verdicts(self, release: str, revision: int) -> list[db.Verdict]:
        """What the code of a Helm revision expects: its rendered workloads' pod templates."""
        helm = getattr(self.console, "helm", None)
        chosen = helm.history.get(revision) if helm is not None else None
        if chosen is None:
            return []
        from ..helm.manifest import workload_docs
        from ..workloads.registry import ADAPTERS

        verdicts = []
        for ref, doc in workload_docs(chosen.manifest, ADAPTERS).items():
            template = (doc.get("spec") or {}).get("template") or {}
            expected = db.expected_head(template, self.config.annotation, self.versions)
            verdicts.append(db.verdict(self.schema, expected, f"helm release {release} revision {revision} "
                                                              f"({ref.name})"))
        return verdicts

    def plan_downgrade(self, step, reason: str, on_line) -> tuple[bool, str, str]:
        """The plan's database step, blocking (the plan's worker): a backup, then `alembic downgrade`."""
        from ..database.backup import backup
        from ..database.migrations import downgrade

        command = shlex.join(self.argv(step.schema_to))
        try:
            url = self._url_or_fail()
            path = backup(url, self.backup_dir(), self.console.clock(), self.config.pg_dump)
            on_line(f"backup: {path}")
            result = downgrade(self.config.alembic_ini, url, step.schema_to,
                               lambda text: on_line(f"alembic: {one_line(text, 400)}"), expect=(step.schema_from,))
        except ConsoleError as err:
            return False, f"{err.message} Nothing was downgraded.", command
        self.console.call_soon(self._plan_step_done, result.current, str(path), result.message)
        return result.ok, f"{result.message} Backup: {path}.", command

    def _plan_step_done(self, current: tuple[str, ...], backup_path: str, message: str) -> None:
        self.last_backup, self.outcome = backup_path, f"{message} Backup: {backup_path}."
        if self.schema is not None:
            self.schema = db.Schema(tuple(current), self.schema.heads, self.schema.history, self.schema.where)
        self.judge_checklist()
        if self.view is not None:
            self.view.repaint()
