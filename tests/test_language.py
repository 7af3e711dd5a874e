"""Language identification on the demo shop's four languages: the decisions a shopper sees, the
own model matching the scikit-learn pipeline it replaced, and what a server has to import."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from botdesk.bot import registry
from botdesk.bot.language import CharNaiveBayes, LanguageIdentifier
from botdesk.content.loader import TenantContent, load_directory

DEMO = Path(__file__).resolve().parent.parent / "content" / "demo"
LANGUAGES = ("fi", "sv", "nb", "en")

# Short and long messages that every earlier version identified, whatever language the
# conversation was in before.
CLEAR = {
    "fi": [
        "kiitos",
        "missä mun paketti on",
        "paljonko toimitus maksaa suomeen",
        "milloin tilaukseni saapuu perille",
        "voinko palauttaa tuotteen jos se ei sovi",
        "mulla on alennuskoodi joka ei toimi",
    ],
    "sv": [
        "tack så mycket",
        "var är mitt paket",
        "hur lång tid tar leveransen",
        "vad kostar frakten till norge",
        "kan jag returnera min beställning",
        "jag vill byta storlek på tröjan",
    ],
    "nb": [
        "tusen takk",
        "hvor er pakken min",
        "kan jeg returnere varen",
        "hvor lang tid tar leveringen",
        "hva koster frakt til sverige",
        "jeg vil bytte størrelse på genseren",
    ],
    "en": [
        "where is my parcel",
        "can I pay with klarna",
        "how long does delivery take",
        "I want to return these shoes",
        "my discount code does not work",
    ],
}


def examples_of(content: TenantContent) -> dict[str, list[str]]:
    by_language: dict[str, list[str]] = {}
    for spec in content.intents.values():
        for lang, texts in spec.examples.items():
            by_language.setdefault(lang, []).extend(texts)
    return by_language


@pytest.fixture(scope="module")
def demo() -> TenantContent:
    return load_directory(DEMO)


@pytest.fixture(scope="module")
def identifier(demo: TenantContent) -> LanguageIdentifier:
    return LanguageIdentifier(LANGUAGES, examples_of(demo))


@pytest.mark.parametrize(("lang", "text"), [(lang, t) for lang, ts in CLEAR.items() for t in ts])
def test_clear_messages_are_identified_from_any_conversation_language(
    identifier: LanguageIdentifier, lang: str, text: str
) -> None:
    assert identifier.identify(text, None) == lang
    assert [identifier.identify(text, current) for current in LANGUAGES] == [lang] * 4


@pytest.mark.parametrize(
    ("text", "stays_in"),
    [
        ("hei", ["fi", "nb", "en"]),  # Finnish and Norwegian
        ("hej", ["sv", "nb", "fi"]),  # Swedish and Danish
        ("ok", LANGUAGES),
        ("tack", LANGUAGES),
        ("40012345", LANGUAGES),  # no words at all
        ("???", LANGUAGES),
        ("", LANGUAGES),
    ],
)
def test_ambiguous_or_wordless_messages_keep_the_conversation_language(
    identifier: LanguageIdentifier, text: str, stays_in: Sequence[str]
) -> None:
    assert {current: identifier.identify(text, current) for current in stays_in} == {
        current: current for current in stays_in
    }


def test_one_language_needs_no_identification() -> None:
    assert LanguageIdentifier(("sv",)).identify("where is my parcel", "fi") == "sv"


def test_without_own_examples_lingua_decides_alone() -> None:
    alone = LanguageIdentifier(("fi", "sv"), {"fi": ["missä paketti on"]})
    assert alone.identify("kan jag returnera min beställning", "fi") == "sv"
    assert alone.identify("voinko palauttaa tuotteen jos se ei sovi", "sv") == "fi"
    assert alone.identify("hej", "fi") == "fi"


def test_the_own_model_equals_the_scikit_learn_pipeline(demo: TenantContent) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    by_language = examples_of(demo)
    texts = [t for lang in by_language for t in by_language[lang]]
    labels = [lang for lang in by_language for _ in by_language[lang]]
    reference = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
        MultinomialNB(alpha=0.1),
    ).fit(texts, labels)
    own = CharNaiveBayes(texts, labels)
    asked = [*texts[::7], "", "   ", "40012345", "HEI  Hej\tok", "Ærlig talt, hvor er pakken?"]
    expected = reference.predict_proba(asked)
    for text, row in zip(asked, expected, strict=True):
        got = own.proba(text)
        assert [got[c] for c in reference.classes_] == pytest.approx(row.tolist(), abs=1e-9)


def test_a_bot_from_a_stored_model_imports_neither_scikit_learn_nor_scipy(
    demo: TenantContent, tmp_path: Path
) -> None:
    # scikit-learn and scipy cost a server ~90 MB; only training needs them.
    registry.train_model(demo).save(tmp_path)  # the run's cached training (conftest.py)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from botdesk.bot.understanding import Understanding\n"
        "from botdesk.content.loader import load_directory\n"
        "from botdesk.nlu import IntentModel\n"
        "content = load_directory(Path(sys.argv[1]))\n"
        "understanding = Understanding.of_content(content, IntentModel.load(Path(sys.argv[2])))\n"
        "heard = understanding.understand('hvor lang tid tar leveringen', 'fi')\n"
        "print(heard.language, sorted({'sklearn', 'scipy'} & set(sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(DEMO), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.split() == ["nb", "[]"]
