"""Text normalisation for fi/sv/nb/en chat and sparse n-gram TF-IDF features, stored as arrays."""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]

# Entity masking upstream emits upper-case placeholders such as <ORDER_NUMBER>; matching them
# before lower-casing keeps user text like "<b>" or "<3" from being mistaken for one.
PLACEHOLDER_RE = re.compile(r"<[A-Z][A-Z0-9_]*>")

# Letters that NFKD does not decompose into base letter + combining mark; Nordic keyboards
# without these keys produce the replacements below (and "ae" is the common spelling of "æ").
_EXTRA_FOLDS = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "ß": "ss",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "đ": "d",
        "\u0131": "i",  # dotless i
    }
)

# Apostrophes are dropped rather than split on, so "where's" and the typed "wheres" agree.
_APOSTROPHES = str.maketrans({"'": "", "\u2019": "", "\u2018": "", "`": "", "\u00b4": ""})

# Runs of letters/digits; "_" is excluded so that it never glues words together.
_WORD_RE = re.compile(r"[^\W_]+")
_DIGITS_RE = re.compile(r"\d+")


def fold_accents(text: str) -> str:
    """Strip diacritics so that "ä/a, ö/o, å/a, ø/o, æ/ae" spellings collapse to one form."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Normaliser:
    """Turns raw text into tokens; placeholders survive as single upper-case tokens."""

    fold: bool = True
    digits_to_zero: bool = True

    def normalise(self, text: str) -> str:
        """Return NFKC-normalised, case-folded (and optionally accent-folded) text."""
        # Apostrophes go first: NFKC would split an acute-accent apostrophe into a space + mark.
        text = unicodedata.normalize("NFKC", text.translate(_APOSTROPHES)).casefold()
        if self.fold:
            text = fold_accents(text)
        if self.digits_to_zero:
            # Masking misses some numbers ("2 days", "size 42"); one shared token generalises.
            text = _DIGITS_RE.sub("0", text)
        return text

    def tokenise(self, text: str) -> list[str]:
        """Split text into normalised word tokens, keeping placeholders such as <EMAIL> whole."""
        tokens: list[str] = []
        position = 0
        for match in PLACEHOLDER_RE.finditer(text):
            tokens.extend(_WORD_RE.findall(self.normalise(text[position : match.start()])))
            tokens.append(match.group(0))
            position = match.end()
        tokens.extend(_WORD_RE.findall(self.normalise(text[position:])))
        return tokens


def is_placeholder(token: str) -> bool:
    """Tell whether a token is an entity placeholder such as <ORDER_NUMBER>."""
    return PLACEHOLDER_RE.fullmatch(token) is not None


ViewKind = Literal["word", "char_wb", "char"]
_SEPARATOR = "\n"  # tokens never contain whitespace, so a newline can delimit stored features


@dataclass(frozen=True)
class FeatureView:
    """One family of n-gram features: word n-grams, in-word char n-grams or free char n-grams."""

    kind: ViewKind
    min_n: int
    max_n: int
    min_df: int = 1
    weight: float = 1.0


# Chosen on CLINC150 validation and a BANKING77 dev split carved from train: word 1-3 grams,
# char_wb 1-5/2-6/3-6, min_df 1, view weights and an extra cross-word "char" 4-6 view all
# scored within noise of this, and the extra view doubled model size and training time.
DEFAULT_VIEWS: tuple[FeatureView, ...] = (
    FeatureView("word", 1, 2),
    # In-word character n-grams carry the typo, inflection and compound-word robustness that
    # Finnish and the Scandinavian languages need; min_df=2 drops one-off noise.
    FeatureView("char_wb", 2, 5, min_df=2),
)


def _placeholder_char(token: str) -> str:
    """Map a placeholder to one private-use character so char n-grams treat it as atomic."""
    return chr(0xE000 + zlib.crc32(token.encode()) % 0x1900)


def _analyse(view: FeatureView, tokens: Sequence[str]) -> list[str]:
    """List the n-gram features of one tokenised text for one view."""
    features: list[str] = []
    if view.kind == "word":
        for n in range(view.min_n, view.max_n + 1):
            features.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return features
    if view.kind == "char_wb":
        for token in tokens:
            if is_placeholder(token):
                features.append(token)
                continue
            padded = f" {token} "
            for n in range(view.min_n, view.max_n + 1):
                if len(padded) <= n:
                    # Same convention as scikit-learn: a short word is one feature, once.
                    features.append(padded)
                    break
                features.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
        return features
    text = " " + " ".join(_placeholder_char(t) if is_placeholder(t) else t for t in tokens) + " "
    for n in range(view.min_n, view.max_n + 1):
        features.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return features


class Featuriser:
    """Maps texts to L2-normalised, sublinear TF-IDF vectors, one block per view."""

    def __init__(
        self, views: Sequence[FeatureView] = DEFAULT_VIEWS, normaliser: Normaliser | None = None
    ) -> None:
        """Configure the views; call fit() before transform()."""
        self.views = tuple(views)
        self.normaliser = normaliser or Normaliser()
        self.vocabularies: list[dict[str, int]] = []
        self.idfs: list[NDArray[np.float32]] = []

    @property
    def n_features(self) -> int:
        """Total width of the feature vectors."""
        return sum(len(v) for v in self.vocabularies)

    def fit(self, texts: Sequence[str]) -> Featuriser:
        """Learn per-view vocabularies and IDF weights from the training texts."""
        token_lists = [self.normaliser.tokenise(t) for t in texts]
        self.vocabularies, self.idfs = [], []
        for view in self.views:
            df: Counter[str] = Counter()
            for tokens in token_lists:
                df.update(set(_analyse(view, tokens)))
            # Sorting makes the feature order, and so the trained weights, deterministic.
            kept = sorted(f for f, c in df.items() if c >= view.min_df)
            self.vocabularies.append({f: i for i, f in enumerate(kept)})
            n = len(token_lists)
            idf = [math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept]
            self.idfs.append(np.asarray(idf, dtype=np.float32))
        return self

    def rows(self, texts: Iterable[str]) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float32]]]:
        """Yield each text's feature columns (unordered) and their values, one text at a time."""
        offsets = np.cumsum([0] + [len(v) for v in self.vocabularies])
        for text in texts:
            tokens = self.normaliser.tokenise(text)
            indices: list[NDArray[np.int64]] = []
            values: list[NDArray[np.float32]] = []
            for view, vocab, idf, offset in zip(
                self.views, self.vocabularies, self.idfs, offsets, strict=False
            ):
                counts = Counter(
                    i for f in _analyse(view, tokens) if (i := vocab.get(f)) is not None
                )
                if not counts:
                    continue
                cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
                block = ((1.0 + np.log(tf)) * idf[cols]).astype(np.float32)
                # Each view is normalised on its own so that no view dominates by sheer size.
                block *= view.weight / float(np.linalg.norm(block))
                indices.append(cols + offset)
                values.append(block)
            if len(indices) == 1:
                yield indices[0], values[0]
            elif indices:
                yield np.concatenate(indices), np.concatenate(values)
            else:
                yield np.zeros(0, np.int64), np.zeros(0, np.float32)

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Featurise texts into a CSR matrix of shape (n_texts, n_features)."""
        # Imported here: only training needs a matrix, and scipy costs a server ~20 MB.
        import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]

        indptr: list[int] = [0]
        indices: list[NDArray[np.int64]] = []
        values: list[NDArray[np.float32]] = []
        nnz = 0
        for cols, block in self.rows(texts):
            indices.append(cols)
            values.append(block)
            nnz += len(cols)
            indptr.append(nnz)
        matrix = sp.csr_matrix(
            (
                np.concatenate(values) if values else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) - 1, self.n_features),
            dtype=np.float32,
        )
        matrix.sort_indices()
        return matrix

    def to_state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """Export the configuration (JSON-able) and the vocabularies/IDFs (plain arrays)."""
        meta: dict[str, Any] = {
            "views": [asdict(v) for v in self.views],
            "normaliser": asdict(self.normaliser),
        }
        arrays: dict[str, NDArray[Any]] = {}
        for i, (vocab, idf) in enumerate(zip(self.vocabularies, self.idfs, strict=True)):
            joined = _SEPARATOR.join(vocab).encode("utf-8")
            arrays[f"view{i}_vocab"] = np.frombuffer(joined, dtype=np.uint8)
            arrays[f"view{i}_idf"] = idf
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> Featuriser:
        """Rebuild a fitted featuriser from to_state() output."""
        views = [FeatureView(**v) for v in meta["views"]]
        if unknown := {v.kind for v in views} - {"word", "char_wb", "char"}:
            raise ValueError(f"unknown feature view kinds {sorted(unknown)}")
        featuriser = cls(views, Normaliser(**meta["normaliser"]))
        for i in range(len(views)):
            raw = arrays[f"view{i}_vocab"].tobytes().decode("utf-8")
            words = raw.split(_SEPARATOR) if raw else []
            idf = np.asarray(arrays[f"view{i}_idf"], dtype=np.float32)
            if len(words) != len(idf):
                raise ValueError(f"view {i}: {len(words)} features but {len(idf)} IDF weights")
            featuriser.vocabularies.append({w: j for j, w in enumerate(words)})
            featuriser.idfs.append(idf)
        return featuriser
