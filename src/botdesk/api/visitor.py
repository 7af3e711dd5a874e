"""Visitor API v1: what the chat widget calls. Authenticated by a per-conversation token.

The hot routes are async and make one hop to the thread pool for all their database work, in
short transactions that never wait for anything else (docs/development.md, "Transactions").
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.conversations import open_conversation
from botdesk.actions.erasure import erase_conversation
from botdesk.actions.lifecycle import WAITING, visitor_seen
from botdesk.actions.messages import send_visitor_message
from botdesk.actions.transcripts import email_transcript
from botdesk.api.deps import PUBLIC, RuntimeDep, VisitorToken
from botdesk.api.schemas import (
    ConversationOut,
    EmailIn,
    ErrorOut,
    MessageIn,
    MessageOut,
    MessagesOut,
    PostMessageOut,
    StartConversationIn,
    StartConversationOut,
    visible,
)
from botdesk.errors import Invalid, TooLarge
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, decrypt_all

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 404, 409, 413, 422)
}
router = APIRouter(prefix="/api/v1", tags=["visitor"], responses=_ERRORS)


@router.post(
    "/tenants/{slug}/conversations",
    status_code=status.HTTP_201_CREATED,
    response_model=StartConversationOut,
    summary="Start a conversation",
    openapi_extra=PUBLIC,
)
async def start(
    slug: str, runtime: RuntimeDep, request: Request, body: StartConversationIn | None = None
) -> StartConversationOut:
    language = body.language if body else None
    address = runtime.clients.of(request)
    started = await runtime.run(open_conversation, runtime, slug, language, address)
    return StartConversationOut(
        conversation=ConversationOut.of(started.conversation, started.tenant),
        visitor_token=started.visitor_token,
    )


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationOut,
    summary="Get a conversation's state",
)
async def get_conversation(
    conversation_id: uuid.UUID, token: VisitorToken, runtime: RuntimeDep
) -> ConversationOut:
    return await runtime.run(_conversation_out, runtime, conversation_id, token)


def _conversation_out(runtime: Runtime, conversation_id: uuid.UUID, token: str) -> ConversationOut:
    with runtime.db.read() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        out = ConversationOut.of(conversation, runtime.tenants.get(conversation.tenant_id).tenant)
    if conversation.visitor_away_since is not None and conversation.status in WAITING:
        visitor_seen(runtime, conversation.tenant_id, conversation.id)  # a widget that polls
    return out


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=PostMessageOut,
    summary="Send a visitor message and get the bot's replies",
)
async def send_message(
    conversation_id: uuid.UUID,
    body: MessageIn,
    token: VisitorToken,
    runtime: RuntimeDep,
    request: Request,
) -> PostMessageOut:
    text = body.text.strip()
    if not visible(text):
        raise Invalid("a message cannot be empty")
    limit = runtime.settings.max_message_chars
    if len(text) > limit:
        raise TooLarge(f"a message can have at most {limit} characters")
    posted = await send_visitor_message(
        runtime,
        conversation_id,
        token,
        text,
        body.client_message_id,
        payload=body.payload,
        client_address=runtime.clients.of(request),
    )
    return PostMessageOut(
        message=MessageOut.of(posted.message),
        replies=[MessageOut.of(m) for m in posted.replies],
        status=posted.status,
        language=posted.language,
        handover_requested=posted.handover_requested,
    )


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=MessagesOut,
    summary="List messages after a sequence number",
)
async def list_messages(
    conversation_id: uuid.UUID,
    token: VisitorToken,
    runtime: RuntimeDep,
    after: Annotated[
        int, Query(ge=0, le=2**31 - 1, description="Return messages with seq > after.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagesOut:
    return await runtime.run(_messages_out, runtime, conversation_id, token, after, limit)


def _messages_out(
    runtime: Runtime, conversation_id: uuid.UUID, token: str, after: int, limit: int
) -> MessagesOut:
    with runtime.db.connect() as connection:
        conversation = access.visitor_conversation(connection, conversation_id, token)
        rows = access.sealed_messages(
            connection, conversation.tenant_id, conversation.id, after_seq=after, limit=limit + 1
        )
    if conversation.visitor_away_since is not None and conversation.status in WAITING:
        # A widget that polls (no socket) is here as long as it keeps polling.
        visitor_seen(runtime, conversation.tenant_id, conversation.id)
    entry = runtime.tenants.get(conversation.tenant_id)
    cipher = ConversationCipher.of(entry.key, conversation.id, conversation.wrapped_key)
    return MessagesOut(
        messages=[MessageOut.of(m) for m in decrypt_all(cipher, rows[:limit])],
        status=conversation.status,
        last_seq=conversation.last_seq,
        has_more=len(rows) > limit,
    )


@router.delete(
    "/conversations/{conversation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase the conversation (the shopper's own deletion)",
)
def delete_conversation(
    conversation_id: uuid.UUID, token: VisitorToken, runtime: RuntimeDep
) -> Response:
    with runtime.db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        tenant_id = conversation.tenant_id
    erase_conversation(
        runtime, Actor.visitor(), tenant_id, conversation_id, reason="visitor_request"
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/conversations/{conversation_id}/transcript/email",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email the conversation to the visitor",
    responses={429: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)
def email(
    conversation_id: uuid.UUID,
    body: EmailIn,
    token: VisitorToken,
    runtime: RuntimeDep,
    request: Request,
) -> dict[str, bool]:
    email_transcript(runtime, conversation_id, token, body.email, runtime.clients.of(request))
    return {"sent": True}
