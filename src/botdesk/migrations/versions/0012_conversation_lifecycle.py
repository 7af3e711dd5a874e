"""The conversation lifecycle of issue #14: offline messages wait in the agents' inbox while the
conversation goes back to the bot, and a waiting shopper's presence is tracked.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INBOX = "ix_conversations_tenant_id_offline_pending_since"


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("offline_pending_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("visitor_away_since", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f(_INBOX), ["tenant_id", "offline_pending_since"])
    # Messages left before this revision are still unanswered: they stay in the inbox. Their
    # status stays `offline_message` (a status change is an audited action, not a migration's);
    # the shopper writing again moves such a conversation back to the bot.
    conversations = sa.table(
        "conversations",
        sa.column("status", sa.String),
        sa.column("last_activity_at", sa.DateTime(timezone=True)),
        sa.column("offline_pending_since", sa.DateTime(timezone=True)),
    )
    op.execute(
        conversations.update()
        .where(conversations.c.status == "offline_message")
        .values(offline_pending_since=conversations.c.last_activity_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index(op.f(_INBOX))
        batch.drop_column("visitor_away_since")
        batch.drop_column("offline_pending_since")
