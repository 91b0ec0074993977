"""Alembic on the configured database: read current/heads/history, preview a downgrade's SQL, run it.

Every function blocks (a worker thread calls it) and raises ConsoleError with one sentence. What the
database is at is read with Alembic's MigrationContext, never by reading alembic_version by hand; the
migrations are read with ScriptDirectory; the downgrade is `alembic.command.downgrade`, the same call
the `alembic` command makes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.database import BASE, Migration, Schema, mask_url
from ..core.errors import ConsoleError, one_line

ALEMBIC_LOGGER = "alembic"


def alembic_config(ini: str | Path, url: str, **kwargs):
    """Alembic's Config for `ini` with the console's URL; env.py is asked not to install its log handlers."""
    from alembic.config import Config

    ini = Path(ini)
    if not ini.is_file():
        raise ConsoleError(f"No Alembic configuration at {ini}; set database.alembic_ini to your alembic.ini.")
    cfg = Config(str(ini), **kwargs)
    if url:
        # ConfigParser interpolation: a literal % in a password must be doubled.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def script_directory(cfg):
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(cfg)
    except CommandError as exc:
        raise ConsoleError(f"Alembic cannot read the migrations: {one_line(exc, 200)}.") from None


def history(cfg) -> tuple[tuple[Migration, ...], tuple[str, ...]]:
    """The migrations newest first (as `alembic history`), with their backward_compatible flag, and the heads."""
    from alembic.util import CommandError

    scripts = script_directory(cfg)
    try:
        walked = list(scripts.walk_revisions())
        heads = tuple(scripts.get_heads())
    except CommandError as exc:
        raise ConsoleError(f"Alembic cannot read the migrations: {one_line(exc, 200)}.") from None
    except Exception as exc:  # noqa: BLE001 - a migration module that fails to import
        raise ConsoleError(f"A migration module failed to load ({type(exc).__name__}: {one_line(exc, 160)}).") from None
    migrations = tuple(
        Migration(s.revision, _down(s.down_revision), (s.doc or "").strip(),
                  getattr(s.module, "backward_compatible", False) is True)
        for s in walked)
    return migrations, heads


def _down(down) -> tuple[str, ...]:
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


def engine(url: str):
    """An engine without a pool (each read is one connection, closed after); a short connect timeout."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    from sqlalchemy.pool import NullPool

    try:
        parsed = make_url(url)
        args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
        return create_engine(parsed, poolclass=NullPool, connect_args=args)
    except (ArgumentError, ValueError) as exc:
        raise ConsoleError(f"The database URL {mask_url(url)!r} is not one SQLAlchemy understands "
                           f"({one_line(exc, 120)}); e.g. postgresql+psycopg://user@host/db or sqlite:///path.") from None
    except (NoSuchModuleError, ImportError) as exc:
        raise ConsoleError(f"No driver for {mask_url(url)}: {one_line(exc, 120)}; install it (psycopg for "
                           "PostgreSQL).") from None


def unreachable(url: str, exc: BaseException) -> ConsoleError:
    reason = getattr(exc, "orig", None) or exc
    return ConsoleError(f"Cannot reach the database {mask_url(url)}: {one_line(reason, 200)}.")


def current_heads(url: str) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.exc import SQLAlchemyError

    eng = engine(url)
    database = eng.url.database or ""
    if eng.url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).is_file():
        # Connecting would create an empty file and call it "base".
        raise ConsoleError(f"No SQLite database at {database}; check database.url.")
    try:
        with eng.connect() as connection:
            return tuple(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        raise unreachable(url, exc) from None
    finally:
        eng.dispose()


def read_schema(ini: str | Path, url: str) -> Schema:
    """What `alembic current`, `alembic heads` and `alembic history` say, as one Schema."""
    cfg = alembic_config(ini, url)
    migrations, heads = history(cfg)
    return Schema(current_heads(url), heads, migrations, mask_url(url))


def downgrade_sql(ini: str | Path, url: str, current: str, target: str) -> str:
    """The SQL `alembic downgrade current:target --sql` prints (Alembic's offline mode): what the downgrade runs."""
    from alembic import command
    from alembic.util import CommandError

    buffer = io.StringIO()
    cfg = alembic_config(ini, url, output_buffer=buffer)
    try:
        with quiet_alembic():
            command.downgrade(cfg, f"{current}:{target}", sql=True)
    except CommandError as exc:
        raise ConsoleError(f"Alembic cannot preview the downgrade: {one_line(exc, 200)}.") from None
    except Exception as exc:  # noqa: BLE001 - a migration whose downgrade fails in offline mode
        raise ConsoleError(f"The downgrade's SQL cannot be previewed ({type(exc).__name__}: "
                           f"{one_line(exc, 160)}).") from None
    return buffer.getvalue().strip()


@dataclass(frozen=True)
class DowngradeResult:
    ok: bool
    message: str  # one sentence
    current: tuple[str, ...]  # where the database is afterwards, as Alembic reads it (None-free: () is base)


def downgrade(ini: str | Path, url: str, target: str, on_line: Callable[[str], None] | None = None,
              expect: tuple[str, ...] | None = None) -> DowngradeResult:
    """`alembic downgrade target` in this process; Alembic's log lines (Running downgrade a -> b) go to
    `on_line` as they come. Whatever happens, the result says where the database is now.

    `expect`: the revision(s) the previewed SQL starts from; if the database has moved since (someone ran
    alembic meanwhile), nothing runs: the SQL shown would not be the SQL run."""
    from alembic import command

    cfg = alembic_config(ini, url)
    before = current_heads(url)
    if expect is not None and tuple(before) != tuple(expect):
        return DowngradeResult(False, f"The database moved to {', '.join(before) or BASE} since it was read at "
                               f"{', '.join(expect) or BASE}; nothing was run (read it again and review the new "
                               "SQL).", before)
    handler = _LineHandler(on_line)
    logger = logging.getLogger(ALEMBIC_LOGGER)
    saved = _logging_state()
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    error: BaseException | None = None
    try:
        command.downgrade(cfg, target)
    except Exception as exc:  # noqa: BLE001 - a failing migration is an outcome, said in one sentence
        error = exc
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        _restore_logging(saved)
    try:
        after = current_heads(url)
    except ConsoleError as exc:
        return DowngradeResult(False, f"{_failed(error) if error else 'The downgrade ran'}, and then the database "
                               f"could not be read: {exc.message}", ())
    at = ", ".join(after) or BASE
    if error is not None:
        moved = f"; it had moved from {', '.join(before) or BASE}" if after != before else "; nothing changed"
        return DowngradeResult(False, f"{_failed(error)}; the database is at {at} (alembic current){moved}.", after)
    return DowngradeResult(True, f"Downgraded the database to {at}.", after)


def _failed(error: BaseException) -> str:
    reason = getattr(error, "orig", None) or error
    return f"The downgrade failed ({type(error).__name__}: {one_line(reason, 200)})"


class _LineHandler(logging.Handler):
    def __init__(self, on_line: Callable[[str], None] | None) -> None:
        super().__init__(logging.INFO)
        self.on_line = on_line

    def emit(self, record: logging.LogRecord) -> None:
        if self.on_line is not None:
            try:
                self.on_line(record.getMessage())
            except Exception:  # noqa: BLE001 - a closing console must not break the migration
                pass


class quiet_alembic:
    """Alembic's INFO lines during a preview are not news: kept off the terminal."""

    def __enter__(self):
        self.saved = _logging_state()
        self.logger = logging.getLogger(ALEMBIC_LOGGER)
        self.propagate = self.logger.propagate
        self.logger.propagate = False
        return self

    def __exit__(self, *exc) -> None:
        self.logger.propagate = self.propagate
        _restore_logging(self.saved)


def _logging_state():
    """An env.py may call logging.config.fileConfig anyway: its stderr handlers would write over the screen
    and disable the console's loggers. Kept, to put back after Alembic ran."""
    root = logging.getLogger()
    loggers = {name: (lg.disabled, list(lg.handlers)) for name, lg in logging.root.manager.loggerDict.items()
               if isinstance(lg, logging.Logger)}
    return list(root.handlers), root.level, loggers


def _restore_logging(saved) -> None:
    handlers, level, loggers = saved
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (disabled, kept) in loggers.items():
        lg = logging.getLogger(name)
        lg.disabled = disabled
        lg.handlers[:] = kept
