"""The bot content format: what a tenant's YAML files may say, checked by pydantic.

Content is data, not code. A tenant's directory holds `bot.yaml` (languages, entity patterns,
fallback texts), `intents/*.yaml` (one intent each: example phrases per language and either an
answer or a flow) and `dialogues/*.yaml` (conversation tests). See docs/content.md.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

INTENT_NAME = r"^[a-z][a-z0-9_]{1,62}$"
OUT_OF_SCOPE = "out_of_scope"
HUMAN_AGENT = "human_agent"
# POSTCODE is only ever taken from the answer to a slot's own question (dialogue.py): a bare
# 5-digit number anywhere else is far more often something else.
ENTITY_TYPES = ("ORDER_NUMBER", "TRACKING_NUMBER", "EMAIL", "PHONE", "POSTCODE")
# Markdown links may go to the web or to a path on the shop; never javascript: or data:.
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]*)\)")

Localized = dict[str, Annotated[str, Field(min_length=1, max_length=2000)]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_links(text: Localized) -> Localized:
    for value in text.values():
        for target in _LINK.findall(value):
            if not target.startswith(("https://", "http://", "/")):
                raise ValueError(f"link target {target!r} must be http(s):// or a /path")
    return text


_URL = re.compile(r"^(https?://|/)\S+$")


class ButtonSpec(Strict):
    """A quick reply that triggers an intent, or a link that opens a page."""

    label: Localized
    intent: Annotated[str, Field(pattern=INTENT_NAME)] | None = None
    # One address, or one per language (a help page in the shopper's language).
    url: str | dict[str, str] | None = None

    @field_validator("url")
    @classmethod
    def _link(cls, value: str | dict[str, str] | None) -> str | dict[str, str] | None:
        for target in [value] if isinstance(value, str) else (value or {}).values():
            if not _URL.fullmatch(target):
                raise PydanticCustomError(
                    "string_pattern_mismatch",
                    "String should match pattern '{pattern}'",
                    {"pattern": _URL.pattern},
                )
        return value

    @model_validator(mode="after")
    def _one_target(self) -> ButtonSpec:
        if (self.intent is None) == (self.url is None):
            raise ValueError("a button needs exactly one of `intent` or `url`")
        return self


class AnswerSpec(Strict):
    """Text (a safe Markdown subset: **bold**, *italic*, [links](…), '- ' lists) and buttons."""

    text: Localized
    buttons: list[ButtonSpec] = Field(default_factory=list, max_length=6)

    @field_validator("text")
    @classmethod
    def _safe_links(cls, value: Localized) -> Localized:
        return _check_links(value)


class ContextSpec(Strict):
    """Answers that depend on a value the shopper mentions, also in a follow-up turn.

    With `slot: country`, "how much is delivery?" gets `answer`, "…to Norway?" gets
    `answers.NO`, and a later "and to Sweden?" re-answers this intent with `answers.SE`.
    """

    slot: Annotated[str, Field(pattern=r"^country$")]
    answers: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], AnswerSpec] = Field(
        default_factory=dict
    )
    # Countries the intent's own `answer` serves (no answer of their own needed).
    served: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    # For any other country the shopper names (the shop does not ship there).
    elsewhere: AnswerSpec | None = None


class SlotSpec(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")]
    # Which detected entities fill the slot, in order of preference.
    entities: list[str] = Field(min_length=1)
    prompt: Localized
    # Said instead of `prompt` when the shopper answered with something that does not fit.
    retry: Localized
    # Said the second time the answer does not fit (where to find the value), with a button to
    # a person: a shopper who cannot give it never reads the same re-prompt twice.
    help: Localized | None = None
    # Ask this slot only when another slot was filled by the given entity type
    # (`{reference: ORDER_NUMBER}`: a proof of ownership for an order, not for a parcel code).
    when: dict[str, str] | None = None
    # Take every fitting value in the message (up to MANY_VALUES), space-separated.
    many: bool = False
    # Carry the value over to the next flow in this conversation when the action says so.
    remember: bool = False

    @field_validator("entities")
    @classmethod
    def _known_entities(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in ENTITY_TYPES]
        if unknown:
            raise ValueError(f"unknown entity {unknown[0]!r}; known: {', '.join(ENTITY_TYPES)}")
        return value

    @field_validator("when")
    @classmethod
    def _known_condition(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for entity in (value or {}).values():
            if entity not in ENTITY_TYPES:
                raise ValueError(f"unknown entity {entity!r}; known: {', '.join(ENTITY_TYPES)}")
        return value


class FlowSpec(Strict):
    """Ask for slots one at a time, then run an action and answer with its outcome."""

    slots: list[SlotSpec] = Field(min_length=1, max_length=5)
    action: Annotated[str, Field(pattern=INTENT_NAME)]
    # One answer per outcome the action can report; `{slot}` and action values fill the text.
    outcomes: dict[Annotated[str, Field(pattern=INTENT_NAME)], AnswerSpec]

    @model_validator(mode="after")
    def _conditions_refer_back(self) -> FlowSpec:
        earlier: set[str] = set()
        for slot in self.slots:
            for name in slot.when or {}:
                if name not in earlier:
                    raise ValueError(f"slot {slot.name!r}: `when` must name an earlier slot")
            earlier.add(slot.name)
        return self


class IntentSpec(Strict):
    intent: Annotated[str, Field(pattern=INTENT_NAME)]
    # Shown on "did you mean …?" buttons. Not needed for out_of_scope.
    title: Localized | None = None
    examples: dict[str, list[Annotated[str, Field(min_length=1, max_length=300)]]]
    answer: AnswerSpec | None = None
    context: ContextSpec | None = None
    flow: FlowSpec | None = None
    # The bot hands the conversation to a person after answering (human_agent).
    handover: bool = False
    # Said instead of `answer` when nobody can take the chat now: the handover then leads to
    # the leave-a-message form, so the bot must not promise to connect anyone.
    answer_offline: AnswerSpec | None = None
    # An aside ("I don't have the number"): answered without abandoning a flow in progress.
    aside: bool = False

    @model_validator(mode="after")
    def _shape(self) -> IntentSpec:
        if self.intent == OUT_OF_SCOPE:
            if self.answer or self.flow or self.context or self.handover:
                raise ValueError("out_of_scope holds negative examples only, no answer or flow")
        elif (self.answer is None) == (self.flow is None):
            raise ValueError("an intent needs exactly one of `answer` or `flow`")
        elif self.title is None:
            raise ValueError("an intent needs a `title` per language for suggestion buttons")
        if self.context is not None and self.answer is None:
            raise ValueError("`context` refines an `answer`; it needs one")
        if self.answer_offline is not None and not self.handover:
            raise ValueError("`answer_offline` is for an intent with `handover: true`")
        return self


class EntityConfig(Strict):
    order_number: str | None = None
    tracking_numbers: list[str] = Field(default_factory=list)
    phone_regions: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)


class FallbackTexts(Strict):
    """The fallback ladder: rephrase, then suggest topics, then offer a person."""

    rephrase: Localized
    suggest: Localized
    offer_human: Localized
    # Said instead of `offer_human` when nobody can take the chat now: how else to reach the
    # shop (the person button then leads to the leave-a-message form). Without it, the ladder
    # asks for a rephrase again.
    offline: Localized | None = None


class BotSpec(Strict):
    languages: list[Annotated[str, Field(pattern=r"^(fi|sv|nb|en)$")]] = Field(min_length=1)
    entities: EntityConfig = Field(default_factory=EntityConfig)
    fallback: FallbackTexts
    # Below this confidence the bot does not answer but climbs the fallback ladder.
    answer_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.5


class TurnSpec(Strict):
    user: Annotated[str, Field(min_length=1, max_length=2000)]
    # Optional expectations: the recognised intent, and text the bot's replies must contain.
    intent: Annotated[str, Field(pattern=INTENT_NAME)] | None = None
    bot: str | None = None
    handover: bool | None = None


class DialogueSpec(Strict):
    dialogue: Annotated[str, Field(min_length=1, max_length=200)]
    language: Annotated[str, Field(pattern=r"^(fi|sv|nb|en)$")]
    turns: list[TurnSpec] = Field(min_length=1)


Loc = tuple[str | int, ...]


def walk_localized(spec: Any, loc: Loc = ()) -> list[tuple[Localized, Loc]]:
    """Every localized text inside a spec, with its location for error messages."""
    found: list[tuple[Localized, Loc]] = []
    if isinstance(spec, BaseModel):
        for name in type(spec).model_fields:
            value = getattr(spec, name)
            if name in _LOCALIZED_FIELDS and isinstance(value, dict):
                found.append((value, (*loc, name)))
            else:
                found.extend(walk_localized(value, (*loc, name)))
    elif isinstance(spec, list):
        for index, item in enumerate(spec):
            found.extend(walk_localized(item, (*loc, index)))
    elif isinstance(spec, dict):
        for key, item in spec.items():
            found.extend(walk_localized(item, (*loc, key)))
    return found


_LOCALIZED_FIELDS = frozenset(
    {
        "text",
        "label",
        "url",
        "prompt",
        "retry",
        "help",
        "title",
        "rephrase",
        "suggest",
        "offer_human",
        "offline",
    }
)
