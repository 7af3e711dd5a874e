"""Migrations, the lifecycle registry, tenant scoping of the schema, the state machine."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from botdesk import schema
from botdesk.db import create_db_engine
from botdesk.models import (
    Base,
    ConversationStatus,
    IllegalTransition,
    Retention,
    check_transition,
)
from botdesk.models.conversations import TRANSITIONS
from tests.conftest import BACKENDS

S = ConversationStatus


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_from_empty_to_head_match_the_models(
    backend: str, empty_database: object
) -> None:
    engine = create_db_engine(empty_database(backend))  # type: ignore[operator]
    try:
        assert schema.current_revision(engine) is None
        assert not schema.is_current(engine)
        schema.upgrade(engine)
        assert schema.is_current(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        schema.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        schema.upgrade(engine)
        assert schema.is_current(engine)
    finally:
        engine.dispose()


def test_every_table_declares_its_lifecycle() -> None:
    for table in Base.metadata.sorted_tables:
        assert isinstance(table.info.get("retention"), str), f"{table.name}: no retention class"
        Retention(table.info["retention"])
        assert isinstance(table.info.get("subject_export"), bool), (
            f"{table.name}: say whether it belongs in a data subject's export"
        )


def test_tenant_owned_tables_carry_tenant_id_and_lead_their_indexes_with_it() -> None:
    for table in Base.metadata.sorted_tables:
        if table.info["retention"] != Retention.CONVERSATION:
            continue
        assert "tenant_id" in table.c, f"{table.name} holds tenant data without tenant_id"
        assert not table.c.tenant_id.nullable
        leading = [
            next(iter(index.columns)).name
            for index in table.indexes
            if index.name != "ix_messages_conversation_id"  # serves the FK cascade, see model
        ] + [
            next(iter(constraint.columns)).name
            for constraint in table.constraints
            if constraint.__class__.__name__ == "UniqueConstraint"
        ]
        assert all(name == "tenant_id" for name in leading), (table.name, leading)


def test_the_state_machine_allows_exactly_the_documented_transitions() -> None:
    allowed = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert allowed == {
        (S.BOT, S.PRE_CHAT_FORM),
        (S.BOT, S.OFFLINE_MESSAGE),
        # Only for an agent taking up a pending offline message in the chat (issue #14).
        (S.BOT, S.WITH_AGENT),
        # The idle timeout.
        (S.BOT, S.CLOSED),
        (S.PRE_CHAT_FORM, S.BOT),
        (S.PRE_CHAT_FORM, S.QUEUED),
        (S.PRE_CHAT_FORM, S.OFFLINE_MESSAGE),
        (S.PRE_CHAT_FORM, S.CLOSED),
        (S.QUEUED, S.BOT),
        (S.QUEUED, S.WITH_AGENT),
        (S.QUEUED, S.OFFLINE_MESSAGE),
        (S.QUEUED, S.CLOSED),
        (S.WITH_AGENT, S.CLOSED),
        # Acknowledged: the bot answers again while the message waits for the agents.
        (S.OFFLINE_MESSAGE, S.BOT),
        (S.OFFLINE_MESSAGE, S.CLOSED),
        # The shopper writes again in the same conversation (issue #14, finding 3).
        (S.CLOSED, S.BOT),
    }
    for current in S:
        for target in S:
            if (current, target) in allowed:
                check_transition(current, target)
            else:
                with pytest.raises(IllegalTransition, match=f"from {current} to {target}"):
                    check_transition(current, target)
