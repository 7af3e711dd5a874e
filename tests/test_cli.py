"""The `botdesk` command as operators run it: in-process where only the command is under test,
as a real subprocess for the entry point, start-up and the server."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from botdesk.settings import generate_master_key
from tests.cli import BOTDESK, run, run_process
from tests.waits import wait_until


def test_migrate_then_manage_tenants_and_users(cli_env: dict[str, str]) -> None:
    not_yet = run(cli_env, "tenant", "list")
    assert not_yet.returncode == 2
    assert "run `botdesk migrate`" in not_yet.stderr
    assert "Traceback" not in not_yet.stderr

    assert run(cli_env, "migrate").stdout.strip() == "database at revision 0012"
    assert "no change" in run(cli_env, "migrate").stdout

    created = run(
        cli_env,
        "tenant",
        "create",
        "nordic-wear",
        "--name",
        "Nordic Wear",
        "--languages",
        "sv,fi",
        "--retention-days",
        "60",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    tenant = json.loads(created.stdout)
    assert tenant["languages"] == ["sv", "fi"] and tenant["retention_bot_days"] == 60

    listed = json.loads(run(cli_env, "tenant", "list", "--json").stdout)
    assert [t["slug"] for t in listed] == ["nordic-wear"]

    user = run(
        cli_env,
        "user",
        "create",
        "Agent@Example.com",
        "--name",
        "Agent A",
        "--tenant",
        "nordic-wear",
        "--role",
        "agent",
        "--password-file",
        "-",
        "--json",
        stdin="a long enough password\n",
    )
    assert user.returncode == 0, user.stderr
    assert json.loads(user.stdout)["email"] == "agent@example.com"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tenant", "create", "Bad Slug", "--name", "X"], "a slug is 1-63 lowercase"),
        (["tenant", "create", "ok", "--name", "X", "--languages", "de"], "unknown: de"),
        (["tenant", "create", "ok", "--name", "X", "--retention-days", "0"], "between 1 and"),
        (["tenant", "create", "ok", "--name", "X", "--origin", "https://a/b"], "no path"),
        (
            ["user", "create", "not-an-email", "--name", "X", "--password-file", "-"],
            "does not look like an email",
        ),
        (
            [
                "user",
                "create",
                "a@example.com",
                "--name",
                "X",
                "--tenant",
                "nope",
                "--password-file",
                "-",
            ],
            "no tenant 'nope'",
        ),
    ],
)
def test_bad_arguments_get_one_clear_line(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    run(cli_env, "migrate")
    result = run(cli_env, *args, stdin="a long enough password\n")
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_duplicates_and_weak_passwords_are_refused(cli_env: dict[str, str]) -> None:
    run(cli_env, "migrate")
    assert run(cli_env, "tenant", "create", "shop", "--name", "Shop").returncode == 0
    again = run(cli_env, "tenant", "create", "shop", "--name", "Shop")
    assert again.returncode == 1 and "already exists" in again.stderr
    weak = run(
        cli_env,
        "user",
        "create",
        "a@example.com",
        "--name",
        "A",
        "--password-file",
        "-",
        stdin="short\n",
    )
    assert weak.returncode == 1 and "at least 12 characters" in weak.stderr


def test_demo_seeds_idempotently_in_development_only(cli_env: dict[str, str]) -> None:
    run(cli_env, "migrate")
    first = run(cli_env, "demo")
    assert first.returncode == 0, first.stderr
    assert "agent@demo.botdesk.test" in first.stdout
    assert run(cli_env, "demo").returncode == 0
    assert [t["slug"] for t in json.loads(run(cli_env, "tenant", "list", "--json").stdout)] == [
        "demo"
    ]
    (demo,) = json.loads(run(cli_env, "tenant", "list", "--json").stdout)
    # No opening hours: a newcomer can try the handover at any time of day.
    assert demo["handover"]["timezone"] == "Europe/Helsinki" and demo["handover"]["hours"] == {}
    assert demo["handover"]["fields"]["email"] == "required"
    # The shop's own public contacts, which its bot quotes, stay readable in samples.
    assert "help@nordkappwear.example" in demo["business_contacts"]["emails"]
    canned = json.loads(run(cli_env, "canned", "list", "demo", "--json").stdout)
    shortcuts = {"hello", "order-number", "returns", "delivery", "bye"}
    for language in ("fi", "sv", "nb", "en"):  # seeded once, although `demo` ran twice
        assert sorted(r["shortcut"] for r in canned if r["language"] == language) == sorted(
            shortcuts
        )
    production = {**cli_env, "BOTDESK_ENVIRONMENT": "production"}
    refused = run(production, "demo")
    assert refused.returncode == 2
    assert "BOTDESK_ENVIRONMENT=development" in refused.stderr


def test_the_entry_point_helps_and_exits_with_usage_errors() -> None:
    helped = run_process(None, "--help")
    assert helped.returncode == 0 and "privacy-first customer-service chat" in helped.stdout
    for command in ("tenant", "user", "content", "nlu", "pii", "retention", "subject", "key"):
        assert command in helped.stdout
    unknown = run(None, "no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_configuration_errors_stop_start_up_with_a_message(cli_env: dict[str, str]) -> None:
    production = {**cli_env, "BOTDESK_ENVIRONMENT": "production", "BOTDESK_MASTER_KEY": "changeme"}
    result = run_process(production, "migrate")  # start-up of a real process
    assert result.returncode == 2
    assert "placeholder" in result.stderr and "Traceback" not in result.stderr
    bad_url = run({**cli_env, "BOTDESK_DATABASE_URL": "mysql://x"}, "migrate")
    assert bad_url.returncode == 2 and "BOTDESK_DATABASE_URL" in bad_url.stderr


def test_key_generate_prints_a_usable_key(cli_env: dict[str, str]) -> None:
    key = run(cli_env, "key", "generate").stdout.strip()
    assert run({**cli_env, "BOTDESK_MASTER_KEY": key}, "migrate").returncode == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_and_a_second_serve_on_the_same_port_fails_clearly(
    cli_env: dict[str, str],
) -> None:
    run(cli_env, "migrate")
    port = str(_free_port())
    server = subprocess.Popen(
        [*BOTDESK, "serve", "--port", port],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def ready() -> bool:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        # Generous: a loaded machine takes long to import numpy and scikit-learn.
        wait_until(ready, 90, "the server to come up", every=0.1)
        second = run_process(cli_env, "serve", "--port", port)
        assert second.returncode == 1
        assert f"port {port} on 127.0.0.1 is already in use" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
    assert "Finished server process" in err
    assert "Traceback" not in err


def test_key_rotation_keeps_every_conversation_readable(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    from botdesk import access
    from botdesk.actions.conversations import start_conversation
    from botdesk.actions.messages import post_visitor_message
    from botdesk.runtime import build_runtime
    from botdesk.settings import Settings
    from botdesk.transcripts import ConversationCipher, decrypt_all

    run(cli_env, "migrate")
    run(cli_env, "tenant", "create", "shop", "--name", "Shop")
    old_key, new_key = cli_env["BOTDESK_MASTER_KEY"], generate_master_key()
    (tmp_path / "old.key").write_text(old_key)

    def runtime_with(key: str) -> object:
        return build_runtime(Settings(database_url=cli_env["BOTDESK_DATABASE_URL"], master_key=key))  # type: ignore[arg-type]

    before = runtime_with(old_key)
    with before.db.session() as session:  # type: ignore[attr-defined]
        tenant = access.tenant_by_slug(session, "shop")
        started = start_conversation(session, before.keyring, tenant, "en")  # type: ignore[attr-defined]
    post_visitor_message(before, started.conversation.id, started.visitor_token, "hello")  # type: ignore[arg-type]
    before.close()  # type: ignore[attr-defined]

    rotated = run(
        {**cli_env, "BOTDESK_MASTER_KEY": new_key},
        "key",
        "rotate",
        "--old-key-file",
        str(tmp_path / "old.key"),
    )
    assert rotated.returncode == 0, rotated.stderr
    assert "re-wrapped 1 tenant key(s)" in rotated.stdout
    again = run(
        {**cli_env, "BOTDESK_MASTER_KEY": new_key},
        "key",
        "rotate",
        "--old-key-file",
        str(tmp_path / "old.key"),
    )
    assert "re-wrapped 0 tenant key(s)" in again.stdout

    after = runtime_with(new_key)
    with after.db.session() as session:  # type: ignore[attr-defined]
        conversation = access.conversation_for_visitor(
            session, started.conversation.id, started.visitor_token
        )
        tenant = access.tenant_by_slug(session, "shop")
        cipher = ConversationCipher(after.keyring, tenant, conversation)  # type: ignore[attr-defined]
        texts = [
            m.content.text
            for m in decrypt_all(cipher, access.messages_after(session, conversation, 0, 10))
        ]
    after.close()  # type: ignore[attr-defined]
    assert texts[0] == "hello"
    # The audit chains were re-signed with the rest: they verify under the new key only.
    verified = run({**cli_env, "BOTDESK_MASTER_KEY": new_key}, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    # The shop's; the operator's chain begins with the rotation's own rows, under the new key.
    assert "re-signed 1 audit chain(s)" in rotated.stdout
    stale = run(cli_env, "audit", "verify")
    assert stale.returncode == 1 and "signed under another master key" in stale.stderr

    (tmp_path / "third.key").write_text(generate_master_key())
    refused = run(
        {**cli_env, "BOTDESK_MASTER_KEY": generate_master_key()},
        "key",
        "rotate",
        "--old-key-file",
        str(tmp_path / "third.key"),
    )
    assert refused.returncode == 1 and "wrapped by neither key" in refused.stderr


def test_tenant_configure_changes_widget_settings_and_refuses_bad_values(
    cli_env: dict[str, str],
) -> None:
    run(cli_env, "migrate")
    run(cli_env, "tenant", "create", "shop", "--name", "Shop", "--languages", "fi,en")
    changed = run(
        cli_env,
        "tenant",
        "configure",
        "shop",
        "--origin",
        "https://shop.example",
        "--origin",
        "https://www.shop.example",
        "--primary-color",
        "#AA3300",
        "--position",
        "left",
        "--greeting",
        "fi=Moi!",
        "--greeting",
        "en=Hi!",
        "--privacy-policy-url",
        "https://shop.example/privacy",
        "--retention-days",
        "60",
        "--json",
    )
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["changed"] == [
        "retention_bot_days",
        "allowed_origins",
        "privacy_policy_url",
        "primary_color",
        "position",
        "greeting",
    ]
    (tenant,) = json.loads(run(cli_env, "tenant", "list", "--json").stdout)
    assert tenant["allowed_origins"] == ["https://shop.example", "https://www.shop.example"]
    assert tenant["retention_bot_days"] == 60
    assert tenant["widget"] == {
        "primary_color": "#aa3300",
        "position": "left",
        "greeting": {"fi": "Moi!", "en": "Hi!"},
    }
    for args, message in [
        (["--primary-color", "red"], "#rrggbb"),
        (["--position", "top"], "right or left"),
        (["--origin", "https://shop.example/path"], "no path"),
        (["--greeting", "sv=Hej"], "per tenant language"),
        (["--greeting", "no-equals-sign"], "LANG=TEXT"),
        (["--privacy-policy-url", "javascript:alert(1)"], "https://"),
        (["--retention-days", "0"], "between 1 and"),
        (["--text", "fi.launcher=X"], "cannot be changed"),
        (["--text", "fi.privacy=Kept a while"], "{n} for the days"),
        (["--text", "sv.title=Hej"], "not one of the tenant's languages"),
        (["--text", "no-dot=X"], "LANG.KEY=TEXT"),
    ]:
        refused = run(cli_env, "tenant", "configure", "shop", *args)
        assert refused.returncode == 1 and message in refused.stderr, (args, refused.stderr)
    assert json.loads(run(cli_env, "tenant", "list", "--json").stdout)[0] == tenant
