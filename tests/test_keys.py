"""The key hierarchy and crypto-shredding, against real databases."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from botdesk.actions.audit import Actor
from botdesk.actions.erasure import delete_shredded_conversation, shred_conversation_key
from botdesk.keys import (
    DecryptionFailed,
    KeyDestroyed,
    KeyRing,
    MasterKeyMismatch,
    message_aad,
    open_sealed,
    seal,
)
from botdesk.models import AuditEntry, Conversation, Message, Tenant
from botdesk.runtime import Runtime
from tests.conftest import Personas, start_chat


def test_seal_binds_ciphertext_to_its_key_and_place() -> None:
    key, other = os.urandom(32), os.urandom(32)
    conversation = uuid.uuid4()
    blob = seal(key, b"my order is 40012345", message_aad(conversation, 1))
    assert b"40012345" not in blob
    assert open_sealed(key, blob, message_aad(conversation, 1)) == b"my order is 40012345"
    with pytest.raises(DecryptionFailed):
        open_sealed(other, blob, message_aad(conversation, 1))
    with pytest.raises(DecryptionFailed):  # moved to another position
        open_sealed(key, blob, message_aad(conversation, 2))
    with pytest.raises(DecryptionFailed):  # moved to another conversation
        open_sealed(key, blob, message_aad(uuid.uuid4(), 1))
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        open_sealed(key, tampered, message_aad(conversation, 1))
    with pytest.raises(DecryptionFailed):
        open_sealed(key, b"\x02" + blob[1:], message_aad(conversation, 1))


def test_tenant_keys_need_the_master_key_they_were_wrapped_with() -> None:
    ring, other = KeyRing(os.urandom(32)), KeyRing(os.urandom(32))
    tenant_id = uuid.uuid4()
    wrapped = ring.new_tenant_key(tenant_id)
    assert len(ring.tenant_key(tenant_id, wrapped, ring.master_key_id)) == 32
    with pytest.raises(MasterKeyMismatch, match="another master key"):
        other.tenant_key(tenant_id, wrapped, ring.master_key_id)
    with pytest.raises(DecryptionFailed):  # a wrapped key copied to another tenant
        ring.tenant_key(uuid.uuid4(), wrapped, ring.master_key_id)
    rotated = other.rewrap_tenant_key(tenant_id, wrapped, old=ring)
    assert other.tenant_key(tenant_id, rotated, other.master_key_id) == ring.tenant_key(
        tenant_id, wrapped, ring.master_key_id
    )


def test_message_bodies_are_stored_encrypted(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("canary-4711 my email is shopper@example.com")
    with runtime.db.session() as session:
        bodies = session.scalars(select(Message.body)).all()
    assert len(bodies) == 2
    assert all(b"canary-4711" not in body and b"example.com" not in body for body in bodies)


def _raw_messages(runtime: Runtime, conversation_id: str) -> list[tuple[int, bytes]]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(Message.seq, Message.body).where(
                Message.conversation_id == uuid.UUID(conversation_id)
            )
        ).all()
    return [(seq, body) for seq, body in rows]


def test_shredding_the_key_makes_every_copy_of_the_ciphertext_unreadable(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    chat.send("canary-1234 please delete me")
    conversation_id = uuid.UUID(chat.id)
    copies = _raw_messages(runtime, chat.id)  # e.g. a replica's or the WAL's copy of the rows
    tenant_id = personas.alice.tenant.id

    # Step 1 alone, as if the process died before step 2: the rows are still there...
    shred_conversation_key(runtime, Actor.system(), tenant_id, conversation_id, reason="test")
    assert _raw_messages(runtime, chat.id) == copies
    # ...but nothing the database and the master key hold can open them any more.
    with runtime.db.session() as session:
        tenant = session.get(Tenant, tenant_id)
        conversation = session.get(Conversation, conversation_id)
        assert tenant is not None and conversation is not None
        assert conversation.wrapped_key is None
        tenant_key = runtime.keyring.tenant_key(tenant.id, tenant.wrapped_key, tenant.master_key_id)
    with pytest.raises(KeyDestroyed):
        KeyRing.conversation_key(tenant_key, conversation_id, None)
    for seq, body in copies:  # nor does the tenant key itself
        with pytest.raises(DecryptionFailed):
            open_sealed(tenant_key, body, message_aad(conversation_id, seq))
    assert chat.messages().status_code == 404
    assert chat.send("hello?").status_code == 404

    # Re-running finishes the job and leaves a receipt without content.
    receipt = delete_shredded_conversation(
        runtime, Actor.system(), tenant_id, conversation_id, reason="test"
    )
    assert receipt.messages_deleted == 2
    assert _raw_messages(runtime, chat.id) == []
    with runtime.db.session() as session:
        actions = session.scalars(  # in the order they were written (PostgreSQL: no default)
            select(AuditEntry.action).where(AuditEntry.target_id == chat.id).order_by(AuditEntry.id)
        ).all()
        details = session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "conversation.erased")
        ).one()
    assert actions == ["conversation.started", "conversation.key_destroyed", "conversation.erased"]
    assert details == {"reason": "test", "messages_deleted": 2}


def test_erased_content_leaves_no_trace_in_the_sqlite_files(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    if not runtime.db.is_sqlite:
        pytest.skip("file-level check for the embedded SQLite database")
    path = runtime.db.engine.url.database
    assert path is not None
    chat = start_chat(api, "acme", "en")
    chat.send("hello")
    copies = _raw_messages(runtime, chat.id)
    with runtime.db.session() as session:
        conversation = session.get(Conversation, uuid.UUID(chat.id))
        assert conversation is not None and conversation.wrapped_key is not None
        wrapped_key = conversation.wrapped_key
    assert api.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth).status_code == 204
    runtime.db.dispose()  # close pooled connections so the WAL can be fully folded in
    runtime.db.checkpoint()
    files = [Path(path), Path(path + "-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert wrapped_key not in raw
    for _seq, body in copies:
        assert body not in raw
