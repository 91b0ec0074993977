"""A backup before a downgrade: SQLite through its backup API, PostgreSQL through pg_dump (anyio, no shell)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from ..core.database import mask_url
from ..core.errors import ConsoleError, one_line


def backup_name(url: str, now: float) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    stem = Path(parsed.database or "database").stem or "database"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return f"{stem}-{stamp}" + (".sqlite" if parsed.get_backend_name() == "sqlite" else ".dump")


def backup(url: str, folder: Path, now: float | None = None, pg_dump: str = "") -> Path:
    """Copy the database into `folder` before it changes; the path of the copy. Blocking."""
    from sqlalchemy.engine import make_url

    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / backup_name(url, time.time() if now is None else now)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return sqlite_backup(url, dest)
    if backend == "postgresql":
        import anyio

        return anyio.run(postgres_backup, url, dest, pg_dump)
    raise ConsoleError(f"No backup method for {backend} databases (SQLite and PostgreSQL have one); take one by "
                       "hand before downgrading.")


def sqlite_backup(url: str, dest: Path) -> Path:
    import sqlite3

    from sqlalchemy.engine import make_url

    source = make_url(url).database
    if not source or source == ":memory:" or not Path(source).is_file():
        raise ConsoleError(f"The SQLite database {source or ':memory:'} is not a file; nothing to back up.")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)
        raise ConsoleError(f"Backing up {source} failed: {one_line(exc, 160)}.") from None
    return dest


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """pg_dump's --dbname (a libpq URL without the password) and its environment (PGPASSWORD): the password
    never appears on a command line that `ps` shows."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


async def postgres_backup(url: str, dest: Path, pg_dump: str = "") -> Path:
    import anyio

    binary = pg_dump or shutil.which("pg_dump") or ""
    if not binary:
        raise ConsoleError("pg_dump is not on PATH; install the PostgreSQL client or set database.pg_dump.")
    dbname, env = libpq_target(url)
    argv = [binary, "--format=custom", "--no-password", "--file", str(dest), "--dbname", dbname]
    try:
        result = await anyio.run_process(argv, check=False, env={**os.environ, **env})
    except OSError as exc:
        raise ConsoleError(f"Cannot run {binary}: {exc.strerror}.") from None
    if result.returncode != 0:
        dest.unlink(missing_ok=True)
        said = one_line(result.stderr.decode(errors="replace"), 200) or f"exit code {result.returncode}"
        raise ConsoleError(f"pg_dump of {mask_url(url)} failed: {said}.")
    return dest
