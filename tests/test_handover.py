"""Human handover over HTTP: form, queue, accept races, replies, notes, transfer, close, rating,
offline messages by email, and every agent endpoint tried from the other tenant."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select, update

from botdesk.actions.audit import Actor
from botdesk.actions.bot_content import save_content
from botdesk.api.deps import COOKIE, csrf_token
from botdesk.bot.hours import DASH
from botdesk.content.loader import TenantContent, load_directory
from botdesk.models import AuditEntry, Conversation, Tenant, User
from botdesk.notices import notice
from botdesk.runtime import Runtime
from tests.conftest import (
    MINI_CONTENT,
    LiveServer,
    Personas,
    VisitorChat,
    console_sign_in,
    start_chat,
)


@dataclass
class Agent:
    """A signed-in staff member's console, over its JSON API."""

    client: httpx.Client
    user: User
    tenant: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": csrf_token(self.client.cookies[COOKIE])}

    def get(self, path: str) -> httpx.Response:
        return self.client.get(f"/console/api{path}", params={"tenant": self.tenant})

    def post(self, path: str, body: object = None) -> httpx.Response:
        return self.client.post(
            f"/console/api{path}", params={"tenant": self.tenant}, json=body, headers=self.headers
        )

    def online(self) -> None:
        assert self.post("/presence", {"status": "online"}).status_code == 200


@pytest.fixture
def console(server: LiveServer) -> Iterator[object]:
    clients: list[httpx.Client] = []

    def open_console(user: User, tenant: str) -> Agent:
        client = httpx.Client(base_url=server.url, timeout=10)
        clients.append(client)
        response = console_sign_in(client, user.email)
        assert response.status_code == 303, response.text
        return Agent(client, user, tenant)

    yield open_console
    for client in clients:
        client.close()


def ask_for_person(chat: VisitorChat) -> httpx.Response:
    return chat.client.post(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth)


def send_form(chat: VisitorChat, **fields: object) -> httpx.Response:
    return chat.client.post(
        f"/api/v1/conversations/{chat.id}/handover/form", json=fields, headers=chat.auth
    )


def queued_chat(api: httpx.Client, email: str = "shopper@example.com") -> VisitorChat:
    chat = start_chat(api, "acme", "en")
    assert ask_for_person(chat).status_code == 200
    response = send_form(chat, email=email, topic="order")
    assert response.status_code == 200, response.text
    return chat


def test_asking_for_a_person_with_the_bot_opens_a_prefilled_form(
    api: httpx.Client, bot: None, personas: Personas, console: object
) -> None:
    agent = console(personas.alice.agent, "acme")  # type: ignore[operator]
    agent.online()
    chat = start_chat(api, "acme", "en")
    chat.send("my email is maija@example.fi")
    posted = chat.send("I want to talk to a person").json()
    assert posted["handover_requested"] is True
    assert posted["status"] == "pre_chat_form"
    state = api.get(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth).json()
    assert state["form"]["kind"] == "queue"
    fields = {f["name"]: f for f in state["form"]["fields"]}
    assert fields["email"]["required"] is True
    assert fields["email"]["value"] == "maija@example.fi"  # what the shopper already said
    assert {o["value"] for o in fields["topic"]["options"]} >= {"order", "returns"}


def test_form_errors_are_per_field_and_nothing_is_queued(
    api: httpx.Client, personas: Personas, console: object, runtime: Runtime
) -> None:
    console(personas.alice.agent, "acme").online()  # type: ignore[operator]
    chat = start_chat(api, "acme", "en")
    ask_for_person(chat)
    response = send_form(chat, email="not-an-email", topic="nonsense")
    assert response.status_code == 422
    details = {d["field"]: d["message"] for d in response.json()["error"]["details"]}
    assert set(details) == {"email", "topic"}
    assert "not-an-email" not in response.text  # errors never echo what was typed
    missing = send_form(chat)
    assert {d["field"] for d in missing.json()["error"]["details"]} == {"email"}
    with runtime.db.session() as session:
        assert session.get(Conversation, uuid.UUID(chat.id)).status.value == "pre_chat_form"  # type: ignore[union-attr]


def test_queue_positions_and_leaving(
    api: httpx.Client, personas: Personas, console: object
) -> None:
    console(personas.alice.agent, "acme").online()  # type: ignore[operator]
    first, second = queued_chat(api), queued_chat(api)
    state = api.get(f"/api/v1/conversations/{second.id}/handover", headers=second.auth).json()
    assert state["status"] == "queued"
    assert state["queue"]["position"] == 2
    assert state["queue"]["agents_online"] == 1
    # A free slot, but no chat was ever accepted here: no estimate, not a made-up minute.
    assert state["queue"]["wait_seconds"] is None
    left = api.delete(f"/api/v1/conversations/{first.id}/handover", headers=first.auth)
    assert left.status_code == 204
    state = api.get(f"/api/v1/conversations/{second.id}/handover", headers=second.auth).json()
    assert state["queue"]["position"] == 1
    back = api.get(f"/api/v1/conversations/{first.id}", headers=first.auth).json()
    assert back["status"] == "bot"


def test_two_agents_accepting_at_once_get_it_exactly_once(
    api: httpx.Client, personas: Personas, console: object, runtime: Runtime
) -> None:
    agent = console(personas.alice.agent, "acme")  # type: ignore[operator]
    admin = console(personas.alice.admin, "acme")  # type: ignore[operator]
    agent.online()
    for _round in range(3):
        chat = queued_chat(api)
        barrier = threading.Barrier(2)
        codes: dict[str, int] = {}

        def take(
            who: Agent,
            name: str,
            chat_id: str = chat.id,
            barrier: threading.Barrier = barrier,
            codes: dict[str, int] = codes,
        ) -> None:
            barrier.wait()
            codes[name] = who.post(f"/conversations/{chat_id}/accept").status_code

        threads = [
            threading.Thread(target=take, args=(agent, "agent")),
            threading.Thread(target=take, args=(admin, "admin")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(codes.values()) == [200, 409]
        with runtime.db.session() as session:
            row = session.get(Conversation, uuid.UUID(chat.id))
            assert row is not None and row.status.value == "with_agent"
            winner = personas.alice.agent if codes["agent"] == 200 else personas.alice.admin
            assert row.assigned_agent_id == winner.id
            assert row.retention_class.value == "with_agent"


def test_a_whole_conversation_with_an_agent(
    api: httpx.Client, bot: None, personas: Personas, console: object, runtime: Runtime
) -> None:
    agent = console(personas.alice.agent, "acme")  # type: ignore[operator]
    admin = console(personas.alice.admin, "acme")  # type: ignore[operator]
    agent.online()
    chat = queued_chat(api)
    assert agent.get("/state").json()["queue"][0]["id"] == chat.id
    assert agent.post(f"/conversations/{chat.id}/accept").status_code == 200
    # The bot stays silent while an agent owns the conversation.
    posted = chat.send("hello, where is my order?").json()
    assert posted["replies"] == []
    assert (
        agent.post(f"/conversations/{chat.id}/messages", {"text": "Hi! Let me check."}).status_code
        == 201
    )
    assert (
        agent.post(f"/conversations/{chat.id}/notes", {"text": "VIP, be nice"}).status_code == 201
    )
    seen = chat.messages().json()["messages"]
    agent_lines = [m for m in seen if m["sender"] == "agent"]
    assert (
        agent_lines[-1]["text"] == "Hi! Let me check."
        and agent_lines[-1]["author"] == "alice agent"
    )
    assert all("VIP" not in m["text"] for m in seen)  # notes never reach the shopper
    detail = agent.get(f"/conversations/{chat.id}").json()
    assert detail["form"]["email"] == "shopper@example.com"
    assert [n["text"] for n in detail["notes"]] == ["VIP, be nice"]
    # Transfer to the admin; the agent may no longer write, the admin may.
    moved = agent.post(
        f"/conversations/{chat.id}/transfer", {"agent_id": str(personas.alice.admin.id)}
    )
    assert moved.status_code == 200
    assert agent.post(f"/conversations/{chat.id}/messages", {"text": "x"}).status_code == 403
    assert admin.post(f"/conversations/{chat.id}/close", {"outcome": "bogus"}).status_code == 422
    assert admin.post(f"/conversations/{chat.id}/close", {"outcome": "resolved"}).status_code == 200
    rate = api.post(f"/api/v1/conversations/{chat.id}/rating", json={"score": 5}, headers=chat.auth)
    assert rate.status_code == 204
    again = api.post(
        f"/api/v1/conversations/{chat.id}/rating", json={"score": 1}, headers=chat.auth
    )
    assert again.status_code == 409
    # Issue #14, finding 3: writing again goes on with the bot, the agent's answers in view.
    more = chat.send("one more thing")
    assert more.status_code == 201 and more.json()["status"] == "bot"
    thread = chat.messages().json()["messages"]
    assert "Hi! Let me check." in [m["text"] for m in thread if m["sender"] == "agent"]
    assert thread[-2]["text"] == "one more thing"
    with runtime.db.session() as session:
        row = session.get(Conversation, uuid.UUID(chat.id))
        assert row is not None and (row.csat, row.outcome) == (5, "resolved")
        actions = set(session.scalars(select(AuditEntry.action)))
        details = " ".join(str(d) for d in session.scalars(select(AuditEntry.details)))
    assert {
        "conversation.accepted",
        "conversation.agent_replied",
        "conversation.note_added",
        "conversation.transferred",
        "conversation.closed",
        "conversation.rated",
        "transcript.read",
        "agent.presence_changed",
    } <= actions
    assert "shopper@example.com" not in details and "VIP" not in details


def test_nobody_online_means_an_offline_message_answered_by_email(
    runtime: Runtime, personas: Personas, mailing_server: LiveServer, inbox: object
) -> None:
    with httpx.Client(base_url=mailing_server.url, timeout=10) as client:
        chat = start_chat(client, "acme", "en")
        form = ask_for_person(chat).json()["form"]
        assert form["kind"] == "offline"
        assert {f["name"] for f in form["fields"] if f["required"]} == {"email", "message"}
        sent = send_form(chat, email="late@example.com", message="Do you ship to Iceland?")
        # Issue #14, finding 5: acknowledged by the bot, and the conversation is back with it.
        assert sent.status_code == 200 and sent.json()["status"] == "bot"
        last = chat.messages().json()["messages"][-1]
        assert (last["sender"], last["text"]) == ("bot", notice("offline_acknowledged", "en"))
        further = chat.send("and what does shipping cost?")
        assert further.status_code == 201
        assert further.json()["status"] == "bot" and further.json()["replies"]
        console_sign_in(client, personas.alice.agent.email)
        agent = Agent(client, personas.alice.agent, "acme")
        # Still in the agents' inbox although the bot has the conversation now.
        [waiting] = agent.get("/state").json()["offline"]
        assert (waiting["id"], waiting["status"]) == (chat.id, "bot")
        assert waiting["offline_pending_since"] is not None
        reply = agent.post(f"/conversations/{chat.id}/email-reply", {"text": "Yes, we do!"})
        assert reply.status_code == 200, reply.text
        assert agent.get("/state").json()["offline"] == []
        again = agent.post(f"/conversations/{chat.id}/email-reply", {"text": "Yes!"})
        assert again.status_code == 409
        thread = chat.messages().json()
        assert thread["status"] == "closed"
        assert thread["messages"][-1]["text"] == "Yes, we do!"
        # The shopper writing again reopens it with the answer in view.
        assert chat.send("thanks!").json()["status"] == "bot"
    mail = inbox.messages[-1]  # type: ignore[attr-defined]
    assert mail["To"] == "late@example.com"
    assert "Yes, we do!" in mail.get_payload()
    with runtime.db.session() as session:
        row = session.get(Conversation, uuid.UUID(chat.id))
        assert row is not None
        assert (row.retention_class.value, row.outcome) == ("with_agent", "answered_by_email")
        assert row.offline_pending_since is None


@pytest.mark.parametrize(("slug", "language"), [("acme", "fi"), ("bobs", "sv"), ("bobs", "nb")])
def test_the_offline_acknowledgement_is_in_the_conversations_language(
    api: httpx.Client, personas: Personas, slug: str, language: str
) -> None:
    chat = start_chat(api, slug, language)
    assert ask_for_person(chat).json()["form"]["kind"] == "offline"
    sent = send_form(chat, email="late@example.com", message="Hei / Hej")
    assert sent.status_code == 200 and sent.json()["status"] == "bot"
    last = chat.messages().json()["messages"][-1]
    assert last["text"] == notice("offline_acknowledged", language)
    assert last["text"] != notice("offline_acknowledged", "en")


def test_when_agents_go_away_the_queue_form_becomes_the_offline_one(
    api: httpx.Client, personas: Personas, console: object, runtime: Runtime
) -> None:
    agent = console(personas.alice.agent, "acme")  # type: ignore[operator]
    agent.online()
    chat = start_chat(api, "acme", "en")
    assert ask_for_person(chat).json()["form"]["kind"] == "queue"
    agent.post("/presence", {"status": "away"})
    refused = send_form(chat, email="a@example.com")
    assert refused.status_code == 409
    state = api.get(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth).json()
    assert state["form"]["kind"] == "offline"


def test_outside_opening_hours_nobody_is_offered(
    api: httpx.Client, personas: Personas, console: object, runtime: Runtime
) -> None:
    console(personas.alice.agent, "acme").online()  # type: ignore[operator]
    closed_all_week = {"timezone": "Europe/Helsinki", "hours": {"sun": [["00:00", "00:01"]]}}
    with runtime.db.session() as session:
        session.execute(
            update(Tenant).where(Tenant.slug == "acme").values(handover=closed_all_week)
        )
    try:
        chat = start_chat(api, "acme", "en")
        assert ask_for_person(chat).json()["form"]["kind"] == "offline"
    finally:
        with runtime.db.session() as session:
            session.execute(update(Tenant).where(Tenant.slug == "acme").values(handover={}))


def test_other_tenants_and_other_roles_are_refused(
    api: httpx.Client, personas: Personas, console: object
) -> None:
    console(personas.alice.agent, "acme").online()  # type: ignore[operator]
    chat = queued_chat(api)
    bob = console(personas.bob.agent, "bobs")  # type: ignore[operator]
    for path, body in [
        (f"/conversations/{chat.id}/accept", None),
        (f"/conversations/{chat.id}/notes", {"text": "x"}),
        (f"/conversations/{chat.id}/close", {"outcome": "resolved"}),
        (f"/conversations/{chat.id}/email-reply", {"text": "x"}),
    ]:
        assert bob.post(path, body).status_code == 404, path
    assert bob.get(f"/conversations/{chat.id}").status_code == 404
    assert chat.id not in str(bob.get("/state").json())
    # Bob's agent asking for alice's tenant by name gets nothing either.
    assert bob.client.get("/console/api/state", params={"tenant": "acme"}).status_code == 403
    analyst = console(personas.alice.analyst, "acme")  # type: ignore[operator]
    assert analyst.get("/state").status_code == 403
    assert analyst.post(f"/conversations/{chat.id}/accept").status_code == 403
    # Without the CSRF header a signed-in agent's request is refused.
    agent = console(personas.alice.agent, "acme")  # type: ignore[operator]
    bare = agent.client.post(
        f"/console/api/conversations/{chat.id}/accept", params={"tenant": "acme"}
    )
    assert bare.status_code == 403
    signed_out = httpx.post(f"{api.base_url}/console/api/conversations/{chat.id}/accept")
    assert signed_out.status_code == 401


def test_the_bot_quotes_the_hours_the_queue_keeps_in_the_shoppers_language(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    document = load_directory(MINI_CONTENT).to_document()
    assert isinstance(document["intents"], list)
    document["intents"].append(
        {
            "intent": "opening_hours",
            "title": {"en": "Opening hours", "fi": "Aukioloajat"},
            "examples": {
                "en": ["when are you open", "opening hours", "what time do you close"],
                "fi": ["milloin olette auki", "aukioloajat", "mihin aikaan suljette"],
            },
            "answer": {
                "text": {
                    "en": "We answer in the chat {opening_hours}.",
                    "fi": "Vastaamme chatissa {opening_hours}.",
                }
            },
        }
    )
    weekdays = {day: [["09:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    with runtime.db.session() as session:
        tenant = session.merge(personas.alice.tenant)
        save_content(session, Actor.operator(), tenant, TenantContent.from_document(document))

    def answer(language: str, text: str) -> str:
        reply = start_chat(api, "acme", language).send(text)
        assert reply.status_code == 201, reply.text
        return " ".join(r["text"] for r in reply.json()["replies"])

    assert answer("en", "when are you open") == "We answer in the chat whenever an agent is online."
    hours = {"timezone": "Europe/Helsinki", "hours": {**weekdays, "sat": [["10:00", "14:00"]]}}
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(Tenant.slug == "acme").values(handover=hours))
    try:
        assert answer("en", "when are you open") == (
            "We answer in the chat Mon-Fri 09:00-16:00; Sat 10:00-14:00 (Eastern European Time)."
        ).replace("-", DASH)
        assert answer("fi", "milloin olette auki") == (
            "Vastaamme chatissa ma-pe 9.00-16.00; la 10.00-14.00 (Itä-Euroopan aika)."
        ).replace("-", DASH).replace(f"Itä{DASH}", "Itä-")
    finally:
        with runtime.db.session() as session:
            session.execute(update(Tenant).where(Tenant.slug == "acme").values(handover={}))
