"""A small keyword responder: greetings, thanks, goodbyes and asking for a person, in fi/sv/nb/en.

It is what answers until the bot engine (intents, flows, order look-ups) is configured for a
tenant, and it admits what it cannot do instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from botdesk.bot.actions import ActionResult
from botdesk.bot.responder import BotReply, BotTurn, Turn
from botdesk.transcripts import MessageContent

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "greeting": (
        "hi",
        "hello",
        "hey",
        "good morning",
        "moi",
        "hei",
        "terve",
        "moikka",
        "paivaa",
        "hej",
        "hejsan",
        "tjena",
        "god dag",
        "hallo",
        "heisann",
    ),
    "thanks": (
        "thanks",
        "thank you",
        "thx",
        "kiitos",
        "kiitti",
        "tack",
        "tusen tack",
        "takk",
        "tusen takk",
    ),
    "goodbye": (
        "bye",
        "goodbye",
        "see you",
        "heippa",
        "nakemiin",
        "hej da",
        "adjo",
        "ha det",
    ),
    "human": (
        "human",
        "person",
        "agent",
        "real person",
        "customer service",
        "ihminen",
        "asiakaspalvelu",
        "asiakaspalvelija",
        "manniska",
        "kundtjanst",
        "handlaggare",
        "menneske",
        "kundeservice",
        "saksbehandler",
    ),
}

_ANSWERS: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hi! How can I help you today?",
        "fi": "Hei! Miten voin auttaa?",
        "sv": "Hej! Hur kan jag hjälpa dig?",
        "nb": "Hei! Hvordan kan jeg hjelpe deg?",
    },
    "thanks": {
        "en": "You're welcome!",
        "fi": "Ole hyvä!",
        "sv": "Varsågod!",
        "nb": "Bare hyggelig!",
    },
    "goodbye": {
        "en": "Goodbye, and thanks for visiting!",
        "fi": "Kiitos käynnistä, hei hei!",
        "sv": "Hej då, och tack för besöket!",
        "nb": "Ha det bra, og takk for besøket!",
    },
    "human": {
        "en": "I'll pass this on to our customer service.",
        "fi": "Välitän tämän asiakaspalveluumme.",
        "sv": "Jag skickar det vidare till vår kundtjänst.",
        "nb": "Jeg sender dette videre til kundeservice.",
    },
    "unknown": {
        "en": "Sorry, I can't answer that yet. Could you put it another way?",
        "fi": "Valitettavasti en osaa vielä vastata tähän. Voisitko kysyä toisin?",
        "sv": "Tyvärr kan jag inte svara på det än. Kan du formulera det på ett annat sätt?",
        "nb": "Beklager, det kan jeg ikke svare på ennå. Kan du si det på en annen måte?",
    },
}


def _fold(text: str) -> str:
    """Lowercase and strip diacritics: shoppers often type "päivää" as "paivaa"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9 ]+", " ", ascii_only.replace("ø", "o").replace("æ", "ae"))


def _topic(text: str) -> str:
    folded = f" {' '.join(_fold(text).split())} "
    for topic in ("human", "thanks", "goodbye", "greeting"):
        if any(f" {keyword} " in folded for keyword in _KEYWORDS[topic]):
            return topic
    return "unknown"


class KeywordResponder:
    """Answers the handful of things it can recognise; says so when it cannot."""

    def respond(self, turn: Turn) -> BotTurn:
        topic = _topic(turn.text)
        answers = _ANSWERS[topic]
        text = answers.get(turn.language, answers["en"])
        reply = BotReply(MessageContent(text), wants_human=topic == "human")
        return BotTurn([reply], turn.language, intent=None if topic == "unknown" else topic)

    def resume(self, turn: Turn, results: Sequence[ActionResult]) -> BotTurn:
        """Never called: this bot runs no flows."""
        return BotTurn([], turn.language)
