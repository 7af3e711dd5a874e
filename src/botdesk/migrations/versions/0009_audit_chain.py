"""The audit log proves itself: rows chained per tenant by hash, chain heads and retention
checkpoints signed (actions/audit_chain.py), and on PostgreSQL a trigger that keeps the log
append-only.

Existing rows stay unsealed here (a migration has no master key to sign with); the first seal
after start-up, or the `audit.seal` job, chains them in id order.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Sealing may fill seq, prev_hash and row_hash once; nothing else about a row ever changes, and
# a row is deleted only once a signed checkpoint covers it (actions/audit_retention.py). A guard
# against mistakes and against SQL run through the application's account, not against the
# database's owner, who can drop it: `botdesk audit verify` catches what gets past it.
APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'audit_log is append-only: TRUNCATE is refused';
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.seq IS NOT NULL AND EXISTS (
            SELECT 1 FROM audit_chains AS c
            WHERE c.chain_id = COALESCE(OLD.tenant_id, '00000000-0000-0000-0000-000000000000')
              AND c.checkpoint_seq >= OLD.seq
        ) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: only rows behind a signed checkpoint go';
    END IF;
    IF OLD.seq IS NULL
       AND (NEW.id, NEW.tenant_id, NEW.occurred_at, NEW.actor_kind, NEW.actor_id, NEW.action,
            NEW.target_kind, NEW.target_id, NEW.details::text)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.tenant_id, OLD.occurred_at, OLD.actor_kind, OLD.actor_id, OLD.action,
            OLD.target_kind, OLD.target_id, OLD.details::text)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: a row is sealed once and never changed';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "audit_chains",
        sa.Column("chain_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=True),
        sa.Column("head_signature", sa.String(length=64), nullable=True),
        sa.Column("checkpoint_seq", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_hash", sa.String(length=64), nullable=True),
        sa.Column("checkpoint_rows", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkpoint_signature", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_audit_chains")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_log_tenant_id_seq", "audit_log", ["tenant_id", "seq"], unique=True)
    op.create_index(
        "ix_audit_log_tenant_id_id_unsealed",
        "audit_log",
        ["tenant_id", "id"],
        postgresql_where=sa.text("seq IS NULL"),
        sqlite_where=sa.text("seq IS NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_index("ix_audit_log_tenant_id_id_unsealed", table_name="audit_log")
    op.drop_index("ix_audit_log_tenant_id_seq", table_name="audit_log")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_chains")
