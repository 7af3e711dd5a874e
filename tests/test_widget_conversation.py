"""The shopper's side of issue 14 in Chromium, against the live app: one language at a time,
closed chats going on with the bot, the unread notice, offline messages, named typing, one send
action, clean transcripts, the welcome, and continuity across tabs and visits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, update

from botdesk.actions.audit import Actor
from botdesk.actions.lifecycle import sweep
from botdesk.actions.tenants import configure_handover, configure_tenant
from botdesk.actions.widget import configure_widget
from botdesk.events import status_changed, typing
from botdesk.models import AgentPresence, Conversation, ConversationStatus, Tenant
from botdesk.runtime import Runtime
from tests import test_handover, test_widget
from tests.conftest import LiveServer, Personas, start_chat
from tests.test_handover import Agent
from tests.test_widget import LAUNCHER, Shop, send, shot, stored
from tests.waits import wait_until

# The fixtures: a browser context on the test shop page, a staff console over its JSON API.
shop = test_widget.shop
console = test_handover.console

pytestmark = pytest.mark.browser
TIMEOUT = 15_000
SENDS = re.compile(
    r"^(Send|Lähetä|Skicka|Join the queue|Siirry jonoon|Send message|Lähetä viesti)$"
)
# Counts the tones the widget plays (an AudioContext oscillator started), without a speaker.
TONES = """
window.__tones = 0;
const Ctx = window.AudioContext;
if (Ctx) {
  const make = Ctx.prototype.createOscillator;
  Ctx.prototype.createOscillator = function () {
    const o = make.call(this); const start = o.start.bind(o);
    o.start = (...a) => { window.__tones += 1; return start(...a); };
    return o;
  };
}
"""


@pytest.fixture
def acme(runtime: Runtime, personas: Personas) -> Iterator[Callable[..., None]]:
    """Change acme's widget and handover settings for one test; the old ones come back after."""
    with runtime.db.session() as session:
        tenant = session.get(Tenant, personas.alice.tenant.id)
        assert tenant is not None
        saved = (dict(tenant.widget or {}), dict(tenant.handover or {}))

    def configure(
        zone: str | None = None, greeting: dict[str, str] | None = None, **widget: Any
    ) -> None:
        with runtime.db.session() as session:
            tenant = session.get(Tenant, personas.alice.tenant.id)
            assert tenant is not None
            if zone:
                configure_handover(session, Actor.operator(), tenant, {"timezone": zone})
            if greeting:
                configure_tenant(session, Actor.operator(), tenant, greeting=greeting)
            configure_widget(session, Actor.operator(), tenant, **widget)

    yield configure
    with runtime.db.session() as session:
        session.execute(
            update(Tenant)
            .where(Tenant.id == personas.alice.tenant.id)
            .values(widget=saved[0], handover=saved[1])
        )


def shadow(page: Any, script: str) -> Any:
    """Evaluate `script` (a function of the widget's shadow root) in the page."""
    return page.evaluate(f"(root => {script})(document.querySelector('[data-botdesk]').shadowRoot)")


def visible_sends(page: Any) -> list[str]:
    names = page.get_by_role("button").evaluate_all(
        "bs => bs.filter(b => b.getClientRects().length).map(b => b.textContent.trim())"
    )
    return [n for n in names if SENDS.match(n)]


def conversation_id(page: Any) -> uuid.UUID:
    return uuid.UUID(stored(page)["id"])


def in_queue(region: Any, line: str) -> None:
    """Wait for the queue line; a failure says what the form showed instead (its field errors)."""
    try:
        region.get_by_text(line).wait_for(timeout=TIMEOUT)
    except Exception as exc:
        raise AssertionError(f"not queued; the form shows: {region.inner_text()!r}") from exc


def queue_up(page: Any, ask: str = "I want to talk to a person") -> None:
    """Ask for a person and join the queue (the pre-chat form in English)."""
    send(page, ask)
    region = page.get_by_role("region", name="Talk to a person")
    region.get_by_label("Email").wait_for(timeout=TIMEOUT)
    region.get_by_label("Email").fill("maija@example.fi")
    region.get_by_role("button", name="Join the queue").click()
    in_queue(region, "You are number 1 in the queue.")


def agent_accepts(agent: Agent, page: Any) -> uuid.UUID:
    cid = conversation_id(page)
    assert agent.post(f"/conversations/{cid}/accept").status_code == 200
    return cid


def publish_typing(runtime: Runtime, personas: Personas, cid: uuid.UUID, name: str | None) -> None:
    runtime.db.broker.publish(typing(personas.alice.tenant.id, cid, "agent", True, name))


# Findings 2, 8 and 9 -------------------------------------------------------------------------
def test_a_finnish_shopper_on_an_english_page_gets_the_widget_in_finnish(
    shop: Callable[..., Shop],
    bot: None,
    personas: Personas,
    console: Callable[..., Agent],
    runtime: Runtime,
) -> None:
    agent = console(personas.alice.agent, "acme")
    agent.online()
    s = shop()
    s.allowed.append("status of 422")
    page = s.open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    send(page, "haluan puhua ihmiselle")
    region = page.get_by_role("region", name="Keskustele asiakaspalvelijan kanssa")
    region.get_by_label("Sähköposti").wait_for(timeout=TIMEOUT)
    # Finding 9: the form's button is the one way to send while it is open.
    assert visible_sends(page) == ["Siirry jonoon"]
    assert page.get_by_role("textbox", name="Kirjoita viesti…").count() == 0
    assert shadow(page, "root.querySelector('.row').hidden") is True
    # Finding 2: every text of the widget is Finnish now, shown or not.
    texts = shadow(
        page,
        """({placeholder: root.querySelector('.row textarea').placeholder,
            send: root.querySelector('.send').textContent,
            gear: root.querySelector('[aria-haspopup]').getAttribute('aria-label'),
            log: root.querySelector('[role=log]').getAttribute('aria-label'),
            lang: root.querySelector('.w').getAttribute('lang')})""",
    )
    assert texts == {
        "placeholder": "Kirjoita viesti…",
        "send": "Lähetä",
        "gear": "Chatin asetukset",
        "log": "Viestit",
        "lang": "fi",
    }
    assert page.get_by_role("button", name="Sulje chat").count() >= 1
    region.get_by_label("Sähköposti").fill("not an email")
    region.get_by_role("button", name="Siirry jonoon").click()
    region.locator(".fe").first.wait_for(timeout=TIMEOUT)
    assert region.get_by_label(re.compile("Aihe")).count() == 1
    region.get_by_label("Sähköposti").fill("maija@example.fi")
    region.get_by_role("button", name="Siirry jonoon").click()
    in_queue(region, "Olet jonossa 1.")
    page.get_by_role("button", name="Chatin asetukset").click()
    assert "Lataa tekstinä" in page.get_by_role("menu").inner_text()
    page.keyboard.press("Escape")

    # Finding 8: the agent's name while they type, in Finnish; a generic line without one.
    cid = agent_accepts(agent, page)
    page.get_by_text("alice agent").first.wait_for(timeout=TIMEOUT)
    publish_typing(runtime, personas, cid, "Anna")
    line = page.get_by_role("status", name="Anna kirjoittaa…")
    line.wait_for(timeout=TIMEOUT)
    assert line.get_by_text("Anna kirjoittaa…").is_visible()  # shown, not only announced
    publish_typing(runtime, personas, cid, None)
    page.get_by_text("Asiakaspalvelija kirjoittaa…").wait_for(timeout=TIMEOUT)
    assert agent.post(f"/conversations/{cid}/close", {"outcome": "resolved"}).status_code == 200
    page.get_by_text("Miten onnistuimme?").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("button", name="5/5").is_visible()


def test_typing_lines_in_swedish_norwegian_and_english(
    shop: Callable[..., Shop], personas: Personas, runtime: Runtime, api: httpx.Client
) -> None:
    expected = {"en": "Anna is typing…", "sv": "Anna skriver…", "nb": "Anna skriver …"}
    for lang, line in expected.items():
        page = shop().open(f"lang={lang}&tenant=bobs")  # Bob's Boots speaks sv, nb and en
        chat = start_chat(api, "bobs", lang)
        page.evaluate(
            "([id, token, lang]) => sessionStorage.setItem('botdesk:bobs', "
            "JSON.stringify({id, token, seq: 0, lang}))",
            [chat.id, chat.token, lang],
        )
        page.reload()
        page.get_by_role("button", name=LAUNCHER).first.click()
        page.wait_for_function(
            "() => document.querySelector('[data-botdesk]').shadowRoot.querySelector('.w')"
            f".getAttribute('lang') === '{lang}'"
        )
        page.wait_for_timeout(300)  # the socket's hello
        runtime.db.broker.publish(
            typing(personas.bob.tenant.id, uuid.UUID(chat.id), "agent", True, "Anna")
        )
        page.get_by_text(line, exact=True).wait_for(timeout=TIMEOUT)
        page.close()


def test_a_late_status_event_does_not_wipe_what_the_shopper_typed_in_the_form(
    shop: Callable[..., Shop],
    bot: None,
    personas: Personas,
    console: Callable[..., Agent],
    runtime: Runtime,
) -> None:
    """Found while this suite ran under load: the form's own status event, arriving after the
    shopper had started typing, drew the form again, empty, and the queue refused it."""
    console(personas.alice.agent, "acme").online()
    page = shop().open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    send(page, "I want to talk to a person")
    region = page.get_by_role("region", name="Talk to a person")
    region.get_by_label("Email").fill("maija@example.fi")
    region.get_by_label("Topic (optional)").select_option("delivery")
    region.get_by_label("Order number (optional)").focus()
    before = region.get_by_role("button", name="Join the queue").element_handle()
    cid = conversation_id(page)
    runtime.db.broker.publish(status_changed(personas.alice.tenant.id, cid, "bot", "pre_chat_form"))
    page.wait_for_function("b => !b.isConnected", arg=before)  # drawn again...
    assert region.get_by_label("Email").input_value() == "maija@example.fi"  # ...keeping it
    assert region.get_by_label("Topic (optional)").input_value() == "delivery"
    assert (
        page.evaluate("() => document.querySelector('[data-botdesk]').shadowRoot.activeElement.id")
        == "bd-f-order_number"
    )
    region.get_by_role("button", name="Join the queue").click()
    in_queue(region, "You are number 1 in the queue.")


# Finding 3 ---------------------------------------------------------------------------------
def test_after_the_agent_closes_the_same_conversation_goes_on_with_the_bot(
    shop: Callable[..., Shop],
    bot: None,
    personas: Personas,
    console: Callable[..., Agent],
) -> None:
    agent = console(personas.alice.agent, "acme")
    agent.online()
    page = shop().open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    queue_up(page)
    cid = agent_accepts(agent, page)
    assert agent.post(f"/conversations/{cid}/messages", {"text": "Your parcel left today."})
    page.get_by_text("Your parcel left today.").wait_for(timeout=TIMEOUT)
    assert agent.post(f"/conversations/{cid}/close", {"outcome": "resolved"}).status_code == 200
    page.get_by_text("How did we do?").wait_for(timeout=TIMEOUT)
    box = page.get_by_role("textbox", name="Write a message…")
    assert box.is_enabled() and box.is_visible()
    before = page.locator("[data-seq]").count()
    send(page, "how much is delivery")
    page.locator(".them[data-seq]").filter(has_text="4.90").wait_for(timeout=TIMEOUT)
    # The same conversation, the whole thread still in view.
    assert conversation_id(page) == cid
    assert page.get_by_text("Your parcel left today.").is_visible()
    assert page.locator("[data-seq]").count() >= before + 2

    # Only the menu's "New conversation" starts another, after asking.
    page.get_by_role("button", name="Chat options").click()
    page.get_by_role("menuitem", name="New conversation").click()
    page.get_by_role("button", name="Cancel").click()
    assert conversation_id(page) == cid
    page.get_by_role("button", name="Chat options").click()
    page.get_by_role("menuitem", name="New conversation").click()
    page.get_by_role("button", name="Start new").click()
    assert page.locator("[data-seq]").count() == 0
    assert stored(page) is None
    send(page, "hello")
    page.locator(".them[data-seq]").first.wait_for(timeout=TIMEOUT)
    assert conversation_id(page) != cid


# Finding 5 ---------------------------------------------------------------------------------
def test_after_an_offline_message_the_bot_answers_again(
    shop: Callable[..., Shop], bot: None, runtime: Runtime, personas: Personas
) -> None:
    page = shop().open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    send(page, "hello")
    page.locator(".them[data-seq]").first.wait_for(timeout=TIMEOUT)
    # Nobody online: an earlier test's console may have checked in after its cleanup.
    with runtime.db.session() as session:
        session.execute(
            delete(AgentPresence).where(AgentPresence.tenant_id == personas.alice.tenant.id)
        )
    page.get_by_role("button", name="Chat options").click()
    page.get_by_role("menuitem", name="Talk to a person").click()
    region = page.get_by_role("region", name="Talk to a person")
    region.get_by_label("Email").wait_for(timeout=TIMEOUT)
    assert visible_sends(page) == ["Send message"]  # finding 9 for the offline form too
    region.get_by_label("Email").fill("late@example.com")
    region.get_by_label(re.compile("Message")).fill("Do you ship to Iceland?")
    region.get_by_role("button", name="Send message").click()
    region.wait_for(state="hidden", timeout=TIMEOUT)
    # The acknowledgement, then the bot again: no dead input.
    ack = page.locator(".them[data-seq], .sys-msg[data-seq]").filter(has_text=re.compile("email"))
    ack.last.wait_for(timeout=TIMEOUT)
    box = page.get_by_role("textbox", name="Write a message…")
    assert box.is_enabled()
    count = page.locator(".them[data-seq]").count()
    send(page, "how much is delivery")
    page.locator(".them[data-seq]").filter(has_text="4.90").wait_for(timeout=TIMEOUT)
    assert page.locator(".them[data-seq]").count() > count


# Finding 6 ---------------------------------------------------------------------------------
def test_a_shopper_who_closed_the_page_leaves_the_queue_and_the_next_is_told_number_one(
    shop: Callable[..., Shop],
    bot: None,
    personas: Personas,
    console: Callable[..., Agent],
    runtime: Runtime,
) -> None:
    console(personas.alice.agent, "acme").online()
    first = shop().open("lang=en")
    first.get_by_role("button", name="Open chat").click()
    queue_up(first)
    gone = conversation_id(first)
    second = shop().open("lang=en")  # another shopper: another browser, nothing shared
    second.get_by_role("button", name="Open chat").click()
    send(second, "I want to talk to a person")
    region = second.get_by_role("region", name="Talk to a person")
    region.get_by_label("Email").fill("ville@example.fi")
    region.get_by_role("button", name="Join the queue").click()
    in_queue(region, "You are number 2 in the queue.")

    first.close()  # the first shopper closes the browser: their socket goes
    away = wait_until(lambda: away_since(runtime, gone), 10, "the first shopper away")
    # Past the shop's grace (90 s), the sweep takes the ghost out; the second is told at once.
    assert sweep(runtime, now=away + dt.timedelta(seconds=91)).abandoned == 1
    in_queue(region, "You are number 1 in the queue.")
    with runtime.db.session() as session:
        ghost = session.get(Conversation, gone)
        assert ghost is not None and (ghost.status, ghost.outcome) == ("closed", "abandoned")


def away_since(runtime: Runtime, conversation_id: uuid.UUID) -> dt.datetime | None:
    with runtime.db.session() as session:
        found = session.get(Conversation, conversation_id)
        return found.visitor_away_since if found is not None else None


# Finding 4 ---------------------------------------------------------------------------------
def test_unread_messages_while_the_panel_is_closed(
    shop: Callable[..., Shop],
    bot: None,
    personas: Personas,
    console: Callable[..., Agent],
    acme: Callable[..., None],
) -> None:
    acme(sound=True)
    agent = console(personas.alice.agent, "acme")
    agent.online()
    s = shop()
    s.context.add_init_script(TONES)
    page = s.open("lang=en")
    title = page.title()
    page.get_by_role("button", name="Open chat").click()  # also the gesture sound needs
    queue_up(page)
    cid = agent_accepts(agent, page)
    page.get_by_text("alice agent joined the chat.").wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Close chat").first.click()
    assert page.evaluate("window.__tones") == 0

    text = "<b>Hi</b> **Maija**, your [parcel](https://example.com/t) left today, there soon"
    assert agent.post(f"/conversations/{cid}/messages", {"text": text}).status_code == 201
    launcher = page.get_by_role("button", name="Open chat, 1 unread message")
    launcher.wait_for(timeout=TIMEOUT)
    assert shadow(page, "root.querySelector('.badge').textContent") == "1"
    preview = shadow(page, "root.querySelector('.peek').innerText")
    assert "<b>Hi</b> Maija, your parcel" in preview and "alice agent" in preview
    assert shadow(page, "root.querySelector('.peek b, .peek a, .peek strong')") is None
    page.wait_for_function("() => document.title === '(1) New message'", timeout=TIMEOUT)
    page.wait_for_function(f"() => document.title === {json.dumps(title)}", timeout=TIMEOUT)
    assert page.evaluate("window.__tones") == 1
    assert (
        agent.post(f"/conversations/{cid}/messages", {"text": "Anything else?"}).status_code == 201
    )
    page.get_by_role("button", name="Open chat, 2 unread messages").wait_for(timeout=TIMEOUT)
    shot(page, "unread")
    # The preview can be dismissed; the count stays until the panel opens.
    page.get_by_role("button", name="Dismiss").click()
    assert shadow(page, "root.querySelector('.peek').hidden") is True
    page.get_by_role("button", name="Open chat, 2 unread messages").click()
    assert shadow(page, "root.querySelector('.badge').hidden") is True
    page.wait_for_timeout(1700)
    assert page.title() == title
    page.get_by_role("button", name="Close chat").first.click()
    assert page.get_by_role("button", name="Open chat", exact=True).is_visible()


def test_no_tone_unless_the_tenant_wants_one(
    shop: Callable[..., Shop],
    bot: None,
    personas: Personas,
    console: Callable[..., Agent],
) -> None:
    agent = console(personas.alice.agent, "acme")
    agent.online()
    s = shop()
    s.context.add_init_script(TONES)
    page = s.open("lang=fi")
    page.get_by_role("button", name="Avaa chat").click()
    send(page, "haluan puhua ihmiselle")
    region = page.get_by_role("region", name="Keskustele asiakaspalvelijan kanssa")
    region.get_by_label("Sähköposti").fill("maija@example.fi")
    region.get_by_role("button", name="Siirry jonoon").click()
    in_queue(region, "Olet jonossa 1.")
    cid = agent_accepts(agent, page)
    page.get_by_role("button", name="Sulje chat").first.click()
    assert agent.post(f"/conversations/{cid}/messages", {"text": "Hei!"}).status_code == 201
    page.get_by_role("button", name="Avaa chat, 1 lukematon viesti").wait_for(timeout=TIMEOUT)
    page.wait_for_function("() => document.title === '(1) Uusi viesti'", timeout=TIMEOUT)
    assert page.evaluate("window.__tones") == 0


# Finding 7 (the text download) ----------------------------------------------------------------
def test_the_text_download_is_clean_text_with_dates_in_the_shops_zone(
    shop: Callable[..., Shop], bot: None, acme: Callable[..., None]
) -> None:
    acme(zone="America/New_York")
    page = shop().open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    send(page, "hello")
    page.get_by_role("button", name="Delivery cost").wait_for(timeout=TIMEOUT)
    send(page, "how much is delivery")
    page.locator(".them[data-seq]").filter(has_text="4.90").wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Chat options").click()
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="Download as text").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    lines = text.rstrip("\n").split("\n")
    # The stored times, formatted as the widget should (the zone) and as it must not (UTC).
    stamps = page.evaluate(
        """(zone) => { const c = JSON.parse(sessionStorage.getItem('botdesk:acme'));
            return fetch('/api/v1/conversations/' + c.id + '/messages',
                {headers: {Authorization: 'Bearer ' + c.token}})
            .then(r => r.json()).then(j => j.messages.map(m => {
                const s = m.created_at;
                const d = new Date(/[zZ]|[+-]\\d\\d:?\\d\\d$/.test(s) ? s : s + 'Z');
                const f = (z) => new Intl.DateTimeFormat('en', {timeZone: z, dateStyle: 'medium',
                    timeStyle: 'short'}).format(d);
                return [f(zone), f('UTC')]; })); }""",
        "America/New_York",
    )
    assert stamps[0][0] != stamps[0][1]  # New York is never UTC, so the zone is visible
    assert lines[0] == f"Chat with Acme Outdoor · {stamps[0][0]} \N{EN DASH} {stamps[-1][0]}"
    assert lines[1] == ""
    assert lines[2] == f"{stamps[0][0]} You: hello"
    assert lines[3].startswith(f"{stamps[1][0]} Bot: ")
    # The bot's quick replies, as a line of their own ("Options: A | B" with more than one).
    assert lines[4] == "Options: Delivery cost"
    assert "**" not in text
    assert re.search(r"Bot: .*4\.90", text)


# "A welcome" -------------------------------------------------------------------------------
def test_the_welcome_greeting_topics_and_an_honest_reply_time(
    shop: Callable[..., Shop],
    bot: None,
    acme: Callable[..., None],
    agent_online: None,
    runtime: Runtime,
    api: httpx.Client,
) -> None:
    acme(
        greeting={"en": "Hi! How can we help?", "fi": "Hei! Miten voimme auttaa?"},
        topics={
            "en": [
                {"title": "Delivery cost", "payload": "intent:delivery_cost"},
                {"title": "Track my order", "payload": "intent:track_order"},
            ],
            "fi": [{"title": "Toimituskulut", "payload": "intent:delivery_cost"}],
        },
    )
    # No history yet: no number, rather than an invented one.
    config = api.get("/api/v1/tenants/acme/widget").json()
    assert config["reply_minutes"] is None
    assert config["topics"]["en"][0] == {
        "title": "Delivery cost",
        "payload": "intent:delivery_cost",
    }
    page = shop().open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    page.get_by_text("Hi! How can we help?").wait_for()
    assert page.get_by_text(re.compile("usually answers")).count() == 0
    page.close()

    # Recent handovers were accepted within 200 s: "within 4 minutes".
    now = dt.datetime.now(dt.UTC)
    for _ in range(2):
        chat = start_chat(api, "acme", "en")
        with runtime.db.session() as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == uuid.UUID(chat.id))
                .values(
                    status=ConversationStatus.CLOSED,
                    queued_at=now - dt.timedelta(minutes=30),
                    accepted_at=now - dt.timedelta(minutes=30) + dt.timedelta(seconds=200),
                    closed_at=now - dt.timedelta(minutes=10),
                )
            )
    assert api.get("/api/v1/tenants/acme/widget").json()["reply_minutes"] == 4
    page = shop().open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    page.get_by_text("A person usually answers within 4 minutes.").wait_for()
    topics = page.get_by_role("group", name="Topics")
    assert topics.get_by_role("button").all_inner_texts() == ["Delivery cost", "Track my order"]
    shot(page, "welcome")
    topics.get_by_role("button", name="Delivery cost").click()
    page.locator(".them[data-seq]").filter(has_text="4.90").wait_for(timeout=TIMEOUT)
    assert page.locator(".me[data-seq]").inner_text().endswith("Delivery cost")
    # The offer was for the first turn: gone now, the greeting stays.
    assert page.get_by_role("group", name="Topics").count() == 0
    assert page.get_by_text("usually answers").count() == 0
    assert page.get_by_text("Hi! How can we help?").is_visible()


# "Continuity" ------------------------------------------------------------------------------
def test_a_kept_conversation_follows_the_shopper_across_tabs_and_visits(
    shop: Callable[..., Shop], bot: None, acme: Callable[..., None], api: httpx.Client
) -> None:
    acme(keep_days=7)
    s = shop()
    s.allowed.append("status of 404")  # the erased conversation, asked for once
    a = s.open("lang=en")
    a.get_by_role("button", name="Open chat").click()
    a.get_by_text("This chat is kept on this device for 7 days.").wait_for()
    send(a, "hello")
    a.locator(".them[data-seq]").first.wait_for(timeout=TIMEOUT)
    kept = json.loads(a.evaluate("localStorage.getItem('botdesk:acme')"))
    assert a.evaluate("sessionStorage.getItem('botdesk:acme')") is None
    days = (kept["exp"] / 1000 - dt.datetime.now(dt.UTC).timestamp()) / 86400
    assert 6.9 < days <= 7
    # Another tab resumes it; what is written in one shows in the other.
    b = s.open("lang=en")
    b.get_by_role("button", name="Open chat").click()
    b.locator(".me[data-seq]").filter(has_text="hello").wait_for(timeout=TIMEOUT)
    send(a, "how much is delivery")
    b.locator(".them[data-seq]").filter(has_text="4.90").wait_for(timeout=TIMEOUT)
    b.get_by_text("how much is delivery").wait_for()
    # A later visit (every tab closed) finds it too.
    a.close()
    b.close()
    c = s.open("lang=en")
    c.get_by_role("button", name="Open chat").click()
    c.get_by_text("how much is delivery").wait_for(timeout=TIMEOUT)
    c.close()
    # Erased meanwhile: the next visit starts cleanly, with the welcome and nothing stored.
    deleted = api.delete(
        f"/api/v1/conversations/{kept['id']}", headers={"Authorization": f"Bearer {kept['token']}"}
    )
    assert deleted.status_code == 204
    d = s.open("lang=en")
    d.get_by_role("button", name="Open chat").click()
    d.wait_for_function("() => localStorage.getItem('botdesk:acme') === null", timeout=TIMEOUT)
    assert d.locator("[data-seq]").count() == 0
    assert d.get_by_role("alert").is_hidden()
    send(d, "hello")
    d.locator(".them[data-seq]").first.wait_for(timeout=TIMEOUT)
    assert json.loads(d.evaluate("localStorage.getItem('botdesk:acme')"))["id"] != kept["id"]


def test_without_keeping_the_chat_still_follows_across_open_tabs(
    shop: Callable[..., Shop], bot: None
) -> None:
    s = shop()
    a = s.open("lang=en")
    a.get_by_role("button", name="Open chat").click()
    assert a.get_by_text("kept on this device").count() == 0
    send(a, "hello")
    a.locator(".them[data-seq]").first.wait_for(timeout=TIMEOUT)
    assert a.evaluate("localStorage.getItem('botdesk:acme')") is None
    b = s.open("lang=en")  # its own sessionStorage: the open tab hands the conversation over
    b.get_by_role("button", name="Open chat").click()
    b.locator(".me[data-seq]").filter(has_text="hello").wait_for(timeout=TIMEOUT)
    assert stored(b)["id"] == stored(a)["id"]
    send(b, "how much is delivery")
    a.locator(".them[data-seq]").filter(has_text="4.90").wait_for(timeout=TIMEOUT)


def test_widget_settings_on_the_console_reach_the_widget_config(
    server: LiveServer, personas: Personas, acme: Callable[..., None], api: httpx.Client
) -> None:
    from tests.test_console_settings import sign_in

    with httpx.Client(base_url=server.url, timeout=10) as client:
        csrf = sign_in(client, personas.alice.admin)
        page = client.get("/console/settings", params={"tenant": "acme"})
        assert 'id="widget"' in page.text
        bad = client.post(
            "/console/settings/widget",
            params={"tenant": "acme"},
            data={"csrf": csrf, "keep_days": "31", "sound": "on"},
        )
        assert bad.status_code == 422 and "0 to 30" in bad.text
        assert api.get("/api/v1/tenants/acme/widget").json()["sound"] is False
        saved = client.post(
            "/console/settings/widget",
            params={"tenant": "acme"},
            data={"csrf": csrf, "keep_days": "14", "sound": "on"},
        )
        assert saved.status_code == 303
    config = api.get("/api/v1/tenants/acme/widget").json()
    assert (config["sound"], config["keep_days"], config["time_zone"]) == (True, 14, "UTC")
    # And from another tenant's admin: not theirs to change.
    with httpx.Client(base_url=server.url, timeout=10) as client:
        csrf = sign_in(client, personas.bob.admin)
        other = client.post(
            "/console/settings/widget",
            params={"tenant": "acme"},
            data={"csrf": csrf, "keep_days": "0"},
        )
        assert other.status_code in (403, 404)
    assert api.get("/api/v1/tenants/acme/widget").json()["keep_days"] == 14
