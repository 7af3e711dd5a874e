"""Idempotency keys of messages are scoped per kind of sender (issue #13, finding 6).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "uq_messages_tenant_id_conversation_id_client_message_id"
_NEW = "uq_messages_sender_client_message_id"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f(_OLD), type_="unique")
        batch.create_unique_constraint(
            op.f(_NEW), ["tenant_id", "conversation_id", "sender_kind", "client_message_id"]
        )


def downgrade() -> None:
    # Fails if a visitor and an agent now share an id in one conversation, as it must: the
    # old constraint cannot hold both messages.
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f(_NEW), type_="unique")
        batch.create_unique_constraint(
            op.f(_OLD), ["tenant_id", "conversation_id", "client_message_id"]
        )
