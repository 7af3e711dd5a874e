"""Secrets a shopper types after a word that names one: passwords, PINs, card security codes.

Shoppers do write "my password is Kissa123, I can't log in". Nothing about the secret itself
tells it apart from any other word, so the cue word is the evidence, in fi/sv/nb/da/en with
inflections ("salasanani", "lösenordet", "passordet"). After the cue:

- with a connector ("is", ":", "=", "on", "är", "er", "was", "oli", "var"), the following
  words up to the end of the clause (at most four) are the secret, unless the first one says
  something about the password instead ("is wrong", "on väärä", "är fel", "er feil");
- with no connector, the next word is taken if it looks like a secret (a digit, a symbol or
  a capital inside it: "pw hunter2", "PIN 4321") or if it ends the message ("my password
  hunter"), so "password reset link" and "salasana ei toimi" stay readable;
- a quoted secret is taken whole, spaces and all.

A false positive costs a word of a question sample; a miss would keep someone's password.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from botdesk.pii.entities import Entity, EntityType

_CUES = (
    # en
    r"pass(?:word|wd|code|phrase)s?", r"pwd?", r"pins?", r"pin[ -]?codes?", r"cvv2?", r"cvc2?",
    r"security codes?", r"verification codes?", r"one[ -]time codes?", r"otp", r"login codes?",
    # fi
    r"salasan\w*", r"tunnussan\w*", r"tunnusl(?:uku|uvu)\w*", r"pin[ -]?koodi\w*",
    r"turvakoodi\w*", r"vahvistuskoodi\w*", r"varmennuskoodi\w*", r"kertakäyttökoodi\w*",
    # sv
    r"lösenord\w*", r"losenord\w*", r"pin[ -]?kod(?:en)?", r"säkerhetskod\w*",
    r"engångskod\w*", r"verifieringskod\w*",
    # nb, da
    r"passord\w*", r"pin[ -]?kode\w*", r"sikkerhetskode\w*", r"engangskode\w*",
    r"bekreftelseskode\w*", r"adgangskode\w*", r"kodeord\w*",
)  # fmt: skip
_CUE_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted(_CUES, key=len, reverse=True)) + r")(?![\w-])",
    re.IGNORECASE,
)
# What may stand between the cue and the secret: "is", "on", "är", ":", "=", "was" …, and a
# few words of context ("my password for the shop is …").
_CONNECTOR_RE = re.compile(
    r"(?:[ \t]+(?:[^\s,.;:!?]+[ \t]+){0,3}?(?:is|was|on|oli|onpi|är|var|er)(?!\w)[ \t]*:?"
    r"|[ \t]*[:=])[ \t]*",
    re.IGNORECASE,
)
_QUOTED_RE = re.compile(r"[ \t]*(?:\"[^\"\n]{1,80}\"|'[^'\n]{1,80}'|“[^”\n]{1,80}”|«[^»\n]{1,80}»)")
_TOKEN_RE = re.compile(r"[ \t]*([^\s,;]+)")
_MAX_WORDS = 4

# A word after the cue that says something about the password rather than being it: the first
# word after a connector ("is wrong"), or the last word of the message ("passordet mitt").
_DESCRIBING_WORDS = """
    not wrong incorrect invalid expired correct right missing required too very the a an my
    your still already ok fine lost forgotten case same different new old blocked locked what
    working reset changed broken again now please help doesn't don't didn't won't works work
    ei väärä väärin oikein oikea vanhentunut hukassa kadonnut unohtunut unohtui liian jo sama
    eri uusi vanha lukossa mikä mitä muuttunut vaihdettu nyt rikki minun mun sinun taas toimi
    toimii uudestaan apua
    inte fel rätt ogiltigt ogiltig för redan samma nytt gammalt borta glömt låst spärrat vad
    ändrat mitt min mina ditt din igen nu fungerar funkar hjälp
    ikke feil riktig ugyldig for allerede samme nytt gammelt borte glemt låst sperret hva endret
    mine dine virker fungerer hjelp
    forkert rigtig hvad glemte
    """
_NOT_A_SECRET = frozenset(_DESCRIBING_WORDS.split())
# Words that start a new clause: the secret ended before them.
_CLAUSE_STARTERS = """
    and but or so because please thanks thank where how why can could what when
    ja mutta tai eli koska kiitos missä miten mikä miksi voitteko voitko kun
    och men eller så eftersom tack var hur vad varför kan när
    og men eller fordi takk hvor hvordan hva hvorfor når tak
    """
_CLAUSE_WORDS = frozenset(_CLAUSE_STARTERS.split())
_SENTENCE_END = ".!?"


def find_secrets(text: str) -> Iterator[Entity]:
    """Spans that are most likely a password, PIN or code, found after a cue word."""
    for cue in _CUE_RE.finditer(text):
        position = cue.end()
        quoted = _QUOTED_RE.match(text, position)
        connector = _CONNECTOR_RE.match(text, position)
        if quoted is None and connector is not None:
            quoted = _QUOTED_RE.match(text, connector.end())
        if quoted is not None:
            start = quoted.start() + len(quoted[0]) - len(quoted[0].lstrip())
            yield Entity(EntityType.SECRET, start, quoted.end(), text[start : quoted.end()])
        elif connector is not None:
            yield from _clause(text, connector.end())
        else:
            yield from _next_word(text, position)


def _words(text: str, position: int) -> Iterator[re.Match[str]]:
    while (match := _TOKEN_RE.match(text, position)) is not None:
        yield match
        position = match.end()


def _bare(word: str) -> str:
    return word.strip(_SENTENCE_END + "\"'()[]").lower()


def _clause(text: str, position: int) -> Iterator[Entity]:
    """After "is": words up to the clause's end, unless the first describes the password."""
    taken: list[re.Match[str]] = []
    for word in _words(text, position):
        bare = _bare(word[1])
        if not bare or (not taken and bare in _NOT_A_SECRET) or bare in _CLAUSE_WORDS:
            break
        taken.append(word)
        # A full stop inside a word ("p4ss.w0rd") is part of it; at the end it ends the clause.
        if len(taken) == _MAX_WORDS or (word[1][-1] in _SENTENCE_END and len(word[1]) > 1):
            break
    if taken:
        yield _entity(text, taken[0].start(1), taken[-1].end(1))


def _next_word(text: str, position: int) -> Iterator[Entity]:
    """No connector: the next word if it looks like a secret or ends the message."""
    word = _TOKEN_RE.match(text, position)
    if word is None or text[position : word.start(1)] == "":
        return  # punctuation right after the cue ("password, …") or nothing at all
    raw = word[1]
    core = raw.rstrip(_SENTENCE_END)
    looks_secret = bool(
        re.search(r"[0-9]|[^\w'\u2019-]", core) or any(ch.isupper() for ch in core[1:])
    )
    last = text[word.end() :].strip(" \t\n" + _SENTENCE_END) == ""
    ordinary = core.lower() in _NOT_A_SECRET or core.lower() in _CLAUSE_WORDS
    if core and (looks_secret or (last and not ordinary)):
        yield _entity(text, word.start(1), word.end(1))


def _entity(text: str, start: int, end: int) -> Entity:
    # Sentence punctuation after the secret stays in the text; a secret may end in "!".
    while end - start > 1 and text[end - 1] in ".,?":
        end -= 1
    return Entity(EntityType.SECRET, start, end, text[start:end])
