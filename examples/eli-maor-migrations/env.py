"""Alembic's environment for the eli-maor migrations (online and offline, i.e. --sql).

The URL: $ELI_MAOR_DATABASE_URL when set (the demo's second terminal), else sqlalchemy.url as the
caller set it (rollback-console sets it from its config), else alembic.ini's.
"""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
# rollback-console runs Alembic inside the console and routes its log lines to the Rollout pane: it asks
# env.py not to install alembic.ini's handlers (they write to stderr, over the screen).
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = os.environ.get("ELI_MAOR_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
target_metadata = None


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
