"""The agent console's JSON API: queue, conversations, replies, notes, transfer, close.

Authenticated by the console session cookie (path /console, SameSite=Strict); every request that
changes something must also carry the session's CSRF token in `X-CSRF-Token` (both checked by
`CurrentStaff`, api/deps.py). Reading a
conversation goes through `read_transcript`, so each read is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from botdesk import access, queue
from botdesk.actions import agents
from botdesk.actions import recent as recent_actions
from botdesk.actions.conversations import read_transcript
from botdesk.api.deps import (
    CurrentStaff,
    RuntimeDep,
    SessionDep,
    StaffRequest,
    StaffRequestDep,
    staff_in,
)
from botdesk.api.schemas import INPUT, SOME_TEXT, ErrorOut, MessageOut, PlainText, visible
from botdesk.errors import Conflict, Invalid, TooLarge
from botdesk.models import (
    Conversation,
    ConversationStatus,
    Presence,
    RetentionClass,
    User,
    utcnow,
)
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 413, 422)
}
# In the OpenAPI document beside the visitor API, so its authentication is declared and tested
# (tests/test_schemathesis.py); it is the console's own API, not an integration surface.
router = APIRouter(prefix="/console/api", tags=["console"], responses=_ERRORS)
_S = ConversationStatus


class Summary(BaseModel):
    id: uuid.UUID
    status: ConversationStatus
    language: str
    topic: str | None
    queued_at: dt.datetime | None
    accepted_at: dt.datetime | None
    last_activity_at: dt.datetime
    assigned_agent_id: uuid.UUID | None
    position: int | None = None


def _summary(
    runtime: Runtime,
    staff: access.StaffContext,
    conversation: Conversation,
    position: int | None = None,
) -> Summary:
    # The topic helps an agent choose what to pick up; it is decrypted here and nothing else.
    form = ConversationCipher(runtime.keyring, staff.tenant, conversation).open_form(
        conversation.form_data
    )
    topic = form.get("topic")
    return Summary(
        id=conversation.id,
        status=conversation.status,
        language=conversation.language,
        topic=access.handover_policy(staff.tenant).topic_label(topic, "en") if topic else None,
        queued_at=conversation.queued_at,
        accepted_at=conversation.accepted_at,
        last_activity_at=conversation.last_activity_at,
        assigned_agent_id=conversation.assigned_agent_id,
        position=position,
    )


@router.get("/state")
def state(staff: CurrentStaff, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Everything the console's side panel shows, for one tenant."""
    now = utcnow()
    roster = queue.agents(session, staff, now)
    me = next((row for row in roster if row.user_id == staff.user.id), None)
    waiting = queue.in_status(session, staff, _S.QUEUED)
    live = queue.in_status(session, staff, _S.WITH_AGENT)
    return {
        "me": {
            "id": str(staff.user.id),
            "name": staff.user.display_name,
            "role": staff.role.value,
            "presence": (me.status if me else Presence.OFFLINE).value,
        },
        "tenant": {"slug": staff.tenant.slug, "name": staff.tenant.name},
        "available": queue.available(session, staff.tenant, now),
        # `visitor_away_since`: the shopper's widget is closed (or stopped polling) since then;
        # past the tenant's grace they leave the queue.
        "queue": [
            _summary(runtime, staff, c, i + 1).model_dump(mode="json")
            | {"visitor_away_since": _when(c.visitor_away_since)}
            for i, c in enumerate(waiting)
        ],
        "mine": [_summary(runtime, staff, c) for c in live if c.assigned_agent_id == staff.user.id],
        "others": [
            _summary(runtime, staff, c) for c in live if c.assigned_agent_id != staff.user.id
        ],
        # Unanswered offline messages, oldest first, whatever the conversation's status now
        # (`bot` once acknowledged; `closed` when the shopper went idle): answer by email, or
        # accept to answer in the chat while the conversation is with the bot.
        "offline": [
            _summary(runtime, staff, c).model_dump(mode="json")
            | {"offline_pending_since": _when(c.offline_pending_since)}
            for c in queue.offline_inbox(session, staff)
        ],
        "agents": [
            {
                "id": str(a.user_id),
                "name": a.name,
                "presence": a.status.value,
                "chats": a.active_chats,
            }
            for a in roster
        ],
    }


def _when(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class PresenceIn(BaseModel):
    model_config = INPUT
    status: Presence


@router.post("/presence")
def presence(body: PresenceIn, staff: CurrentStaff, session: SessionDep) -> dict[str, str]:
    agents.set_presence(session, staff, body.status)
    return {"presence": body.status.value}


@router.get("/conversations/{conversation_id}")
def conversation(
    conversation_id: uuid.UUID, staff: CurrentStaff, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """A conversation with its whole history, form data and notes (an audited read)."""
    found, messages = read_transcript(runtime, session, staff, conversation_id)
    cipher = ConversationCipher(runtime.keyring, staff.tenant, found)
    names = {u.id: u.display_name for u in _people(session, staff)}
    form = cipher.open_form(found.form_data)
    if form.get("topic"):
        form["topic"] = access.handover_policy(staff.tenant).topic_label(form["topic"], "en")
    return {
        "conversation": _summary(runtime, staff, found).model_dump(mode="json")
        | {
            "assigned_agent": names.get(found.assigned_agent_id)
            if found.assigned_agent_id
            else None,
            "outcome": found.outcome,
            "csat": found.csat,
            "form_kind": found.form_kind,
            "offline_pending_since": _when(found.offline_pending_since),
            "last_seq": found.last_seq,
        },
        "form": form,
        "messages": [MessageOut.of(m).model_dump(mode="json") for m in messages],
        "notes": [
            {
                "id": note.id,
                "author": names.get(note.author_id, "former staff") if note.author_id else None,
                "text": cipher.open_note(note.body),
                "created_at": note.created_at.isoformat(),
            }
            for note in access.notes_for(session, staff, found)
        ],
    }


def _people(session: Session, staff: access.StaffContext) -> list[User]:
    return [u for u, _role in access.tenant_staff(session, staff)]


@router.post("/conversations/{conversation_id}/accept")
def accept(
    conversation_id: uuid.UUID, staff: CurrentStaff, session: SessionDep, runtime: RuntimeDep
) -> dict[str, str]:
    found = agents.accept(runtime, session, staff, conversation_id)
    return {"status": found.status.value}


class TextIn(BaseModel):
    model_config = INPUT
    text: PlainText = Field(min_length=1, max_length=20000, pattern=SOME_TEXT)
    client_message_id: str | None = Field(default=None, max_length=64)


def _text(runtime: Runtime, body: TextIn) -> str:
    text = body.text.strip()
    if not visible(text):
        raise Invalid("write something first")
    if len(text) > runtime.settings.max_message_chars:
        raise TooLarge(
            f"a message can have at most {runtime.settings.max_message_chars} characters"
        )
    return text


@router.post("/conversations/{conversation_id}/messages", status_code=201)
async def reply(
    conversation_id: uuid.UUID, body: TextIn, request: StaffRequestDep, runtime: RuntimeDep
) -> dict[str, int]:
    # The agent's half of a live chat, as hot as the shopper's: one hop to the worker threads
    # and one short unit of work for signing in and writing (see deps.staff_in).
    text = _text(runtime, body)
    seq = await runtime.run(_reply, runtime, request, conversation_id, text, body.client_message_id)
    return {"seq": seq}


def _reply(
    runtime: Runtime,
    request: StaffRequest,
    conversation_id: uuid.UUID,
    text: str,
    client_message_id: str | None,
) -> int:
    staff: access.StaffContext | None = None
    try:
        with runtime.db.write() as unit:
            staff = staff_in(unit.orm(), request)
            return agents.reply(runtime, unit, staff, conversation_id, text, client_message_id)
    except IntegrityError:
        # A retried send (same client id) stored before, or racing its twin: the first seq.
        if staff is None or client_message_id is None:
            raise
        seq = agents.earlier_reply(runtime, staff, conversation_id, client_message_id)
        if seq is None:  # a colleague's message in this chat has that id
            raise Conflict("client_message_id is already used in this conversation") from None
        return seq


@router.post("/conversations/{conversation_id}/notes", status_code=201)
def note(
    conversation_id: uuid.UUID,
    body: TextIn,
    staff: CurrentStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, int]:
    created = agents.add_note(runtime, session, staff, conversation_id, _text(runtime, body))
    return {"id": created.id}


class TransferIn(BaseModel):
    model_config = INPUT
    agent_id: uuid.UUID


@router.post("/conversations/{conversation_id}/transfer")
def transfer(
    conversation_id: uuid.UUID,
    body: TransferIn,
    staff: CurrentStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, str]:
    agents.transfer(runtime, session, staff, conversation_id, body.agent_id)
    return {"assigned_agent_id": str(body.agent_id)}


Outcome = Literal["resolved", "unresolved", "follow_up", "spam"]
assert get_args(Outcome) == agents.OUTCOMES  # the action's list, spelled for the schema


class CloseIn(BaseModel):
    model_config = INPUT
    outcome: Outcome


@router.post("/conversations/{conversation_id}/close")
def close(
    conversation_id: uuid.UUID,
    body: CloseIn,
    staff: CurrentStaff,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, str]:
    agents.close(runtime, session, staff, conversation_id, body.outcome)
    return {"status": _S.CLOSED.value}


@router.post("/conversations/{conversation_id}/email-reply")
async def email_reply(
    conversation_id: uuid.UUID, body: TextIn, request: StaffRequestDep, runtime: RuntimeDep
) -> dict[str, str]:
    # Signed in through a reading session: the mail server may take seconds to answer, and
    # no transaction (on SQLite: the write lock) may be open meanwhile.
    text = _text(runtime, body)
    await runtime.run(_email_reply, runtime, request, conversation_id, text)
    return {"status": _S.CLOSED.value}


def _email_reply(
    runtime: Runtime, request: StaffRequest, conversation_id: uuid.UUID, text: str
) -> None:
    with runtime.db.read() as session:
        staff = staff_in(session, request)
    agents.answer_offline_message(runtime, staff, conversation_id, text)


@router.get("/canned")
def canned_replies(
    staff: CurrentStaff,
    session: SessionDep,
    # A language code, or nothing: never text that reaches the query (a NUL was a 500 there).
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}$")] = None,
) -> JSONResponse:
    """The tenant's canned replies for the agents' console script (the admins' page: web/)."""
    replies = access.canned_replies_for(session, staff, language)
    body = [
        {"id": str(r.id), "shortcut": r.shortcut, "language": r.language, "text": r.text}
        for r in replies
    ]
    # Staff data: never kept by a browser or proxy cache after sign-out.
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


# --- The desk's live figures and its Recent list (issue #14) ---


@router.get("/counts")
def counts(staff: CurrentStaff, session: SessionDep) -> dict[str, int]:
    """How many of the tenant's conversations are in each status (the desk's live figures)."""
    access.require_agent(staff)
    found = access.status_counts(session, staff)
    return {status.value: found.get(status, 0) for status in ConversationStatus}


RecentShow = Literal[
    "handled", "all", "bot", "pre_chat_form", "queued", "with_agent", "offline_message", "closed"
]
assert set(get_args(RecentShow)) == {recent_actions.HANDLED, recent_actions.ALL} | {
    s.value for s in ConversationStatus
}


class RecentItem(BaseModel):
    id: uuid.UUID
    status: ConversationStatus
    language: str
    created_at: dt.datetime
    last_activity_at: dt.datetime
    closed_at: dt.datetime | None
    outcome: str | None
    csat: int | None
    assigned_agent: str | None = Field(description="The display name of who handled it last.")
    handled: bool = Field(description="Whether a person took part (or an offline message).")


class RecentCursor(BaseModel):
    before: dt.datetime
    before_id: uuid.UUID


class RecentPage(BaseModel):
    items: list[RecentItem]
    next: RecentCursor | None = Field(description="The query for the next (older) page.")


def _iso_only(value: object) -> object:
    # Pydantic would read "1700000000" as a Unix time; the document promises an ISO 8601
    # date-time, and a number is a client's mistake worth a 422, not a guess.
    if isinstance(value, str) and not _ISO.match(value):
        raise ValueError("give a date and time in ISO 8601, as `next` does")
    return value


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
IsoInstant = Annotated[dt.datetime, BeforeValidator(_iso_only)]


def _cursor(
    before: dt.datetime | None, before_id: uuid.UUID | None
) -> tuple[dt.datetime, uuid.UUID] | None:
    if before is None:
        return None
    if before.tzinfo is None:  # a time without an offset is read as UTC, as every time here
        before = before.replace(tzinfo=dt.UTC)
    # Without an id: everything before that instant (the greatest id sorts all ties first).
    return before, before_id or uuid.UUID(int=(1 << 128) - 1)


@router.get("/recent", response_model=RecentPage)
def recent(
    staff: CurrentStaff,
    session: SessionDep,
    runtime: RuntimeDep,
    q: Annotated[
        str | None,
        Query(
            max_length=254,
            pattern=SOME_TEXT,
            description="An email address, order number or phone number (blind-index search).",
        ),
    ] = None,
    show: Annotated[
        RecentShow | None,
        Query(description="`handled` (default) or `all` (default for a search), or one status."),
    ] = None,
    outcome: Outcome | None = None,
    before: Annotated[IsoInstant | None, Query(description="From `next`.")] = None,
    before_id: Annotated[uuid.UUID | None, Query(description="From `next`.")] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> RecentPage:
    """The tenant's conversations no longer in the live lists, newest first, searchable."""
    found = recent_actions.recent(
        runtime,
        session,
        staff,
        query=q,
        show=show,
        outcome=outcome,
        before=_cursor(before, before_id),
        days=days,
        limit=limit + 1,  # one more tells whether there is a next page
    )
    page = list(found[:limit])
    names = {u.id: u.display_name for u in _people(session, staff)}
    last = page[-1] if len(found) > limit else None
    return RecentPage(
        items=[
            RecentItem(
                id=c.id,
                status=c.status,
                language=c.language,
                created_at=c.created_at,
                last_activity_at=c.last_activity_at,
                closed_at=c.closed_at,
                outcome=c.outcome,
                csat=c.csat,
                assigned_agent=names.get(c.assigned_agent_id) if c.assigned_agent_id else None,
                handled=c.retention_class is RetentionClass.WITH_AGENT,
            )
            for c in page
        ],
        next=RecentCursor(before=last.last_activity_at, before_id=last.id) if last else None,
    )
