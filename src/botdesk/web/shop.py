"""The demo merchant's shop, served at / so `make run` shows botdesk in place, and its help pages.

The help pages are Markdown files in the repository (help_pages.py), one per topic and language,
at /help/{lang}/{slug}; /help/{lang} lists them. Their links, the bot's answers and the shop's
nav and footer point there, so every link a shopper follows lands on a real page.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from botdesk.help_pages import DEMO_PAGES, LANGUAGES, HelpCentre, HelpPage, anchor, demo_help
from botdesk.web import TEMPLATES

router = APIRouter(include_in_schema=False)

PRODUCTS = (
    ("Merino wool sweater", "Knitwear", "89,00 €"),
    ("Linen shirt", "Shirts", "59,00 €"),
    ("Rain jacket", "Outerwear", "149,00 €"),
    ("Wool beanie", "Accessories", "25,00 €"),
    ("Organic cotton tee", "T-shirts", "29,00 €"),
    ("Down vest", "Outerwear", "119,00 €"),
)

# The shop's own words around the help pages, in each language (the front page is English).
UI: dict[str, dict[str, str]] = yaml.safe_load((DEMO_PAGES / "ui.yaml").read_text(encoding="utf-8"))
# The help pages the header links to, in this order (the footer lists them all).
HEADER_PAGES = ("shipping", "returns", "sizes")

# Pages may use more Markdown than bot answers: headings, tables, numbered lists. Raw HTML is
# escaped (html=False), and no table column is aligned, which would add style="" attributes
# that the page's CSP refuses (tests check the rendered pages for both).
_PAGES = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def _render(page: HelpPage) -> Markup:
    """The page's body as HTML; each `## ` heading gets the id its section is linked by."""
    tokens: list[Token] = _PAGES.parse(page.body)
    for opening, inline in pairwise(tokens):
        if opening.type == "heading_open" and opening.tag == "h2":
            opening.attrSet("id", anchor(inline.content))
    html = _PAGES.renderer.render(tokens, _PAGES.options, {})
    return Markup(html)  # noqa: S704 (markdown-it escaped all raw HTML; the files are ours)


def _chrome(help_centre: HelpCentre, language: str) -> dict[str, Any]:
    """What every shop page shows around its content: header, footer, texts in `language`."""
    pages = help_centre.in_language(language)
    by_id = {p.id: p for p in pages}
    return {
        "lang": language,
        "ui": UI[language],
        "help_pages": pages,
        "header_pages": [(by_id[i], UI[language][i]) for i in HEADER_PAGES],
        "privacy": by_id["privacy"],
        "languages": [(code, UI[code]["name"]) for code in LANGUAGES],
    }


@router.get("/")
def shop_page(request: Request) -> HTMLResponse:
    context = {"products": PRODUCTS, **_chrome(demo_help(), "en")}
    return TEMPLATES.TemplateResponse(request, "shop.html", context)


@router.get("/help")
def help_start(request: Request) -> RedirectResponse:
    """The help centre in the first of the browser's languages that the shop has (else English)."""
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        code = "nb" if code in ("no", "nn") else code
        if code in LANGUAGES:
            return RedirectResponse(f"/help/{code}", status_code=307)
    return RedirectResponse("/help/en", status_code=307)


def _help(request: Request, language: str, page: HelpPage | None, status: int) -> HTMLResponse:
    help_centre = demo_help()
    translations = (
        [help_centre.translation(page.id, code) for code in LANGUAGES]
        if page is not None
        else [None] * len(LANGUAGES)
    )
    context = {
        **_chrome(help_centre, language),
        "page": page,
        "missing": status == 404,
        "body": _render(page) if page is not None else None,
        # The language switcher: the same page in each language (or that language's index).
        "switch": [
            (code, UI[code]["name"], t.path if t is not None else f"/help/{code}")
            for code, t in zip(LANGUAGES, translations, strict=True)
        ],
    }
    return TEMPLATES.TemplateResponse(request, "help.html", context, status_code=status)


@router.get("/help/{language}")
def help_index(request: Request, language: str) -> HTMLResponse:
    if language not in LANGUAGES:
        return _help(request, "en", None, 404)
    return _help(request, language, None, 200)


@router.get("/help/{language}/{slug}")
def help_page(request: Request, language: str, slug: str) -> HTMLResponse:
    page = demo_help().page(language, slug)
    if page is None:
        return _help(request, language if language in LANGUAGES else "en", None, 404)
    return _help(request, language, page, 200)
