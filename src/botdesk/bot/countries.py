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
}
_FOLD = str.maketrans({"ä": "a", "ö": "o", "å": "a", "ø": "o", "æ": "ae"})
_PATTERN = re.compile(
    r"\b("
    + "|".join(sorted({n for names in _NAMES.values() for n in names}, key=len, reverse=True))
    + r")\b"
)
_CODE = {name: code for code, names in _NAMES.items() for name in names}


def countries_in(text: str) -> list[str]:
    """ISO codes of the countries named in `text`, in order of appearance, without repeats."""
    found = [_CODE[m.group(1)] for m in _PATTERN.finditer(text.lower().translate(_FOLD))]
    return list(dict.fromkeys(found))
