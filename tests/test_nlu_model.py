"""Intent model: multilingual paraphrases, out-of-scope, placeholders, persistence, determinism."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from numpy.typing import NDArray

from botdesk.nlu import (
    OUT_OF_SCOPE,
    Backend,
    Example,
    FeatureView,
    Featuriser,
    IntentModel,
    ModelFormatError,
    Normaliser,
    fold_accents,
    linear_backend,
)
from botdesk.nlu.calibration import Decisions, choose_threshold, fit_temperature

# A few phrases per intent and language, written with correct diacritics; the tests then ask
# with unseen wordings and with the diacritics dropped, as shoppers type on phones.
PHRASES: dict[str, list[str]] = {
    "order_status": [
        "missä on tilaukseni",
        "missä minun pakettini on",
        "milloin tilaukseni saapuu",
        "tilauksen seuranta",
        "onko pakettini jo lähetetty",
        "en ole vielä saanut tilaustani",
        "var är min beställning",
        "var är mitt paket",
        "när kommer min order",
        "spåra min leverans",
        "har mitt paket skickats",
        "jag har inte fått min beställning",
        "hvor er bestillingen min",
        "hvor er pakken min",
        "når kommer ordren min",
        "spore pakken",
        "er pakken min sendt",
        "jeg har ikke mottatt bestillingen",
        "where is my order",
        "where is my package",
        "when will my order arrive",
        "track my parcel",
        "has my order shipped",
        "i have not received my order",
        "what is the status of order <ORDER_NUMBER>",
        "tilaus <ORDER_NUMBER> ei ole tullut",
    ],
    "return_product": [
        "haluan palauttaa tuotteen",
        "miten palautan tilauksen",
        "palautusohjeet",
        "voinko palauttaa kengät",
        "tuote oli rikki ja haluan palauttaa sen",
        "jag vill returnera en vara",
        "hur gör jag en retur",
        "kan jag skicka tillbaka skorna",
        "varan var trasig och jag vill lämna tillbaka den",
        "jeg vil returnere en vare",
        "hvordan returnerer jeg",
        "kan jeg sende tilbake skoene",
        "varen var ødelagt og jeg vil returnere den",
        "i want to return an item",
        "how do i return something",
        "can i send the shoes back",
        "the product was broken and i want to return it",
    ],
    "delivery_cost": [
        "paljonko toimitus maksaa",
        "mitkä ovat toimituskulut",
        "onko toimitus ilmainen",
        "postikulut suomeen",
        "vad kostar frakten",
        "hur mycket kostar leveransen",
        "är frakten gratis",
        "fraktkostnad till sverige",
        "hva koster frakt",
        "hvor mye koster levering",
        "er frakten gratis",
        "fraktkostnader til norge",
        "how much is shipping",
        "what are the delivery costs",
        "is shipping free",
        "shipping cost to finland",
    ],
    "human_agent": [
        "haluan puhua ihmisen kanssa",
        "asiakaspalvelija kiitos",
        "voinko jutella oikean ihmisen kanssa",
        "jag vill prata med en människa",
        "kan jag få prata med kundtjänst",
        "koppla mig till en riktig person",
        "jeg vil snakke med et menneske",
        "kan jeg snakke med kundeservice",
        "sett meg over til en ekte person",
        "i want to talk to a human",
        "can i speak to customer service",
        "connect me to a real person",
        "email me at <EMAIL> or call <PHONE>",
    ],
    OUT_OF_SCOPE: [
        "mikä on sää huomenna",
        "kerro vitsi",
        "kuka voitti jääkiekko-ottelun",
        "vad blir vädret imorgon",
        "berätta ett skämt",
        "vem vann matchen igår",
        "hva blir været i morgen",
        "fortell en vits",
        "hvem vant fotballkampen",
        "what is the weather tomorrow",
        "tell me a joke",
        "who won the hockey game",
        "what is the capital of france",
        "i like turtles",
    ],
}

PARAPHRASES = [
    ("missa mun paketti on", "order_status"),
    ("milloin mun tilaus saapuu", "order_status"),
    ("var ar mitt paket", "order_status"),
    ("nar kommer min bestallning", "order_status"),
    ("hvor er min pakke", "order_status"),
    ("wheres my order", "order_status"),
    ("where is order <ORDER_NUMBER>", "order_status"),
    ("haluan palauttaa kengat", "return_product"),
    ("jag vill returnera skorna", "return_product"),
    ("hvordan kan jeg returnere varen", "return_product"),
    ("how can i return these shoes", "return_product"),
    ("paljonko maksaa toimitus", "delivery_cost"),
    ("hva koster frakten", "delivery_cost"),
    ("vad kostar leverans", "delivery_cost"),
    ("how much does shipping cost", "delivery_cost"),
    ("voinko puhua ihmisen kanssa", "human_agent"),
    ("kan jag prata med en manniska", "human_agent"),
    ("jeg vil snakke med kundeservice", "human_agent"),
    ("can i talk to a real human", "human_agent"),
]

# Typos and inflections never seen in training; only character n-grams can bridge these.
TYPOS = [
    ("wher is my pakage", "order_status"),
    ("tilaukseni seuranta", "order_status"),
    ("jag vill retunera varan", "return_product"),
    ("palautusohje", "return_product"),
    ("shiping costs", "delivery_cost"),
    ("hvor mye koster leveringen", "delivery_cost"),
    ("prata med kundtjanst", "human_agent"),
]

UNRELATED = [
    "mika on saa tanaan",
    "vad blir vadret i helgen",
    "fortell meg en morsom vits",
    "what is the capital of sweden",
    "qwxz vbnm plokij",
]


def examples() -> list[Example]:
    return [Example(text, intent) for intent, texts in PHRASES.items() for text in texts]


@pytest.fixture(scope="module")
def model() -> IntentModel:
    # This file tests the word model (features, calibration, storage); the fused one, which
    # builds on it, is tested in test_embeddings.py.
    return IntentModel.train(examples(), seed=0, backend_factory=linear_backend)


def test_normaliser_folds_nordic_letters_and_keeps_placeholders() -> None:
    assert fold_accents("äöåÄÖÅøæü") == "aoaAOAoaeu"
    tokens = Normaliser().tokenise("Tilaus <ORDER_NUMBER>, email <EMAIL>! Missä   ON?")
    assert tokens == ["tilaus", "<ORDER_NUMBER>", "email", "<EMAIL>", "missa", "on"]
    # Only upper-case masks are placeholders; typed markup is ordinary text.
    assert Normaliser().tokenise("<b>Where's</b>") == ["b", "wheres", "b"]


@pytest.mark.parametrize(("text", "intent"), PARAPHRASES)
def test_unseen_paraphrases_without_diacritics(model: IntentModel, text: str, intent: str) -> None:
    prediction = model.predict_one(text)
    assert prediction.intent == intent, prediction
    assert prediction.ranking[0][0] == intent
    assert 0.0 < prediction.confidence <= 1.0


@pytest.mark.parametrize(("text", "intent"), TYPOS)
def test_typos_and_inflections(model: IntentModel, text: str, intent: str) -> None:
    assert model.predict_one(text).intent == intent


def test_missing_diacritics_change_nothing(model: IntentModel) -> None:
    # Accent folding makes the typed-without-diacritics text identical to the model.
    pairs = [
        ("var är mitt paket", "var ar mitt paket"),
        ("missä minun pakettini on", "missa minun pakettini on"),
        ("varen var ødelagt", "varen var odelagt"),
        (
            "jeg vil snakke med et menneske på kundeservice",
            "jeg vil snakke med et menneske pa kundeservice",
        ),
        ("Pääsenkö puhumaan ÆØÅ", "paasenko puhumaan aeoa"),
    ]
    for accented, plain in pairs:
        assert model.predict([accented]) == model.predict([plain])


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_text_is_out_of_scope(model: IntentModel, text: str) -> None:
    prediction = model.predict_one(text)
    assert prediction.intent == OUT_OF_SCOPE, prediction
    assert not prediction.in_scope
    # The ranking still offers in-scope intents for "did you mean" buttons.
    assert prediction.ranking and all(name != OUT_OF_SCOPE for name, _ in prediction.ranking)


def test_threshold_alone_rejects_when_no_negatives_are_trained() -> None:
    in_scope_only = [e for e in examples() if e.intent != OUT_OF_SCOPE]
    model = IntentModel.train(in_scope_only, seed=0, backend_factory=linear_backend)
    assert OUT_OF_SCOPE not in model.backend.classes
    assert model.threshold > 0.0
    assert model.predict_one("qwxz vbnm plokij").intent == OUT_OF_SCOPE
    assert model.predict_one("var ar mitt paket").intent == "order_status"


def test_placeholders_are_single_features(model: IntentModel) -> None:
    # A placeholder must not leak its spelling into features: "<ORDER_NUMBER>" is not "order".
    a, b = model.predict(["<ORDER_NUMBER>", "<EMAIL>"])
    assert a.ranking[0][0] == "order_status"
    assert b.ranking[0][0] == "human_agent"
    featuriser = model.backend.featuriser  # type: ignore[attr-defined]
    word_vocabulary = featuriser.vocabularies[0]
    assert "<ORDER_NUMBER>" in word_vocabulary
    assert "order_number" not in word_vocabulary
    assert "number" not in word_vocabulary


def test_probabilities_are_a_ranked_distribution(model: IntentModel) -> None:
    prediction = model.predict_one("where is my order")
    scores = [p for _, p in prediction.ranking]
    assert scores == sorted(scores, reverse=True)
    assert prediction.confidence == pytest.approx(scores[0])
    assert 0.0 < sum(scores) <= 1.0 + 1e-9


def test_save_and_load_give_identical_predictions(model: IntentModel, tmp_path: Path) -> None:
    model.save(tmp_path / "model")
    loaded = IntentModel.load(tmp_path / "model")
    texts = [t for t, _ in PARAPHRASES] + UNRELATED
    assert loaded.predict(texts) == model.predict(texts)
    assert loaded.threshold == model.threshold
    assert loaded.temperature == model.temperature
    # The directory holds only JSON and a pickle-free .npz archive.
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["arrays.npz", "model.json"]
    with np.load(tmp_path / "model" / "arrays.npz", allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)


def test_unknown_format_version_is_refused(model: IntentModel, tmp_path: Path) -> None:
    model.save(tmp_path)
    metadata_path = tmp_path / "model.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["format_version"] = 999
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(ModelFormatError, match="version 999"):
        IntentModel.load(tmp_path)


def test_tampered_arrays_are_refused(model: IntentModel, tmp_path: Path) -> None:
    model.save(tmp_path)
    arrays = tmp_path / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes() + b"\0")
    with pytest.raises(ModelFormatError, match="checksum"):
        IntentModel.load(tmp_path)


def test_missing_model_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError):
        IntentModel.load(tmp_path / "nothing-here")


def test_training_is_deterministic(model: IntentModel, tmp_path: Path) -> None:
    again = IntentModel.train(examples(), seed=0, backend_factory=linear_backend)
    model.save(tmp_path / "a")
    again.save(tmp_path / "b")
    for name in ["arrays.npz", "model.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_validation_set_calibrates_instead_of_cross_validation() -> None:
    data = examples()
    held = data[::4]
    train = [e for i, e in enumerate(data) if i % 4]
    model = IntentModel.train(train, seed=1, validation=held, backend_factory=linear_backend)
    assert model.info["calibration"] == "validation"
    assert model.predict_one("where is my package").intent == "order_status"


def test_bad_training_data_is_rejected() -> None:
    with pytest.raises(ValueError, match="two intents"):
        IntentModel.train([Example("hello", "greet"), Example("hi", "greet")])
    with pytest.raises(ValueError, match="empty"):
        IntentModel.train([Example(" ", "greet"), Example("bye", "goodbye")])


def test_character_views_keep_placeholders_atomic() -> None:
    texts = ["order <ORDER_NUMBER> please", "orders please"]
    for kind in ["char_wb", "char"]:
        featuriser = Featuriser([FeatureView(kind, 3, 4)]).fit(texts)  # type: ignore[arg-type]
        vocabulary = featuriser.vocabularies[0]
        spelled = [f for f in vocabulary if any(part in f for part in ["_", "NUM", "num", "<"])]
        assert spelled == (["<ORDER_NUMBER>"] if kind == "char_wb" else []), kind
        matrix = featuriser.transform([*texts, "<ORDER_NUMBER>"])
        assert matrix.shape == (3, len(vocabulary))
        assert matrix[2].nnz > 0  # the placeholder alone still yields a feature
        assert np.allclose(np.sqrt(matrix.multiply(matrix).sum(axis=1)), 1.0)


class FirstWordBackend:
    """A toy backend: proves the Protocol is all that IntentModel needs."""

    name: ClassVar[str] = "first-word-test"

    def __init__(self) -> None:
        self.table: dict[str, str] = {}
        self._classes: tuple[str, ...] = ()

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self._classes = tuple(sorted(set(labels)))
        self.table = {t.split()[0]: label for t, label in zip(texts, labels, strict=True)}

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        proba = np.full((len(texts), len(self._classes)), 0.1)
        for row, text in enumerate(texts):
            label = self.table.get(text.split()[0])
            if label is not None:
                proba[row, self._classes.index(label)] = 5.0
        result: NDArray[np.float64] = proba / proba.sum(axis=1, keepdims=True)
        return result

    def to_state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        return {"table": self.table}, {}

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, NDArray[Any]]) -> Backend:
        backend = cls()
        backend.table = dict(meta["table"])
        return backend


def test_backends_are_pluggable_and_unknown_ones_refused(tmp_path: Path) -> None:
    data = [Example(f"{w} {i}", w) for w in ["hello", "bye", "thanks"] for i in range(4)]
    model = IntentModel.train(data, backend_factory=lambda seed: FirstWordBackend())
    assert isinstance(model.backend, Backend)
    assert model.predict_one("bye now").intent == "bye"
    assert model.predict_one("something else").intent == OUT_OF_SCOPE
    model.save(tmp_path)
    with pytest.raises(ModelFormatError, match="unknown backend 'first-word-test'"):
        IntentModel.load(tmp_path)


def test_threshold_separates_right_from_wrong_held_out_answers() -> None:
    none = np.zeros(4, dtype=bool)
    confidence = np.array([0.9, 0.8, 0.7, 0.3])
    right = np.array([True, True, True, False])
    assert choose_threshold(Decisions(confidence, none, right, none)) == pytest.approx(0.5)
    # All held-out answers right: still a positive threshold (half the lowest confidence).
    assert choose_threshold(Decisions(confidence, none, ~none, none)) == pytest.approx(0.15)
    # Held-out negatives: the threshold lands between them and the in-scope answers.
    oos = np.array([False, False, True, True])
    low = np.array([0.9, 0.8, 0.2, 0.1])
    assert choose_threshold(Decisions(low, none, ~oos, oos)) == pytest.approx(0.5)


def test_temperature_fit_sharpens_underconfident_probabilities() -> None:
    proba = np.array([[0.4, 0.3, 0.3]] * 10)
    assert fit_temperature(proba, np.zeros(10, dtype=np.int64)) < 0.1
