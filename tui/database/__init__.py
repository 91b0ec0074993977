"""The database side of a rollback: Alembic and SQLAlchemy, called from the console's workers (blocking).

Imported only when a database is configured and the Database view opens: Alembic and SQLAlchemy
cost the console's start-up nothing (issue 14). The verdict on what they read is tui/core/database.py.
"""
