"""The demo's database: SQLite, migrated by Alembic to the head the current release (v2.0.0) expects.

The migrations are examples/eli-maor-migrations (a source checkout has them; a wheel does not, and the
demo then goes on without a database). The seed's pod templates carry their head in the annotation
rollback-console/alembic-head; the image-tag mapping below says the same for the console's config.
"""

from __future__ import annotations

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "examples" / "eli-maor-migrations"
INI = MIGRATIONS / "alembic.ini"
ORDERS, CURRENCY, RENAME, INDEX = "8b2d3f405c61", "9c3e40516d72", "ad4f51627e83", "be5062738f94"
# Which head each eli-maor release's code expects (its image tag).
VERSIONS = {"v1.9.0": ORDERS, "v2.0.0": RENAME, "v2.0.1": INDEX, "v2.0.1-crashloop": INDEX}
CURRENT_HEAD = RENAME  # the deployed release is v2.0.0 (revision 4 of eli-maor: the rollback to 2)


def available() -> bool:
    return INI.is_file()


def create(folder: Path) -> str:
    """A fresh SQLite database in `folder` at the current release's head; its URL."""
    from alembic import command

    from ..database.migrations import alembic_config, quiet_alembic

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "eli-maor.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    with quiet_alembic():
        command.upgrade(alembic_config(INI, url), CURRENT_HEAD)
    return url
