"""add orders.currency, nullable (v2.0.0, expand)

Revision ID: 9c3e40516d72
Revises: 8b2d3f405c61
Create Date: 2026-11-18 10:41:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9c3e40516d72"
down_revision = "8b2d3f405c61"
branch_labels = None
depends_on = None
backward_compatible = True  # nullable, no default: v1.9.0's INSERTs without it still work


def upgrade() -> None:
    op.add_column("orders", sa.Column("currency", sa.String(3), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "currency")
