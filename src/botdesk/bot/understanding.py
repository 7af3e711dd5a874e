"""Understanding one message: its language, entities, intent and confidence.

Entities are found first and masked ("where is 40012345" → "where is <ORDER_NUMBER>") so the
intent model learns the shape of a request, not particular digits; the unmasked values go to
slot filling. One intent model serves all of a tenant's languages: shoppers mix them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from botdesk.bot.countries import countries_in
from botdesk.bot.language import LanguageIdentifier
from botdesk.content.loader import TenantContent
from botdesk.nlu import Example, IntentModel
from botdesk.pii import Entity, EntityPatterns, detect, mask

SEED = 0


@dataclass(frozen=True)
class Understood:
    language: str
    intent: str
    confidence: float
    # The closest intents, best first, for "did you mean …?" suggestions.
    ranking: Sequence[tuple[str, float]]
    entities: Sequence[Entity]
    countries: Sequence[str]


def training_examples(content: TenantContent) -> list[Example]:
    return [
        Example(text=text, intent=spec.intent)
        for spec in content.intents.values()
        for texts in spec.examples.values()
        for text in texts
    ]


def masked_examples(content: TenantContent) -> list[Example]:
    """The examples as the model sees them: entities replaced by their placeholders."""
    patterns = content.entity_patterns
    return [
        Example(text=mask(e.text, detect(e.text, patterns)), intent=e.intent)
        for e in training_examples(content)
    ]


def train_model(content: TenantContent) -> IntentModel:
    """Train the tenant's intent model from its content (deterministic).

    Fused with sentence embeddings where they are available (`nlu/embeddings.py`), else the
    sparse model alone.
    """
    return IntentModel.train(masked_examples(content), seed=SEED)


class Understander(Protocol):
    def understand(
        self, text: str, current_language: str | None, entities: Sequence[Entity] | None = None
    ) -> Understood: ...


class Understanding:
    """A language identifier, entity patterns and an intent model, ready to use."""

    def __init__(
        self,
        languages: tuple[str, ...],
        patterns: EntityPatterns,
        model: IntentModel,
        examples_by_language: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.languages = LanguageIdentifier(languages, examples_by_language)
        self.patterns = patterns
        self.model = model

    @classmethod
    def of_content(cls, content: TenantContent, model: IntentModel) -> Understanding:
        """The tenant's understanding; its examples also teach the language identifier."""
        by_language: dict[str, list[str]] = {}
        for spec in content.intents.values():
            for lang, texts in spec.examples.items():
                by_language.setdefault(lang, []).extend(texts)
        return cls(tuple(content.bot.languages), content.entity_patterns, model, by_language)

    def understand(
        self, text: str, current_language: str | None, entities: Sequence[Entity] | None = None
    ) -> Understood:
        """`entities`: what detect(text, self.patterns) found, when the caller already looked."""
        entities = detect(text, self.patterns) if entities is None else list(entities)
        prediction = self.model.predict_one(mask(text, entities))
        return Understood(
            # Identifiers say nothing of the language ("fel@example.se" is not English).
            language=self.languages.identify(_without(text, entities), current_language),
            intent=prediction.intent,
            confidence=prediction.confidence,
            ranking=prediction.ranking,
            entities=entities,
            countries=countries_in(text),
        )


def _without(text: str, entities: Sequence[Entity]) -> str:
    """The text with each entity's span blanked out."""
    for entity in sorted(entities, key=lambda e: e.start, reverse=True):
        text = text[: entity.start] + " " + text[entity.end :]
    return text


def standalone_understander(model: IntentModel) -> Understanding:
    """A model used without a tenant: all four languages, universal entity types only."""
    return Understanding(("fi", "sv", "nb", "en"), EntityPatterns.from_config({}), model)
