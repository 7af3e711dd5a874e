"""Which of the tenant's languages a message is in.

Two opinions are blended: lingua's general-purpose statistics, and a character n-gram model
trained on the tenant's own example phrases, which are labelled by language and written the way
shoppers write (informal, without diacritics), where lingua is weakest. Short messages are
ambiguous ("hei" is Finnish and Norwegian, "hej" Swedish and Danish), so the conversation's
language so far (at first, the page's) is kept unless the evidence is strong, and the longer the
message the less evidence is needed. Danish and Nynorsk are scored too and counted towards
Bokmål: shoppers of a Norwegian shop write all three, and lingua often calls Bokmål Danish.

Cost and memory (benchmarks/reports/language.md): next to the tenant's own model, lingua runs in
its low-accuracy mode, which keeps only trigram models: about 12 MB for six languages instead of
about 200 MB, and a quarter of the time. Alone (a tenant without examples in two languages)
lingua keeps its high-accuracy mode, which is much better on short texts. lingua keeps one copy
of each language's models per process, however many detectors share it. The own model is
scikit-learn's TfidfVectorizer(char_wb, 1-4, sublinear tf) + MultinomialNB(alpha=0.1) computed
directly with numpy (the same numbers, without scikit-learn's per-call overhead or its
~70 MB of imports at serve time).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache

import numpy as np
from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from numpy.typing import NDArray

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
# Words whose n-grams are remembered per identifier; shoppers' vocabulary repeats a lot.
_WORD_CACHE = 4096


@cache
def _detector(languages: tuple[str, ...], accurate: bool) -> LanguageDetector:
    chosen = {_LINGUA[lang] for lang in languages if lang in _LINGUA}
    if "nb" in languages:
        chosen |= set(_COUNTS_AS)
    if len(chosen) < 2:  # lingua needs two to choose between; English is a harmless extra
        chosen.add(Language.ENGLISH if Language.ENGLISH not in chosen else Language.FINNISH)
    builder = LanguageDetectorBuilder.from_languages(*chosen)
    if not accurate:
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def scores(text: str, languages: tuple[str, ...], *, accurate: bool = True) -> dict[str, float]:
    """lingua's confidence per tenant language (Danish and Nynorsk folded into nb)."""
    result = dict.fromkeys(languages, 0.0)
    for value in _detector(languages, accurate).compute_language_confidence_values(text):
        code = _CODES.get(value.language)
        if code in result:
            result[code] += value.value
    return result


def char_ngrams(word: str) -> list[str]:
    """A word's character 1-4-grams, padded with spaces, as scikit-learn's "char_wb" makes them."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(1, 5):
        if len(padded) <= n:
            grams.append(padded)  # a short word is one n-gram, counted once
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _text_ngrams(text: str) -> list[str]:
    return [gram for word in text.lower().split() for gram in char_ngrams(word)]


class CharNaiveBayes:
    """Multinomial naive Bayes over sublinear TF-IDF character n-grams of the words."""

    # Equal to make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4),
    # sublinear_tf=True), MultinomialNB(alpha=0.1)), to rounding (tests/test_language.py).

    def __init__(self, texts: Sequence[str], labels: Sequence[str], alpha: float = 0.1) -> None:
        self.classes = tuple(sorted(set(labels)))
        # Two passes over the texts rather than all their n-grams held at once: a peak of
        # short-lived strings leaves the process's memory fragmented for good.
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(_text_ngrams(text)))
        self._vocabulary = {gram: i for i, gram in enumerate(sorted(df))}
        frequency = np.fromiter((df[g] for g in self._vocabulary), np.float64, len(df))
        self._idf = np.log((1 + len(texts)) / (1 + frequency)) + 1.0
        del df
        column = {label: j for j, label in enumerate(self.classes)}
        totals = np.zeros((len(self._vocabulary), len(self.classes)))
        for text, label in zip(texts, labels, strict=True):
            ids = [self._vocabulary[g] for g in _text_ngrams(text)]
            if ids:
                cols, weights = self._weights(ids)
                totals[cols, column[label]] += weights
        smoothed = totals + alpha
        # (n_features, n_classes), so that one message's n-grams pick out a few rows.
        self._log_likelihood = np.log(smoothed) - np.log(smoothed.sum(axis=0))
        counts = np.asarray([labels.count(c) for c in self.classes], dtype=np.float64)
        self._log_prior = np.log(counts) - math.log(counts.sum())
        self._ids_of_word = lru_cache(maxsize=_WORD_CACHE)(self._ids_of)

    def _ids_of(self, word: str) -> tuple[int, ...]:
        vocabulary = self._vocabulary
        return tuple(i for g in char_ngrams(word) if (i := vocabulary.get(g)) is not None)

    def _weights(self, ids: list[int]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Feature columns and their L2-normalised sublinear TF-IDF weights."""
        cols, tf = np.unique(np.asarray(ids, dtype=np.intp), return_counts=True)
        weights = (1.0 + np.log(tf)) * self._idf[cols]
        return cols, weights / math.sqrt(float(weights @ weights))

    def proba(self, text: str) -> dict[str, float]:
        """Probability per class."""
        ids: list[int] = []
        for word in text.lower().split():
            ids += self._ids_of_word(word)
        joint = self._log_prior
        if ids:
            cols, weights = self._weights(ids)
            joint = joint + weights @ self._log_likelihood[cols]
        exp = np.exp(joint - joint.max())
        return dict(zip(self.classes, (exp / exp.sum()).tolist(), strict=True))


class LanguageIdentifier:
    """Identifies a tenant's languages, helped by the tenant's own examples when there are any."""

    def __init__(
        self, languages: tuple[str, ...], examples: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.languages = languages
        self._model: CharNaiveBayes | None = None
        usable = {
            lang: texts for lang, texts in (examples or {}).items() if lang in languages and texts
        }
        if len(usable) >= 2:
            texts = [t for lang in usable for t in usable[lang]]
            labels = [lang for lang in usable for _ in usable[lang]]
            self._model = CharNaiveBayes(texts, labels)
        # Without the own model lingua is on its own, and short texts need its full models.
        self._accurate = self._model is None
        if len(languages) > 1:
            _detector(languages, self._accurate)  # load lingua's models now, not on a message

    def scores(self, text: str) -> dict[str, float]:
        general = scores(text, self.languages, accurate=self._accurate)
        if self._model is None:
            return general
        own = self._model.proba(text)
        return {lang: 0.5 * general[lang] + 0.5 * own.get(lang, 0.0) for lang in self.languages}

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
    """Load the language models an identifier with its own examples uses now."""
    _detector(languages, False)
