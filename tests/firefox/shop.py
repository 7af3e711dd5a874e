"""A merchant's page that embeds the widget, and the shopper's view of it in a Firefox tab.

The page is served by its own small HTTP server on another loopback port than botdesk's, so
the widget runs cross-origin as it does on a real shop (CORS, the tenant's allowed origins,
the WebSocket's Origin check), with no policy of ours on the page.

`WidgetTab` finds the widget's elements in its shadow root the way the Chromium tests'
Playwright locators do: by role (explicit, or the element's own: button, textbox…) and
accessible name (aria-label, aria-labelledby, a <label for>, else the text), visible ones
only, the name matched case-insensitively as a substring unless `exact`.
"""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.firefox.bidi import Node, Tab
from tests.waits import wait_until

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test shop</title>
</head>
<body style="margin:0;font-family:serif;background:#fafafa">
<header style="padding:16px"><a href="/">Test shop</a></header>
<main style="padding:16px"><h1>Winter boots</h1><p>Warm and waterproof.</p></main>
<script src="{widget}" data-tenant="{tenant}" defer></script>
</body>
</html>
"""


class ShopServer:
    """Serves PAGE at /?lang=..&tenant=.. for the botdesk at `botdesk_url`."""

    def __init__(self, botdesk_url: str) -> None:
        widget = f"{botdesk_url}/widget.js"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/":
                    self.send_response(404)  # the page has no icon; nothing else is asked for
                    self.end_headers()
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = PAGE.format(
                    lang=html.escape(query.get("lang", "fi")),
                    tenant=html.escape(query.get("tenant", "acme")),
                    widget=html.escape(widget),
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:  # quiet test output
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# The widget's shadow root, and a Playwright-like get_by_role inside it.
_FIND = """(role, name, exact, inside) => {
  const host = document.querySelector('[data-botdesk]');
  const root = host && host.shadowRoot;
  if (!root) return null;
  const implicit = {
    button: 'button', textbox: 'textarea, input[type=text], input[type=email]',
    combobox: 'select', link: 'a[href]', checkbox: 'input[type=checkbox]',
  };
  const own = implicit[role];
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim().toLowerCase();
  const nameOf = n => {
    if (n.getAttribute('aria-label')) return n.getAttribute('aria-label');
    const by = n.getAttribute('aria-labelledby');
    if (by) return by.split(' ').map(id => (root.getElementById(id) || {}).textContent).join(' ');
    const label = n.id && root.querySelector('label[for="' + n.id + '"]');
    return label ? label.textContent : n.textContent;
  };
  const wanted = name === null ? null : norm(name);
  for (const n of (inside || root).querySelectorAll('[role]' + (own ? ', ' + own : ''))) {
    const explicit = n.getAttribute('role');
    if (explicit ? explicit !== role : !own || !n.matches(own)) continue;
    if (!n.getClientRects().length || getComputedStyle(n).visibility === 'hidden') continue;
    const got = norm(nameOf(n));
    if (wanted === null || (exact ? got === wanted : got.includes(wanted))) return n;
  }
  return null;
}"""

# What a person sees of an element: where it is, and whether it is the one on top at its centre.
_BOX = """n => {
  const r = n.getBoundingClientRect();
  const x = r.x + r.width / 2, y = r.y + r.height / 2;
  const top = n.getRootNode().elementFromPoint(x, y);
  return {x: r.x, y: r.y, width: r.width, height: r.height,
          onTop: !!top && (top === n || n.contains(top))};
}"""


class WidgetTab:
    """A shopper's tab on the shop page, driven through real mouse and keyboard input."""

    def __init__(self, tab: Tab, shop_origin: str) -> None:
        self.tab = tab
        self.shop_origin = shop_origin

    def open(self, query: str = "lang=fi") -> None:
        """Load the shop page and wait for the widget's launcher."""
        self.tab.goto(f"{self.shop_origin}/?{query}")
        self.wait_for("button", "chat")

    def find(
        self, role: str, name: str | None = None, *, exact: bool = False, inside: Node | None = None
    ) -> Node | None:
        """The first visible element of that role and name (inside another one, if given)."""
        found = self.tab.call(_FIND, role, name, exact, inside)
        return found if isinstance(found, Node) else None

    def wait_for(
        self,
        role: str,
        name: str | None = None,
        *,
        exact: bool = False,
        inside: Node | None = None,
        timeout: float = 10,
    ) -> Node:
        node = wait_until(
            lambda: self.find(role, name, exact=exact, inside=inside),
            timeout,
            f"the widget's {role} {name!r}",
            every=0.05,
        )
        assert node is not None  # wait_until returns only what is truthy
        return node

    def gone(self, role: str, name: str | None = None, *, timeout: float = 10) -> None:
        wait_until(lambda: self.find(role, name) is None, timeout, f"{role} {name!r} to go")

    def box(self, node: Node) -> dict[str, Any]:
        return dict(self.tab.call(_BOX, node))

    def click(self, role: str, name: str | None = None, *, exact: bool = False) -> None:
        """Click the element with the mouse, at its centre, once it is visible and on top."""
        node = self.wait_for(role, name, exact=exact)
        box = wait_until(
            lambda: (b := self.box(node))["onTop"] and b,
            5,
            f"{role} {name!r} to be on top (not covered)",
        )
        self.tab.click_at(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def fill(self, role: str, name: str, text: str, *, exact: bool = False) -> None:
        """Click into a field, clear it and type."""
        self.click(role, name, exact=exact)
        self.tab.call("n => { n.value = ''; }", self.wait_for(role, name, exact=exact))
        self.tab.type(text)

    def send(self, text: str) -> None:
        """Type a message into the chat's box and press Enter."""
        self.fill("textbox", self.placeholder(), text)
        self.tab.press("Enter")

    def placeholder(self) -> str:
        return str(self.tab.call("n => n.getAttribute('aria-label')", self.wait_for("textbox")))

    def focused(self) -> dict[str, str]:
        """What has focus inside the widget: its tag and accessible name."""
        return dict(
            self.tab.evaluate(
                """(() => {
                const host = document.querySelector('[data-botdesk]');
                const el = host && document.activeElement === host
                  ? host.shadowRoot.activeElement : null;
                return el ? {tag: el.tagName,
                             label: el.getAttribute('aria-label') || el.textContent} : {};
            })()"""
            )
            or {}
        )

    def bubbles(self, selector: str = "[data-seq]") -> list[str]:
        """The texts of the conversation's messages (or of other elements) in the panel."""
        texts = self.tab.call(
            """s => [...document.querySelector('[data-botdesk]').shadowRoot.querySelectorAll(s)]
                   .map(n => n.innerText)""",
            selector,
        )
        return [str(t) for t in texts]

    def wait_for_bubble(self, text: str, selector: str = ".them[data-seq]") -> str:
        bubble = wait_until(
            lambda: next((b for b in self.bubbles(selector) if text in b), None),
            15,
            f"a message with {text!r}",
            every=0.05,
        )
        assert bubble is not None
        return bubble

    def stored(self) -> Any:
        """The widget's sessionStorage entry for acme, parsed (None when there is none)."""
        value = self.tab.evaluate("sessionStorage.getItem('botdesk:acme')")
        return json.loads(value) if value else None
