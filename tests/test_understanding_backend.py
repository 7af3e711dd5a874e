"""Which understanding serves: fused by default, stored with its examples' embeddings, and a
node without sentence embeddings that still answers, says so, and leaves the stored model be."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from botdesk import schema
from botdesk.actions.audit import Actor
from botdesk.actions.bot_content import save_content
from botdesk.actions.tenants import create_tenant
from botdesk.bot.understanding import masked_examples
from botdesk.content import store
from botdesk.content.loader import TenantContent, load_directory
from botdesk.models import ExampleEmbedding, Tenant
from botdesk.nlu import FusedBackend, IntentModel, LinearBackend, embeddings, linear_backend
from botdesk.nlu.embeddings import E5Embedder, EmbeddingCache, readable, text_key
from botdesk.runtime import Runtime, build_runtime
from tests.conftest import MINI_CONTENT, LiveServer, Personas, make_settings, start_chat


@pytest.fixture
def embeddings_back_on() -> Iterator[None]:
    yield
    embeddings.configure(enabled=True, threads=1)


def mini_with(*extra: str, drop: str | None = None) -> TenantContent:
    """The mini content with extra English delivery-cost examples (and one dropped)."""
    document = load_directory(MINI_CONTENT).to_document()
    intents = document["intents"]
    assert isinstance(intents, list)
    spec = next(i for i in intents if i["intent"] == "delivery_cost")
    spec["examples"]["en"] = [t for t in spec["examples"]["en"] if t != drop] + list(extra)
    return TenantContent.from_document(document)


def kept_digests(runtime: Runtime, tenant_id: uuid.UUID) -> set[str]:
    with runtime.db.read() as session:
        return set(
            session.scalars(
                select(ExampleEmbedding.digest).where(ExampleEmbedding.tenant_id == tenant_id)
            )
        )


def test_readyz_names_the_fused_understanding(api: httpx.Client) -> None:
    assert api.get("/readyz").json()["bot"] == {"understanding": FusedBackend.name}


def test_a_retrain_after_an_edit_embeds_only_the_new_examples(
    runtime: Runtime, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id = personas.alice.tenant.id
    marker = uuid.uuid4().hex[:8]  # content no earlier run has trained (the tests' model cache)
    first = mini_with(f"postage cost to region {marker}")
    with runtime.db.session() as session:
        tenant = session.get_one(Tenant, tenant_id)
        save_content(session, Actor.operator(), tenant, first)
    with runtime.db.session() as session:
        responder = runtime.bots.responder(session, tenant_id)
    assert responder is not None
    assert isinstance(responder.understanding.model.backend, FusedBackend)
    texts = {e.text for e in masked_examples(first)}
    assert kept_digests(runtime, tenant_id) == {text_key(t).hex() for t in texts}

    # Another node (or this one after a restart): nothing cached in memory, rows in the database.
    embedder = embeddings.default_embedder()
    assert isinstance(embedder, E5Embedder)
    monkeypatch.setattr(embedder, "cache", EmbeddingCache())
    engine = embedder._loaded()
    embedded: list[str] = []

    class Counting:
        def query(self, inputs: list[str]) -> object:
            embedded.extend(inputs)
            return engine.query(inputs)  # type: ignore[attr-defined]

    monkeypatch.setattr(embedder, "_model", Counting())
    dropped = "delivery fee"
    second = mini_with(f"postage cost to region {marker}", f"parcel fee {marker}", drop=dropped)
    with runtime.db.session() as session:
        tenant = session.get_one(Tenant, tenant_id)
        save_content(session, Actor.operator(), tenant, second)
    with runtime.db.session() as session:
        assert runtime.bots.responder(session, tenant_id) is not None
    assert embedded == [readable(f"parcel fee {marker}")]
    kept = kept_digests(runtime, tenant_id)
    assert text_key(f"parcel fee {marker}").hex() in kept
    assert text_key(dropped).hex() not in kept
    assert kept == {text_key(e.text).hex() for e in masked_examples(second)}


def test_a_node_without_embeddings_answers_says_so_and_keeps_the_stored_model(
    tmp_path: Path, embeddings_back_on: None
) -> None:
    url = f"sqlite:///{tmp_path / 'nodes.db'}"
    settings = make_settings(url, tmp_path)
    first = build_runtime(settings)
    schema.upgrade(first.db.engine)
    with first.db.session() as session:
        tenant = create_tenant(
            session, first.keyring, Actor.operator(), slug="fjell", name="Fjell", languages=["en"]
        )
        save_content(session, Actor.operator(), tenant, load_directory(MINI_CONTENT))
        tenant_id = tenant.id
    with first.db.session() as session:
        assert first.bots.responder(session, tenant_id) is not None  # trains and stores (fused)
    first.close()

    plain = build_runtime(settings.model_copy(update={"embeddings": False}))
    try:
        with LiveServer(plain) as live, httpx.Client(base_url=live.url) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["bot"] == {
                "understanding": LinearBackend.name,
                "why": "turned off (BOTDESK_EMBEDDINGS=false)",
            }
            chat = start_chat(client, "fjell")
            sent = chat.send("how much is shipping")
            assert sent.status_code == 201, sent.text
            assert any("4.90" in reply["text"] for reply in sent.json()["replies"])
            served = plain.responder_of(plain.tenants.get(tenant_id))
            assert served is not None
            assert type(served.understanding.model.backend) is LinearBackend
    finally:
        plain.close()

    embeddings.configure(enabled=True, threads=1)
    with first.db.read() as session:
        kept = store.load_model(session, tenant_id, 1)
    assert kept is not None and isinstance(kept.backend, FusedBackend)


def test_a_stored_word_only_model_is_replaced_by_a_fused_one(
    runtime: Runtime, personas: Personas
) -> None:
    tenant_id = personas.alice.tenant.id
    content = mini_with(f"delivery price {uuid.uuid4().hex[:8]}")
    with runtime.db.session() as session:
        tenant = session.get_one(Tenant, tenant_id)
        version, _new = save_content(session, Actor.operator(), tenant, content)
        # What a release before #12 stored: the word model alone.
        old = IntentModel.train(masked_examples(content), backend_factory=linear_backend)
        store.save_model(session, tenant_id, version, old)
    with runtime.db.session() as session:
        responder = runtime.bots.responder(session, tenant_id)
    assert responder is not None
    assert isinstance(responder.understanding.model.backend, FusedBackend)
    with runtime.db.read() as session:
        kept = store.load_model(session, tenant_id, version)
    assert kept is not None and isinstance(kept.backend, FusedBackend)
