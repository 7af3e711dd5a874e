"""The Markdown subset of bot and agent messages, read by one parser for every place it is shown.

Bot answers (and agents' replies, which the widget renders the same way) may use **bold**,
*italic*, [links](…), "- " and "1. " lists and backslash escapes; nothing else. markdown-it's
"zero" preset with only those rules enabled reads them: raw HTML stays text, and its link
validator already refuses javascript:, vbscript:, file: and data: URLs.

Two outputs share that reading, so the console and the emailed transcript cannot disagree:
`html()` for the console (web/markdown.py) and `plain()` for transcripts, which keep no syntax
(`**`, `[](…)`) and write a link as "text (address)".

Links: only http(s) and mailto addresses stay links. Shop-relative ones ("/returns", as the demo
content writes them) are made absolute against the shop's origin when it is known; without one
they are shown as their text only, since on the console's host they would lead nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

PARSER = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False}).enable(
    # escape: "\[" is a plain "[" (texts from merchants' systems arrive escaped).
    ["emphasis", "link", "list", "newline", "escape"]
)
# Search engines must not credit the shop's pages with links a bot or an agent wrote.
LINK_REL = "noopener noreferrer nofollow"


def link_target(href: str, base: str | None = None) -> str | None:
    """Where a link may point: an absolute http(s) or mailto address, or None for text only."""
    if href.startswith("/") and not href.startswith("//"):
        if not base:
            return None
        href = urljoin(base, href)
    parts = urlsplit(href)
    if parts.scheme in ("http", "https") and parts.netloc:
        return href
    if parts.scheme == "mailto" and parts.path:
        return href
    return None


def _inline(children: Sequence[Token], base: str | None) -> list[Token]:
    """The inline tokens with refused links unwrapped and kept links made absolute and safe."""
    kept: list[Token] = []
    dropping = False
    for token in children:
        if token.type == "link_open":
            target = link_target(str(token.attrGet("href") or ""), base)
            dropping = target is None
            if dropping:
                continue
            token.attrs = {"href": target or "", "rel": LINK_REL, "target": "_blank"}
        elif token.type == "link_close" and dropping:
            dropping = False
            continue
        kept.append(token)
    return kept


def _tokens(text: str, base: str | None) -> list[Token]:
    tokens = PARSER.parse(text)
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            token.children = _inline(token.children, base)
    return tokens


def html(text: str, base: str | None = None) -> str:
    """HTML for a message in the subset; everything outside it is escaped text."""
    rendered: str = PARSER.renderer.render(_tokens(text, base), PARSER.options, {})
    return rendered


def plain(text: str, base: str | None = None) -> str:
    """The message as clean text: no Markdown syntax, links as "text (address)", list dashes."""
    lines: list[str] = []
    numbers: list[int | None] = []  # one per open list: the next item's number, None if bulleted
    prefix = ""
    for token in _tokens(text, base):
        if token.type == "bullet_list_open":
            numbers.append(None)
        elif token.type == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
        elif token.type == "list_item_open":
            number = numbers[-1]
            indent = "  " * (len(numbers) - 1)
            prefix = f"{indent}- " if number is None else f"{indent}{number}. "
            if number is not None:
                numbers[-1] = number + 1
        elif token.type == "inline":
            lines.extend(_inline_text(token.children or [], prefix).split("\n"))
            prefix = ""
    return "\n".join(lines).strip()


def _inline_text(children: Sequence[Token], prefix: str) -> str:
    out = [prefix]
    target: str | None = None
    label_start = 0
    for token in children:
        if token.type == "text":
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif token.type == "link_open":
            target = str(token.attrGet("href"))
            label_start = len(out)
        elif token.type == "link_close" and target is not None:
            label = "".join(out[label_start:]).strip()
            shown = target.removeprefix("mailto:")
            if shown != label:
                out.append(f" ({shown})")
            target = None
    return "".join(out)
