"""A small, typed WebDriver BiDi client: just what the Firefox smoke tests use.

WebDriver BiDi (https://w3c.github.io/webdriver-bidi/) is JSON over one WebSocket: commands
carry an id and get exactly one answer with that id; events arrive unasked once subscribed.
Firefox speaks it natively when started with `--remote-debugging-port`, so no driver process
(geckodriver) and no downloaded browser build is needed. The Python clients on the package
index either need geckodriver (Selenium) or are young one-person projects, and the protocol
subset we need is small, so it lives here, over the `websockets` package botdesk already uses.

Synchronous on purpose, like the Playwright tests: a reader thread matches answers to waiting
commands and hands events to subscribers (which must only record, never send commands).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

Json = dict[str, Any]
Listener = Callable[[Json], None]


class BiDiError(Exception):
    """The browser answered a command with an error (e.g. `no such frame`)."""


class ScriptError(Exception):
    """The page's JavaScript threw; the message is the browser's description of it."""


@dataclass(frozen=True)
class Node:
    """A DOM node in the page, by the shared id the browser gave it (usable in later calls)."""

    shared_id: str


# Key codes of the WebDriver spec (https://w3c.github.io/webdriver/#keyboard-actions).
KEYS = {"Enter": "\ue007", "Escape": "\ue00c", "Tab": "\ue004", "Shift": "\ue008"}


class Connection:
    """One BiDi session over one WebSocket."""

    def __init__(self, url: str, timeout: float = 15) -> None:
        self._open = ExitStack()
        # Screenshots come back as one base64 frame: no frame-size limit on a loopback socket.
        self._ws: ClientConnection = self._open.enter_context(
            connect(url, max_size=None, open_timeout=timeout)
        )
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[Json]] = {}
        self._listeners: dict[str, list[Listener]] = {}
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="bidi-reader", daemon=True)
        self._reader.start()

    def command(
        self, method: str, params: Json | None = None, timeout: float | None = None
    ) -> Json:
        """Send one command and wait for its result."""
        answer: Future[Json] = Future()
        with self._lock:
            command_id = next(self._ids)
            self._pending[command_id] = answer
        self._ws.send(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        try:
            return answer.result(timeout or self._timeout)
        finally:
            with self._lock:
                self._pending.pop(command_id, None)

    def on(self, event: str, listener: Listener) -> None:
        """Call `listener(params)` for each `event` (after `subscribe`), in the reader thread."""
        with self._lock:
            self._listeners.setdefault(event, []).append(listener)

    def subscribe(self, events: Sequence[str]) -> None:
        self.command("session.subscribe", {"events": list(events)})

    def close(self) -> None:
        self._open.close()
        self._reader.join(5)

    def _read(self) -> None:
        try:
            for raw in self._ws:
                self._dispatch(json.loads(raw))
        except ConnectionClosed:
            pass
        finally:  # the browser went away: nobody may wait for an answer that cannot come
            with self._lock:
                pending = list(self._pending.values())
            for future in pending:
                if not future.done():
                    future.set_exception(BiDiError("the browser closed the connection"))

    def _dispatch(self, message: Json) -> None:
        if message.get("type") == "event":
            with self._lock:
                listeners = list(self._listeners.get(message["method"], []))
            for listener in listeners:
                listener(message["params"])
            return
        with self._lock:
            future = self._pending.get(message.get("id", -1))
        if future is None:
            return
        if message.get("type") == "error":
            future.set_exception(BiDiError(f"{message['error']}: {message.get('message', '')}"))
        else:
            future.set_result(message["result"])


def to_local(value: object) -> Json:
    """A Python value as a BiDi LocalValue (a script argument)."""
    if isinstance(value, Node):
        return {"sharedId": value.shared_id}
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, list | tuple):
        return {"type": "array", "value": [to_local(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "object", "value": [[str(k), to_local(v)] for k, v in value.items()]}
    raise TypeError(f"cannot pass {type(value).__name__} to the page")


def from_remote(value: Json) -> Any:
    """A BiDi RemoteValue (a script result) as a Python value; DOM nodes become `Node`s."""
    kind = value["type"]
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return value["value"]
    if kind == "number":
        number = value["value"]
        return number if not isinstance(number, str) else float(number.replace("Infinity", "inf"))
    if kind in ("array", "set", "nodelist", "htmlcollection"):
        return [from_remote(v) for v in value.get("value", [])]
    if kind in ("object", "map"):
        return {
            (k if isinstance(k, str) else str(from_remote(k))): from_remote(v)
            for k, v in value.get("value", [])
        }
    if kind == "node":
        return Node(value["sharedId"])
    return f"<{kind}>"  # functions, promises, windows…: nothing a test compares


class Tab:
    """One top-level browsing context (a tab) of a session."""

    def __init__(self, bidi: Connection, context: str) -> None:
        self.bidi = bidi
        self.context = context

    def goto(self, url: str) -> None:
        self.bidi.command(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def add_preload(self, function: str) -> None:
        """Run `function` (`() => …`) in each new document of this tab before the page's own."""
        self.bidi.command(
            "script.addPreloadScript",
            {"functionDeclaration": function, "contexts": [self.context]},
        )

    def set_viewport(self, width: int, height: int, scale: float = 1) -> None:
        self.bidi.command(
            "browsingContext.setViewport",
            {
                "context": self.context,
                "viewport": {"width": width, "height": height},
                "devicePixelRatio": scale,
            },
        )

    def screenshot(self) -> bytes:
        """A PNG of the viewport."""
        data = self.bidi.command("browsingContext.captureScreenshot", {"context": self.context})
        return base64.b64decode(data["data"])

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises are awaited)."""
        return self._result(
            self.bidi.command(
                "script.evaluate",
                {
                    "expression": expression,
                    "target": {"context": self.context},
                    "awaitPromise": True,
                },
            )
        )

    def call(self, function: str, *args: object) -> Any:
        """Call a JavaScript function declaration (`(a, b) => …`) with Python arguments."""
        return self._result(
            self.bidi.command(
                "script.callFunction",
                {
                    "functionDeclaration": function,
                    "arguments": [to_local(a) for a in args],
                    "target": {"context": self.context},
                    "awaitPromise": True,
                },
            )
        )

    def click_at(self, x: float, y: float) -> None:
        """A real mouse click at viewport coordinates: it lands on whatever is on top there."""
        mouse = [
            {"type": "pointerMove", "x": round(x), "y": round(y), "origin": "viewport"},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerUp", "button": 0},
        ]
        self._perform({"type": "pointer", "id": "mouse", "actions": mouse})

    def type(self, text: str) -> None:
        """Type into whatever has focus, one key press per character (`KEYS` for special keys)."""
        keys: list[Json] = []
        for char in text:
            keys += [{"type": "keyDown", "value": char}, {"type": "keyUp", "value": char}]
        self._perform({"type": "key", "id": "keyboard", "actions": keys})

    def press(self, key: str) -> None:
        self.type(KEYS[key])

    def _perform(self, source: Json) -> None:
        self.bidi.command("input.performActions", {"context": self.context, "actions": [source]})
        self.bidi.command("input.releaseActions", {"context": self.context})

    @staticmethod
    def _result(answer: Json) -> Any:
        if answer["type"] == "exception":
            details = answer["exceptionDetails"]
            raise ScriptError(details.get("text") or json.dumps(details)[:500])
        return from_remote(answer["result"])
