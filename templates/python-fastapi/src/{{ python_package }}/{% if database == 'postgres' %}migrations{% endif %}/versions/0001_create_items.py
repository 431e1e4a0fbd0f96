"""Create the items table.

Revision ID: 0001
Revises:
"""

from alembic import op

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE items (
            id          text PRIMARY KEY,
            name        text NOT NULL,
            price_cents bigint NOT NULL CHECK (price_cents >= 0),
            created_at  timestamptz NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE items")
