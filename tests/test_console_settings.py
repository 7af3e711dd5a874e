"""The tenant admin's settings page and canned replies: over HTTP, in Chromium and in the CLI."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from botdesk.actions.audit import Actor
from botdesk.actions.canned_replies import create_canned_reply
from botdesk.handover import DEFAULT_TOPICS
from botdesk.models import AuditEntry, CannedReply, Tenant, User
from botdesk.runtime import Runtime
from tests.cli import run
from tests.conftest import PASSWORD, LiveServer, Personas, console_sign_in

SETTINGS = ("handover", "require_totp", "retention_bot_days", "retention_agent_days")
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def restore(runtime: Runtime, personas: Personas) -> Iterator[None]:
    """Put the persona tenants' settings back: other tests rely on their defaults."""
    saved = {t.id: stored(runtime, t.id) for t in (personas.alice.tenant, personas.bob.tenant)}
    yield
    with runtime.db.session() as session:
        session.execute(
            update(User)
            .where(User.id == personas.alice.admin.id)
            .values(totp_enabled_at=personas.alice.admin.totp_enabled_at)
        )
        for tenant_id, values in saved.items():
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            for name, value in values.items():
                setattr(tenant, name, value)


def stored(runtime: Runtime, tenant_id: object) -> dict[str, Any]:
    with runtime.db.session() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        names = (*SETTINGS, "privacy_policy_url", "business_contacts")
        return {name: getattr(tenant, name) for name in names}


def sign_in(client: httpx.Client, user: User) -> str:
    """Sign in and return the form token of the session."""
    response = console_sign_in(client, user.email)
    assert response.status_code == 303, response.text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/console").text)
    assert match
    return match.group(1)


def audit(runtime: Runtime, prefix: str) -> list[AuditEntry]:
    """Audit rows of staff actions (set-up by the operator, such as the personas, left out)."""
    with runtime.db.session() as session:
        query = select(AuditEntry).where(
            AuditEntry.action.startswith(prefix), AuditEntry.actor_id.is_not(None)
        )
        return list(session.scalars(query.order_by(AuditEntry.id)))


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def topics_form(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The pre-chat form section as the page posts it for acme (fi, en), unchanged."""
    data = {f"field-{name}": rule for name, rule in DEFAULT_RULES.items()} | {"consent": "notice"}
    for i, (key, labels) in enumerate(DEFAULT_TOPICS.items()):
        data |= {f"topic-{i}-id": key, f"topic-{i}-fi": labels["fi"], f"topic-{i}-en": labels["en"]}
    new = len(DEFAULT_TOPICS)
    data |= {f"topic-{new}-id": "", f"topic-{new}-new": "1", f"topic-{new}-fi": ""}
    return data | (extra or {})


DEFAULT_RULES = {
    "email": "required",
    "order_number": "optional",
    "topic": "optional",
    "message": "optional",
}
NO_HOURS = {f"hours-{day}": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_admin_saves_each_section_and_sees_it_stored(
    browser: httpx.Client, personas: Personas, runtime: Runtime, restore: None
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    page = browser.get("/console/settings")
    assert page.status_code == 200
    assert "Always, whenever an agent is online" in page.text
    assert 'href="/console/settings?tenant=acme"' in page.text  # the nav link admins get
    # Each section once, in the page's body: not also in its <title> or its nav.
    assert page.text.count('id="widget"') == page.text.count('id="agents"') == 1
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert title is not None and title.group(1) == "Settings · Acme Outdoor · botdesk"

    hours = browser.post(
        "/console/settings/hours",
        data=NO_HOURS
        | {"csrf": csrf, "zone": "Europe/Helsinki", "mode": "weekly"}
        | {"hours-mon": "9:00-12:00, 13:00 - 17:00", "hours-sat": "10:00–14:00"},  # noqa: RUF001
    )
    assert hours.status_code == 303
    assert hours.headers["location"] == "/console/settings?tenant=acme&saved=hours#hours"
    shown = browser.get(hours.headers["location"])
    assert "Opening hours saved." in shown.text
    assert 'value="09:00–12:00, 13:00–17:00"' in shown.text  # noqa: RUF001

    form = topics_form(
        {
            "field-email": "optional",
            "field-order_number": "required",
            "field-topic": "optional",
            "field-message": "hidden",
            "consent": "checkbox",
            "topic-0-fi": "Tilaukseni",
            "topic-5-remove": "on",  # "other"
            "topic-6-id": "warranty",
            "topic-6-en": "Warranty",
        }
    )
    assert browser.post("/console/settings/form", data=form | {"csrf": csrf}).status_code == 303
    agents = {
        "csrf": csrf,
        "max_chats": "5",
        "queue_grace": "120",
        "idle_minutes": "45",
        "require_totp": "on",
    }
    # Requiring a second factor the admin has not set up would lock them out at once.
    lockout = browser.post("/console/settings/agents", data=agents)
    assert lockout.status_code == 422
    assert "Set up two-factor sign-in for your own account" in lockout.text
    assert stored(runtime, personas.alice.tenant.id)["handover"]["max_chats"] == 3
    with runtime.db.session() as session:
        session.execute(
            update(User)
            .where(User.id == personas.alice.admin.id)
            .values(totp_enabled_at=dt.datetime.now(dt.UTC))
        )
    assert browser.post("/console/settings/agents", data=agents).status_code == 303
    retention = {"csrf": csrf, "bot_days": "30", "agent_mode": "days", "agent_days": "365"}
    assert browser.post("/console/settings/retention", data=retention).status_code == 303
    privacy = {"csrf": csrf, "privacy_policy_url": "https://acme.example/privacy"}
    assert browser.post("/console/settings/privacy", data=privacy).status_code == 303

    now = stored(runtime, personas.alice.tenant.id)
    handover = now["handover"]
    assert handover["timezone"] == "Europe/Helsinki"
    assert handover["hours"] == {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "sat": [["10:00", "14:00"]],
    }
    assert handover["fields"] == {
        "email": "optional",
        "order_number": "required",
        "topic": "optional",
        "message": "hidden",
    }
    assert handover["consent"] == "checkbox"
    assert "other" not in handover["topics"]
    assert handover["topics"]["warranty"] == {"en": "Warranty"}
    # Labels in languages acme does not offer (sv, nb) are kept, not dropped by the form.
    assert handover["topics"]["order"] == {
        "fi": "Tilaukseni",
        "sv": "Beställning",
        "nb": "Bestilling",
        "en": "My order",
    }
    assert handover["max_chats"] == 5
    assert (handover["queue_grace_seconds"], handover["idle_minutes"]) == (120, 45)
    assert now["require_totp"] is True
    assert (now["retention_bot_days"], now["retention_agent_days"]) == (30, 365)
    assert now["privacy_policy_url"] == "https://acme.example/privacy"
    assert stored(runtime, personas.bob.tenant.id)["handover"] == {}

    # Each save is audited with what changed, by whom; never the values typed.
    rows = audit(runtime, "tenant.")
    assert [(r.action, r.details.get("settings")) for r in rows] == [
        ("tenant.handover_configured", ["timezone", "hours"]),
        ("tenant.handover_configured", ["fields", "topics", "consent"]),
        ("tenant.handover_configured", ["max_chats", "queue_grace_seconds", "idle_minutes"]),
        ("tenant.configured", ["require_totp"]),
        ("tenant.configured", ["retention_bot_days", "retention_agent_days"]),
        ("tenant.configured", ["privacy_policy_url"]),
    ]
    assert {(r.actor_id, r.tenant_id) for r in rows} == {
        (personas.alice.admin.id, personas.alice.tenant.id)
    }
    assert "acme.example" not in str([r.details for r in rows])

    back = {"csrf": csrf, "zone": "Europe/Helsinki", "mode": "always"} | NO_HOURS
    assert browser.post("/console/settings/hours", data=back).status_code == 303
    assert stored(runtime, personas.alice.tenant.id)["handover"]["hours"] == {}
    keep = {"csrf": csrf, "bot_days": "30", "agent_mode": "request", "agent_days": "365"}
    browser.post("/console/settings/retention", data=keep)
    assert stored(runtime, personas.alice.tenant.id)["retention_agent_days"] is None


@pytest.mark.parametrize(
    ("section", "data", "message"),
    [
        ("hours", {"zone": "Mars/Olympus", "mode": "always"}, "Unknown time zone 'Mars/Olympus'"),
        ("hours", {"zone": "UTC", "mode": "weekly", "hours-mon": "9-17"}, "Monday: write hours"),
        (
            "hours",
            {"zone": "UTC", "mode": "weekly", "hours-tue": "17:00-09:00"},
            "Tuesday: 17:00-09:00 ends before it starts",
        ),
        (
            "hours",
            {"zone": "UTC", "mode": "weekly", "hours-wed": "25:00-26:00"},
            "is not a time of day",
        ),
        ("hours", {"zone": "UTC", "mode": "weekly"}, "Enter the hours of at least one day"),
        ("form", topics_form({"field-email": "sometimes"}), "Email: choose required, optional"),
        ("form", topics_form({"consent": "maybe"}), "Consent must be one of"),
        ("form", topics_form({"topic-6-id": "Bad Id", "topic-6-fi": "X"}), "Topics: ids are 1"),
        ("form", topics_form({"topic-6-id": "order", "topic-6-fi": "X"}), "already a topic"),
        ("form", topics_form({"topic-6-id": "gift"}), "'gift' needs a label"),
        ("agents", {"max_chats": "0", "require_totp": "on"}, "from 1 to 20"),
        ("agents", {"max_chats": "lots"}, "from 1 to 20"),
        (
            "agents",
            {"max_chats": "3", "queue_grace": "5", "idle_minutes": "30"},
            "leaves the queue must be a whole number from 15 to 3600",
        ),
        (
            "agents",
            {"max_chats": "3", "queue_grace": "90", "idle_minutes": "99999"},
            "a quiet chat is closed must be a whole number from 5 to 1440",
        ),
        (
            "retention",
            {"bot_days": "30", "agent_mode": "days", "agent_days": ""},
            "Agent conversation retention must be a whole number from 1 to 3650",
        ),
        ("retention", {"bot_days": "0", "agent_mode": "request"}, "from 1 to 3650"),
        ("privacy", {"privacy_policy_url": "http://acme.example/p"}, "must be an https://"),
        ("privacy", {"privacy_policy_url": "javascript:alert(1)"}, "must be an https://"),
        ("contacts", {"contacts-emails": "info at acme"}, "An email address looks like"),
        ("contacts", {"contacts-phones": "+358 1"}, "Not a valid phone number"),
        ("contacts", {"contacts-addresses": "Main street"}, "An address has a street and a"),
    ],
)
def test_invalid_input_is_explained_inline_and_nothing_is_stored(
    browser: httpx.Client,
    personas: Personas,
    runtime: Runtime,
    restore: None,
    section: str,
    data: dict[str, str],
    message: str,
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    before = stored(runtime, personas.alice.tenant.id)
    response = browser.post(f"/console/settings/{section}", data=NO_HOURS | data | {"csrf": csrf})
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert "Nothing in this section was saved." in page
    assert stored(runtime, personas.alice.tenant.id) == before
    assert audit(runtime, "tenant.") == []


def test_admin_declares_the_shops_own_contact_details(
    browser: httpx.Client, personas: Personas, runtime: Runtime, restore: None
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    data = {
        "csrf": csrf,
        "contacts-emails": "Info@Acme.example\r\n\r\nreturns@acme.example",
        "contacts-phones": "09 1234 5678",
        "contacts-addresses": "Mannerheimintie 12,  00100 Helsinki",
    }
    saved = browser.post("/console/settings/contacts", data=data)
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("saved=contacts#contacts")
    assert stored(runtime, personas.alice.tenant.id)["business_contacts"] == {
        "emails": ["info@acme.example", "returns@acme.example"],
        # Read in acme's countries (fi, en: Finland first) and stored with the country code.
        "phones": ["+358912345678"],
        "addresses": ["Mannerheimintie 12, 00100 Helsinki"],
    }
    page = text_of(browser.get(saved.headers["location"]))
    assert "Shop contact details saved." in page
    assert "info@acme.example\nreturns@acme.example</textarea>" in page
    # Audited by name, never by value; saving the same again changes (and audits) nothing.
    assert browser.post("/console/settings/contacts", data=data).status_code == 303
    rows = audit(runtime, "tenant.")
    assert [(r.action, r.details) for r in rows] == [
        ("tenant.configured", {"settings": ["business_contacts"]})
    ]


def test_what_the_admin_typed_is_shown_again_after_a_mistake(
    browser: httpx.Client, personas: Personas, restore: None
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    data = NO_HOURS | {"csrf": csrf, "zone": "UTC", "mode": "weekly", "hours-fri": "8 to 4"}
    page = browser.post("/console/settings/hours", data=data)
    assert page.status_code == 422
    assert 'value="8 to 4"' in page.text


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_agents_and_analysts_cannot_open_or_post_settings(
    browser: httpx.Client, personas: Personas, runtime: Runtime, restore: None, role: str
) -> None:
    csrf = sign_in(browser, getattr(personas.alice, role))
    page = browser.get("/console/settings")
    assert page.status_code == 403
    assert "only the tenant&#39;s admins" in page.text.lower()
    assert 'href="/console/settings' not in browser.get("/console").text
    refused = browser.post("/console/settings/agents", data={"csrf": csrf, "max_chats": "9"})
    assert refused.status_code == 403
    assert stored(runtime, personas.alice.tenant.id)["handover"] == {}


def test_another_tenants_admin_and_strangers_are_refused(
    browser: httpx.Client, personas: Personas, runtime: Runtime, restore: None
) -> None:
    assert browser.get("/console/settings").status_code == 303  # signed out: to the login page
    csrf = sign_in(browser, personas.bob.admin)
    assert "Bob&#39;s Boots" in browser.get("/console/settings").text
    assert browser.get("/console/settings?tenant=acme").status_code == 403
    post = browser.post(
        "/console/settings/retention?tenant=acme",
        data={"csrf": csrf, "bot_days": "1", "agent_mode": "request"},
    )
    assert post.status_code == 403
    assert stored(runtime, personas.alice.tenant.id)["retention_bot_days"] == 90
    with httpx.Client(base_url=str(browser.base_url), timeout=10) as stranger:
        console_sign_in(stranger, personas.stranger.email)
        assert stranger.get("/console/settings").status_code == 403
        assert stranger.get("/console/canned").status_code == 403
        assert stranger.get("/console/api/canned").status_code == 403


def test_forms_without_the_sessions_token_are_refused(
    browser: httpx.Client, personas: Personas, runtime: Runtime, restore: None
) -> None:
    sign_in(browser, personas.alice.admin)
    for data in ({}, {"csrf": "0" * 64}):
        hours = browser.post("/console/settings/hours", data=data | {"zone": "UTC"})
        assert hours.status_code == 403
        assert "reload the page" in hours.text
        added = browser.post(
            "/console/canned", data=data | {"shortcut": "x", "language": "en", "text": "X"}
        )
        assert added.status_code == 403
    assert stored(runtime, personas.alice.tenant.id)["handover"] == {}
    with runtime.db.session() as session:
        assert session.scalars(select(CannedReply)).all() == []


def replies(runtime: Runtime) -> list[tuple[str, str, str]]:
    with runtime.db.session() as session:
        rows = session.scalars(select(CannedReply).order_by(CannedReply.created_at))
        return [(r.shortcut, r.language, r.text) for r in rows]


def test_admin_adds_edits_and_deletes_canned_replies(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    csrf = sign_in(browser, personas.alice.admin)
    assert "No canned replies" in browser.get("/console/canned").text

    def add(shortcut: str, language: str, text: str) -> httpx.Response:
        data = {"csrf": csrf, "shortcut": shortcut, "language": language, "text": text}
        return browser.post("/console/canned?tenant=acme", data=data)

    created = add("Kiitos", "fi", "Kiitos yhteydenotosta!\nMukavaa päivää!")
    assert created.status_code == 303
    assert created.headers["location"] == "/console/canned?tenant=acme&saved=created"
    assert add("kiitos", "en", "Thanks for getting in touch!").status_code == 303
    page = browser.get(created.headers["location"]).text
    assert "Canned reply added." in page and "Kiitos yhteydenotosta!" in page
    assert replies(runtime) == [
        ("kiitos", "fi", "Kiitos yhteydenotosta!\nMukavaa päivää!"),
        ("kiitos", "en", "Thanks for getting in touch!"),
    ]
    for args, status, message in [
        (("KIITOS", "fi", "again"), 409, "There is already a canned reply 'kiitos' in fi"),
        (("two words", "fi", "x"), 422, "A shortcut is 1-40 letters"),
        (("hej", "sv", "Hej!"), 422, "one of the tenant's languages: fi, en"),
        (("long", "en", "x" * 2001), 422, "1-2000 characters"),
        (("blank", "en", "  \n "), 422, "1-2000 characters"),
    ]:
        refused = add(*args)
        assert refused.status_code == status, args
        assert message in text_of(refused)
        assert f">{html.escape(args[2])}</textarea>" in refused.text  # kept for fixing
    assert len(replies(runtime)) == 2

    with runtime.db.session() as session:
        fi, en = session.scalars(select(CannedReply).order_by(CannedReply.created_at)).all()
    edit = {"csrf": csrf, "shortcut": "kiitos", "language": "fi", "text": "Kiitos, hei hei!"}
    assert browser.post(f"/console/canned/{fi.id}", data=edit).status_code == 303
    clash = browser.post(f"/console/canned/{fi.id}", data=edit | {"language": "en"})
    assert clash.status_code == 409
    assert "already a canned reply 'kiitos' in en" in text_of(clash)
    assert replies(runtime)[0] == ("kiitos", "fi", "Kiitos, hei hei!")
    deleted = browser.post(f"/console/canned/{en.id}/delete", data={"csrf": csrf})
    assert deleted.headers["location"] == "/console/canned?tenant=acme&saved=deleted"
    assert replies(runtime) == [("kiitos", "fi", "Kiitos, hei hei!")]
    assert browser.post(f"/console/canned/{en.id}", data=edit).status_code == 404

    rows = audit(runtime, "canned_reply.")
    assert [(r.action, r.details) for r in rows] == [
        ("canned_reply.created", {"language": "fi"}),
        ("canned_reply.created", {"language": "en"}),
        ("canned_reply.updated", {"language": "fi", "fields": ["text"]}),
        ("canned_reply.deleted", {"language": "en"}),
    ]
    assert [r.target_id for r in rows] == [str(fi.id), str(en.id), str(fi.id), str(en.id)]
    assert all(r.actor_id == personas.alice.admin.id for r in rows)


def seed_replies(runtime: Runtime, personas: Personas) -> dict[str, str]:
    """Two of acme's replies and one of bob's; returns their ids by shortcut."""
    ids = {}
    with runtime.db.session() as session:
        for side, shortcut, language, text in [
            (personas.alice, "hello", "fi", "Hei! Miten voin auttaa?"),
            (personas.alice, "hello", "en", "Hi! How can I help?"),
            (personas.bob, "hej", "sv", "Hej! Hur kan jag hjälpa dig?"),
        ]:
            tenant = session.merge(side.tenant)
            reply = create_canned_reply(
                session, Actor.operator(), tenant, shortcut=shortcut, language=language, text=text
            )
            ids[f"{shortcut}-{language}"] = str(reply.id)
    return ids


def test_agents_read_canned_replies_and_analysts_cannot(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    ids = seed_replies(runtime, personas)
    csrf = sign_in(browser, personas.alice.agent)
    page = browser.get("/console/canned")
    assert page.status_code == 200
    assert "Hi! How can I help?" in page.text and "Hej! Hur kan" not in page.text
    assert "Add a canned reply" not in page.text and "/delete" not in page.text
    fi_only = browser.get("/console/canned?language=fi").text
    assert "Hei! Miten" in fi_only and "Hi! How" not in fi_only
    attempt = {"csrf": csrf, "shortcut": "x", "language": "en", "text": "x"}
    assert browser.post("/console/canned", data=attempt).status_code == 403
    delete = browser.post(f"/console/canned/{ids['hello-en']}/delete", data={"csrf": csrf})
    assert delete.status_code == 403
    assert len(replies(runtime)) == 3
    with httpx.Client(base_url=str(browser.base_url), timeout=10) as analyst:
        console_sign_in(analyst, personas.alice.analyst.email)
        assert analyst.get("/console/canned").status_code == 403
        assert analyst.get("/console/api/canned").status_code == 403
        assert "Canned replies" not in analyst.get("/console").text


def test_another_tenants_admin_cannot_touch_our_canned_replies(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    ids = seed_replies(runtime, personas)
    csrf = sign_in(browser, personas.bob.admin)
    assert "Hi! How can I help?" not in browser.get("/console/canned").text
    assert browser.get("/console/canned?tenant=acme").status_code == 403
    edit = {"csrf": csrf, "shortcut": "hacked", "language": "en", "text": "x"}
    for tenant in ("bobs", "acme"):
        expected = 404 if tenant == "bobs" else 403
        url = f"/console/canned/{ids['hello-en']}?tenant={tenant}"
        assert browser.post(url, data=edit).status_code == expected
        gone = browser.post(url.replace("?", "/delete?"), data={"csrf": csrf})
        assert gone.status_code == expected
    added = browser.post("/console/canned?tenant=acme", data=edit)
    assert added.status_code == 403
    assert ("hello", "en", "Hi! How can I help?") in replies(runtime)
    assert len(replies(runtime)) == 3
    assert audit(runtime, "canned_reply.") == []


def test_the_json_list_for_the_agents_console(
    browser: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    ids = seed_replies(runtime, personas)
    signed_out = browser.get("/console/api/canned?tenant=acme")
    assert signed_out.status_code == 401
    assert signed_out.json()["error"]["code"] == "unauthorized"
    sign_in(browser, personas.alice.agent)
    listed = browser.get("/console/api/canned?tenant=acme")
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    assert listed.json() == [
        {"id": ids[f"hello-{lang}"], "shortcut": "hello", "language": lang, "text": text}
        for lang, text in [("en", "Hi! How can I help?"), ("fi", "Hei! Miten voin auttaa?")]
    ]
    only_fi = browser.get("/console/api/canned", params={"tenant": "acme", "language": "fi"})
    assert [r["id"] for r in only_fi.json()] == [ids["hello-fi"]]
    assert browser.get("/console/api/canned?language=sv").json() == []
    theirs = browser.get("/console/api/canned?tenant=bobs")
    assert theirs.status_code == 403 and "Hej" not in theirs.text


@pytest.mark.browser
def test_admin_changes_opening_hours_in_chromium(
    chromium: Any, server: LiveServer, personas: Personas, runtime: Runtime, restore: None
) -> None:
    seed_replies(runtime, personas)
    with runtime.db.session() as session:
        tenant = session.merge(personas.alice.tenant)
        create_canned_reply(
            session,
            Actor.operator(),
            tenant,
            shortcut="returns",
            language="en",
            text="Returns are free within 30 days. Register your return on our returns page "
            "to get a return code, then drop the parcel off at any pick-up point.",
        )
    context = chromium.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/console/login")
        page.get_by_label("Email").fill(personas.alice.admin.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        page.get_by_role("link", name="Settings").click()
        page.wait_for_url("**/console/settings?tenant=acme")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "console-settings.png"), full_page=True)
        page.get_by_label("Time zone").select_option("Europe/Helsinki")
        page.get_by_label("Only during these hours").check()
        page.get_by_label("Monday").fill("09:00-17:00")
        page.get_by_label("Saturday").fill("10:00-14:00")
        page.get_by_role("button", name="Save opening hours").click()
        page.wait_for_url("**/console/settings?tenant=acme&saved=hours#hours")
        assert page.get_by_role("status").inner_text().endswith("Opening hours saved.")
        assert page.get_by_label("Monday").input_value() == "09:00–17:00"  # noqa: RUF001
        page.get_by_role("link", name="Canned replies").click()
        page.wait_for_url("**/console/canned?tenant=acme")
        page.get_by_text("Edit or delete").first.click()
        page.screenshot(path=str(SHOTS / "console-canned.png"), full_page=True)
    finally:
        context.close()
    assert errors == []
    assert stored(runtime, personas.alice.tenant.id)["handover"]["hours"] == {
        "mon": [["09:00", "17:00"]],
        "sat": [["10:00", "14:00"]],
    }


def test_cli_sets_the_handover_policy_and_two_factor_from_a_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    run(cli_env, "migrate")
    run(cli_env, "tenant", "create", "shop", "--name", "Shop", "--languages", "fi,en")
    policy = tmp_path / "handover.json"
    policy.write_text(
        json.dumps(
            {
                "timezone": "Europe/Helsinki",
                "hours": {"mon": [["09:00", "17:00"]], "sat": [["10:00", "14:00"]]},
                "fields": {"order_number": "required", "message": "hidden"},
                "consent": "checkbox",
                "max_chats": 4,
            }
        )
    )
    changed = run(
        cli_env,
        "tenant",
        "configure",
        "shop",
        "--handover-file",
        str(policy),
        "--require-totp",
        "--json",
    )
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["changed"] == [
        "handover.timezone",
        "handover.hours",
        "handover.fields",
        "handover.consent",
        "handover.max_chats",
        "require_totp",
    ]
    (tenant,) = json.loads(run(cli_env, "tenant", "list", "--json").stdout)
    assert tenant["require_totp"] is True
    assert tenant["handover"]["hours"] == {"mon": [["09:00", "17:00"]], "sat": [["10:00", "14:00"]]}
    assert tenant["handover"]["fields"]["email"] == "required"  # the default, stored explicitly
    same = run(cli_env, "tenant", "configure", "shop", "--handover-file", str(policy))
    assert same.stdout.strip() == "tenant shop: nothing to change"

    bad = tmp_path / "bad.json"
    for content, message in [
        (None, "cannot read"),
        ("{not json", "is not valid JSON"),
        ("[]", "must hold a JSON object"),
        ('{"hours": {"mon": [["17:00", "09:00"]]}}', "hours.mon: 17:00-09:00 ends before it"),
        ('{"timezone": "Mars/Olympus"}', "unknown time zone 'Mars/Olympus'"),
        ('{"opening": {}}', "unknown handover setting 'opening'"),
    ]:
        if content is None:
            bad.unlink(missing_ok=True)
        else:
            bad.write_text(content)
        refused = run(cli_env, "tenant", "configure", "shop", "--handover-file", str(bad))
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.startswith("error: ") and message in refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    contacts = run(
        cli_env,
        "tenant",
        "configure",
        "shop",
        "--shop-email",
        "Info@Shop.example",
        "--shop-phone",
        "09 1234 5678",
        "--shop-phone",
        "+46 8 123 456 78",
        "--shop-address",
        "Mannerheimintie 12, 00100 Helsinki",
        "--json",
    )
    assert contacts.returncode == 0, contacts.stderr
    assert json.loads(contacts.stdout)["changed"] == ["business_contacts"]
    (listed,) = json.loads(run(cli_env, "tenant", "list", "--json").stdout)
    assert listed["business_contacts"] == {
        "emails": ["info@shop.example"],
        "phones": ["+358912345678", "+46812345678"],
        "addresses": ["Mannerheimintie 12, 00100 Helsinki"],
    }
    # One list at a time; an empty value clears it.
    cleared = run(cli_env, "tenant", "configure", "shop", "--shop-phone", "", "--json")
    assert json.loads(cleared.stdout)["changed"] == ["business_contacts"]
    (listed,) = json.loads(run(cli_env, "tenant", "list", "--json").stdout)
    assert listed["business_contacts"]["phones"] == []
    assert listed["business_contacts"]["emails"] == ["info@shop.example"]
    refused = run(cli_env, "tenant", "configure", "shop", "--shop-email", "not-an-email")
    assert refused.returncode == 1
    assert refused.stderr == "error: an email address looks like info@shop.example\n"
    run(cli_env, "tenant", "configure", "shop", "--shop-email", "", "--shop-address", "")
    tenant = listed | {"business_contacts": {"emails": [], "phones": [], "addresses": []}}
    off = run(cli_env, "tenant", "configure", "shop", "--no-require-totp", "--json")
    assert json.loads(off.stdout)["changed"] == ["require_totp"]
    (after,) = json.loads(run(cli_env, "tenant", "list", "--json").stdout)
    assert after == tenant | {"require_totp": False}


def test_cli_adds_lists_and_removes_canned_replies(cli_env: dict[str, str]) -> None:
    run(cli_env, "migrate")
    run(cli_env, "tenant", "create", "shop", "--name", "Shop", "--languages", "fi,en")
    empty = run(cli_env, "canned", "list", "shop")
    assert empty.returncode == 0 and empty.stdout.strip() == "shop has no canned replies"
    for language, text in [("fi", "Hei! Miten voin auttaa?"), ("en", "Hi! How can I help?")]:
        added = run(
            cli_env, "canned", "add", "shop", "--shortcut", "Hello", "--language", language,
            "--text", text, "--json",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["shortcut"] == "hello"
    listed = json.loads(run(cli_env, "canned", "list", "shop", "--json").stdout)
    assert [(r["shortcut"], r["language"], r["text"]) for r in listed] == [
        ("hello", "en", "Hi! How can I help?"),
        ("hello", "fi", "Hei! Miten voin auttaa?"),
    ]
    assert "hello" in run(cli_env, "canned", "list", "shop", "--language", "fi").stdout
    for args, message in [
        (["add", "shop", "--shortcut", "hello", "--language", "fi", "--text", "x"], "already"),
        (["add", "shop", "--shortcut", "hej", "--language", "sv", "--text", "x"], "languages"),
        (["add", "nope", "--shortcut", "a", "--language", "fi", "--text", "x"], "no tenant"),
        (["remove", "shop", "--shortcut", "bye", "--language", "fi"], "no canned reply 'bye'"),
    ]:
        refused = run(cli_env, "canned", *args)
        assert refused.returncode == 1 and message in refused.stderr, (args, refused.stderr)
    removed = run(cli_env, "canned", "remove", "shop", "--shortcut", "hello", "--language", "fi")
    assert removed.returncode == 0, removed.stderr
    left = json.loads(run(cli_env, "canned", "list", "shop", "--json").stdout)
    assert [(r["shortcut"], r["language"]) for r in left] == [("hello", "en")]
