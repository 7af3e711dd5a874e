"""Message content and its encryption under the conversation's data key.

A message body is a small JSON document, {"text": ..., "buttons": [...]}, sealed with AES-GCM;
the bot's quick replies and links therefore need no schema change and are encrypted too.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from botdesk.keys import KeyRing, bot_state_aad, form_aad, message_aad, note_aad, open_sealed, seal
from botdesk.models import Conversation, SenderKind, Tenant


@dataclass(frozen=True)
class Button:
    """A quick reply: `label` is shown, `payload` is sent back as the visitor's next message."""

    label: str
    payload: str


@dataclass(frozen=True)
class MessageContent:
    text: str
    buttons: tuple[Button, ...] = field(default=())
    # An agent's display name as it was when they wrote; sealed with the text, so a transcript
    # keeps "who answered" without a join, and erasure takes it with the rest.
    author: str | None = None

    def to_bytes(self) -> bytes:
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [[b.label, b.payload] for b in self.buttons],
        }
        if self.author is not None:
            data["author"] = self.author
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> MessageContent:
        data = json.loads(raw)
        return cls(
            text=data["text"],
            buttons=tuple(Button(*pair) for pair in data["buttons"]),
            author=data.get("author"),
        )


class ConversationCipher:
    """Seals and opens one conversation's message bodies."""

    def __init__(self, keyring: KeyRing, tenant: Tenant, conversation: Conversation) -> None:
        if conversation.tenant_id != tenant.id:
            raise ValueError("conversation does not belong to this tenant")
        tenant_key = keyring.tenant_key(tenant.id, tenant.wrapped_key, tenant.master_key_id)
        self._conversation_id = conversation.id
        self._key = KeyRing.conversation_key(tenant_key, conversation.id, conversation.wrapped_key)

    @classmethod
    def of(
        cls, tenant_key: bytes, conversation_id: uuid.UUID, wrapped_key: bytes | None
    ) -> ConversationCipher:
        """The cipher from an already unwrapped tenant key (the node's tenant cache holds it)."""
        cipher = cls.__new__(cls)
        cipher._conversation_id = conversation_id
        cipher._key = KeyRing.conversation_key(tenant_key, conversation_id, wrapped_key)
        return cipher

    def seal(self, seq: int, content: MessageContent) -> bytes:
        return seal(self._key, content.to_bytes(), message_aad(self._conversation_id, seq))

    def seal_state(self, state: Mapping[str, Any]) -> bytes:
        raw = json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()
        return seal(self._key, raw, bot_state_aad(self._conversation_id))

    def open_state(self, blob: bytes | None) -> dict[str, Any]:
        if blob is None:
            return {}
        state: dict[str, Any] = json.loads(
            open_sealed(self._key, blob, bot_state_aad(self._conversation_id))
        )
        return state

    def seal_form(self, data: Mapping[str, str]) -> bytes:
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return seal(self._key, raw, form_aad(self._conversation_id))

    def open_form(self, blob: bytes | None) -> dict[str, str]:
        if blob is None:
            return {}
        data: dict[str, str] = json.loads(
            open_sealed(self._key, blob, form_aad(self._conversation_id))
        )
        return data

    def seal_note(self, text: str) -> bytes:
        return seal(self._key, text.encode(), note_aad(self._conversation_id))

    def open_note(self, blob: bytes) -> str:
        return open_sealed(self._key, blob, note_aad(self._conversation_id)).decode()

    def open(self, message: SealedMessage) -> MessageContent:
        raw = open_sealed(self._key, message.body, message_aad(self._conversation_id, message.seq))
        return MessageContent.from_bytes(raw)


@dataclass(frozen=True)
class StoredMessage:
    """A message as callers see it: decrypted, with its place in the conversation."""

    seq: int
    sender: SenderKind
    content: MessageContent
    created_at: dt.datetime
    reply_to_seq: int | None


class SealedMessage(Protocol):
    """A stored message row: an ORM `Message` or a Core row with the same columns."""

    @property
    def seq(self) -> int: ...
    @property
    def sender_kind(self) -> SenderKind: ...
    @property
    def body(self) -> bytes: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def reply_to_seq(self) -> int | None: ...


def decrypt_all(
    cipher: ConversationCipher, messages: Sequence[SealedMessage]
) -> list[StoredMessage]:
    return [
        StoredMessage(m.seq, m.sender_kind, cipher.open(m), m.created_at, m.reply_to_seq)
        for m in messages
    ]
