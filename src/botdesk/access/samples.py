"""Improvement samples of shoppers' questions (redacted; no personal data)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.models import QuestionSample


def question_samples(
    session: Session, tenant_id: uuid.UUID, since: dt.date | None = None
) -> Sequence[QuestionSample]:
    """A tenant's improvement samples, oldest first (redacted; no personal data)."""
    query = select(QuestionSample).where(QuestionSample.tenant_id == tenant_id)
    if since is not None:
        query = query.where(QuestionSample.collected_on >= since)
    return session.scalars(query.order_by(QuestionSample.collected_on, QuestionSample.id)).all()
