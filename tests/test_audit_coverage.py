"""What the audit log must cover (issue #13): sign-ins, every opening of a transcript, exports,
erasures, settings and role changes. Each lands in the right chain, with no personal data, and
the chains verify afterwards. (Lockouts and settings pages have their own tests:
test_staff_security.py and test_console_settings.py.)"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from botdesk.actions.audit_verify import verify_all
from botdesk.models import AuditEntry
from botdesk.runtime import Runtime
from botdesk.web.console import COOKIE, csrf_token
from tests.cli import cli_environment, run
from tests.conftest import PASSWORD, LiveServer, Personas, console_sign_in, start_chat
from tests.test_handover import queued_chat

# The data-requests page's signed-in console (its fixture, imported).
from tests.test_subjects import console  # noqa: F401


def _rows(runtime: Runtime, since: int = 0) -> list[AuditEntry]:
    with runtime.db.read() as session:
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id))
        )


def _last_id(runtime: Runtime) -> int:
    rows = _rows(runtime)
    return rows[-1].id if rows else 0


def _all_chains_hold(runtime: Runtime) -> None:
    assert runtime.audit.flush()
    reports = verify_all(runtime.db, runtime.audit.signer)
    assert all(r.ok and r.unsealed == 0 for r in reports), [r.as_dict() for r in reports]


def test_the_console_audits_sign_ins_transcript_reads_exports_and_erasures(
    api: httpx.Client,
    runtime: Runtime,
    personas: Personas,
    console: object,  # noqa: F811 (the fixture imported above)
) -> None:
    start = _last_id(runtime)
    chat = start_chat(api, "acme", "en")
    wrong = console_sign_in(api, personas.alice.admin.email, "wrong one")
    assert wrong.status_code == 401
    admin = console(personas.alice.admin)  # type: ignore[operator]
    page = admin.client.get(f"/console/conversations/{chat.id}")
    assert page.status_code == 200
    read = admin.client.get(f"/console/api/conversations/{chat.id}", params={"tenant": "acme"})
    assert read.status_code == 200
    exported = admin.subjects("acme", "export", "email", "someone@example.com")
    assert exported.status_code == 200 and exported.json()["conversations"] == []
    erased = api.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth)
    assert erased.status_code in (200, 204), erased.text

    rows = _rows(runtime, start)
    acme = [(r.action, r.actor_id) for r in rows if r.tenant_id == personas.alice.tenant.id]
    admin_id = personas.alice.admin.id
    assert ("transcript.read", admin_id) in acme  # the console page
    assert acme.count(("transcript.read", admin_id)) == 2  # and the console's JSON API
    assert ("subject.exported", admin_id) in acme
    assert {"conversation.key_destroyed", "conversation.erased"} <= {a for a, _ in acme}
    operator = [(r.action, r.target_id) for r in rows if r.tenant_id is None]
    assert ("staff.sign_in_failed", str(admin_id)) in operator
    assert ("staff.signed_in", str(admin_id)) in operator
    for row in rows:
        assert "@" not in json.dumps(row.details), row.action
    _all_chains_hold(runtime)


def test_role_grants_and_revocations_and_sample_exports_are_audited(
    runtime: Runtime, personas: Personas, tmp_path: Path
) -> None:
    env = cli_environment(runtime.settings.database_url, tmp_path)
    assert runtime.settings.master_key is not None
    env["BOTDESK_MASTER_KEY"] = runtime.settings.master_key.get_secret_value()
    start = _last_id(runtime)
    email = f"temp-{uuid.uuid4().hex[:6]}@example.com"
    made = run(env, "user", "create", email, "--name", "Temp", "--password-file", "-",
               stdin=f"{PASSWORD}\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    granted = run(env, "user", "grant", email.upper(), "--tenant", "acme", "--role", "agent")
    assert granted.returncode == 0, granted.stderr
    assert f"{email} is now agent in acme" in granted.stdout
    promoted = run(env, "user", "grant", email, "--tenant", "acme", "--role", "admin")
    assert promoted.returncode == 0
    revoked = run(env, "user", "revoke", email, "--tenant", "acme")
    assert revoked.returncode == 0 and "is no longer admin in acme" in revoked.stdout
    again = run(env, "user", "revoke", email, "--tenant", "acme")
    assert again.returncode == 1 and "no role in this tenant" in again.stderr
    assert run(env, "user", "revoke", "nobody@example.com", "--tenant", "acme").returncode == 1

    assert run(env, "samples", "export", "acme").returncode == 0
    assert run(env, "samples", "export", "acme", "--since", "2026-01-01").returncode == 0

    rows = [r for r in _rows(runtime, start) if r.tenant_id == personas.alice.tenant.id]
    roles = [(r.action, r.details["role"]) for r in rows if r.action.startswith("user.role")]
    assert roles == [
        ("user.role_granted", "agent"),
        ("user.role_granted", "admin"),
        ("user.role_revoked", "admin"),
    ]
    exports = [r.details for r in rows if r.action == "samples.exported"]
    assert exports == [{"samples": 0, "since": None}, {"samples": 0, "since": "2026-01-01"}]
    assert all(r.actor_kind.value == "operator" for r in rows)
    _all_chains_hold(runtime)


def test_an_agents_reply_on_the_hot_path_is_sealed_after_its_commit(
    api: httpx.Client, runtime: Runtime, personas: Personas, bot: None, server: LiveServer
) -> None:
    """The agent's reply is written on a plain connection (db.write), not a Session: its
    audit row must reach the sealer all the same."""
    with httpx.Client(base_url=server.url, timeout=10) as agent:
        signed_in = console_sign_in(agent, personas.alice.agent.email)
        assert signed_in.status_code == 303
        headers = {"X-CSRF-Token": csrf_token(agent.cookies[COOKIE])}

        def post(path: str, body: object = None) -> httpx.Response:
            return agent.post(
                f"/console/api{path}", params={"tenant": "acme"}, json=body, headers=headers
            )

        assert post("/presence", {"status": "online"}).status_code == 200
        chat = queued_chat(api)
        assert post(f"/conversations/{chat.id}/accept").status_code == 200
        start = _last_id(runtime)
        assert post(f"/conversations/{chat.id}/messages", {"text": "Hello!"}).status_code == 201
    (reply,) = _rows(runtime, start)
    assert reply.action == "conversation.agent_replied"
    _all_chains_hold(runtime)
