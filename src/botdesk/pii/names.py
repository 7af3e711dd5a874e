"""Person names, found offline from cue phrases, capitalisation and a small lexicon.

Heuristic by nature (see docs/pii.md for measured precision and recall). Three kinds of
evidence, strongest first:

1. A cue that says a name follows: "my name is", "nimeni on", "jag heter", "c/o", "Mr". Any
   capitalised words after it are taken, and lower-case ones if the lexicon knows them
   ("nimeni on matti virtanen").
2. A weaker cue ("olen", "I'm", "jag är"), a sign-off ("Terveisin", "Mvh", "Regards", "/")
   or "here" after the words ("Joonas tässä"): the words must look like a name, i.e. a known
   given name, two capitalised words, or for a sign-off the last words of the message.
3. No cue: a known given name followed by a surname-like word ("Emma Lindgren"), never a
   single capitalised word, because product, brand and place names are capitalised too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from enum import Enum

from botdesk.pii.entities import Entity, EntityType
from botdesk.pii.lexicon import (
    BRANDS,
    CITIES,
    FIRST_NAMES,
    NOT_NAMES,
    SURNAME_ENDINGS,
    SURNAMES,
)

_LETTERS = r"[^\W\d_]"
# A word with internal hyphens or apostrophes: "Anna-Liisa", "O'Brien".
_APOSTROPHES_HYPHEN = "'\u2019-"
_WORD_RE = re.compile(rf"{_LETTERS}+(?:[{_APOSTROPHES_HYPHEN}]{_LETTERS}+)*")
_MAX_NAME_WORDS = 3
_ANY_NAME = FIRST_NAMES | SURNAMES


class _Cue(Enum):
    STRONG = "strong"  # introductions and recipient fields
    WEAK = "weak"  # "I am …": followed by a name or by almost anything else
    SIGN_OFF = "sign-off"  # letter closings, after which a name is what usually comes
    THANKS = "thanks"  # "Thanks, great service!" as often as "Thanks, Anna"
    TITLE = "title"  # "Mr", "rouva", and kin: "my wife", "äitini", "min sambo"


_CUES: dict[_Cue, tuple[str, ...]] = {
    _Cue.STRONG: (
        "my name is", "my name's", "full name:", "name:", "nimeni on", "nimi on",
        "minun nimeni on", "mun nimi on", "nimi:", "tilaajan nimi", "jag heter",
        "mitt namn är", "namnet är", "på namnet", "namn:", "jeg heter", "mitt navn er",
        "navnet er", "på navnet", "navn:", "jeg hedder", "mit navn er", "hedder", "c/o",
        "vastaanottaja", "vastaanottajana", "vastaanottajan nimi", "mottagare", "mottagaren",
        "mottaker", "mottakeren", "modtager", "modtageren", "recipient", "attn", "att:",
        "under the name", "in the name of", "ordered by", "tilaaja", "beställare", "bestiller",
        "nimellä", "osoitettu", "adresserad till", "adressert til", "adresseret til",
        "addressed to",
    ),
    _Cue.WEAK: (
        "olen", "oon", "täällä", "i am", "i'm", "i\u2019m", "im", "this is", "jag är", "här är",
        "det är", "jeg er", "her er", "det er", "mä oon", "minä olen",
    ),
    _Cue.SIGN_OFF: (
        "terveisin", "ystävällisin terveisin", "parhain terveisin", "t.", "kiittäen",
        "med vänlig hälsning", "vänliga hälsningar", "hälsningar", "mvh", "vh",
        "med vennlig hilsen", "vennlig hilsen", "hilsen", "med venlig hilsen", "venlig hilsen",
        "kh", "regards", "best regards", "kind regards", "best wishes", "br", "sincerely",
    ),
    _Cue.THANKS: ("kiitos", "tack", "takk", "tak", "thanks", "thank you", "cheers"),
    _Cue.TITLE: (
        "mr", "mrs", "ms", "dr", "herra", "rouva", "neiti", "herr", "fru", "fröken",
        "äitini", "isäni", "vaimoni", "mieheni", "puolisoni", "tyttäreni", "poikani", "siskoni",
        "veljeni", "ystäväni", "kaverini", "min fru", "min man", "min sambo", "min mamma",
        "min pappa", "min dotter", "min son", "min syster", "min bror", "min vän", "kona mi",
        "mannen min", "samboeren min", "mora mi", "min kone", "min mann", "min samboer",
        "min venn", "min mand", "min kæreste", "min mor", "min far", "min datter", "min søn",
        "min søster", "min ven", "my wife", "my husband", "my partner", "my mother", "my mum",
        "my mom", "my dad", "my father", "my daughter", "my son", "my sister", "my brother",
        "my friend",
    ),
}  # fmt: skip


def _cue_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """One alternation, longest phrase first, ending where the name would start."""
    alternation = "|".join(
        re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True)
    )
    # Not inside a word; then optional punctuation the way people type forms and signatures.
    return re.compile(
        rf"(?<!{_LETTERS})(?:{alternation})(?!{_LETTERS})\.?[ \t]*[:,\u2013-]?\s*", re.IGNORECASE
    )


_CUE_RES = {kind: _cue_regex(phrases) for kind, phrases in _CUES.items()}
# What may follow a signature: punctuation, dashes, a heart or a smiley.
_REST_IS_CLOSING_RE = re.compile(
    "[\\s!.,:;)~*\\-\u2013\u2014\u2665\u2764\ufe0f\U0001f600-\U0001f64f\U0001f44d]*\\Z"
)


def _is_capitalised(word: str) -> bool:
    """Whether each part is capitalised: "Anna-Liisa", "O'Brien", "McKenzie"; not "XL"."""
    for part in re.split(f"[{_APOSTROPHES_HYPHEN}]", word):
        if part.startswith("Mc") and len(part) > 3:
            part = part[2:]
        if not part or not part[0].isupper() or (part[1:] and not part[1:].islower()):
            return False
    return True


def _key(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _known(word: str) -> bool:
    """In the lexicon, whatever the case it was typed in."""
    key = _key(word)
    return key in FIRST_NAMES or key in SURNAMES


def _surname_like(word: str) -> bool:
    key = _key(word)
    return key in SURNAMES or key in FIRST_NAMES or key.lower().endswith(SURNAME_ENDINGS)


def _name_like(word: str, *, lower_ok: bool, follows_name: bool) -> bool:
    """Capitalised, or typed in capitals or lower case but known (or a surname after a name)."""
    if _is_capitalised(word):
        return True
    if word.isupper():
        return _known(word)
    if lower_ok and word.islower():
        return _known(word) or (follows_name and _surname_like(word))
    return False


def _name_words(text: str, position: int, *, lower_ok: bool) -> list[re.Match[str]]:
    """The run of name-like words starting at `position`, single-space separated."""
    words: list[re.Match[str]] = []
    while len(words) < _MAX_NAME_WORDS:
        match = _WORD_RE.match(text, position)
        if match is None or match[0].lower() in NOT_NAMES or len(match[0]) < 2:
            break
        if not _name_like(match[0], lower_ok=lower_ok, follows_name=bool(words)):
            break
        words.append(match)
        if text[match.end() : match.end() + 1] != " ":
            break
        position = match.end() + 1
    return words


def _entity(words: list[re.Match[str]]) -> Entity:
    value = " ".join(w[0] for w in words)
    return Entity(EntityType.PERSON_NAME, words[0].start(), words[-1].end(), value)


def _after_cues(text: str) -> Iterator[Entity]:
    """Names introduced by a cue phrase."""
    for kind, pattern in _CUE_RES.items():
        for cue in pattern.finditer(text):
            words = _name_words(text, cue.end(), lower_ok=kind is not _Cue.TITLE)
            if not words:
                continue
            if kind is _Cue.WEAK and not _weakly_named(cue[0], words[0][0]):
                continue  # "olen Helsingistä", "I'm Looking for …"
            if kind is _Cue.THANKS and not _known(words[0][0]):
                continue  # "Kiitos, Tilaus tuli perille" is thanks, not a signature
            if kind is _Cue.SIGN_OFF and not (
                _known(words[0][0])
                or len(words) > 1
                or _REST_IS_CLOSING_RE.match(text, words[-1].end())
            ):
                continue
            if kind is _Cue.TITLE and not _is_capitalised(words[0][0]):
                continue
            yield _entity(words)


# Finnish case endings: "olen Helsingistä" (from), "olen Oulussa" (in) name places, not people.
_FI_CASE_ENDINGS = ("ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi", "sti")
_FI_SELF = frozenset({"olen", "oon", "mä oon", "minä olen"})


def _weakly_named(cue: str, word: str) -> bool:
    """After "I am": a known given name, or in Finnish any capitalised word not in a case."""
    if not _is_capitalised(word):
        return False
    if _key(word) in FIRST_NAMES:
        return True
    return " ".join(cue.lower().split()) in _FI_SELF and not word.endswith(_FI_CASE_ENDINGS)


# "Joonas Miettinen tässä", "Hei, Ingrid her", "/Vera" at the end of a message.
_HERE_RE = re.compile(
    rf"(?<!{_LETTERS})((?:[A-ZÄÖÅÆØ]{_LETTERS}*(?:[{_APOSTROPHES_HYPHEN}]{_LETTERS}+)* ){{1,3}})"
    rf"(?:tässä|täällä|här|her|here|speaking)(?!{_LETTERS})"
)
_GREETED_RE = re.compile(r"(?:\A|[.!?]\s*)(?:hei|moi|hej|hi|hello|hey|hallo)\W*\Z|[,:]\s*\Z", re.I)
_SLASH_RE = re.compile(rf"(?:\A|\s)[/~\u2013-]\s?(?={_LETTERS})")


def _around_cues(text: str) -> Iterator[Entity]:
    """Names before "here" ("Joonas tässä") and after a slash or dash signature."""
    for match in _HERE_RE.finditer(text):
        words = _name_words(text, match.start(1), lower_ok=False)
        if not words or " ".join(w[0] for w in words).lower() in BRANDS:
            continue
        before = text[max(0, match.start(1) - 20) : match.start(1)]
        if len(words) > 1 or _known(words[0][0]) or _GREETED_RE.search(before):
            yield _entity(words)
    for match in _SLASH_RE.finditer(text):
        words = _name_words(text, match.end(), lower_ok=False)
        if words and _REST_IS_CLOSING_RE.match(text, words[-1].end()):
            yield _entity(words)


def _without_cues(text: str) -> Iterator[Entity]:
    """A known given name followed by a surname-like word, or the formal "Virtanen Matti"."""
    for start in _WORD_RE.finditer(text):
        word = start[0]
        if not _is_capitalised(word) or _key(word) not in _ANY_NAME:
            continue
        words = _name_words(text, start.start(), lower_ok=False)
        if len(words) < 2 or " ".join(w[0] for w in words[:2]).lower() in BRANDS:
            continue
        first, second = _key(words[0][0]), _key(words[1][0])
        if first in FIRST_NAMES and _surname_like(words[1][0]):
            keep = 2 + (len(words) > 2 and _surname_like(words[2][0]))
            yield _entity(words[:keep])
        elif first in SURNAMES and second in FIRST_NAMES:
            yield _entity(words[:2])


def find_person_names(text: str) -> list[Entity]:
    """Candidate person-name spans (they may overlap; the caller resolves overlaps)."""
    found = [*_after_cues(text), *_around_cues(text), *_without_cues(text)]
    brands = _brand_spans(text)
    if not brands:
        return found
    # "Helly Hansen Olivia blouse" holds a surname and a given name, and no person.
    return [e for e in found if all(e.end <= a or b <= e.start for a, b in brands)]


def _brand_spans(text: str) -> list[tuple[int, int]]:
    lowered = text.lower()
    spans = []
    for brand in BRANDS:
        start = lowered.find(brand)
        while start >= 0:
            spans.append((start, start + len(brand)))
            start = lowered.find(brand, start + 1)
    return spans


# --- Doubt: what the detector did not take, but a careful reader would not keep -------------

_INTRODUCTIONS = _cue_regex(
    (
        "my name is", "my name's", "full name:", "name:", "nimeni on", "nimi on",
        "minun nimeni on", "mun nimi on", "nimi:", "jag heter", "mitt namn är", "namnet är",
        "namn:", "jeg heter", "mitt navn er", "navnet er", "navn:", "jeg hedder",
        "mit navn er",
    )
)  # fmt: skip
_SELF = _cue_regex(("i am", "i'm", "i\u2019m", "im", "olen", "oon", "minä olen", "mä oon",
                    "jag är", "jeg er", "this is", "det är", "det er", "här är", "her er",
                    "placed by", "bought by", "sent by", "picked up by", "collected by",
                    "gjordes av", "gjord av", "beställd av", "beställdes av", "köpt av",
                    "hämtas av", "bestilt av", "bestilt af", "kjøpt av", "købt af", "hentes av",
                    "hentes af"))  # fmt: skip
# The last one or two words of a message after a sentence ends: "Thanks for the help! Tom".
_SIGNATURE_RE = re.compile(
    rf"[.!?\n]\s*[-/~]?\s*((?:{_LETTERS}+(?:[{_APOSTROPHES_HYPHEN}]{_LETTERS}+)*\s?){{1,2}})"
    r"[\s!.,:;)]*\Z"
)
_NAME_ENDINGS = ("nen", "sson", "ssen", "sen")


def _looks_like_a_name(word: str) -> bool:
    """A capitalised word a person is likely called: a known name, or a Nordic surname shape."""
    key = _key(word)
    if key.lower() in CITIES:
        return False
    return key in FIRST_NAMES or (
        (key in SURNAMES or len(key) >= 6) and key.lower().endswith(_NAME_ENDINGS)
    )


def uncertain_names(text: str) -> list[tuple[int, int]]:
    """Spans that may be a name the detector left: for dropping a sample, not for redacting.

    Run on already redacted text (placeholders such as <PERSON_NAME> are not words):
    - any word right after an introduction ("my name is", "nimeni on", "jag heter" …);
    - a capitalised word after "I am"/"olen"/"jag är"/"this is"/"det er" or "placed by"/
      "bestilt af" that is not a Finnish place case, or before "here"/"här"/"tässä";
    - one or two capitalised words ending the message after a sentence: a signature;
    - a capitalised known given name, or a surname-shaped word (-nen, -sson, -sen), inside a
      sentence rather than at its start, unless it belongs to a brand or is a town.
    """
    spans: list[tuple[int, int]] = []
    for cue in _INTRODUCTIONS.finditer(text):
        word = _WORD_RE.match(text, cue.end())
        if word is not None:
            spans.append(word.span())
    for cue in _SELF.finditer(text):
        word = _WORD_RE.match(text, cue.end())
        if (
            word is not None
            and _is_capitalised(word[0])
            and not word[0].endswith(_FI_CASE_ENDINGS)
            and word[0].lower() not in NOT_NAMES
        ):
            spans.append(word.span())
    for match in _HERE_RE.finditer(text):
        spans.append(match.span(1))
    signature = _SIGNATURE_RE.search(text)
    if signature is not None:
        words = signature[1].split()
        if all(_is_capitalised(w) and w.lower() not in NOT_NAMES for w in words) and not any(
            w.lower() in CITIES for w in words
        ):
            spans.append(signature.span(1))
    brands = _brand_spans(text)
    for word in _WORD_RE.finditer(text):
        if not _is_capitalised(word[0]) or not _looks_like_a_name(word[0]):
            continue
        before = text[: word.start()].rstrip(" \t\"'(\u201c\u00ab-")
        if not before or before[-1] in ".!?:;\n":
            continue  # sentences start with a capital: "Anna palautusohjeet" is "give"
        if any(a <= word.start() < b for a, b in brands):
            continue
        spans.append(word.span())
    return spans
