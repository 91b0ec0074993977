"""index orders.created_at (v2.0.1)

Revision ID: be5062738f94
Revises: ad4f51627e83
Create Date: 2026-12-01 16:20:00
"""

from alembic import op

revision = "be5062738f94"
down_revision = "ad4f51627e83"
branch_labels = None
depends_on = None
backward_compatible = True  # an index changes no query's answer


def upgrade() -> None:
    op.create_index("ix_orders_created_at", "orders", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_created_at", table_name="orders")
