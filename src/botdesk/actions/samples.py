"""Improvement samples: a share of shoppers' questions, redacted before they are stored.

Ingest is the only place personal data could leak into a sample, so it is the only place that
writes them: the text goes through the full personal-data redactor first (pii.redact_sample:
identifiers, names, addresses, disguised emails, IP addresses, URLs with parameters, secrets,
and 5+ digit runs where the tenant declared no order-number shape), and the row gets no
conversation id, no visitor, and only the day it was collected. A question the redactor is
unsure of is not kept at all, and nothing records that it was asked. The shop's own declared
contact details (Tenant.business_contacts) stay readable. Conversations whose data subject
restricted processing are never sampled; neither are quick-reply clicks (the label is our
text, not the shopper's).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from botdesk import access
from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.errors import Invalid
from botdesk.models import QuestionSample, Tenant, utcnow
from botdesk.pii import BusinessContacts, Entity, EntityPatterns, redact_sample
from botdesk.subjects import phone_regions

MAX_SAMPLE_CHARS = 1000
_random = secrets.SystemRandom()


@dataclass(frozen=True)
class Question:
    """A shopper's question as the message path already knows it."""

    text: str
    language: str
    # A data subject asked to restrict processing: never sampled.
    restricted: bool
    patterns: EntityPatterns
    # What the message's one scan for identifiers found (pii.detect with `patterns`).
    identifiers: Sequence[Entity]


def maybe_sample(
    session: Session | Callable[[], Session],
    tenant: Tenant,
    question: Question,
    intent: str | None,
    confidence: float | None,
    draw: Callable[[], float] = _random.random,
) -> bool:
    """Keep this question as a redacted sample with the tenant's probability; True if kept."""
    if question.restricted or tenant.sample_rate <= 0 or draw() >= tenant.sample_rate:
        return False
    contacts = BusinessContacts.from_stored(tenant.business_contacts)
    redacted = redact_sample(question.text, question.patterns, contacts, question.identifiers)
    if redacted is None:
        return False  # the redactor is unsure: not kept, and not counted anywhere either
    if callable(session):  # a Session only when a sample is kept (actions/bot_turns.py)
        session = session()
    session.add(
        QuestionSample(
            tenant_id=tenant.id,
            collected_on=utcnow().date(),
            language=question.language,
            text=redacted[:MAX_SAMPLE_CHARS],
            intent=intent,
            confidence=confidence,
        )
    )
    return True


def set_sample_rate(session: Session, actor: Actor, tenant: Tenant, rate: float) -> None:
    """How much of what shoppers ask is kept for improving the bot (0 turns it off)."""
    if not 0.0 <= rate <= 1.0:
        raise Invalid("the sample rate is a share from 0 to 1, e.g. 0.1 for one in ten")
    tenant.sample_rate = rate
    record(
        session,
        actor,
        AuditAction.TENANT_SAMPLE_RATE_SET,
        tenant_id=tenant.id,
        target_kind="tenant",
        target_id=tenant.id,
        rate=rate,
    )


def set_business_contacts(
    session: Session,
    actor: Actor,
    tenant: Tenant,
    *,
    emails: Sequence[str] | None = None,
    phones: Sequence[str] | None = None,
    addresses: Sequence[str] | None = None,
) -> bool:
    """Declare the shop's own contact details, which samples keep readable; True if changed.

    Each list given replaces the stored one (empty clears it); None keeps it. Phone numbers
    without a country code are read in the tenant's languages' countries, as the blind index
    reads them. The audit row names the setting, never the values.
    """
    current = BusinessContacts.from_stored(tenant.business_contacts)
    try:
        contacts = BusinessContacts.parse(
            current.emails if emails is None else emails,
            current.phones if phones is None else phones,
            current.addresses if addresses is None else addresses,
            phone_regions(tenant),
        )
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if contacts == current:
        return False
    tenant.business_contacts = contacts.to_stored()
    record(
        session,
        actor,
        AuditAction.TENANT_CONFIGURED,
        tenant_id=tenant.id,
        target_kind="tenant",
        target_id=tenant.id,
        settings=["business_contacts"],
    )
    return True


def export_samples(
    session: Session, actor: Actor, tenant: Tenant, since: dt.date | None
) -> Sequence[QuestionSample]:
    """A tenant's samples, oldest first, for export; the export itself is audited."""
    samples = access.question_samples(session, tenant.id, since)
    record(
        session,
        actor,
        AuditAction.SAMPLES_EXPORTED,
        tenant_id=tenant.id,
        target_kind="tenant",
        target_id=tenant.id,
        samples=len(samples),
        since=since.isoformat() if since else None,
    )
    return samples
