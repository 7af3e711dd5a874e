"""A shopper has their conversation emailed to them (the widget's gear menu).

The address is used for this one message and stored nowhere: not in the database, the audit
log or the logs. Anyone can open a conversation, type anything and ask for it to be mailed to
anyone, so this is a way to send mail in the shop's name, and it is limited as one: per
conversation, per client address, per recipient (a keyed hash of the address, per day) and per
tenant (rate_limits.py). The mail says it is a copy requested in the shop's chat, asks nothing
of its reader, and shows what the chat's visitor typed as a quote with its links made inert, so
a phisher's "visit https://… now" does not read as a call to action from the shop.

The mail is plain text: bot and agent Markdown becomes clean text (botdesk.rich_text), quick
replies are listed as options, and every time is a full date in the shop's time zone (its
opening hours' zone), written the way the conversation's language writes dates.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from botdesk import access, rich_text
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.actions.users import normalise_email
from botdesk.errors import Invalid, MailNotAvailable
from botdesk.mail import MailUnavailable, Undeliverable, send_mail
from botdesk.models import SenderKind, Tenant
from botdesk.rate_limits import Check, Limit
from botdesk.runtime import Runtime
from botdesk.transcripts import ConversationCipher, StoredMessage, decrypt_all

_SUBJECT = {
    "en": "Your conversation with {shop}",
    "fi": "Keskustelusi: {shop}",
    "sv": "Din konversation med {shop}",
    "nb": "Samtalen din med {shop}",
}
_INTRO = {
    "en": (
        "This is a copy of a chat on the website of {shop}. It was requested in the chat"
        " window, to be sent to this email address. If you did not ask for it, you can ignore"
        " this email: nothing needs doing."
    ),
    "fi": (
        "Tämä on kopio keskustelusta kaupan {shop} verkkosivujen chatissa. Kopio pyydettiin"
        " chat-ikkunassa lähetettäväksi tähän sähköpostiosoitteeseen. Jos et pyytänyt sitä,"
        " voit jättää viestin huomiotta: sinun ei tarvitse tehdä mitään."
    ),
    "sv": (
        "Det här är en kopia av en chatt på webbplatsen för {shop}. Kopian begärdes i"
        " chattfönstret till den här e-postadressen. Om det inte var du kan du bortse från"
        " meddelandet: du behöver inte göra något."
    ),
    "nb": (
        "Dette er en kopi av en chat på nettsiden til {shop}. Kopien ble bestilt i chatvinduet"
        " til denne e-postadressen. Hvis det ikke var deg, kan du se bort fra e-posten: du"
        " trenger ikke gjøre noe."
    ),
}
_TYPED = {
    "en": "Lines marked “{you}” were typed in the chat window; links in them are shown inactive.",
    "fi": "”{you}”-rivit kirjoitettiin chat-ikkunaan; niiden linkit näytetään toimimattomina.",
    "sv": "Rader märkta ”{you}” skrevs i chattfönstret; länkar i dem visas inaktiverade.",
    "nb": "Linjer merket «{you}» ble skrevet i chatvinduet; lenker i dem vises deaktivert.",
}
_TIMES = {
    "en": "Times are in the shop's time zone, {zone}.",
    "fi": "Ajat ovat kaupan aikavyöhykkeellä ({zone}).",
    "sv": "Tiderna anges i butikens tidszon, {zone}.",
    "nb": "Tidene er i butikkens tidssone, {zone}.",
}
_OPTIONS = {"en": "Options", "fi": "Vaihtoehdot", "sv": "Alternativ", "nb": "Alternativer"}
# A link or a bare domain in what the visitor typed: "https://x.example/a", "x.example/login".
_LINKISH = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://)?(?:[\w-]+\.)+[a-z]{2,}\b")
_SENDER = {
    "en": {"visitor": "You", "bot": "Bot", "agent": "Customer service", "system": "Note"},
    "fi": {"visitor": "Sinä", "bot": "Botti", "agent": "Asiakaspalvelu", "system": "Huom"},
    "sv": {"visitor": "Du", "bot": "Bot", "agent": "Kundtjänst", "system": "Obs"},
    "nb": {"visitor": "Du", "bot": "Bot", "agent": "Kundeservice", "system": "Merk"},
}
# English as European shops write it ("8 Dec 2026 14:05"), not as the US does.
_LOCALES = {"en": "en_GB"}
_INDENT = "    "


def stamp(moment: dt.datetime, zone: str, language: str) -> str:
    """A full date and time in `zone`, as `language` writes them: "8 Dec 2026 14:05"."""
    try:
        locale = Locale.parse(_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en_GB")
    local = moment.astimezone(ZoneInfo(zone))
    date = format_date(local, "medium", locale=locale)
    return f"{date} {format_time(local, 'short', locale=locale)}"


def transcript_text(
    tenant: Tenant, language: str, messages: list[StoredMessage], base: str | None = None
) -> str:
    """The mail's body: the intro, then one entry per message (continued lines indented)."""
    names = _SENDER.get(language, _SENDER["en"])
    zone = access.handover_policy(tenant).hours.zone
    lines = [
        _INTRO.get(language, _INTRO["en"]).format(shop=tenant.name),
        _TYPED.get(language, _TYPED["en"]).format(you=names["visitor"]),
        _TIMES.get(language, _TIMES["en"]).format(zone=zone),
        "",
    ]
    options = _OPTIONS.get(language, _OPTIONS["en"])
    for message in messages:
        content = message.content
        if message.sender is SenderKind.VISITOR:
            body = inert(content.text)  # typed by anyone: never Markdown, never a live link
        else:
            body = rich_text.plain(content.text, base)
        quick = [b.label for b in content.buttons if not b.payload.startswith("url:")]
        links = [
            f"{b.label} ({target})"
            for b in content.buttons
            if b.payload.startswith("url:")
            and (target := rich_text.link_target(b.payload[4:], base))
        ]
        if quick:
            body += f"\n{options}: " + " | ".join(quick)
        body += "".join(f"\n{link}" for link in links)
        first, *rest = body.split("\n")
        when = stamp(message.created_at, zone, language)
        lines.append(f"{when}  {names[message.sender.value]}: {first}")
        lines.extend(f"{_INDENT}{line}" for line in rest if line.strip())
    return "\n".join(lines) + "\n"


def shop_origin(tenant: Tenant) -> str | None:
    """Where the shop's relative links ("/returns") lead: its first allowed origin, if any."""
    return tenant.allowed_origins[0] if tenant.allowed_origins else None


def inert(text: str) -> str:
    """`text` with links and domains that no mail client turns into links ("x[.]example")."""
    return _LINKISH.sub(lambda m: m.group(0).replace("://", "[:]//").replace(".", "[.]"), text)


def email_transcript(
    runtime: Runtime,
    conversation_id: uuid.UUID,
    token: str,
    address: str,
    client_address: str = "unknown",
) -> None:
    """Mail the conversation to `address`; RateLimited or MailNotAvailable when it cannot."""
    to = normalise_email(address)
    limits = runtime.limits
    limits.take(Check(Limit.TRANSCRIPT_EMAILS_PER_ADDRESS, limits.address(client_address)))
    with runtime.db.session() as session:
        conversation = access.conversation_for_visitor(session, conversation_id, token)
        tenant = access.tenant_by_id(session, conversation.tenant_id)
        limits.take(
            Check(Limit.TRANSCRIPT_EMAILS_PER_CONVERSATION, str(conversation.id)),
            Check(Limit.TRANSCRIPT_EMAILS_PER_RECIPIENT, limits.recipient(to)),
            Check(Limit.TRANSCRIPT_EMAILS_PER_TENANT, str(tenant.id)),
        )
        cipher = ConversationCipher(runtime.keyring, tenant, conversation)
        messages = decrypt_all(
            cipher, access.messages_after(session, conversation, 0, conversation.last_seq)
        )
        language, shop = conversation.language, tenant.name
        body = transcript_text(tenant, language, messages, shop_origin(tenant))
    subject = _SUBJECT.get(language, _SUBJECT["en"]).format(shop=shop)
    try:
        send_mail(runtime.settings, to, subject, body)
    except Undeliverable:
        raise Invalid("that email address cannot receive mail") from None
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
