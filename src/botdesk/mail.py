"""Sending mail through the operator's SMTP server (BOTDESK_SMTP_*). Nothing goes anywhere else."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from botdesk.settings import Settings

TIMEOUT_SECONDS = 15


class MailUnavailable(Exception):
    """No SMTP server is configured, or it could not be reached or refused the message."""


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    if not settings.smtp_host:
        raise MailUnavailable("no mail server is configured")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
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
