"""Handover end to end in headless Chromium: a shopper on the shop page and two staff consoles.

Shopper asks for a person → pre-chat form (inline error, then sent) → sees their queue position →
the agent hears the queue, accepts → chat both ways with typing indicators → transfer to the
admin → the admin closes → the shopper rates. Screenshots land in ./screenshots/handover-*.png.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from botdesk.models import AuditEntry, Conversation, User
from botdesk.runtime import Runtime
from tests.conftest import PASSWORD, LiveServer, Personas
from tests.test_widget import SHOTS, Shop

pytestmark = pytest.mark.browser
TIMEOUT = 15_000


def console(browser: Any, server: LiveServer, user: User) -> Any:
    context = browser.new_context(base_url=server.url, viewport={"width": 1320, "height": 900})
    page = context.new_page()
    page.goto("/console/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.locator("#desk").wait_for()
    return page


@pytest.fixture
def people(
    chromium: Any, server: LiveServer, personas: Personas, bot: None
) -> Iterator[tuple[Shop, Any, Any]]:
    shop = Shop(chromium, server)
    agent = console(chromium, server, personas.alice.agent)
    admin = console(chromium, server, personas.alice.admin)
    yield shop, agent, admin
    for page in (agent, admin):
        page.context.close()
    shop.close()


def test_shopper_and_agents_through_a_whole_handover(
    people: tuple[Shop, Any, Any], runtime: Runtime, personas: Personas
) -> None:
    shop, agent, admin = people
    agent.locator("#presence").select_option("online")
    agent.get_by_text("Shoppers can reach a person now.").wait_for(timeout=TIMEOUT)

    shop.allowed.append("status of 422")  # the form sent with a bad email, on purpose
    page = shop.open("lang=en")
    page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Write a message…")
    box.fill("Can I talk to a person?")
    box.press("Enter")
    region = page.get_by_role("region", name="Talk to a person")
    region.get_by_label("Email").wait_for(timeout=TIMEOUT)
    region.get_by_label("Email").fill("not an email")
    region.get_by_role("button", name="Join the queue").click()
    problem = region.get_by_text("Check the email address")
    problem.wait_for(timeout=TIMEOUT)
    assert region.get_by_label("Email").get_attribute("aria-invalid") == "true"
    region.get_by_label("Email").fill("maija@example.fi")
    region.get_by_label(re.compile("Topic")).select_option("order")
    page.screenshot(path=str(SHOTS / "handover-form.png"))
    region.get_by_role("button", name="Join the queue").click()
    region.get_by_text("You are number 1 in the queue.").wait_for(timeout=TIMEOUT)
    page.screenshot(path=str(SHOTS / "handover-queue.png"))

    # The agent's queue fills in live (no reload) and rings.
    accept = agent.locator("#queue").get_by_role("button", name="Accept")
    accept.wait_for(timeout=TIMEOUT)
    assert agent.title().startswith("(1)")
    accept.click()
    agent.locator(".formdata").get_by_text("maija@example.fi").wait_for(timeout=TIMEOUT)
    agent.get_by_text("Can I talk to a person?").wait_for()
    page.get_by_text("alice agent joined the chat.").wait_for(timeout=TIMEOUT)
    assert region.is_hidden()

    # Typing both ways, then messages both ways.
    reply = agent.get_by_label("Reply to the shopper")
    reply.press_sequentially("Hello Maija", delay=20)
    page.get_by_role("status", name="alice agent is typing…").wait_for(timeout=TIMEOUT)
    reply.press("Enter")
    page.get_by_text("Hello Maija").wait_for(timeout=TIMEOUT)
    box.press_sequentially("My order 40012345 has not arrived", delay=20)
    agent.get_by_text("The shopper is typing…").wait_for(timeout=TIMEOUT)
    box.press("Enter")
    agent.get_by_text("My order 40012345 has not arrived").wait_for(timeout=TIMEOUT)
    agent.get_by_label("Internal note").fill("Courier delay in Lapland")
    agent.get_by_role("button", name="Add note").click()
    agent.get_by_text("Courier delay in Lapland").wait_for(timeout=TIMEOUT)
    agent.screenshot(path=str(SHOTS / "handover-console.png"))

    # Transfer to the admin, who sees it in their list and closes it.
    agent.locator("#transfer-to").select_option(str(personas.alice.admin.id))
    agent.get_by_role("button", name="Transfer").click()
    page.get_by_text("alice admin has taken over the chat.").wait_for(timeout=TIMEOUT)
    conversation_id = _only_conversation(runtime)
    admin.locator(f"#mine [data-id='{conversation_id}'] button.open").click(timeout=TIMEOUT)
    admin.get_by_label("Reply to the shopper").fill("I'll sort it out. Have a nice day!")
    admin.get_by_label("Reply to the shopper").press("Enter")
    page.get_by_text("I'll sort it out. Have a nice day!").wait_for(timeout=TIMEOUT)
    admin.locator("#outcome").select_option("resolved")
    admin.get_by_role("button", name="Close conversation").click()

    page.get_by_text("How did we do?").wait_for(timeout=TIMEOUT)
    page.screenshot(path=str(SHOTS / "handover-rating.png"))
    page.get_by_role("button", name="5 of 5").click()
    page.get_by_text("Thanks for your feedback!").wait_for(timeout=TIMEOUT)
    # Notes never reach the shopper's page.
    assert page.get_by_text("Courier delay in Lapland").count() == 0
    assert shop.errors == []

    with runtime.db.session() as session:
        row = session.get(Conversation, conversation_id)
        assert row is not None
        assert (row.status.value, row.outcome, row.csat) == ("closed", "resolved", 5)
        assert row.assigned_agent_id == personas.alice.admin.id
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"conversation.accepted", "conversation.transferred", "conversation.closed"} <= actions


def _only_conversation(runtime: Runtime) -> uuid.UUID:
    with runtime.db.session() as session:
        ids = list(session.scalars(select(Conversation.id)))
    assert len(ids) == 1
    return ids[0]
