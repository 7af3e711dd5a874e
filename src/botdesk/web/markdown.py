"""The `markdown` template filter: bot and agent messages in the safe subset (botdesk.rich_text).

Visitor text never comes here; it is always shown as plain text.
"""

from __future__ import annotations

from markupsafe import Markup

from botdesk import rich_text


def render(text: str, base: str | None = None) -> Markup:
    """HTML for a bot or agent message; `base` is the shop's origin for its relative links."""
    # rich_text escaped everything that is not the subset, and kept only http(s)/mailto links.
    return Markup(rich_text.html(text, base))  # noqa: S704
