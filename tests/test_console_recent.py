"""The desk's Recent list and live figures over HTTP: rights, blind-index search, paging."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import select, update

from botdesk.models import AuditEntry, Conversation, User
from botdesk.runtime import Runtime
from tests.conftest import LiveServer, Personas, console_sign_in, start_chat
from tests.test_handover import Agent, ask_for_person, queued_chat, send_form


@pytest.fixture
def consoles(server: LiveServer) -> Iterator[Callable[[User, str], Agent]]:
    """Signed-in staff consoles over the JSON API (as test_handover's `console`)."""
    clients: list[httpx.Client] = []

    def open_console(user: User, tenant: str) -> Agent:
        client = httpx.Client(base_url=server.url, timeout=10)
        clients.append(client)
        assert console_sign_in(client, user.email).status_code == 303
        return Agent(client, user, tenant)

    yield open_console
    for client in clients:
        client.close()


def _closed(api: httpx.Client, agent: Agent, email: str, outcome: str = "resolved") -> str:
    chat = queued_chat(api, email)
    assert agent.post(f"/conversations/{chat.id}/accept").status_code == 200
    assert agent.post(f"/conversations/{chat.id}/close", {"outcome": outcome}).status_code == 200
    return chat.id


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_closed_conversations_stay_findable_within_the_agents_tenant(
    api: httpx.Client, personas: Personas, consoles: Callable[[User, str], Agent], runtime: Runtime
) -> None:
    agent: Agent = consoles(personas.alice.agent, "acme")
    agent.online()
    first = _closed(api, agent, "maija@example.fi")
    second = _closed(api, agent, "pekka@example.fi", "follow_up")
    live = queued_chat(api, "jonossa@example.fi").id  # queued: on the live list, not here
    bot_only = start_chat(api, "acme", "en")
    bot_only.send("my order 40012345 has not come")
    theirs = start_chat(api, "bobs", "sv")
    theirs.send("min order 40012345")

    # Newest first; only what a person handled and is no longer live.
    assert _ids(agent.get("/recent")) == [second, first]
    page = agent.get("/recent").json()["items"][0]
    assert page["status"] == "closed" and page["outcome"] == "follow_up"
    assert page["assigned_agent"] == "alice agent" and page["handled"] is True
    assert _ids(
        agent.client.get("/console/api/recent", params={"tenant": "acme", "outcome": "resolved"})
    ) == [first]

    # The blind index finds by email and order number, in every status, never the other shop's.
    search = agent.client.get(
        "/console/api/recent", params={"tenant": "acme", "q": " Maija@Example.fi "}
    )
    assert _ids(search) == [first]
    by_order = agent.client.get("/console/api/recent", params={"tenant": "acme", "q": "40012345"})
    assert _ids(by_order) == [bot_only.id]
    queued = agent.client.get(
        "/console/api/recent", params={"tenant": "acme", "q": "jonossa@example.fi"}
    )
    assert _ids(queued) == [live]
    nobody = agent.client.get(
        "/console/api/recent", params={"tenant": "acme", "q": "nobody@example.fi"}
    )
    assert _ids(nobody) == []
    with runtime.db.session() as session:
        searches = list(
            session.scalars(
                select(AuditEntry.details).where(AuditEntry.action == "conversations.searched")
            )
        )
    assert len(searches) == 4 and "maija" not in str(searches) and "40012345" not in str(searches)

    # An admin sees the same; an analyst gets nothing; another tenant's agent none of ours.
    admin: Agent = consoles(personas.alice.admin, "acme")
    assert _ids(admin.get("/recent")) == [second, first]
    analyst: Agent = consoles(personas.alice.analyst, "acme")
    assert analyst.get("/recent").status_code == 403
    assert analyst.get("/counts").status_code == 403
    bob: Agent = consoles(personas.bob.agent, "bobs")
    assert _ids(
        bob.client.get("/console/api/recent", params={"tenant": "bobs", "q": "40012345"})
    ) == [theirs.id]
    assert _ids(bob.get("/recent")) == []
    assert agent.client.get("/console/api/recent", params={"tenant": "bobs"}).status_code == 403


def test_recent_pages_by_cursor_and_keeps_to_its_window(
    api: httpx.Client, personas: Personas, consoles: Callable[[User, str], Agent], runtime: Runtime
) -> None:
    agent: Agent = consoles(personas.alice.agent, "acme")
    agent.online()
    ids = [_closed(api, agent, f"s{i}@example.fi") for i in range(5)]
    with runtime.db.session() as session:  # two at the same instant: the id breaks the tie
        same = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_([uuid.UUID(ids[1]), uuid.UUID(ids[2])]))
            .values(last_activity_at=same)
        )
        session.execute(
            update(Conversation)
            .where(Conversation.id == uuid.UUID(ids[0]))
            .values(last_activity_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
        )
    seen: list[str] = []
    params: dict[str, str | int] = {"tenant": "acme", "limit": 2}
    while True:
        page = agent.client.get("/console/api/recent", params=params).json()
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        params.update(page["next"])
    assert seen[:2] == [ids[4], ids[3]] and sorted(seen[2:]) == sorted(ids[1:3])
    assert ids[0] not in seen  # 40 days ago: outside the default 30
    longer = agent.client.get("/console/api/recent", params={"tenant": "acme", "days": 60})
    assert _ids(longer)[-1] == ids[0]
    for bad in (
        {"before": "yesterday"},
        {"before": "1700000000"},  # a Unix time is not the ISO 8601 the document promises
        {"before_id": "not-an-id"},
        {"days": 0},
        {"limit": 51},
        {"show": "deleted"},
        {"outcome": "x"},
        {"q": " "},
    ):
        assert (
            agent.client.get("/console/api/recent", params={"tenant": "acme", **bad}).status_code
            == 422
        ), bad


def test_counts_follow_the_tenants_conversations(
    api: httpx.Client, personas: Personas, consoles: Callable[[User, str], Agent]
) -> None:
    agent: Agent = consoles(personas.alice.agent, "acme")
    agent.online()
    before = agent.get("/counts").json()
    queued_chat(api)
    after = agent.get("/counts").json()
    assert after["queued"] == before["queued"] + 1
    assert set(after) == {
        "bot",
        "pre_chat_form",
        "queued",
        "with_agent",
        "offline_message",
        "closed",
    }


def test_the_transcript_page_shows_the_outcome_the_rating_and_safe_links(
    api: httpx.Client, personas: Personas, consoles: Callable[[User, str], Agent], bot: None
) -> None:
    agent = consoles(personas.alice.agent, "acme")
    agent.online()
    chat = start_chat(api, "acme", "en")
    chat.send("how much is shipping?")
    assert ask_for_person(chat).status_code == 200
    assert send_form(chat, email="a@example.fi", topic="order").is_success
    assert agent.post(f"/conversations/{chat.id}/accept").status_code == 200
    text = "See [sizes](https://shop.example/sizes) or [x](javascript:alert(1))"
    assert agent.post(f"/conversations/{chat.id}/messages", {"text": text}).status_code == 201
    assert agent.post(f"/conversations/{chat.id}/close", {"outcome": "follow_up"}).is_success
    rated = api.post(
        f"/api/v1/conversations/{chat.id}/rating", json={"score": 4}, headers=chat.auth
    )
    assert rated.status_code == 204
    page = agent.client.get(f"/console/conversations/{chat.id}").text
    assert '<dd id="outcome">Needs follow-up</dd>' in page
    assert "★★★★☆</span> 4 of 5" in page
    assert (
        '<a href="https://shop.example/sizes" rel="noopener noreferrer nofollow"'
        ' target="_blank">sizes</a>' in page
    )
    assert "[x](javascript:alert(1))" in page and 'href="javascript' not in page
    assert "Delivery to Finland is <strong>4.90 €</strong>" in page
    # Full dates (the shop's zone: UTC unless its opening hours say otherwise).
    assert re.search(r"started \d{1,2} [A-Z][a-z]{2} 20\d\d \d\d:\d\d", page)
    assert "times in UTC" in page
