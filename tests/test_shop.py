"""The demo shop and its help pages: every link a shopper can follow lands on the page it names.

Links come from two places: the demo bot's answers and buttons (every language), and the shop's
own pages (front page, every help page in every language). Each is fetched from the running app;
a help link must reach the help page of its own language whose title it promises, not a 404 and
not the front page. The layout is checked in Chromium at phone widths (test_shop_browser.py).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from botdesk.content.schema import walk_localized
from botdesk.demo import bundled_demo_content
from botdesk.help_pages import LANGUAGES, HelpPageError, demo_help, load

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]*)\)")
FRONT_PAGE_HEADING = "Made for northern weather"


class _Page(HTMLParser):
    """The parts of a page the tests look at: <html lang>, <h1>, ids and every link."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = ""
        self.h1 = ""
        self.ids: set[str] = set()
        self.links: list[tuple[str, dict[str, str]]] = []  # (href, attributes) of <a> and <link>
        self.texts: dict[str, list[str]] = {}  # href -> text of the <a> elements to it
        self.styles = 0
        self._in_h1 = False
        self._anchor: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if "id" in a:
            self.ids.add(a["id"])
        if "style" in a or tag == "style":
            self.styles += 1
        if tag == "h1":
            self._in_h1 = True
        if tag in ("a", "link") and "href" in a:
            self.links.append((a["href"], a))
        if tag == "a" and "href" in a:
            self._anchor = a["href"]
            self.texts.setdefault(a["href"], []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False
        if tag == "a":
            self._anchor = None

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data.strip()
        if self._anchor is not None:
            self.texts[self._anchor][-1] += data.strip()


def _get(api: httpx.Client, path: str) -> _Page:
    response = api.get(path, follow_redirects=True)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return _Page(response.text)


def _help_target(api: httpx.Client, link: str, language: str) -> None:
    """`link` opens the help page in `language` that it is about, at its section if it names one."""
    parts = urlsplit(link)
    assert parts.path.startswith(f"/help/{language}/"), f"{link} is not a {language} help page"
    slug = parts.path.removeprefix(f"/help/{language}/")
    page = demo_help().page(language, slug)
    assert page is not None, f"{link}: no {language} page {slug!r}"
    seen = _get(api, parts.path)
    assert seen.h1 == page.title, f"{link} shows {seen.h1!r}"
    assert seen.h1 != FRONT_PAGE_HEADING
    assert seen.lang == language
    if parts.fragment:
        assert parts.fragment in seen.ids, f"{link}: no section #{parts.fragment}"


def _bot_links() -> list[tuple[str, str, str]]:
    """(where, language, link) for every link in the demo bot's texts and buttons."""
    content = bundled_demo_content()
    found = []
    specs = [("bot.yaml", content.bot), *content.intents.items()]
    for name, spec in specs:
        for texts, loc in walk_localized(spec):
            for language, text in texts.items():
                links = [text] if loc[-1] == "url" else _LINK.findall(text)
                found.extend((f"{name}:{'.'.join(map(str, loc))}", language, x) for x in links)
    return found


def test_the_demo_bot_has_links_to_check() -> None:
    links = _bot_links()
    # The answers that point at a page: returns, exchanges, sizes, privacy, account, ...
    assert len(links) >= 40
    assert {language for _where, language, _link in links} == set(LANGUAGES)


def test_every_link_in_the_bots_answers_opens_its_help_page(api: httpx.Client) -> None:
    for where, language, link in _bot_links():
        try:
            _help_target(api, link, language)
        except AssertionError as exc:
            raise AssertionError(f"{where} ({language}): {exc}") from None


def _shop_pages() -> list[str]:
    return ["/", *(f"/help/{lang}" for lang in LANGUAGES), *(p.path for p in demo_help().pages)]


def test_every_link_on_the_shop_and_help_pages_leads_somewhere(api: httpx.Client) -> None:
    checked: set[str] = set()
    for path in _shop_pages():
        page = _get(api, path)
        assert page.styles == 0, f"{path}: inline styles (the CSP refuses them)"
        for href, attrs in page.links:
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc, f"{path} links off-site: {href}"
            if parts.path.startswith("/help/") and parts.path.count("/") == 3:
                _help_target(api, href, attrs.get("hreflang") or page.lang)
            elif parts.path not in checked:
                assert api.get(parts.path or path, follow_redirects=True).status_code == 200, href
            checked.add(parts.path)


def test_the_footer_links_the_privacy_page(api: httpx.Client) -> None:
    for language in LANGUAGES:
        privacy = demo_help().translation("privacy", language)
        path = "/" if language == "en" else f"/help/{language}"
        page = _get(api, path)
        assert page.texts.get(privacy.path), f"{path} has no link to {privacy.path}"
        _help_target(api, privacy.path, language)


def test_the_nav_links_the_main_help_pages(api: httpx.Client) -> None:
    page = _get(api, "/")
    for page_id in ("shipping", "returns", "sizes"):
        assert demo_help().translation(page_id, "en").path in page.texts


def test_help_pages_switch_language_to_the_same_page(api: httpx.Client) -> None:
    for page in demo_help().pages:
        seen = _get(api, page.path)
        switch = {a["hreflang"]: href for href, a in seen.links if "hreflang" in a}
        for language in LANGUAGES:
            # The switcher gives the same page; the footer's language list the other index.
            assert demo_help().translation(page.id, language).path in [
                href for href, a in seen.links if a.get("hreflang") == language
            ], f"{page.path}: no {language} version linked"
        assert set(switch) == set(LANGUAGES)


def test_unknown_help_pages_are_404_with_the_list_of_pages(api: httpx.Client) -> None:
    for path in ("/help/xx", "/help/fi/no-such-page", "/help/en/palautukset", "/help/de/returns"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert "/help/" in response.text
    assert (
        api.get("/help", headers={"accept-language": "sv-SE,sv;q=0.9"})
        .headers["location"]
        .endswith("/help/sv")
    )
    assert (
        api.get("/help", headers={"accept-language": "no"}).headers["location"].endswith("/help/nb")
    )
    assert api.get("/help").headers["location"].endswith("/help/en")


def test_help_pages_are_the_form_knowledge_answers_ingest() -> None:
    centre = demo_help()
    ids = {p.id for p in centre.pages}
    assert ids == {
        "shipping",
        "returns",
        "sizes",
        "care",
        "payment",
        "orders",
        "contact",
        "privacy",
    }
    for page in centre.pages:
        # Every translation exists, and every page splits into sections that each say something.
        assert {centre.translation(page.id, lang).language for lang in LANGUAGES} == set(LANGUAGES)
        assert len(page.sections) >= 3, page.path
        for section in page.sections:
            assert len(section.text) >= 40, f"{page.path}#{section.anchor}"
    # The facts the bot and the task promise are on the pages.
    shipping = centre.translation("shipping", "fi")
    assert any("Norja" in s.heading and "tulli" in s.text.lower() for s in shipping.sections)
    privacy = centre.translation("privacy", "en").body
    assert "90 days" in privacy and "gear menu" in privacy and "no cookies" in privacy.lower()
    sizes = centre.translation("sizes", "sv").body
    assert "| Storlek |" in sizes


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter\n\n## A\n\ntext\n", "front matter"),
        ("---\nid: a\nlanguage: fi\nslug: a\ntitle: A\n---\n\n## A\n\nx\n", "summary"),
        ("---\nid: a\nlanguage: sv\nslug: a\ntitle: A\nsummary: S\n---\n\n## A\n\nx\n", "folder"),
        ("---\nid: a\nlanguage: en\nslug: A B\ntitle: A\nsummary: S\n---\n\n## A\n\nx\n", "slug"),
        ("---\nid: a\nlanguage: en\nslug: a\ntitle: A\nsummary: S\n---\n\nno sections\n", "##"),
    ],
)
def test_a_broken_help_page_is_refused_by_name(tmp_path: Path, text: str, problem: str) -> None:
    folder = tmp_path / ("fi" if "language: fi" in text else "en")
    folder.mkdir()
    (folder / "page.md").write_text(text)
    with pytest.raises(HelpPageError, match=problem) as caught:
        load(tmp_path)
    assert "page.md" in str(caught.value)


def test_a_page_missing_in_one_language_is_refused(tmp_path: Path) -> None:
    for language in ("en", "fi", "sv"):  # no nb
        (tmp_path / language).mkdir()
        (tmp_path / language / "a.md").write_text(
            f"---\nid: a\nlanguage: {language}\nslug: a\ntitle: A\nsummary: S\n---\n\n## A\n\nx\n"
        )
    (tmp_path / "nb").mkdir()
    with pytest.raises(HelpPageError, match="every language"):
        load(tmp_path)
