"""Schemathesis against the served OpenAPI document (#13), with real credentials.

Every phase runs (the document's examples, the coverage of each schema's edges, random fuzzing,
and stateful sequences that feed one response into the next request), bounded by a number of
examples per operation and a time cap, with every check: no server error, no response outside
the schema (status, content type, body, headers), no schema-valid request refused, no invalid
one accepted, no credentials ignored.

Two passes, two tenants:
- as acme's own shopper and agent, on acme's real conversation (the visitor token and the
  console session through the security schemes the document declares);
- as bobs' shopper and agent, on the same acme ids: every route with a conversation in its path
  must refuse, and no answer may carry acme's canaries (tests/schemathesis_hooks.py).

Schemathesis runs as its own process (its command line), so Hypothesis there never meets
pytest's; its JSON report is what the tests read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, Personas, VisitorChat, start_chat
from tests.test_route_isolation import PUBLIC, Caller, sign_in

ROOT = Path(__file__).resolve().parent.parent
ST = Path(sys.executable).parent / "st"
DOCUMENT = "/api/v1/openapi.json"


@dataclass
class Tenants:
    chat: VisitorChat  # acme's, with a canary in what the shopper said
    doomed: VisitorChat  # acme's, for the one operation that erases its conversation
    alice: Caller  # acme's agent
    theirs: VisitorChat  # a bobs shopper's
    bob: Caller  # bobs' agent
    canaries: list[str]


@pytest.fixture
def tenants(
    api: httpx.Client, server: LiveServer, personas: Personas, bot: None, agent_online: None
) -> Tenants:
    canary = f"canary-{uuid.uuid4().hex[:12]}"
    chat = start_chat(api, "acme", "en")
    assert chat.send(f"where is my parcel {canary}").status_code == 201
    return Tenants(
        chat=chat,
        doomed=start_chat(api, "acme", "en"),
        alice=sign_in(server, personas.alice.agent, "acme's agent", "acme"),
        theirs=start_chat(api, "bobs", "en"),
        bob=sign_in(server, personas.bob.agent, "bobs' agent", "bobs"),
        canaries=[canary, chat.id, chat.token],
    )


def _auth(token: str, staff: Caller) -> str:
    return f"""
[generation]
# Text that is no text (NUL, a lone surrogate) is refused with a 422 that tests/test_bad_input.py
# checks on every route; the fuzzer keeps to text, so that each such refusal is not a finding.
allow-x00 = false
codec = "utf-8"

[auth.openapi.visitorToken]
bearer = "{token}"
[auth.openapi.staffSession]
api_key = "{staff.cookie}"
[auth.openapi.csrfToken]
api_key = "{staff.csrf}"
"""


def schemathesis(
    server: LiveServer, folder: Path, config: str, *options: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One `st run` over the document; returns its JSON report (the output when it failed)."""
    folder.mkdir()
    (folder / "schemathesis.toml").write_text(config)
    report = folder / "report.json"
    command = [
        str(ST),
        "--config-file",
        str(folder / "schemathesis.toml"),
        "--no-color",
        "run",
        server.url + DOCUMENT,
        "--workers=1",  # the test server's own worker threads are the concurrency
        "--generation-database=none",
        "--report=json",
        f"--report-json-path={report}",
        *options,
    ]
    environment = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
    }
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=folder,  # its caches and reports stay out of the repository
        env=environment | (env or {}),
        timeout=180,
        check=False,
    )
    assert report.exists(), done.stdout[-5000:] + done.stderr[-5000:]
    result: dict[str, Any] = json.loads(report.read_text())
    # Long lines are request bodies Schemathesis prints in full; their start says enough.
    lines = (line[:400] for line in (done.stdout + done.stderr).splitlines())
    result["output"] = "\n".join(lines)[-30000:]
    return result


def test_the_api_holds_its_document_under_every_phase(
    server: LiveServer, tenants: Tenants, tmp_path: Path
) -> None:
    chat, doomed = tenants.chat, tenants.doomed
    config = f"""
{_auth(chat.token, tenants.alice)}
[checks]
enabled = true
# Its default refusals, and 413: a body over BOTDESK_MAX_REQUEST_BYTES is refused before it is
# read, whatever is wrong with it besides.
negative_data_rejection.expected-statuses = [
    400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429
]

[parameters]
"path.conversation_id" = "{chat.id}"
"path.slug" = "acme"
"query.tenant" = "acme"

[[operations]]
include-path-regex = "^/api/v1/conversations/"
# A wrong token is answered like a missing conversation (404), so that conversation ids cannot
# be probed (tests/test_route_isolation.py); Schemathesis expects 401 or 403 for it.
checks.ignored_auth.enabled = false

[[operations]]
include-name = "DELETE /api/v1/conversations/{{conversation_id}}"
# Erasing the conversation would leave every other operation a 404: it erases its own.
parameters = {{ "path.conversation_id" = "{doomed.id}" }}
headers = {{ Authorization = "Bearer {doomed.token}" }}

[[operations]]
include-name = "POST /api/v1/conversations/{{conversation_id}}/handover/form"
# Which fields are required is the tenant's setting, sent in the form itself (GET …/handover):
# the document cannot say, and documents the 422 that lists each field's problem instead.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/api/v1/conversations/{{conversation_id}}/handover"
# Leaving the queue (DELETE) returns the conversation to the bot: its handover state is still
# there to GET.
checks.use_after_free.enabled = false
"""
    result = schemathesis(
        server,
        tmp_path / "own",
        config,
        "--phases=examples,coverage,fuzzing,stateful",
        "--max-examples=10",
        "--max-time=45",
        env={"BOTDESK_TEST_FOREIGN": ""},
    )
    assert result["failures"] == [] and result["errors"] == [], result["output"]
    operations = result["operations"]
    assert operations["tested"] == operations["total"] >= 20, operations
    # The credentials worked: no operation saw only refusals or only missing objects.
    assert result["warnings"]["missing_auth"] == [], result["output"]
    assert result["test_cases"]["generated"] >= 500, result["test_cases"]


def test_another_tenants_credentials_open_nothing_of_acmes(
    server: LiveServer, tenants: Tenants, tmp_path: Path
) -> None:
    config = f"""
{_auth(tenants.theirs.token, tenants.bob)}
[checks]
enabled = false
not_a_server_error.enabled = true
foreign_caller_is_refused.enabled = true

[parameters]
"path.conversation_id" = "{tenants.chat.id}"
"path.slug" = "bobs"
"""
    result = schemathesis(
        server,
        tmp_path / "foreign",
        config,
        "--phases=coverage,fuzzing",
        "--mode=positive",  # well-formed requests, so that only the credentials are wrong
        "--max-examples=5",
        "--max-time=20",
        env={"BOTDESK_TEST_FOREIGN": json.dumps({"canaries": tenants.canaries})},
    )
    assert result["failures"] == [] and result["errors"] == [], result["output"]
    assert result["operations"]["tested"] >= 20, result["operations"]


# The agent's hot routes sign the caller in inside their own unit of work (api/agent.py), after
# FastAPI has read the body: a malformed one is a 422 first. Nothing of anyone's is read by then.
SIGNS_IN_AFTER_THE_BODY = {
    ("POST", "/console/api/conversations/{conversation_id}/messages"),
    ("POST", "/console/api/conversations/{conversation_id}/email-reply"),
}
SCHEMES = {
    "visitorToken": {"type": "http", "scheme": "bearer"},
    "staffSession": {"type": "apiKey", "in": "cookie", "name": "botdesk_console"},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
}


def test_every_operation_declares_how_it_authenticates_and_means_it(
    api: httpx.Client, server: LiveServer, tenants: Tenants
) -> None:
    """The document names each operation's credentials (or says `security: []`, public), and
    the server agrees: without them an operation refuses, with them it lets the caller in."""
    document = api.get(DOCUMENT).json()
    schemes = document["components"]["securitySchemes"]
    assert {name: {k: schemes[name][k] for k in want} for name, want in SCHEMES.items()} == SCHEMES
    public = {key for key, reason in PUBLIC.items() if reason}
    credentials = {
        "visitorToken": {"Authorization": f"Bearer {tenants.chat.token}"},
        "staffSession": {"Cookie": f"botdesk_console={tenants.alice.cookie}"},
        "csrfToken": {"X-CSRF-Token": tenants.alice.csrf},
    }
    values = {"conversation_id": tenants.chat.id, "slug": "acme"}
    undeclared, wrong = [], []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            key = (method.upper(), path)
            if "security" not in operation:
                undeclared.append(key)
                continue
            if operation["security"] == []:
                if key not in public:
                    wrong.append(f"{key}: public in the document, not in PUBLIC")
                continue
            (requirement,) = operation["security"]  # one way in, whatever it needs
            url = path.format(**values)
            # Probes that change nothing: a body the route refuses once it has let the caller in.
            refused = api.request(method, url, params={"tenant": "acme"}, content=b"[")
            if refused.status_code != 401 and not (
                refused.status_code == 422 and key in SIGNS_IN_AFTER_THE_BODY
            ):
                wrong.append(f"{key}: {refused.status_code} without credentials")
            headers = {k: v for scheme in requirement for k, v in credentials[scheme].items()}
            let_in = api.request(
                method, url, params={"tenant": "acme"}, content=b"[", headers=headers
            )
            if let_in.status_code in (401, 403):
                wrong.append(f"{key}: {let_in.status_code} with {sorted(requirement)}")
    assert undeclared == [], f"operations that do not say how they authenticate: {undeclared}"
    assert wrong == [], "\n".join(wrong)
    assert len(public) >= 4
