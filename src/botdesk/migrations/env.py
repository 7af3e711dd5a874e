"""Alembic environment: runs migrations on the connection `botdesk.schema` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from botdesk.models import Base

config = context.config
connection: Connection | None = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `botdesk migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables the same way on every run.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
