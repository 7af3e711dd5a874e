"""The safe Markdown subset bot answers use: **bold**, *italic*, [links](…) and '- ' lists.

markdown-it's "zero" preset with only those rules enabled: raw HTML is escaped, not passed
through, and its link validator refuses javascript:, vbscript:, file: and data: URLs. Visitor
text never comes here; it is always shown as plain text.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False}).enable(
    # escape: "\[" is a plain "[" (texts from merchants' systems arrive escaped).
    ["emphasis", "link", "list", "newline", "escape"]
)


def render(text: str) -> Markup:
    """HTML for a bot or agent message written in the safe subset."""
    html = _RENDERER.render(text)
    # Links leave the console for the shop's pages; never let them act as the console.
    html = html.replace("<a href=", '<a rel="noopener noreferrer" target="_blank" href=')
    return Markup(html)  # noqa: S704 (markdown-it escaped everything that is not the subset)
