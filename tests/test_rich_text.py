"""The bot's Markdown subset as console HTML and as transcript text (botdesk.rich_text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from botdesk import rich_text
from botdesk.content.loader import load_directory
from botdesk.content.schema import walk_localized

DEMO = Path(__file__).resolve().parent.parent / "content" / "demo"
SHOP = "https://shop.example"


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("Returns are **free for 30 days**.", "Returns are free for 30 days."),
        ("Pay by **Visa** or *invoice*.", "Pay by Visa or invoice."),
        (
            "Use the [returns page](/returns).",
            "Use the returns page (https://shop.example/returns).",
        ),
        ("See [the guide](https://x.example/g?a=1).", "See the guide (https://x.example/g?a=1)."),
        ("[https://x.example/](https://x.example/)", "https://x.example/"),
        ("Mail [us](mailto:help@x.example).", "Mail us (help@x.example)."),
        (
            "Order **A-1** is on its way.\n\nTracking: 123",
            "Order A-1 is on its way.\nTracking: 123",
        ),
        ("You can:\n- return it\n- exchange **it**", "You can:\n- return it\n- exchange it"),
        ("1. pack\n2. send", "1. pack\n2. send"),
        ("a\\*b\\* \\[x\\](y)", "a*b* [x](y)"),
        ("<b>raw</b> & co", "<b>raw</b> & co"),
        ("[bad](javascript:alert(1))", "[bad](javascript:alert(1))"),
        ("[old](ftp://x.example/f)", "old"),
    ],
)
def test_plain_text_keeps_no_markdown_syntax(markdown: str, text: str) -> None:
    assert rich_text.plain(markdown, SHOP) == text


def test_relative_links_without_the_shops_origin_are_text_only() -> None:
    assert rich_text.plain("Use the [returns page](/returns).") == "Use the returns page."
    assert rich_text.html("[returns](/returns)") == "<p>returns</p>\n"
    assert rich_text.plain("[x](//evil.example/a)", SHOP) == "x"


def test_html_is_escaped_and_links_are_safe() -> None:
    html = rich_text.html('**b** <script>x</script> [a](https://x.example/"q) [r](/returns)', SHOP)
    assert "<strong>b</strong>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert (
        '<a href="https://x.example/%22q" rel="noopener noreferrer nofollow" target="_blank">a</a>'
        in html
    )
    assert '<a href="https://shop.example/returns" rel="noopener noreferrer nofollow"' in html
    for refused in ("javascript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc"):
        assert "<a" not in rich_text.html(f"[x]({refused})", SHOP)


def test_every_demo_answer_becomes_clean_text() -> None:
    content = load_directory(DEMO)
    texts = [
        value
        for intent in content.intents.values()
        for localized, _loc in walk_localized(intent)
        for value in localized.values()
    ]
    marked = [t for t in texts if "**" in t or "](" in t]
    assert len(marked) > 20  # the forms below are really in the content
    for text in marked:
        plain = rich_text.plain(text, SHOP)
        assert "**" not in plain and "](" not in plain, text
