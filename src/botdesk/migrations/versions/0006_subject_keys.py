"""The blind index for data-subject requests (keyed hashes of email, phone, order number).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subject_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_subject_keys_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subject_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_keys")),
        sa.UniqueConstraint(
            "tenant_id",
            "conversation_id",
            "kind",
            "digest",
            name=op.f("uq_subject_keys_tenant_id_conversation_id_kind_digest"),
        ),
    )
    op.create_index(
        op.f("ix_subject_keys_tenant_id_kind_digest"),
        "subject_keys",
        ["tenant_id", "kind", "digest"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_subject_keys_tenant_id_kind_digest"), table_name="subject_keys")
    op.drop_table("subject_keys")
