"""Content versions and trained models in the database, so every app node serves the same bot.

Reads and the model cache only: storing a new content version is an audited action
(actions/bot_content.py), and the bot, which reads from here, never imports actions.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from botdesk.content.loader import TenantContent
from botdesk.models import BotContent, BotModel, ExampleEmbedding, utcnow
from botdesk.nlu import IntentModel
from botdesk.nlu.embeddings import FloatMatrix

MAX_ARCHIVE_BYTES = 200 * 1024 * 1024  # refuse to unpack anything absurd from the database


@dataclass(frozen=True)
class StoredContent:
    version: int
    content: TenantContent


def content_digest(document: dict[str, object]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def latest_content(session: Session, tenant_id: uuid.UUID) -> StoredContent | None:
    row = session.scalar(
        select(BotContent)
        .where(BotContent.tenant_id == tenant_id)
        .order_by(BotContent.version.desc())
        .limit(1)
    )
    if row is None:
        return None
    return StoredContent(row.version, TenantContent.from_document(row.document))


def latest_version(session: Session, tenant_id: uuid.UUID) -> tuple[int, str] | None:
    """The newest content version and its digest (one indexed query)."""
    row = session.execute(
        select(BotContent.version, BotContent.digest)
        .where(BotContent.tenant_id == tenant_id)
        .order_by(BotContent.version.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def save_model(session: Session, tenant_id: uuid.UUID, version: int, model: IntentModel) -> None:
    buffer = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as tmp,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        model.save(Path(tmp))
        for path in sorted(Path(tmp).rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tmp).as_posix())
    row = session.get(BotModel, (tenant_id, version))
    if row is None:
        session.add(
            BotModel(tenant_id=tenant_id, content_version=version, archive=buffer.getvalue())
        )
    else:
        row.archive = buffer.getvalue()


def load_model(session: Session, tenant_id: uuid.UUID, version: int) -> IntentModel | None:
    row = session.get(BotModel, (tenant_id, version))
    if row is None:
        return None
    try:
        return _unpack(row.archive)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"stored model archive is damaged: {exc}") from None


def _unpack(blob: bytes) -> IntentModel:
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(io.BytesIO(blob)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_ARCHIVE_BYTES:
            raise ValueError("stored model archive is too large to unpack")
        for info in archive.infolist():
            target = (Path(tmp) / info.filename).resolve()
            if Path(tmp).resolve() not in target.parents:  # no path tricks out of the folder
                raise ValueError("stored model archive has an unsafe path")
        archive.extractall(tmp)
        return IntentModel.load(Path(tmp))


def stored_embeddings(
    session: Session, tenant_id: uuid.UUID, embedder: str, dim: int
) -> dict[bytes, FloatMatrix]:
    """The tenant's kept training-example embeddings, by text digest."""
    rows = session.execute(
        select(ExampleEmbedding.digest, ExampleEmbedding.vector).where(
            ExampleEmbedding.tenant_id == tenant_id, ExampleEmbedding.embedder == embedder
        )
    ).all()
    return {
        bytes.fromhex(digest): np.frombuffer(vector, dtype="<f2").astype(np.float32)
        for digest, vector in rows
        if len(vector) == 2 * dim  # a row of another shape is ignored and re-embedded
    }


def keep_embeddings(
    session: Session, tenant_id: uuid.UUID, embedder: str, rows: dict[bytes, FloatMatrix]
) -> None:
    """Keep exactly these rows for the tenant's embedder: add the new ones, remove the rest."""
    wanted = {key.hex(): row for key, row in rows.items()}
    kept = set(
        session.scalars(
            select(ExampleEmbedding.digest).where(
                ExampleEmbedding.tenant_id == tenant_id, ExampleEmbedding.embedder == embedder
            )
        )
    )
    stale = sorted(kept - wanted.keys())
    for start in range(0, len(stale), 500):  # stays under every backend's bound-parameter cap
        session.execute(
            delete(ExampleEmbedding).where(
                ExampleEmbedding.tenant_id == tenant_id,
                ExampleEmbedding.embedder == embedder,
                ExampleEmbedding.digest.in_(stale[start : start + 500]),
            )
        )
    new = [
        {
            "tenant_id": tenant_id,
            "embedder": embedder,
            "digest": digest,
            "vector": np.asarray(row, dtype="<f2").tobytes(),
            "created_at": utcnow(),
        }
        for digest, row in wanted.items()
        if digest not in kept
    ]
    if not new:
        return
    # Two nodes meeting new content at once may both store the same rows: the second adds none.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for start in range(0, len(new), 500):
        statement = dialect.insert(ExampleEmbedding).values(new[start : start + 500])
        session.execute(statement.on_conflict_do_nothing())
