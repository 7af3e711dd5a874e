"""Sending mail through the operator's SMTP server (BOTDESK_SMTP_*). Nothing goes anywhere else.

In development without a mail server, messages are written to <data dir>/outbox/ instead, so
`make run` can show the whole flow.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
import uuid
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from botdesk.settings import Settings

TIMEOUT_SECONDS = 15
log = logging.getLogger(__name__)


class MailUnavailable(Exception):
    """No SMTP server is configured, or it could not be reached or refused the message."""


class Undeliverable(ValueError):
    """No mail can be addressed to this (the address passed the form but not the mail headers)."""


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    # Built from its parts, not parsed: a local part with quotes or commas ("a,b"@x.fi) is
    # quoted as it must be, instead of being read as two addresses or none.
    local, _, domain = to.rpartition("@")
    try:
        message["To"] = Address(username=local, domain=domain)
    except (ValueError, AttributeError, IndexError):  # the email package's parse errors
        raise Undeliverable("no mail can be addressed to that") from None
    message["Subject"] = subject
    message.set_content(body)
    if not settings.smtp_host:
        if not settings.is_development:
            raise MailUnavailable("no mail server is configured")
        _to_outbox(settings, message)
        return
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_secret or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # The exception text can quote the recipient; only its type is passed on.
        raise MailUnavailable(type(exc).__name__) from None


def _to_outbox(settings: Settings, message: EmailMessage) -> Path:
    """Development without a mail server: the message becomes a file to open, not a failure."""
    outbox = settings.data_dir / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it holds a transcript
    with os.fdopen(fd, "wb") as handle:
        handle.write(bytes(message))
    log.info("development: mail written to %s", path)
    return path
