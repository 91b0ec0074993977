"""create accounts

Revision ID: 7a1c2e3f4b50
Revises:
Create Date: 2026-10-02 09:12:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7a1c2e3f4b50"
down_revision = None
branch_labels = None
depends_on = None
backward_compatible = True  # a new table: older code never reads it


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("accounts")
