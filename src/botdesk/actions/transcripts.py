"""A shopper has their conversation emailed to them (the widget's gear menu).

The address is used for this one message and stored nowhere: not in the database, the audit
log or the logs. Sends are limited per conversation, counted from the audit log, so the limit
holds across nodes and a chat cannot be used to mail-bomb someone.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from botdesk import access
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.users import normalise_email
from botdesk.errors import MailNotAvailable, RateLimited
from botdesk.mail import MailUnavailable, send_mail
from botdesk.models import AuditEntry, utcnow
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, StoredMessage, decrypt_all

EMAILS_PER_HOUR = 3
_SUBJECT = {
    "en": "Your conversation with {shop}",
    "fi": "Keskustelusi: {shop}",
    "sv": "Din konversation med {shop}",
    "nb": "Samtalen din med {shop}",
}
_INTRO = {
    "en": "Here is your chat with {shop}, as you asked.",
    "fi": "Tässä pyytämäsi keskustelu ({shop}).",
    "sv": "Här är din chatt med {shop}, som du bad om.",
    "nb": "Her er chatten din med {shop}, slik du ba om.",
}
_SENDER = {
    "en": {"visitor": "You", "bot": "Bot", "agent": "Customer service", "system": "Note"},
    "fi": {"visitor": "Sinä", "bot": "Botti", "agent": "Asiakaspalvelu", "system": "Huom"},
    "sv": {"visitor": "Du", "bot": "Bot", "agent": "Kundtjänst", "system": "Obs"},
    "nb": {"visitor": "Du", "bot": "Bot", "agent": "Kundeservice", "system": "Merk"},
}


def transcript_text(shop: str, language: str, messages: list[StoredMessage]) -> str:
    names = _SENDER.get(language, _SENDER["en"])
    lines = [_INTRO.get(language, _INTRO["en"]).format(shop=shop), ""]
    for message in messages:
        stamp = message.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"{stamp}  {names[message.sender.value]}: {message.content.text}")
    return "\n".join(lines) + "\n"


def email_transcript(
    runtime: Runtime, conversation_id: uuid.UUID, token: str, address: str
) -> None:
    """Mail the conversation to `address`; RateLimited or MailNotAvailable when it cannot."""
    to = normalise_email(address)
    with runtime.db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        tenant = access.tenant_by_id(session, conversation.tenant_id)
        sent_recently = (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.tenant_id == tenant.id,
                    AuditEntry.action == AuditAction.TRANSCRIPT_EMAILED,
                    AuditEntry.target_id == str(conversation_id),
                    AuditEntry.occurred_at > utcnow() - dt.timedelta(hours=1),
                )
            )
            or 0
        )
        if sent_recently >= EMAILS_PER_HOUR:
            raise RateLimited(f"at most {EMAILS_PER_HOUR} emails an hour for one conversation")
        cipher = ConversationCipher(runtime.keyring, tenant, conversation)
        messages = decrypt_all(
            cipher, access.messages_after(session, conversation, 0, conversation.last_seq)
        )
        language, shop = conversation.language, tenant.name
    subject = _SUBJECT.get(language, _SUBJECT["en"]).format(shop=shop)
    try:
        send_mail(runtime.settings, to, subject, transcript_text(shop, language, messages))
    except MailUnavailable:
        raise MailNotAvailable(
            "email is not available right now; download the chat instead"
        ) from None
    with runtime.db.session() as session:
        record(
            session,
            Actor.visitor(),
            AuditAction.TRANSCRIPT_EMAILED,
            tenant_id=tenant.id,
            target_kind="conversation",
            target_id=conversation_id,
            messages=len(messages),
        )
