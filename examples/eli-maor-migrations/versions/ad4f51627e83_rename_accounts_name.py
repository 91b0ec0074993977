"""rename accounts.name to display_name (v2.0.0, contract)

Revision ID: ad4f51627e83
Revises: 9c3e40516d72
Create Date: 2026-11-18 10:55:00
"""

from alembic import op

revision = "ad4f51627e83"
down_revision = "9c3e40516d72"
branch_labels = None
depends_on = None
backward_compatible = False  # v1.9.0 selects accounts.name, which is gone


def upgrade() -> None:
    op.alter_column("accounts", "name", new_column_name="display_name")


def downgrade() -> None:
    op.alter_column("accounts", "display_name", new_column_name="name")
