"""Order tracking through the visitor API, against the demo merchant over real HTTP.

The demo tenant's content (all four languages) and the demo merchant's orders, served by the
test server itself; every answer is checked in the shopper's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from botdesk import demo_merchant
from botdesk.actions.audit import Actor
from botdesk.actions.bot_content import save_content
from botdesk.actions.tenants import create_tenant
from botdesk.demo import bundled_demo_content, seed_demo_orders
from botdesk.models import AuditEntry, OrderConnector
from botdesk.runtime import Runtime
from tests.conftest import LiveServer, VisitorChat, start_chat

SLUG = "nordkapp"
QUESTION = {
    "en": "where is my order",
    "fi": "missä on mun tilaus",
    "sv": "var är min beställning",
    "nb": "hvor er bestillingen min",
}
# (order, email on it, its state's words in each language: en, fi, sv, nb)
ORDERS = [
    (
        "40089012",
        "lauri.nieminen@example.fi",
        (
            "hasn't been confirmed",
            "maksua ei ole vielä vahvistettu",
            "betalningen är inte bekräftad",
            "betalingen er ikke bekreftet",
        ),
    ),
    (
        "40056789",
        "sara.nilsson@example.se",
        ("is paid and waiting", "on maksettu", "är betald", "er betalt"),
    ),
    (
        "40045678",
        "mikko.korhonen@example.fi",
        ("is packed", "on pakattu", "är packad", "er pakket"),
    ),
    (
        "40012345",
        "aino.virtanen@example.fi",
        ("is on its way", "on matkalla", "är på väg", "er på vei"),
    ),
    (
        "40023456",
        "erik.lindqvist@example.se",
        ("out for delivery today", "on jakelussa", "ute för utkörning", "ute for levering"),
    ),
    (
        "40090123",
        "kaisa.laine@example.fi",
        ("couldn't deliver", "ei saanut toimitettua", "kunde inte leverera", "fikk ikke levert"),
    ),
    (
        "40034567",
        "ingrid.hansen@example.no",
        ("has been delivered", "on toimitettu", "har levererats", "er levert"),
    ),
    (
        "40078901",
        "emma.smith@example.com",
        ("has come back to us", "on palautunut", "har kommit tillbaka", "har kommet tilbake"),
    ),
    (
        "40067890",
        "ole.berg@example.no",
        ("has been cancelled", "on peruttu", "har avbeställts", "er kansellert"),
    ),
]
LANGUAGES = ("en", "fi", "sv", "nb")
NOT_FOUND = {
    "en": "couldn't find an order",
    "fi": "en löytänyt tilausta",
    "sv": "hittade ingen order",
    "nb": "fant ingen ordre",
}
PROOF_PROMPT = {
    "en": "email address or the delivery postcode",
    "fi": "sähköpostiosoite tai toimitusosoitteen postinumero",
    "sv": "vilken e-postadress",
    "nb": "hvilken e-postadresse",
}


@pytest.fixture
def nordkapp(runtime: Runtime, server: LiveServer) -> Iterator[None]:
    """A four-language shop with the demo content, connected to the demo merchant."""
    with runtime.db.session() as session:
        tenant = create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug=SLUG,
            name="Nordkapp Wear",
            languages=list(LANGUAGES),
        )
        tenant.sample_rate = 0.0
        save_content(session, Actor.operator(), tenant, bundled_demo_content())
        tenant_id = tenant.id
    with runtime.db.session() as session:
        # The model first (a minute the first time in a run), so no request waits for it.
        runtime.bots.responder(session, tenant_id)
    seed_demo_orders(runtime, SLUG, base_url=server.url)
    yield


def said(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return "\n".join(reply["text"] for reply in response.json()["replies"])


def ask(chat: VisitorChat, text: str, address: str | None = None) -> str:
    headers = {"X-Forwarded-For": address} if address else {}
    response = chat.client.post(
        f"/api/v1/conversations/{chat.id}/messages",
        json={"text": text},
        headers={**chat.auth, **headers},
    )
    return said(response)


def fresh_address() -> str:
    """A client address of its own, so per-address limits of other tests never meet this one."""
    value = uuid.uuid4().int
    return f"198.18.{value % 250}.{value // 250 % 250 + 1}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_demo_order_state_in_each_language(
    nordkapp: None, api: httpx.Client, language: str
) -> None:
    chat = start_chat(api, SLUG, language)
    index = LANGUAGES.index(language)
    for number, email, words in ORDERS:
        text = ask(chat, f"{QUESTION[language]} {number} {email}")
        assert words[index].casefold() in text.casefold(), (number, text)
        assert email not in text  # the proof is never repeated back


def test_a_shipped_order_shows_carrier_link_expected_delivery_and_events(
    nordkapp: None, api: httpx.Client
) -> None:
    chat = start_chat(api, SLUG, "fi")
    text = ask(chat, "missä on tilaus 40012345")
    assert PROOF_PROMPT["fi"] in text
    text = ask(chat, "aino.virtanen@example.fi")
    assert "Posti" in text
    assert "(https://www.posti.fi/" in text and "JJFI60012300000012345" in text
    assert "Arvioitu toimitus" in text
    assert "Arrived at the sorting centre, Vantaa" in text


def test_wrong_email_and_unknown_order_get_the_same_answer(
    nordkapp: None, api: httpx.Client
) -> None:
    address = fresh_address()
    wrong_pair = ask(start_chat(api, SLUG, "en"), "where is 40012345 x@example.com", address)
    unknown = ask(start_chat(api, SLUG, "en"), "where is 40099999 x@example.com", address)
    assert NOT_FOUND["en"] in wrong_pair
    assert wrong_pair.replace("40012345", "N") == unknown.replace("40099999", "N")


def test_postcode_proves_only_when_the_bot_asked_for_it(nordkapp: None, api: httpx.Client) -> None:
    chat = start_chat(api, SLUG, "sv")
    # A postcode in the first message is not taken: the bot still asks for the proof.
    assert PROOF_PROMPT["sv"] in ask(chat, "var är order 40023456 114 53")
    assert "ute för utkörning" in ask(chat, "114 53")
    chat = start_chat(api, SLUG, "nb")
    assert PROOF_PROMPT["nb"] in ask(chat, "hvor er ordre 40034567")
    assert NOT_FOUND["nb"] in ask(chat, "0151", fresh_address())


def test_guessing_is_limited_per_conversation_then_a_person_is_offered(
    nordkapp: None, api: httpx.Client, runtime: Runtime
) -> None:
    chat = start_chat(api, SLUG, "en")
    address = fresh_address()
    limit = runtime.settings.tracking_failures_per_conversation
    for attempt in range(limit):
        assert NOT_FOUND["en"] in ask(chat, f"where is 40012345 guess{attempt}@x.fi", address)
    blocked = ask(chat, "where is 40012345 aino.virtanen@example.fi", address)
    assert "can't check any more orders in this chat" in blocked
    # Another conversation from another address still may.
    other = ask(start_chat(api, SLUG, "en"), "where is 40012345 aino.virtanen@example.fi")
    assert "is on its way" in other


def test_guessing_is_limited_per_client_address(
    nordkapp: None, api: httpx.Client, runtime: Runtime
) -> None:
    address = fresh_address()
    per_chat = runtime.settings.tracking_failures_per_conversation
    limit = runtime.settings.tracking_failures_per_address
    failures = 0
    while failures < limit:
        chat = start_chat(api, SLUG, "en")
        for _ in range(min(per_chat, limit - failures)):
            ask(chat, f"where is 40012345 g{failures}@x.fi", address)
            failures += 1
    fresh_chat = start_chat(api, SLUG, "en")
    text = ask(fresh_chat, "where is 40012345 aino.virtanen@example.fi", address)
    assert "can't check any more orders in this chat" in text


def test_a_verified_proof_serves_the_next_question_in_the_conversation(
    nordkapp: None, api: httpx.Client
) -> None:
    chat = start_chat(api, SLUG, "en")
    assert "is on its way" in ask(chat, "where is my order 40012345 aino.virtanen@example.fi")
    # The same email is remembered for the next question in this conversation.
    again = ask(chat, "and where is order 40012345 now?")
    assert "is on its way" in again


def test_a_tracking_number_alone_gets_the_carriers_page_and_nothing_from_an_order(
    nordkapp: None, api: httpx.Client
) -> None:
    for language, code, site in (
        ("en", "RR123456785FI", "posti.fi"),
        ("sv", "UA526018152SE", "postnord"),
        ("nb", "LX 131 860 912 NO", "bring"),
    ):
        chat = start_chat(api, SLUG, language)
        text = ask(chat, f"{QUESTION[language]}? {code}")
        assert site in text.lower(), text
        assert "Vantaa" not in text and "@" not in text


def test_no_order_number_gets_help_then_a_person_never_the_same_prompt_twice(
    nordkapp: None, api: httpx.Client
) -> None:
    chat = start_chat(api, SLUG, "en")
    first = ask(chat, "where is my order")
    assert "What's your order number" in first
    help_text = ask(chat, "i dont have the number")
    assert "order confirmation we emailed you" in help_text
    proof = ask(chat, "found it: 40045678")
    assert PROOF_PROMPT["en"] in proof
    assert "is packed" in ask(chat, "mikko.korhonen@example.fi")

    chat = start_chat(api, SLUG, "fi")
    replies = [ask(chat, text) for text in ("missä mun tilaus", "123", "456", "789")]
    assert len(set(replies)) == 4  # never the same re-prompt twice


def test_a_tenant_without_a_connector_says_so_honestly(
    nordkapp: None, api: httpx.Client, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        session.delete(session.scalars(select(OrderConnector)).one())
    runtime.tenants.clear()
    text = ask(start_chat(api, SLUG, "nb"), "hvor er ordre 40012345 aino.virtanen@example.fi")
    assert "kan ikke sjekke status for **40012345**" in text


def test_the_demo_merchant_refuses_a_wrong_token(nordkapp: None, api: httpx.Client) -> None:
    url = f"/demo-merchant/{SLUG}/orders/40012345"
    assert api.get(url).status_code == 401
    # Odd path input is a plain 404 on every database, never a 500.
    for odd in ("/demo-merchant/de%00mo/orders/1", f"/demo-merchant/{SLUG}/orders/4%00"):
        assert api.get(odd, headers={"Authorization": "Bearer x"}).status_code == 404
    assert api.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert (
        api.get("/demo-merchant/nobody/orders/1", headers={"Authorization": "Bearer x"}).status_code
        == 404
    )


def test_saving_the_connector_is_audited_without_secrets(nordkapp: None, runtime: Runtime) -> None:
    with runtime.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "connector.saved")
        ).one()
        row = session.scalars(select(OrderConnector)).one()
    assert entry.details["kind"] == "generic"
    assert "secrets" in entry.details["settings"]
    # Sealed: the token is not in the row in clear, and opens only with the tenant's key.
    assert demo_merchant.token(runtime.keyring, row.tenant_id).encode() not in row.sealed_secrets
    entry_config = runtime.tenants.get(row.tenant_id).connector
    assert entry_config is not None
    assert entry_config.secrets["token"] == demo_merchant.token(runtime.keyring, row.tenant_id)


def test_the_demo_orders_table_in_the_docs_is_what_the_demo_seeds() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "orders.md").read_text()
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in docs.splitlines()
        if line.startswith("| 400")
    ]
    dash = "\u2013"  # an en dash: nothing known
    seeded = [
        [
            s.number,
            s.email,
            demo_merchant.STATES[s.status],
            s.postcode,
            s.carrier or dash,
            s.tracking or dash,
        ]
        for s in demo_merchant.DEMO_ORDERS
    ]
    assert rows == seeded
    # Every state the bot can tell is in the demo.
    assert {row[2] for row in rows} == set(demo_merchant.STATES.values())


def test_a_remembered_proof_that_does_not_fit_the_next_order_is_asked_for_again(
    nordkapp: None, api: httpx.Client
) -> None:
    chat = start_chat(api, SLUG, "en")
    address = fresh_address()
    assert "is on its way" in ask(chat, "where is 40012345 aino.virtanen@example.fi", address)
    # 40001234 is someone else's email: the remembered one does not fit, so the bot asks.
    assert PROOF_PROMPT["en"] in ask(chat, "and when will 40001234 arrive?", address)
    assert "is on its way" in ask(chat, "johan.berg@example.se", address)


def test_numbers_typed_in_groups_and_identifiers_do_not_switch_the_language(
    nordkapp: None, api: httpx.Client
) -> None:
    chat = start_chat(api, SLUG, "sv")
    assert PROOF_PROMPT["sv"] in ask(chat, "när kommer min beställning 40-056-789")
    # An email alone says nothing of the language: the answer stays Swedish.
    assert "är betald" in ask(chat, "sara.nilsson@example.se")
    chat = start_chat(api, SLUG, "fi")
    assert PROOF_PROMPT["fi"] in ask(chat, "missä on tilaus #4004-5678")
    assert NOT_FOUND["fi"] in ask(chat, "wrong@example.com", fresh_address()).casefold()


def test_guesses_sent_in_parallel_are_limited_all_the_same(
    nordkapp: None, server: LiveServer, runtime: Runtime
) -> None:
    import asyncio

    limit = runtime.settings.tracking_failures_per_conversation
    address = fresh_address()

    async def flood() -> list[str]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            started = await client.post(
                f"/api/v1/tenants/{SLUG}/conversations", json={"language": "en"}
            )
            body = started.json()
            headers = {
                "Authorization": f"Bearer {body['visitor_token']}",
                "X-Forwarded-For": address,
            }
            url = f"/api/v1/conversations/{body['conversation']['id']}/messages"
            # Another conversation from the same address, guessing at the same time.
            other = (
                await client.post(f"/api/v1/tenants/{SLUG}/conversations", json={"language": "en"})
            ).json()
            other_headers = {**headers, "Authorization": f"Bearer {other['visitor_token']}"}
            other_url = f"/api/v1/conversations/{other['conversation']['id']}/messages"
            sends = [
                client.post(
                    url if n % 2 else other_url,
                    json={"text": f"where is 40012345 guess{n}@x.fi"},
                    headers=headers if n % 2 else other_headers,
                )
                for n in range(4 * limit)
            ]
            answers = await asyncio.gather(*sends)
        return ["\n".join(r["text"] for r in a.json()["replies"]) for a in answers]

    texts = asyncio.run(flood())
    refused = [t for t in texts if NOT_FOUND["en"] in t]
    blocked = [t for t in texts if "can't check any more orders" in t]
    # Each conversation gets its own budget of `limit`; none is exceeded by sending at once.
    assert len(refused) == 2 * limit, texts
    assert len(blocked) == 2 * limit


def test_a_corrected_order_number_replaces_the_first_while_the_proof_is_awaited(
    nordkapp: None, api: httpx.Client
) -> None:
    chat = start_chat(api, SLUG, "en")
    assert PROOF_PROMPT["en"] in ask(chat, "where is my order 40012345")
    assert PROOF_PROMPT["en"] in ask(chat, "sorry, it's 40023456")
    assert "out for delivery today" in ask(chat, "erik.lindqvist@example.se")


def test_logs_hold_no_order_number_email_or_merchant_url(
    nordkapp: None, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from botdesk.logs import configure_logging

    configure_logging("INFO")
    caplog.set_level(logging.INFO)
    try:
        chat = start_chat(api, SLUG, "en")
        assert "on its way" in ask(chat, "where is 40012345 aino.virtanen@example.fi")
        ask(chat, "where is 40099999 nobody@example.fi", fresh_address())
    finally:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    # What botdesk itself logs (`botdesk serve` runs uvicorn without its access log).
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("uvicorn.access")
    )
    assert "HTTP Request" not in logged
    for secret in ("40012345", "40099999", "aino.virtanen", "nobody@", "/demo-merchant/"):
        assert secret not in logged
