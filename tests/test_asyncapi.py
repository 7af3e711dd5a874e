"""The AsyncAPI document of the WebSocket streams (#14, finding 12): served, linked, complete.

What can be checked offline: the AsyncAPI 3.0 document's structure and references; every event
type of the catalog (botdesk.events.EventType) is a message; every frame type and close code the
stream modules use is documented; each message's example fits its schema; and real frames from a
live visitor stream fit the schemas too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from botdesk.api import agent_stream, stream
from botdesk.events import EventType
from tests.conftest import LiveServer, Personas, start_chat
from tests.test_realtime import frames_until, open_stream

PATH = "/api/v1/asyncapi.json"


@pytest.fixture
def document(api: httpx.Client) -> dict[str, Any]:
    response = api.get(PATH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for k, v in node.items() if k != "$ref" for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def _frame_type(message: dict[str, Any]) -> str:
    payload = message["payload"]
    payload = payload["allOf"][0] if "allOf" in payload else payload
    kind: str = payload["properties"]["type"]["const"]
    return kind


def _source(module: Any) -> str:
    return Path(module.__file__).read_text(encoding="utf-8")


def test_the_document_is_asyncapi_3(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"]
    for name, server in document["servers"].items():
        assert server["host"] and server["protocol"], name
    for ref in _refs(document):  # every reference resolves within the document
        _resolve(document, ref)
    for name, channel in document["channels"].items():
        assert channel["address"].startswith(("/", "botdesk:")), name
        for parameter in re.findall(r"\{(\w+)\}", channel["address"]):
            assert parameter in channel["parameters"], f"{name}: {{{parameter}}} undescribed"
        for key, message in channel["messages"].items():
            assert message["payload"] and message["name"], f"{name}/{key}"
    for name, operation in document["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        channel_ref = operation["channel"]["$ref"]
        assert operation["messages"], name
        for message in operation["messages"]:
            # An operation's messages are its own channel's (AsyncAPI 3.0 requires it).
            assert message["$ref"].startswith(channel_ref + "/messages/"), name
    # Every message of a channel is sent or received by some operation on it.
    for name, channel in document["channels"].items():
        used = {
            m["$ref"]
            for op in document["operations"].values()
            if op["channel"]["$ref"] == f"#/channels/{name}"
            for m in op["messages"]
        }
        assert used == {f"#/channels/{name}/messages/{key}" for key in channel["messages"]}


def test_every_event_type_is_a_message(document: dict[str, Any]) -> None:
    described = {
        message.get("x-botdesk-event")
        for channel in document["channels"].values()
        for message in channel["messages"].values()
    }
    missing = {t.value for t in EventType} - described
    assert not missing, f"event types without a message in the AsyncAPI document: {missing}"
    console = document["channels"]["consoleStream"]["messages"]
    # What the console hears: the conversation's and the queue's events, and notes.
    for kind in (EventType.MESSAGE_CREATED, EventType.NOTE_CREATED, EventType.QUEUE_CHANGED):
        assert any(m.get("x-botdesk-event") == kind.value for m in console.values())
    assert not any(m.get("x-botdesk-event") == EventType.TENANT_CHANGED for m in console.values())


@pytest.mark.parametrize(
    ("module", "channel"), [(stream, "visitorStream"), (agent_stream, "consoleStream")]
)
def test_every_close_code_and_frame_is_documented(
    document: dict[str, Any], module: Any, channel: str
) -> None:
    source = _source(module)
    codes = set(re.findall(r"code=(\d{4})", source))
    assert codes, "the stream closes with codes of its own"
    documented = document["channels"][channel]["x-close-codes"]
    assert codes <= set(documented), (
        f"{channel}: undocumented close codes {codes - set(documented)}"
    )
    # Frames the server builds ({"type": "x", …}) and frames it reads (.get("type") == "x").
    frames = set(re.findall(r'"type": "(\w+)"', source))
    frames |= set(re.findall(r'get\("type"\) [!=]= "(\w+)"', source))
    types = {_frame_type(m) for m in document["channels"][channel]["messages"].values()}
    assert frames <= types, f"{channel}: undocumented frames {frames - types}"


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    # The payload schema with the document's components beside it, so its $refs resolve.
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def test_every_example_fits_its_schema(document: dict[str, Any]) -> None:
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    for channel_name, channel in document["channels"].items():
        for key, message in channel["messages"].items():
            validator = _validator(document, message["payload"])
            assert message["examples"], f"{channel_name}/{key}"
            for example in message["examples"]:
                errors = [e.message for e in validator.iter_errors(example["payload"])]
                assert not errors, f"{channel_name}/{key}: {errors}"
            # And the schema is not so loose that anything fits.
            assert not validator.is_valid({"type": "nonsense"}), f"{channel_name}/{key}"


def test_live_visitor_frames_fit_the_schemas(
    document: dict[str, Any], api: httpx.Client, server: LiveServer, personas: Personas
) -> None:
    messages = document["channels"]["visitorStream"]["messages"]
    by_type = {
        _frame_type(messages[ref["$ref"].rsplit("/", 1)[1]]): messages[
            ref["$ref"].rsplit("/", 1)[1]
        ]
        for ref in document["operations"]["sendVisitorFrames"]["messages"]
    }
    chat = start_chat(api, "acme", "en")
    chat.send("hello")
    with open_stream(server, chat) as ws:
        ws.send(json.dumps({"type": "hello", "token": chat.token, "after": 0}))
        frames = frames_until(ws, "ready")
        chat.send("a person please")
        frames += frames_until(ws, "message")
    assert {f["type"] for f in frames} >= {"message", "ready"}
    for frame in frames:
        validator = _validator(document, by_type[frame["type"]]["payload"])
        assert validator.is_valid(frame), [e.message for e in validator.iter_errors(frame)]


def test_the_openapi_document_links_it(api: httpx.Client) -> None:
    openapi = api.get("/api/v1/openapi.json").json()
    assert openapi["x-asyncapi"] == PATH
    assert openapi["externalDocs"]["url"] == PATH
    assert PATH in openapi["info"]["description"]
