"""Data-subject requests: find by blind index, export, restrict, erase (console and CLI)."""

from __future__ import annotations

import json
import re
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from botdesk.models import AuditEntry, Conversation, QuestionSample, SubjectKey
from botdesk.rate_limits import RateLimits
from botdesk.runtime import Runtime
from botdesk.web.console import COOKIE, csrf_token
from tests.cli import cli_environment, run
from tests.conftest import LiveServer, Personas, VisitorChat, console_sign_in, start_chat

ALICE = "Alice.Shopper@Example.com"


@dataclass
class Console:
    """A signed-in staff member's browser, posting the data-requests page's forms."""

    client: httpx.Client

    def subjects(
        self, tenant: str, action: str, kind: str, value: str, **extra: str
    ) -> httpx.Response:
        return self.client.post(
            "/console/subjects",
            params={"tenant": tenant},
            data={
                "csrf": csrf_token(self.client.cookies[COOKIE]),
                "action": action,
                "kind": kind,
                "value": value,
                **extra,
            },
        )


@pytest.fixture
def console(server: LiveServer) -> Iterator[object]:
    clients: list[httpx.Client] = []

    def sign_in(user: object) -> Console:
        client = httpx.Client(base_url=server.url, timeout=30)
        clients.append(client)
        response = console_sign_in(client, user.email)  # type: ignore[attr-defined]
        assert response.status_code == 303, response.text
        return Console(client)

    yield sign_in
    for client in clients:
        client.close()


@dataclass
class Shoppers:
    alice_typed: VisitorChat  # acme: typed her email, phone and an order number
    alice_form: VisitorChat  # acme: gave her email in the handover form; has an agent's note
    carol: VisitorChat  # acme: someone else
    alice_at_bobs: VisitorChat  # bobs: the same email address at another shop


@pytest.fixture
def shoppers(
    api: httpx.Client, bot: None, agent_online: None, personas: Personas, console: object
) -> Shoppers:
    typed = start_chat(api, "acme", "en")
    for text in (
        f"hi, I am {ALICE}",
        "my order 40000001 has not arrived",
        "my phone is +358 40 1234567",
    ):
        assert typed.send(text).status_code == 201
    form = start_chat(api, "acme", "en")
    assert form.send("I have a question about returns").status_code == 201
    handover = f"/api/v1/conversations/{form.id}/handover"
    assert api.post(handover, headers=form.auth).status_code == 200
    sent = api.post(
        f"{handover}/form",
        json={"email": "alice.shopper@example.com", "topic": "order"},
        headers=form.auth,
    )
    assert sent.status_code == 200, sent.text
    agent = console(personas.alice.agent)  # type: ignore[operator]
    headers = {"X-CSRF-Token": csrf_token(agent.client.cookies[COOKIE])}
    for path, body in (("accept", None), ("notes", {"text": "Wants a refund"})):
        done = agent.client.post(
            f"/console/api/conversations/{form.id}/{path}",
            params={"tenant": "acme"},
            json=body,
            headers=headers,
        )
        assert done.status_code in (200, 201), done.text
    carol = start_chat(api, "acme", "en")
    assert carol.send("I am carol@example.com, order 40000002").status_code == 201
    at_bobs = start_chat(api, "bobs", "en")
    assert at_bobs.send(f"hej, {ALICE} here").status_code == 201
    return Shoppers(typed, form, carol, at_bobs)


def test_a_subject_is_found_by_email_phone_or_order_number(
    shoppers: Shoppers, console: object, personas: Personas
) -> None:
    admin = console(personas.alice.admin)  # type: ignore[operator]
    everything = admin.subjects("acme", "find", "email", "  ALICE.shopper@example.COM ")
    assert everything.status_code == 200
    assert shoppers.alice_typed.id in everything.text
    assert shoppers.alice_form.id in everything.text
    assert shoppers.carol.id not in everything.text
    assert shoppers.alice_at_bobs.id not in everything.text
    # Written the local way, read in the tenant's region (Finland), as E.164.
    by_phone = admin.subjects("acme", "find", "phone", "040 123 4567").text
    by_order = admin.subjects("acme", "find", "order_number", "40000001").text
    for page in (by_phone, by_order):
        assert shoppers.alice_typed.id in page and shoppers.alice_form.id not in page
    assert shoppers.carol.id in admin.subjects("acme", "find", "order_number", "40000002").text
    nobody = admin.subjects("acme", "find", "email", "nobody@example.com")
    assert "0 conversations" in nobody.text
    assert admin.subjects("acme", "find", "phone", "not a number").status_code == 422


def test_the_index_holds_digests_only(shoppers: Shoppers, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        rows = session.execute(select(SubjectKey.__table__)).all()
    kinds = {row.kind for row in rows}
    assert kinds == {"email", "phone", "order_number"}
    assert all(len(row.digest) == 32 for row in rows)
    stored = b"".join(str(value).encode() + b"|" for row in rows for value in row)
    stored += b"".join(row.digest for row in rows)
    for plaintext in (b"alice.shopper", b"Alice.Shopper", b"carol@", b"40000001", b"358401234567"):
        assert plaintext not in stored
    # The same email at two shops gives two different digests: per-tenant keys.
    email_digests = {(row.tenant_id, row.digest) for row in rows if row.kind == "email"}
    assert len({digest for _tenant, digest in email_digests}) == len(email_digests)


def test_the_export_holds_all_of_the_subject_and_nobody_else(
    shoppers: Shoppers, console: object, personas: Personas
) -> None:
    admin = console(personas.alice.admin)  # type: ignore[operator]
    response = admin.subjects("acme", "export", "email", ALICE)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    bundle = response.json()
    assert bundle["schema"] == "botdesk.subject-export/v1"
    assert bundle["tenant"] == "acme" and bundle["query"] == {"kind": "email"}
    assert "alice" not in json.dumps(bundle["query"]).lower()
    by_id = {c["id"]: c for c in bundle["conversations"]}
    assert set(by_id) == {shoppers.alice_typed.id, shoppers.alice_form.id}
    typed = [m["text"] for m in by_id[shoppers.alice_typed.id]["messages"]]
    assert f"hi, I am {ALICE}" in typed and "my phone is +358 40 1234567" in typed
    form = by_id[shoppers.alice_form.id]
    assert form["form"] == {"email": "alice.shopper@example.com", "topic": "order"}
    assert [n["text"] for n in form["notes"]] == ["Wants a refund"]
    assert form["retention_class"] == "with_agent" and form["restricted"] is False
    text = response.text
    assert "carol" not in text and "40000002" not in text and "hej" not in text


def test_only_the_tenants_admins_may_ask(
    shoppers: Shoppers, console: object, personas: Personas
) -> None:
    for user in (personas.alice.agent, personas.alice.analyst, personas.bob.admin):
        refused = console(user).subjects("acme", "export", "email", ALICE)  # type: ignore[operator]
        assert refused.status_code == 403
        assert shoppers.alice_typed.id not in refused.text
    # Bob's admin searching his own shop finds his own shopper only.
    bob = console(personas.bob.admin).subjects("bobs", "find", "email", ALICE)  # type: ignore[operator]
    assert shoppers.alice_at_bobs.id in bob.text
    assert shoppers.alice_typed.id not in bob.text and shoppers.alice_form.id not in bob.text
    page = console(personas.alice.agent).client.get("/console/subjects?tenant=acme")  # type: ignore[operator]
    assert page.status_code == 403


def _samples(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return len(session.scalars(select(QuestionSample)).all())


def test_a_restricted_subject_is_never_sampled(
    shoppers: Shoppers,
    console: object,
    personas: Personas,
    runtime: Runtime,
    sample_everything: None,
) -> None:
    admin = console(personas.alice.admin)  # type: ignore[operator]
    done = admin.subjects("acme", "restrict", "order_number", "40000001")
    assert "restricted for 1 conversation" in done.text
    before = _samples(runtime)
    assert shoppers.alice_typed.send("where is my parcel?").status_code == 201
    assert _samples(runtime) == before
    # Others still are: the rate really is 1.
    assert shoppers.carol.send("where is my parcel?").status_code == 201
    assert _samples(runtime) == before + 1
    admin.subjects("acme", "unrestrict", "order_number", "40000001")
    assert shoppers.alice_typed.send("where is my parcel?").status_code == 201
    assert _samples(runtime) == before + 2


def _exists(runtime: Runtime, *chats: VisitorChat) -> list[bool]:
    with runtime.db.session() as session:
        return [session.get(Conversation, uuid.UUID(c.id)) is not None for c in chats]


def test_erasure_takes_every_conversation_and_leaves_a_receipt_without_the_email(
    shoppers: Shoppers, console: object, personas: Personas, runtime: Runtime
) -> None:
    admin = console(personas.alice.admin)  # type: ignore[operator]
    unconfirmed = admin.subjects("acme", "erase", "email", ALICE)
    assert unconfirmed.status_code == 422
    everyone = (shoppers.alice_typed, shoppers.alice_form, shoppers.carol, shoppers.alice_at_bobs)
    assert _exists(runtime, *everyone) == [True] * 4
    erased = admin.subjects("acme", "erase", "email", ALICE, confirm="yes")
    assert "Erased 2 conversation(s)" in erased.text
    assert _exists(runtime, *everyone) == [False, False, True, True]
    with runtime.db.session() as session:
        audit = session.scalars(select(AuditEntry)).all()
        keys = session.scalars(select(SubjectKey)).all()
    receipts = {
        e.target_id
        for e in audit
        if e.action == "conversation.erased" and e.details.get("reason") == "subject_request"
    }
    assert receipts == {shoppers.alice_typed.id, shoppers.alice_form.id}
    assert all("alice" not in json.dumps(e.details).lower() for e in audit)
    assert {str(k.conversation_id) for k in keys} == {shoppers.carol.id, shoppers.alice_at_bobs.id}


def test_export_and_erase_from_the_cli(
    shoppers: Shoppers, runtime: Runtime, tmp_path: Path
) -> None:
    env = cli_environment(runtime.settings.database_url, tmp_path)
    assert runtime.settings.master_key is not None
    env["BOTDESK_MASTER_KEY"] = runtime.settings.master_key.get_secret_value()
    out = tmp_path / "alice.json"
    exported = run(env, "subject", "export", "acme", "--email", ALICE, "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    ids = {c["id"] for c in json.loads(out.read_text())["conversations"]}
    assert ids == {shoppers.alice_typed.id, shoppers.alice_form.id}
    both = run(env, "subject", "find", "acme", "--email", ALICE, "--phone", "040 123 4567")
    assert both.returncode == 2 and "exactly one" in both.stderr
    assert run(env, "subject", "erase", "acme", "--order-number", "40000002").returncode == 2
    assert _exists(runtime, shoppers.carol) == [True]
    erased = run(env, "subject", "erase", "acme", "--order-number", "40000002", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert _exists(runtime, shoppers.carol, shoppers.alice_typed) == [False, True]


def test_rectified_form_data_is_exported_and_findable(
    shoppers: Shoppers, runtime: Runtime, tmp_path: Path
) -> None:
    env = cli_environment(runtime.settings.database_url, tmp_path)
    assert runtime.settings.master_key is not None
    env["BOTDESK_MASTER_KEY"] = runtime.settings.master_key.get_secret_value()
    chat = shoppers.alice_form.id
    fixed = run(env, "subject", "rectify", "acme", chat, "email", "alice@new.example")
    assert fixed.returncode == 0, fixed.stderr
    assert run(env, "subject", "rectify", "acme", chat, "visitor_token", "x").returncode == 1
    found = run(env, "subject", "export", "acme", "--email", "ALICE@new.example")
    assert found.returncode == 0, found.stderr
    [conversation] = json.loads(found.stdout)["conversations"]
    assert conversation["id"] == chat
    assert conversation["form"] == {"email": "alice@new.example", "topic": "order"}


def test_an_admin_corrects_form_data_on_the_console(
    shoppers: Shoppers, console: object, personas: Personas
) -> None:
    admin = console(personas.alice.admin)  # type: ignore[operator]
    chat = shoppers.alice_form.id
    fixed = admin.subjects(
        "acme",
        "rectify",
        "email",
        ALICE,
        conversation_id=chat,
        field="order_number",
        new_value="40099999",
    )
    assert fixed.status_code == 200, fixed.text
    assert f"Corrected the order number of conversation {chat[:8]}" in fixed.text
    found = admin.subjects("acme", "find", "order_number", "40099999")
    assert chat in found.text
    bad = admin.subjects(
        "acme", "rectify", "email", ALICE, conversation_id=chat, field="visitor", new_value="x"
    )
    assert bad.status_code == 422
    agent = console(personas.alice.agent)  # type: ignore[operator]
    refused = agent.subjects(
        "acme", "rectify", "email", ALICE, conversation_id=chat, field="email", new_value="x@y.fi"
    )
    assert refused.status_code == 403


def test_restricted_conversations_are_left_out_of_the_figures(
    shoppers: Shoppers, console: object, personas: Personas
) -> None:
    analyst = console(personas.alice.analyst)  # type: ignore[operator]

    def total() -> int:
        page = analyst.client.get("/console", params={"tenant": "acme"}).text
        return sum(
            int(n) for n in re.findall(r'<span class="num" id="stat-[a-z_]+">(\d+)</span>', page)
        )

    before = total()
    admin = console(personas.alice.admin)  # type: ignore[operator]
    assert admin.subjects("acme", "restrict", "email", ALICE).status_code == 200
    assert total() == before - 2


def test_a_shop_without_an_order_number_shape_finds_its_5_digit_runs(
    api: httpx.Client, console: object, personas: Personas, bot: None
) -> None:
    # bobs has no bot content, so no declared order-number shape: any 5+ digit run may be one,
    # and samples and logs mask it, so a data request by order number must find it too.
    at_bobs = start_chat(api, "bobs", "en")
    sent = at_bobs.send("my order 7712345 hasn't come, maija (at) example (dot) com")
    assert sent.status_code == 201
    # acme declared 8 digits starting with 4: its index keeps to that shape, as its bot does.
    at_acme = start_chat(api, "acme", "en")
    assert at_acme.send("my order 7712345 hasn't come").status_code == 201
    bob = console(personas.bob.admin)  # type: ignore[operator]
    assert at_bobs.id in bob.subjects("bobs", "find", "order_number", "7712345").text
    assert at_bobs.id in bob.subjects("bobs", "find", "email", "maija@example.com").text
    alice = console(personas.alice.admin)  # type: ignore[operator]
    assert "0 conversations" in alice.subjects("acme", "find", "order_number", "7712345").text


def test_exports_are_rate_limited_per_staff_member(
    console: object, personas: Personas, strict_limits: RateLimits
) -> None:
    admin = console(personas.alice.admin)  # type: ignore[operator]
    codes = [admin.subjects("acme", "export", "email", ALICE).status_code for _ in range(31)]
    assert codes == [200] * 30 + [429]
    refused = admin.subjects("acme", "export", "email", ALICE)
    assert refused.status_code == 429 and "Too many exports" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
