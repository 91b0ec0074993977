"""A real PostgreSQL server for the database tests: initdb in a temporary folder, run as an unprivileged
user (initdb and postgres refuse root), on a free port of 127.0.0.1, stopped and removed at the end.

    with postgres_server() as server:
        url = server.create_database("eli")   # postgresql+psycopg://app:...@127.0.0.1:PORT/eli
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.tools import POSTGRES_BIN, POSTGRES_LIBS, require

USER = "nobody"  # exists on Debian; the server's files belong to it
PASSWORD = "s3cret"  # the tests' role; the URL carries it, the console masks it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(argv: list[str]) -> list[str]:
    """Run as USER when we are root (setpriv: no shell, no PAM); as ourselves otherwise."""
    if os.geteuid() != 0:
        return argv
    entry = pwd.getpwnam(USER)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", *argv]


def _env() -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    if POSTGRES_LIBS.is_dir():  # fetched binaries need their libpq
        env["LD_LIBRARY_PATH"] = str(POSTGRES_LIBS)
    return env


@dataclass
class PostgresServer:
    folder: Path
    port: int

    @property
    def bin(self) -> Path:
        return POSTGRES_BIN

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql+psycopg://app:{password}@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=app password={PASSWORD} dbname={database}",
                             autocommit=True) as conn:
            cursor = conn.execute(sql)
            return "" if cursor.description is None else "\n".join("|".join(map(str, r)) for r in cursor.fetchall())

    def create_database(self, name: str) -> str:
        self.psql("postgres", f'CREATE DATABASE "{name}" OWNER app')
        return self.url(name)

    @property
    def pg_dump(self) -> str:
        return str(self.bin / "pg_dump")

    @property
    def pg_restore(self) -> str:
        return str(self.bin / "pg_restore")


@contextlib.contextmanager
def postgres_server():
    initdb, postgres = require(POSTGRES_BIN / "initdb"), require(POSTGRES_BIN / "postgres")
    # Not under pytest's tmp folder: that is root's 0700, which the unprivileged server cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="rollback-console-pg-"))
    data, log = folder / "data", folder / "server.log"
    proc = None
    try:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(USER)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        pwfile = folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        subprocess.run(_as_user([str(initdb), "-D", str(data), "-U", "app", "--auth=scram-sha-256",
                                 f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True, env=_env(), timeout=120)
        port = _free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen(_as_user([str(postgres), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                                              "-k", str(folder), "-c", "fsync=off"]),
                                    stdout=out, stderr=subprocess.STDOUT, env=_env())
        server = PostgresServer(folder, port)
        deadline = time.monotonic() + 30
        while True:
            try:
                server.psql("postgres", "select 1")
                break
            except Exception:  # noqa: BLE001 - not up yet
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield server
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()  # SIGTERM: PostgreSQL's smart shutdown
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
