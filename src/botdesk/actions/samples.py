"""Improvement samples: a share of shoppers' questions, redacted before they are stored.

Ingest is the only place personal data could leak into a sample, so it is the only place that
writes them: the text goes through the full personal-data redactor (identifiers, names,
addresses) first, and the row gets no conversation id, no visitor, and only the day it was
collected. Conversations whose data subject restricted processing are never sampled; neither
are quick-reply clicks (the label is our text, not the shopper's).
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
from botdesk.pii import Entity, EntityPatterns, redact_personal

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
    redacted, _entities = redact_personal(question.text, question.patterns, question.identifiers)
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
