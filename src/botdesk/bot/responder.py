"""The seam the bot engine plugs into: a visitor turn in, replies out.

`post_visitor_message` calls the tenant's responder after the visitor's message is committed, and
only while the conversation is with the bot. Replies are stored and published like any message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from botdesk.models import ConversationStatus
from botdesk.transcripts import MessageContent


@dataclass(frozen=True)
class Turn:
    """What the bot sees of one visitor message."""

    tenant_id: uuid.UUID
    tenant_slug: str
    conversation_id: uuid.UUID
    language: str
    status: ConversationStatus
    text: str
    history: Sequence[MessageContent]


@dataclass(frozen=True)
class BotReply:
    content: MessageContent
    # Set when the bot cannot help; the handover issue acts on it (pre-chat form, queue).
    wants_human: bool = False


class Responder(Protocol):
    def respond(self, turn: Turn) -> Sequence[BotReply]:
        """Replies for this turn, in the conversation's language."""
