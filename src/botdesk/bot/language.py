"""Which of the tenant's languages a message is in.

Two opinions are blended: lingua's general-purpose statistics, and a character n-gram model
trained on the tenant's own example phrases, which are labelled by language and written the way
shoppers write (informal, without diacritics), where lingua is weakest. Short messages are
ambiguous ("hei" is Finnish and Norwegian, "hej" Swedish and Danish), so the conversation's
language so far (at first, the page's) is kept unless the evidence is strong, and the longer the
message the less evidence is needed. Danish and Nynorsk are scored too and counted towards
Bokmål: shoppers of a Norwegian shop write all three, and lingua often calls Bokmål Danish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline, make_pipeline

_LINGUA = {
    "fi": Language.FINNISH,
    "sv": Language.SWEDISH,
    "nb": Language.BOKMAL,
    "en": Language.ENGLISH,
}
_COUNTS_AS = {Language.DANISH: "nb", Language.NYNORSK: "nb"}
_CODES = {**{lang: code for code, lang in _LINGUA.items()}, **_COUNTS_AS}
_WORD = re.compile(r"[^\W\d_]{2,}")
# Confidence a language needs to take over, by message length in words.
_NEEDED = {1: 0.9, 2: 0.75, 3: 0.7}
_NEEDED_LONG = 0.55
_MARGIN = 0.3


@cache
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    chosen = {_LINGUA[lang] for lang in languages if lang in _LINGUA}
    if "nb" in languages:
        chosen |= set(_COUNTS_AS)
    if len(chosen) < 2:  # lingua needs two to choose between; English is a harmless extra
        chosen.add(Language.ENGLISH if Language.ENGLISH not in chosen else Language.FINNISH)
    return LanguageDetectorBuilder.from_languages(*chosen).with_preloaded_language_models().build()


def scores(text: str, languages: tuple[str, ...]) -> dict[str, float]:
    """Confidence per tenant language (Danish and Nynorsk folded into nb)."""
    result = dict.fromkeys(languages, 0.0)
    for value in _detector(languages).compute_language_confidence_values(text):
        code = _CODES.get(value.language)
        if code in result:
            result[code] += value.value
    return result


class LanguageIdentifier:
    """Identifies a tenant's languages, helped by the tenant's own examples when there are any."""

    def __init__(
        self, languages: tuple[str, ...], examples: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.languages = languages
        _detector(languages)  # load lingua's models now, not on a shopper's first message
        self._model: Pipeline | None = None
        usable = {
            lang: texts for lang, texts in (examples or {}).items() if lang in languages and texts
        }
        if len(usable) >= 2:
            texts = [t for lang in usable for t in usable[lang]]
            labels = [lang for lang in usable for _ in usable[lang]]
            self._model = make_pipeline(
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
                MultinomialNB(alpha=0.1),
            ).fit(texts, labels)

    def scores(self, text: str) -> dict[str, float]:
        general = scores(text, self.languages)
        if self._model is None:
            return general
        proba = self._model.predict_proba([text])[0]
        own = dict(zip(self._model.classes_, proba, strict=True))
        return {
            lang: 0.5 * general[lang] + 0.5 * float(own.get(lang, 0.0)) for lang in self.languages
        }

    def identify(self, text: str, current: str | None) -> str:
        """The language to answer in: `current` unless the message clearly says otherwise."""
        languages = self.languages
        fallback = current if current in languages else languages[0]
        if len(languages) == 1:
            return languages[0]
        words = len(_WORD.findall(text))
        if words == 0:
            return fallback
        confidence = self.scores(text)
        best = max(confidence, key=lambda lang: confidence[lang])
        if current not in languages:
            return best
        needed = _NEEDED.get(words, _NEEDED_LONG)
        if (
            best != current
            and confidence[best] >= needed
            and (confidence[best] - confidence[fallback] >= _MARGIN)
        ):
            return best
        return fallback


def warm_up(languages: tuple[str, ...]) -> None:
    """Load the language models now rather than on a shopper's first message."""
    _detector(languages)
