"""The seam the bot plugs into: a visitor turn in; replies, dialogue state and language out.

`actions/bot_turns.py` calls the tenant's responder after the visitor's message is committed,
with no transaction open, and only while the conversation is with the bot. Replies are stored
and published like any message; the dialogue state is stored encrypted under the conversation's
key (it holds slot values such as order numbers).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from botdesk.bot.actions import ActionRequest, ActionResult
from botdesk.handover import OpeningHours
from botdesk.pii import Entity
from botdesk.transcripts import MessageContent

INTENT_PAYLOAD = "intent:"


@dataclass(frozen=True)
class Turn:
    """What the bot sees of one visitor message."""

    tenant_id: uuid.UUID
    tenant_slug: str
    conversation_id: uuid.UUID
    language: str
    text: str
    # The conversation so far, oldest first. Empty on the serving path: the dialogue state
    # carries what the bot remembers (flow, slots, misses), and no responder reads the
    # transcript, so a message does not pay for reading and decrypting it.
    history: Sequence[MessageContent] = ()
    # From a quick-reply button: "intent:NAME" picks the intent without guessing.
    payload: str | None = None
    state: Mapping[str, Any] = field(default_factory=dict)
    # Whether a person can be offered now (agents online, within opening hours). The fallback
    # ladder only offers one then; asking for a person always works (offline form otherwise).
    agents_available: bool = True
    # The hours the handover keeps, quoted where an answer says {opening_hours}.
    opening_hours: OpeningHours = field(default_factory=OpeningHours)
    # What the message's one scan for identifiers found (pii.detect with the tenant's patterns);
    # None: the bot looks itself.
    entities: Sequence[Entity] | None = None


@dataclass(frozen=True)
class BotReply:
    content: MessageContent
    # The bot hands over to a person (human_agent); the handover work acts on it.
    wants_human: bool = False


@dataclass(frozen=True)
class BotTurn:
    replies: Sequence[BotReply]
    # The conversation's language from now on (the shopper may have switched).
    language: str
    state: Mapping[str, Any] = field(default_factory=dict)
    # What the bot understood, for logs-free diagnostics and question samples (no text).
    intent: str | None = None
    confidence: float | None = None
    # A flow's action for the host to run (I/O the bot never does itself); the replies come
    # from `Responder.resume` with its results.
    action: ActionRequest | None = None


class Responder(Protocol):
    def respond(self, turn: Turn) -> BotTurn:
        """Replies for this turn, in the conversation's language."""

    def resume(self, turn: Turn, results: Sequence[ActionResult]) -> BotTurn:
        """Replies for the action `respond` returned; `turn.state` is the state it returned."""
