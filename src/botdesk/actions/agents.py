"""The agent's side of a handover: presence, accept, reply, note, transfer, close, answer offline.

Every action here is audited with ids only (never message text or form data) and publishes its
events after commit. Accepting is one conditional UPDATE (`… WHERE status = 'queued'`, or for an
offline message taken up in the chat `… WHERE status = 'bot' AND offline_pending_since IS NOT
NULL`), so when two agents click at once exactly one row update succeeds on either database and
the other agent gets a clear 409; nothing is read-then-written in between.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ColumnElement, bindparam, or_, update
from sqlalchemy.orm import Session

from botdesk import access, queue
from botdesk.access import StaffContext, require_agent
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.conversations import (
    INSERT_MESSAGE,
    append_message,
    message_row,
    status_was_changed,
    transition,
)
from botdesk.db import WriteUnit, publish_after_commit
from botdesk.errors import Conflict, Forbidden, Invalid, MailNotAvailable, NotFound
from botdesk.events import (
    conversation_assigned,
    message_created,
    note_created,
    presence_changed,
    queue_changed,
)
from botdesk.mail import MailUnavailable, Undeliverable, send_mail
from botdesk.models import (
    AgentPresence,
    Conversation,
    ConversationStatus,
    Note,
    Presence,
    RetentionClass,
    Role,
    SenderKind,
    check_transition,
    utcnow,
)
from botdesk.notices import notice
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, MessageContent

_S = ConversationStatus
OUTCOMES = ("resolved", "unresolved", "follow_up", "spam")
NOTE_MAX_CHARS = 4000


def _audit(
    session: Session,
    staff: StaffContext,
    action: AuditAction,
    conversation: Conversation,
    **details: object,
) -> None:
    record(
        session,
        Actor.staff(staff.user.id),
        action,
        tenant_id=staff.tenant.id,
        target_kind="conversation",
        target_id=conversation.id,
        **details,
    )


def set_presence(session: Session, staff: StaffContext, status: Presence) -> None:
    """The agent chooses online / away / offline in this tenant."""
    require_agent(staff)
    row = queue.presence_of(session, staff.tenant.id, staff.user.id)
    now = utcnow()
    if row is None:
        row = AgentPresence(tenant_id=staff.tenant.id, user_id=staff.user.id)
        session.add(row)
    elif row.status is status:
        row.seen_at = now
        return
    row.status, row.changed_at, row.seen_at = status, now, now
    record(
        session,
        Actor.staff(staff.user.id),
        AuditAction.AGENT_PRESENCE_CHANGED,
        tenant_id=staff.tenant.id,
        target_kind="user",
        target_id=staff.user.id,
        status=status.value,
    )
    publish_after_commit(session, presence_changed(staff.tenant.id, staff.user.id, status.value))


def check_in(session: Session, staff: StaffContext) -> None:
    """The console is still open (not audited: it is a heartbeat, not an action)."""
    row = queue.presence_of(session, staff.tenant.id, staff.user.id)
    if row is not None:
        row.seen_at = utcnow()


def accept(
    runtime: Runtime, session: Session, staff: StaffContext, conversation_id: uuid.UUID
) -> Conversation:
    """Take a queued conversation, or an unanswered offline message in the chat.

    Exactly one of several agents clicking at once gets it. An offline message's conversation
    is with the bot by then (the bot acknowledged the message): taking it up goes straight from
    `bot` to `with_agent`, and the shopper sees the agent join live, or in the thread later.
    """
    conversation = access.conversation_for_staff(session, staff, conversation_id)
    old = _S.QUEUED
    taken = _take(session, staff, conversation_id, Conversation.status == _S.QUEUED)
    if taken is None:
        old = _S.BOT
        taken = _take(
            session,
            staff,
            conversation_id,
            (Conversation.status == _S.BOT) & Conversation.offline_pending_since.is_not(None),
        )
    if taken is None:
        session.refresh(conversation)
        if conversation.offline_pending_since is not None:
            raise Conflict("the shopper has left this chat; answer their message by email instead")
        raise Conflict(
            "this conversation is no longer waiting for an agent; another agent may have taken it"
        )
    check_transition(old, _S.WITH_AGENT)  # the guarded UPDATE made a move the machine allows
    session.refresh(conversation)
    status_was_changed(session, Actor.staff(staff.user.id), conversation, old)
    _audit(session, staff, AuditAction.CONVERSATION_ACCEPTED, conversation, **{"from": old.value})
    cipher = ConversationCipher(runtime.keyring, staff.tenant, conversation)
    text = notice("joined", conversation.language, name=staff.user.display_name)
    append_message(session, cipher, conversation, SenderKind.SYSTEM, MessageContent(text))
    publish_after_commit(
        session, conversation_assigned(staff.tenant.id, conversation.id, staff.user.id)
    )
    publish_after_commit(session, queue_changed(staff.tenant.id, conversation.id))
    return conversation


def _take(
    session: Session, staff: StaffContext, conversation_id: uuid.UUID, waiting: ColumnElement[bool]
) -> uuid.UUID | None:
    """The agent takes the conversation if it is `waiting`: one conditional UPDATE, no race."""
    return session.execute(
        update(Conversation)
        .where(
            Conversation.tenant_id == staff.tenant.id,
            Conversation.id == conversation_id,
            waiting,
        )
        .values(
            status=_S.WITH_AGENT,
            assigned_agent_id=staff.user.id,
            accepted_at=utcnow(),
            # What check_transition/transition() would do: reaching a person changes retention.
            retention_class=RetentionClass.WITH_AGENT,
            # Whatever offline message was waiting is now answered in the chat.
            offline_pending_since=None,
        )
        .returning(Conversation.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


def _owned(session: Session, staff: StaffContext, conversation_id: uuid.UUID) -> Conversation:
    """A conversation this agent is handling (admins may act on any in their tenant)."""
    conversation = access.conversation_for_staff(session, staff, conversation_id)
    if conversation.status is not _S.WITH_AGENT:
        raise Conflict("this conversation is not with an agent")
    if conversation.assigned_agent_id != staff.user.id and staff.role is not Role.ADMIN:
        raise Forbidden("another agent is handling this conversation")
    return conversation


# Built once (see db.py): the agent's next seq, only while they (or an admin) have the chat.
_AGENT_SEQ = (
    update(Conversation)
    .where(
        Conversation.id == bindparam("b_id"),
        Conversation.tenant_id == bindparam("b_tenant"),
        Conversation.status == _S.WITH_AGENT,
        or_(
            Conversation.assigned_agent_id == bindparam("b_agent"),
            bindparam("b_admin", type_=Boolean),
        ),
    )
    .values(last_seq=Conversation.last_seq + 1, last_activity_at=bindparam("b_now"))
    .returning(Conversation.last_seq, Conversation.wrapped_key)
)


def reply(
    runtime: Runtime,
    unit: WriteUnit,
    staff: StaffContext,
    conversation_id: uuid.UUID,
    text: str,
    client_message_id: str | None = None,
) -> int:
    """The agent writes to the shopper; returns the message's seq.

    The agent's half of a live chat runs as hot as the shopper's (actions/messages.py): one
    conditional UPDATE … RETURNING checks the chat is theirs and numbers the message, then
    one INSERT. A retry with the same client id gets the first one's seq (the caller asks
    `earlier_reply` after the IntegrityError rolled this unit back).
    """
    require_agent(staff)
    now = utcnow()
    row = unit.connection.execute(
        _AGENT_SEQ,
        {
            "b_id": conversation_id,
            "b_tenant": staff.tenant.id,
            "b_agent": staff.user.id,
            "b_admin": staff.role is Role.ADMIN,
            "b_now": now,
        },
    ).first()
    if row is None:  # says why, as every other agent action does
        _owned(unit.orm(), staff, conversation_id)
        raise Conflict("this conversation is not with an agent")
    seq, wrapped_key = row
    tenant_key = runtime.tenants.get(staff.tenant.id).key
    cipher = ConversationCipher.of(tenant_key, conversation_id, wrapped_key)
    content = MessageContent(text, author=staff.user.display_name)
    unit.connection.execute(
        INSERT_MESSAGE,
        message_row(
            staff.tenant.id,
            conversation_id,
            seq,
            SenderKind.AGENT,
            cipher.seal(seq, content),
            now,
            sender_user_id=staff.user.id,
            client_message_id=client_message_id,
        ),
    )
    record(
        unit.orm(),
        Actor.staff(staff.user.id),
        AuditAction.CONVERSATION_AGENT_REPLIED,
        tenant_id=staff.tenant.id,
        target_kind="conversation",
        target_id=conversation_id,
        seq=seq,
    )
    unit.publish_after_commit(
        message_created(staff.tenant.id, conversation_id, seq, SenderKind.AGENT.value)
    )
    return seq


def earlier_reply(
    runtime: Runtime, staff: StaffContext, conversation_id: uuid.UUID, client_message_id: str
) -> int | None:
    """The seq a retried reply (same client id) was first stored under, if any."""
    with runtime.db.connect() as connection:
        earlier = access.sealed_message_by_client_id(
            connection,
            staff.tenant.id,
            conversation_id,
            client_message_id,
            SenderKind.AGENT,
            staff.user.id,
        )
    return earlier.seq if earlier is not None else None


def add_note(
    runtime: Runtime, session: Session, staff: StaffContext, conversation_id: uuid.UUID, text: str
) -> Note:
    """An internal note: sealed like the messages, never shown or sent to the shopper."""
    if len(text) > NOTE_MAX_CHARS:
        raise Invalid(f"a note can have at most {NOTE_MAX_CHARS} characters")
    conversation = access.conversation_for_staff(session, staff, conversation_id)
    if (
        conversation.status is _S.CLOSED
        and conversation.accepted_at is None
        and conversation.form_data is None
    ):
        raise Conflict("notes are for conversations that reached a person")
    cipher = ConversationCipher(runtime.keyring, staff.tenant, conversation)
    note = Note(
        tenant_id=staff.tenant.id,
        conversation_id=conversation.id,
        author_id=staff.user.id,
        body=cipher.seal_note(text),
    )
    session.add(note)
    session.flush()
    _audit(session, staff, AuditAction.CONVERSATION_NOTE_ADDED, conversation, note_id=note.id)
    publish_after_commit(session, note_created(staff.tenant.id, conversation.id, note.id))
    return note


def transfer(
    runtime: Runtime,
    session: Session,
    staff: StaffContext,
    conversation_id: uuid.UUID,
    to_user_id: uuid.UUID,
) -> None:
    """Hand a live conversation to a colleague in the same tenant."""
    conversation = _owned(session, staff, conversation_id)
    target = queue.colleague(session, staff, to_user_id)
    if target is None:
        raise NotFound("no such agent in this shop")
    if target.id == conversation.assigned_agent_id:
        raise Conflict("this agent already has the conversation")
    conversation.assigned_agent_id = target.id
    _audit(
        session, staff, AuditAction.CONVERSATION_TRANSFERRED, conversation, to_user=str(target.id)
    )
    cipher = ConversationCipher(runtime.keyring, staff.tenant, conversation)
    text = notice("transferred", conversation.language, name=target.display_name)
    append_message(session, cipher, conversation, SenderKind.SYSTEM, MessageContent(text))
    publish_after_commit(
        session, conversation_assigned(staff.tenant.id, conversation.id, target.id)
    )


def close(
    runtime: Runtime,
    session: Session,
    staff: StaffContext,
    conversation_id: uuid.UUID,
    outcome: str,
) -> None:
    """End a live conversation with an outcome; the shopper is then offered a rating."""
    if outcome not in OUTCOMES:
        raise Invalid(f"outcome must be one of {', '.join(OUTCOMES)}")
    conversation = _owned(session, staff, conversation_id)
    cipher = ConversationCipher(runtime.keyring, staff.tenant, conversation)
    text = notice("closed", conversation.language)
    append_message(session, cipher, conversation, SenderKind.SYSTEM, MessageContent(text))
    conversation.outcome = outcome
    transition(session, Actor.staff(staff.user.id), conversation, _S.CLOSED)
    _audit(session, staff, AuditAction.CONVERSATION_CLOSED, conversation, outcome=outcome)
    publish_after_commit(session, queue_changed(staff.tenant.id, conversation.id))


def answer_offline_message(
    runtime: Runtime, staff: StaffContext, conversation_id: uuid.UUID, text: str
) -> None:
    """Reply by email to a message left while nobody was online; it leaves the inbox, closed.

    The mail goes out between two transactions, never inside one: the mail server may take
    seconds. Mail first: if the server refuses, nothing is recorded as answered. Two agents
    answering the same message at once may both mail; the second then gets 409. The shopper
    may have gone on with the bot meanwhile: that conversation is closed with the answer in
    it, and writing again reopens it with the whole thread (an idle one stays closed).
    """
    require_agent(staff)
    with runtime.db.read() as session:
        conversation = _offline_message(session, staff, conversation_id)
        cipher = ConversationCipher(runtime.keyring, staff.tenant, conversation)
        address = cipher.open_form(conversation.form_data).get("email")
        language = conversation.language
    if not address:
        raise Conflict("this message has no email address to answer")
    try:
        send_mail(
            runtime.settings,
            to=address,
            subject=f"{staff.tenant.name}: {notice('answered_by_email', language)}",
            body=text,
        )
    except Undeliverable:
        raise Conflict("the shopper's email address cannot receive mail") from None
    except MailUnavailable:
        raise MailNotAvailable("email cannot be sent right now; try again later") from None
    with runtime.db.session() as session:
        conversation = _offline_message(session, staff, conversation_id)
        # The answer is claimed by one conditional UPDATE: of two agents answering at once,
        # the second gets a clear 409 (after its mail went out, see above).
        claimed = session.execute(
            update(Conversation)
            .where(
                Conversation.tenant_id == staff.tenant.id,
                Conversation.id == conversation_id,
                Conversation.offline_pending_since.is_not(None),
            )
            .values(offline_pending_since=None)
            .returning(Conversation.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if claimed is None:
            raise Conflict("this is not an unanswered offline message")
        session.refresh(conversation)
        message = append_message(
            session,
            cipher,
            conversation,
            SenderKind.AGENT,
            MessageContent(text, author=staff.user.display_name),
        )
        message.sender_user_id = staff.user.id
        conversation.assigned_agent_id = staff.user.id
        conversation.outcome = "answered_by_email"
        if conversation.status is not _S.CLOSED:
            transition(session, Actor.staff(staff.user.id), conversation, _S.CLOSED)
        _audit(
            session,
            staff,
            AuditAction.CONVERSATION_ANSWERED_BY_EMAIL,
            conversation,
            seq=message.seq,
        )
        publish_after_commit(session, queue_changed(staff.tenant.id, conversation.id))


def _offline_message(
    session: Session, staff: StaffContext, conversation_id: uuid.UUID
) -> Conversation:
    """A conversation whose offline message still waits for an answer."""
    conversation = access.conversation_for_staff(session, staff, conversation_id)
    if conversation.offline_pending_since is None:
        raise Conflict("this is not an unanswered offline message")
    if conversation.status in (_S.PRE_CHAT_FORM, _S.QUEUED):
        raise Conflict("the shopper is back in the chat asking for a person; answer them there")
    return conversation
