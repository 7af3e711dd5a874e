"""The bot through the visitor API: flows, re-prompts, context, the fallback ladder, handover,
quick replies, language switching, and dialogue state encrypted like the messages."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select, update

from botdesk.bot.registry import BotRegistry
from botdesk.models import BotModel, Conversation
from botdesk.runtime import Runtime
from tests.conftest import VisitorChat, start_chat
from tests.test_tracking import nordkapp  # noqa: F401 (a fixture)


def say(chat: VisitorChat, text: str, **extra: object) -> dict[str, object]:
    response = chat.send(text, **extra)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def texts(body: dict[str, object]) -> list[str]:
    return [reply["text"] for reply in body["replies"]]  # type: ignore[index, union-attr]


def test_track_order_asks_reprompts_and_answers(
    api: httpx.Client, bot: None, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    assert texts(say(chat, "where is my parcel?")) == ["What is your order number?"]
    assert texts(say(chat, "it's 4001234")) == [
        "That doesn't look like an order number; it has 8 digits and starts with 4."
    ]
    assert texts(say(chat, "40012345")) == ["What is the email address or postcode on the order?"]
    # The slot value lived in the dialogue state between turns: encrypted, like the messages.
    with runtime.db.session() as session:
        state = session.scalar(
            select(Conversation.bot_state).where(Conversation.id == uuid.UUID(chat.id))
        )
    assert state is not None and b"4001" not in state
    # acme has no order connector: the bot says so honestly.
    assert texts(say(chat, "shopper@example.com")) == ["I can't check order 40012345 right now."]


def test_an_order_number_in_the_first_message_needs_no_question(
    api: httpx.Client, bot: None
) -> None:
    chat = start_chat(api, "acme", "fi")
    assert texts(say(chat, "missä on tilaus 40054321? maija@example.fi")) == [
        "En pysty tarkistamaan tilausta 40054321 juuri nyt."
    ]


def test_after_two_bad_answers_a_person_is_offered(
    api: httpx.Client, bot: None, agent_online: None
) -> None:
    chat = start_chat(api, "acme", "en")
    say(chat, "track my order")
    say(chat, "dunno")
    # The second miss says where to find the number (never the same re-prompt twice).
    assert texts(say(chat, "no idea")) == ["The order number is in your order confirmation email."]
    offer = say(chat, "???")
    assert texts(offer) == ["I can't help with that. Would you like to talk to a person?"]
    assert offer["replies"][0]["buttons"] == [  # type: ignore[index]
        {"label": "Talk to a person", "payload": "intent:human_agent"}
    ]


def test_a_new_question_leaves_the_flow(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "en")
    say(chat, "where is my order")
    assert texts(say(chat, "how much is shipping?")) == [
        "Delivery to Finland is **4.90 €**, free over 50 €."
    ]


def test_a_country_follow_up_reanswers_the_last_question(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "en")
    say(chat, "what does delivery cost")
    assert texts(say(chat, "and to Norway?")) == ["Delivery to Norway is 9.90 €."]
    assert texts(say(chat, "what about Sweden")) == ["Delivery to Sweden is 6.90 €."]
    assert texts(say(chat, "shipping price to Norway")) == ["Delivery to Norway is 9.90 €."]


def test_the_fallback_ladder_rephrase_suggest_offer(
    api: httpx.Client, bot: None, agent_online: None
) -> None:
    chat = start_chat(api, "acme", "en")
    first = say(chat, "what's the weather like in Oulu")
    assert texts(first) == ["Sorry, could you say that another way?"]
    # Close to a topic, not close enough to answer: the topic is suggested.
    second = say(chat, "is it free")
    assert texts(second) == ["Did you mean one of these?"]
    buttons = second["replies"][0]["buttons"]  # type: ignore[index]
    assert 1 <= len(buttons) <= 3
    assert "intent:delivery_cost" in [b["payload"] for b in buttons]
    assert all(b["payload"].startswith("intent:") for b in buttons)
    assert "intent:human_agent" not in [b["payload"] for b in buttons]
    third = say(chat, "who won the hockey game")
    assert texts(third) == ["I can't help with that. Would you like to talk to a person?"]
    assert third["handover_requested"] is False  # offered, not yet asked for
    # An answer resets the ladder.
    say(chat, "hello")
    assert texts(say(chat, "write me a poem")) == ["Sorry, could you say that another way?"]


def test_nothing_close_to_a_topic_gets_no_did_you_mean(
    api: httpx.Client, bot: None, agent_online: None
) -> None:
    chat = start_chat(api, "acme", "en")
    assert texts(say(chat, "what's the weather like in Oulu")) == [
        "Sorry, could you say that another way?"
    ]
    offer = say(chat, "tell me a joke please")
    assert texts(offer) == ["I can't help with that. Would you like to talk to a person?"]


def test_with_nobody_online_the_ladder_offers_no_person(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "en")
    say(chat, "track my order")
    say(chat, "dunno")
    say(chat, "no idea")
    last = say(chat, "???")
    assert texts(last) == ["Sorry, could you say that another way?"]
    assert last["replies"][0]["buttons"] == []  # type: ignore[index]


def test_asking_for_a_person_requests_the_handover(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "fi")
    body = say(chat, "haluan puhua oikealle ihmiselle")
    assert texts(body) == ["Yhdistän sinut asiakaspalveluun."]
    assert body["handover_requested"] is True


def test_a_quick_reply_payload_picks_the_intent(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "en")
    greeting = say(chat, "hi")
    button = greeting["replies"][0]["buttons"][0]  # type: ignore[index]
    assert button == {"label": "Delivery cost", "payload": "intent:delivery_cost"}
    chosen = say(chat, button["label"], payload=button["payload"])
    assert chosen["message"]["text"] == "Delivery cost"  # type: ignore[index]
    assert texts(chosen) == ["Delivery to Finland is **4.90 €**, free over 50 €."]
    bad = chat.send("x", payload="javascript:alert(1)")
    assert bad.status_code == 422


def test_the_bot_follows_the_shopper_into_another_language(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "acme", "en")
    body = say(chat, "paljonko toimitus maksaa suomeen")
    assert body["language"] == "fi"
    assert texts(body) == ["Toimitus Suomeen maksaa **4,90 €**, yli 50 €:n tilaukset ilmaiseksi."]
    state = api.get(f"/api/v1/conversations/{chat.id}", headers=chat.auth).json()
    assert state["language"] == "fi"
    # A one-word reply in a language both share keeps the conversation's language.
    assert say(chat, "ok")["language"] == "fi"


def test_tenants_without_content_keep_the_keyword_responder(api: httpx.Client, bot: None) -> None:
    chat = start_chat(api, "bobs", "sv")
    assert texts(say(chat, "hej")) == ["Hej! Hur kan jag hjälpa dig?"]


def test_an_unusable_stored_model_is_retrained(
    api: httpx.Client, bot: None, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    say(chat, "hi")  # builds the bot and stores its model
    with runtime.db.session() as session:
        session.execute(update(BotModel).values(archive=b"not a zip file"))
    runtime.bots = BotRegistry()  # as a freshly started node would
    assert texts(say(chat, "how much is shipping?")) == [
        "Delivery to Finland is **4.90 €**, free over 50 €."
    ]
    runtime.bots.finish_saving()  # the retrained model is stored from a thread of its own
    with runtime.db.session() as session:
        assert session.scalar(select(BotModel.archive)).startswith(b"PK")


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("do u deliver to the UK", ["GB"]),
        ("toimitatteko saksaan tai viroon?", ["DE", "EE"]),
        ("skickar ni till Storbritannien", ["GB"]),
        ("and to the united  states?", ["US"]),
        ("norway or US", ["NO", "US"]),
        ("can you tell us the price", []),  # "us" is a word; only "US" is the country
        ("a lovely island cottage", []),
    ],
)
def test_countries_beyond_the_nordics_are_recognised(text: str, countries: list[str]) -> None:
    from botdesk.bot.countries import countries_in

    assert countries_in(text) == countries


def test_with_nobody_online_the_ladder_ends_with_other_ways_to_reach_the_shop(
    nordkapp: None,  # noqa: F811 (the fixture imported above)
    api: httpx.Client,
) -> None:
    from tests.test_tracking import SLUG

    chat = start_chat(api, SLUG, "en")
    replies = [say(chat, text) for text in ("blorp", "zzzt qwerty", "flibber jabber")]
    last = replies[-1]["replies"][0]  # type: ignore[index]
    assert "help@nordkappwear.example" in last["text"]
    assert "Leave a message" in last["text"]
    # The person button leads to the leave-a-message form while nobody is online.
    assert [b["payload"] for b in last["buttons"]] == ["intent:human_agent"]


def test_asking_for_a_person_while_nobody_is_in_promises_no_connection(
    nordkapp: None,  # noqa: F811 (the fixture imported above)
    api: httpx.Client,
) -> None:
    from tests.test_tracking import SLUG

    chat = start_chat(api, SLUG, "fi")
    body = say(chat, "haluan puhua ihmiselle")
    assert texts(body) == [
        "Asiakaspalvelumme ei ole juuri nyt paikalla. Jätä viesti alla olevalla lomakkeella, "
        "niin vastaamme sähköpostiisi heti, kun olemme taas paikalla."
    ]
    assert body["handover_requested"] is True
    # ... and the form that follows is the leave-a-message one.
    form = api.get(f"/api/v1/conversations/{chat.id}/handover", headers=chat.auth).json()
    assert form["form"]["kind"] == "offline"
