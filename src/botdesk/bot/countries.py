"""Countries a shopper names ("to Norway", "Norjaan", "till Norge"), for context-dependent answers.

Finnish inflects names (Norja, Norjaan, Norjassa, Norjasta, Norjan), so Finnish stems match as
prefixes; the Scandinavian and English names match as whole words.
"""

from __future__ import annotations

import re

_NAMES: dict[str, tuple[str, ...]] = {
    "FI": ("finland", "finnland", "suomi", "suomeen", "suomessa", "suomesta", "suomen"),
    "SE": (
        "sweden",
        "sverige",
        "sverike",
        "ruotsi",
        "ruotsiin",
        "ruotsissa",
        "ruotsista",
        "ruotsin",
    ),
    "NO": ("norway", "norge", "noreg", "norja", "norjaan", "norjassa", "norjasta", "norjan"),
    "DK": ("denmark", "danmark", "tanska", "tanskaan", "tanskassa", "tanskasta", "tanskan"),
    # Countries shops are often asked about beyond the Nordics: named so that a shop that does
    # not ship there can say so, instead of answering with its own country's price.
    # Not "island": Iceland in Swedish and Norwegian, but any island in English.
    "IS": ("iceland", "islanti", "islantiin", "islannissa", "islannista", "islannin"),
    "EE": ("estonia", "eesti", "estland", "viro", "viroon", "virossa", "virosta", "viron"),
    "DE": (
        "germany",
        "deutschland",
        "tyskland",
        "saksa",
        "saksaan",
        "saksassa",
        "saksasta",
        "saksan",
    ),
    "GB": (
        "uk",
        "united kingdom",
        "great britain",
        "britain",
        "england",
        "storbritannien",
        "storbritannia",
        "england",
        "englanti",
        "englantiin",
        "englannissa",
        "englannista",
        "iso-britannia",
        "iso-britanniaan",
        "isoon-britanniaan",
        "britanniaan",
    ),
    "US": (
        "usa",
        "united states",
        "america",
        "amerika",
        "yhdysvallat",
        "yhdysvaltoihin",
        "yhdysvalloissa",
        "amerikkaan",
        "jenkkeihin",
    ),
    "FR": ("france", "frankrike", "frankrig", "ranska", "ranskaan", "ranskassa", "ranskasta"),
    "NL": (
        "netherlands",
        "holland",
        "nederland",
        "alankomaat",
        "alankomaihin",
        "hollanti",
        "hollantiin",
    ),
    "PL": ("poland", "polen", "puola", "puolaan", "puolassa", "puolasta"),
    "ES": ("spain", "spanien", "spania", "espanja", "espanjaan", "espanjassa", "espanjasta"),
    "IT": ("italy", "italien", "italia", "italiaan", "italiassa", "italiasta"),
}
_FOLD = str.maketrans({"ä": "a", "ö": "o", "å": "a", "ø": "o", "æ": "ae"})
_PATTERN = re.compile(
    r"(?<![\w-])("
    + "|".join(
        re.escape(n).replace(r"\ ", r"\s+")
        for n in sorted({n for names in _NAMES.values() for n in names}, key=len, reverse=True)
    )
    + r")(?![\w-])"
)
_US = re.compile(r"(?<![\w-])U\.?S\.?(?![\w-])")
_CODE = {name: code for code, names in _NAMES.items() for name in names}


def countries_in(text: str) -> list[str]:
    """ISO codes of the countries named in `text`, in order of appearance, without repeats."""
    folded = text.lower().translate(_FOLD)
    spans = [(m.start(), _CODE[" ".join(m.group(1).split())]) for m in _PATTERN.finditer(folded)]
    # "US" only in capitals: "us" is a word.
    spans += [(m.start(), "US") for m in _US.finditer(text)]
    found = [code for _start, code in sorted(spans)]
    return list(dict.fromkeys(found))
