"""Help pages: a shop's own Markdown pages (shipping, returns, sizes, …) in each of its languages.

The demo shop's are in `demo_pages/{lang}/*.md`, shipped in the wheel. Each file opens with a
small YAML front matter:

    ---
    id: returns            # the same in every translation of one page
    language: fi
    slug: palautukset      # the page's address in that language: /help/fi/palautukset
    title: Palautukset ja vaihdot
    summary: One sentence for search results and the page's description.
    ---

then Markdown whose `## ` headings split it into sections, each written to stand on its own:
this is the form the knowledge-answers work ingests passage by passage (`HelpPage.sections`).
The demo shop renders them (web/shop.py); nothing here knows about the web.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DEMO_PAGES = Path(__file__).resolve().parent / "demo_pages"
LANGUAGES = ("en", "fi", "sv", "nb")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("id", "language", "slug", "title", "summary")


class HelpPageError(ValueError):
    """A help page file that does not follow the format above (names the file)."""


@dataclass(frozen=True)
class Section:
    """One `## ` section: a passage that answers on its own, with its anchor on the page."""

    heading: str
    anchor: str
    text: str


@dataclass(frozen=True)
class HelpPage:
    id: str
    language: str
    slug: str
    title: str
    summary: str
    body: str  # Markdown after the front matter

    @property
    def path(self) -> str:
        return f"/help/{self.language}/{self.slug}"

    @property
    def sections(self) -> tuple[Section, ...]:
        """The page's `## ` sections; text before the first one is the page's introduction."""
        found: list[Section] = []
        heading, lines = "", list[str]()
        for line in self.body.splitlines():
            if line.startswith("## "):
                if heading:
                    found.append(Section(heading, anchor(heading), "\n".join(lines).strip()))
                heading, lines = line[3:].strip(), list[str]()
            elif heading:
                lines.append(line)
        if heading:
            found.append(Section(heading, anchor(heading), "\n".join(lines).strip()))
        return tuple(found)


def anchor(heading: str) -> str:
    """A heading's fragment id: ASCII letters and digits joined by hyphens ("Tulli" → "tulli")."""
    # "ä" → "a", "ø" → "o" (NFKD does not split ø, so it is mapped by hand first).
    text = heading.lower().replace("ø", "o").replace("æ", "ae").replace("ß", "ss")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "section"


def parse(path: Path) -> HelpPage:
    """One page from its file; HelpPageError names what is wrong."""
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise HelpPageError(f"{path}: starts with a '---' front matter block")
    meta = yaml.safe_load(match.group(1))
    if not isinstance(meta, dict) or any(not isinstance(meta.get(k), str) for k in _REQUIRED):
        raise HelpPageError(f"{path}: the front matter needs {', '.join(_REQUIRED)} as text")
    page = HelpPage(**{k: meta[k].strip() for k in _REQUIRED}, body=text[match.end() :])
    if page.language != path.parent.name or page.language not in LANGUAGES:
        raise HelpPageError(f"{path}: language {page.language!r} is not its folder's")
    if not (_SLUG.fullmatch(page.slug) and _SLUG.fullmatch(page.id)):
        raise HelpPageError(f"{path}: id and slug are lowercase words joined by hyphens")
    if not page.sections:
        raise HelpPageError(f"{path}: has no '## ' sections")
    return page


@dataclass(frozen=True)
class HelpCentre:
    """Every page in every language, found by (language, slug) or by (id, language)."""

    pages: tuple[HelpPage, ...]

    def page(self, language: str, slug: str) -> HelpPage | None:
        return next((p for p in self.pages if (p.language, p.slug) == (language, slug)), None)

    def translation(self, page_id: str, language: str) -> HelpPage:
        return next(p for p in self.pages if (p.id, p.language) == (page_id, language))

    def in_language(self, language: str) -> tuple[HelpPage, ...]:
        return tuple(p for p in self.pages if p.language == language)


def load(directory: Path) -> HelpCentre:
    """Every page under `directory/{lang}/`; each id must exist once in every language."""
    pages = tuple(parse(f) for lang in LANGUAGES for f in sorted((directory / lang).glob("*.md")))
    ids = [p.id for p in pages if p.language == LANGUAGES[0]]
    for language in LANGUAGES:
        mine = [p for p in pages if p.language == language]
        if sorted(p.id for p in mine) != sorted(ids):
            raise HelpPageError(f"{directory / language}: pages {sorted(ids)} in every language")
        if len({p.slug for p in mine}) != len(mine):
            raise HelpPageError(f"{directory / language}: two pages share a slug")
    # The order a shop lists them in: the English file names' order (01-shipping.md, …).
    order = {page_id: n for n, page_id in enumerate(ids)}
    return HelpCentre(tuple(sorted(pages, key=lambda p: order[p.id])))


@cache
def demo_help() -> HelpCentre:
    """The demo shop's pages (read once per process)."""
    return load(DEMO_PAGES)
