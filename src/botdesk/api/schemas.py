"""Request and response bodies of the public API (v1). Changing a field here is an API change."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from botdesk.actions.users import EMAIL_PATTERN, SPACES
from botdesk.models import Conversation, ConversationStatus, SenderKind, Tenant
from botdesk.transcripts import StoredMessage

# A request body is what the document says, no more: unknown fields are refused.
INPUT = ConfigDict(extra="forbid")
_SURROGATE = re.compile("[\ud800-\udfff]")


def plain_text(value: object) -> object:
    """Text a person could have typed: no NUL byte, no lone UTF-16 surrogate (#13)."""
    if not isinstance(value, str):
        return value  # not text at all: pydantic's own check says so
    # JSON may spell both ("\u0000", "\ud800"); neither is a character a shopper writes, a
    # surrogate cannot even be encoded to UTF-8, and PostgreSQL refuses NUL in text.
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    if _SURROGATE.search(value):
        raise ValueError("contains a lone surrogate (half of a UTF-16 pair), not a character")
    return value


# Before pydantic's own checks: a pattern or length check would refuse a lone surrogate as
# "unable to parse raw data", which says less.
PlainText = Annotated[str, BeforeValidator(plain_text)]
# Something to say: the routes strip() a message and refuse it when nothing is left, and the
# schema says so, so that a client (or a fuzzer) knows before sending. The spaces are spelled
# out, as strip() knows them: `\S` means another set in each regex dialect (#13).
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
# Invisible format characters (category Cf: zero-width spaces and joiners, direction marks, the
# BOM, soft hyphens) say nothing either. Only those of the Basic Multilingual Plane: a `\u`
# class cannot name the others in every dialect, and visible() keeps to what the schema says.
_INVISIBLE = "".join(chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf")
_INVISIBLE_SET = frozenset(_INVISIBLE)
SOME_TEXT = "[^" + "".join(f"\\u{ord(c):04x}" for c in _SPACES + _INVISIBLE) + "]"


def _a_number(value: object) -> object:
    if isinstance(value, str | bool):  # pydantic would take "5" and true for 5 and 1
        raise ValueError("must be a number")
    return value


# A JSON number as the document says (2.0 is an integer too); never a string or a boolean.
JsonInt = Annotated[int, BeforeValidator(_a_number)]


def visible(text: str) -> bool:
    """Whether `text` shows anything: not only spaces and invisible format characters."""
    return any(not c.isspace() and c not in _INVISIBLE_SET for c in text)


class StartConversationIn(BaseModel):
    model_config = INPUT

    language: PlainText | None = Field(
        default=None,
        max_length=35,
        description="The page's or browser's language (BCP 47, e.g. 'sv-FI'); "
        "the tenant's default is used when it is not one of the tenant's languages.",
    )


class ConversationOut(BaseModel):
    id: uuid.UUID
    tenant: str = Field(description="The tenant's slug.")
    status: ConversationStatus
    language: str
    created_at: dt.datetime
    last_seq: int = Field(description="The highest message sequence number so far.")
    retention_days: int = Field(
        description="Days after the last activity that a conversation with only the bot is kept."
    )

    @classmethod
    def of(cls, conversation: Conversation, tenant: Tenant) -> ConversationOut:
        return cls(
            id=conversation.id,
            tenant=tenant.slug,
            status=conversation.status,
            language=conversation.language,
            created_at=conversation.created_at,
            last_seq=conversation.last_seq,
            retention_days=tenant.retention_bot_days,
        )


class StartConversationOut(BaseModel):
    conversation: ConversationOut
    visitor_token: str = Field(
        description="Bearer token for this conversation only. It is shown once and never stored "
        "by the server (only its hash is)."
    )


class MessageIn(BaseModel):
    model_config = INPUT

    text: PlainText = Field(
        min_length=1,
        pattern=SOME_TEXT,
        description="What the visitor wrote (plain text; never rendered as HTML).",
    )
    client_message_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="A client-chosen id; a retried send with the same id is stored once.",
    )
    payload: str | None = Field(
        default=None,
        pattern=r"^intent:[a-z][a-z0-9_]{1,62}$",
        description="The payload of the quick-reply button the visitor pressed (its label goes "
        "in `text`), so the bot knows exactly what was chosen.",
    )


class EmailIn(BaseModel):
    model_config = INPUT

    email: PlainText = Field(
        max_length=254,
        # The address check the server makes (users.EMAIL_PATTERN), around optional spaces.
        pattern=rf"^[{SPACES}]*{EMAIL_PATTERN.pattern.strip('^$')}[{SPACES}]*$",
        description="Where to send the transcript; used once, never stored.",
    )


class ButtonOut(BaseModel):
    label: str
    payload: str


class MessageOut(BaseModel):
    seq: int
    sender: SenderKind
    text: str
    buttons: list[ButtonOut]
    created_at: dt.datetime
    reply_to_seq: int | None
    author: str | None = Field(default=None, description="The agent's name, on agent messages.")

    @classmethod
    def of(cls, message: StoredMessage) -> MessageOut:
        return cls(
            seq=message.seq,
            sender=message.sender,
            text=message.content.text,
            buttons=[ButtonOut(label=b.label, payload=b.payload) for b in message.content.buttons],
            created_at=message.created_at,
            reply_to_seq=message.reply_to_seq,
            author=message.content.author,
        )


class PostMessageOut(BaseModel):
    message: MessageOut
    replies: list[MessageOut]
    status: ConversationStatus
    language: str = Field(description="The conversation's language after this message.")
    handover_requested: bool = Field(
        description="The bot is handing the conversation to a person (the shopper asked for one)."
    )


class MessagesOut(BaseModel):
    messages: list[MessageOut]
    status: ConversationStatus
    last_seq: int
    has_more: bool = Field(description="True when more messages follow; ask again after the last.")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, str]] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
