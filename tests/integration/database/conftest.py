"""One real PostgreSQL server for the database tests (tests/support/postgres.py), started once."""

from __future__ import annotations

import pytest

from tests.support.postgres import postgres_server


@pytest.fixture(scope="session")
def pg():
    with postgres_server() as server:
        yield server
