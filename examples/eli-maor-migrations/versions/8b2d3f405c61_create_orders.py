"""create orders (v1.9.0)

Revision ID: 8b2d3f405c61
Revises: 7a1c2e3f4b50
Create Date: 2026-10-20 14:03:00
"""

import sqlalchemy as sa
from alembic import op

revision = "8b2d3f405c61"
down_revision = "7a1c2e3f4b50"
branch_labels = None
depends_on = None
backward_compatible = True  # a new table: older code never reads it


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("total_cents", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    )


def downgrade() -> None:
    op.drop_table("orders")
