"""`botdesk tenant connect|connection|disconnect`, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import run
from tests.standins.generic import GenericOrder, GenericStandIn
from tests.standins.server import serve
from tests.test_connectors import GENERIC_OPTIONS


def test_connect_test_show_and_disconnect(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {**cli_env, "BOTDESK_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32"}
    run(env, "migrate")
    assert run(env, "tenant", "create", "shop", "--name", "Shop").returncode == 0
    options = tmp_path / "options.json"
    options.write_text(json.dumps(GENERIC_OPTIONS))
    stand_in = GenericStandIn([GenericOrder("40012345")], token="s3cret-token")
    with serve(stand_in) as server:
        args = ["tenant", "connect", "shop", "generic", server.url, "--options-file", str(options)]
        connected = run(env, *args, "--secret-file", "-", "--json", stdin="s3cret-token\n")
        assert connected.returncode == 0, connected.stderr
        assert json.loads(connected.stdout)["test"] == "ok"
        assert stand_in.received[-1].headers["authorization"] == "Bearer s3cret-token"

        # A wrong secret is saved (the operator may be ahead of the merchant) but the test fails.
        secret = tmp_path / "token.txt"
        secret.write_text("wrong\n")
        failed = run(env, *args, "--secret-file", str(secret))
        assert failed.returncode == 1
        assert "test: unauthorised" in failed.stdout

        shown = run(env, "tenant", "connection", "shop", "--json")
        assert shown.returncode == 0, shown.stderr
        data = json.loads(shown.stdout)
        assert data["kind"] == "generic" and data["base_url"] == server.url
        assert data["last_error_kind"] == "unauthorised"
        assert "wrong" not in shown.stdout and "s3cret" not in shown.stdout

    refused = run(
        env,
        "tenant",
        "connect",
        "shop",
        "generic",
        "http://shop.example",
        "--secret-file",
        str(secret),
    )
    assert refused.returncode == 1
    assert "use https://" in refused.stderr
    assert "wrong" not in refused.stderr

    assert run(env, "tenant", "disconnect", "shop").stdout.strip() == "disconnected shop"
    gone = run(env, "tenant", "connection", "shop")
    assert gone.returncode == 1 and "no order connector" in gone.stderr
