"""The dialogue engine: answers, flows with slots, context follow-ups and the fallback ladder.

Per turn, in order:
1. A flow waiting for a slot takes the value if the message has a fitting entity; an aside
   ("I don't have the number") is answered and the flow waits on; another clear intent abandons
   the flow; anything else gets the slot's `retry` text, then its `help` (where to find the
   value, and a person), then a person is offered: never the same re-prompt twice.
2. A confident intent is answered (or its flow started, filling slots from this very message).
   A flow whose slots are all filled ends in an action, which the bot does not run itself: the
   turn returns it (`BotTurn.action`) and the host calls `resume` with its results.
3. A message naming a country after an answer with country `context` re-answers for that
   country ("and to Norway?").
4. Otherwise the fallback ladder: rephrase, then suggest the closest topics, then offer a person.
`human_agent` is honoured even below the usual confidence: asking for a person always works.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from botdesk.bot.actions import ActionRequest, ActionResult
from botdesk.bot.hours import describe
from botdesk.bot.responder import INTENT_PAYLOAD, BotReply, BotTurn, Turn
from botdesk.bot.understanding import Understanding, Understood
from botdesk.content.loader import TenantContent
from botdesk.content.schema import (
    HUMAN_AGENT,
    OUT_OF_SCOPE,
    AnswerSpec,
    IntentSpec,
    Localized,
    SlotSpec,
)
from botdesk.pii import Entity, find_postcodes
from botdesk.transcripts import Button, MessageContent

# A slot's answer that does not fit gets `retry`, then `help`, then the offer of a person.
MAX_RETRIES = 2
# A `many` slot takes at most this many values ("where are 40012345 and 40012346?").
MANY_VALUES = 3
FOLLOW_UP_WORDS = 4
SUGGESTIONS = 3
# A topic is suggested only when the model gives it at least this probability. Chosen by 5-fold
# cross-validation on the demo content's examples (training data): of the messages the bot did
# not answer, out-of-scope ones got suggestions 30 % of the time instead of always, in-scope ones
# still 93 %, with the right topic among them 78 % (80 % with no floor).
SUGGESTION_FLOOR = 0.05
# Small talk is a poor "did you mean" suggestion.
NOT_SUGGESTED = frozenset({OUT_OF_SCOPE, HUMAN_AGENT, "greeting", "goodbye", "thanks"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass
class FlowState:
    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    slot_types: dict[str, str] = field(default_factory=dict)
    pending: str | None = None
    retries: int = 0
    # Asides answered while this flow waited; a second one offers a person instead.
    asides: int = 0
    # Slots filled from an earlier flow's remembered values.
    remembered: list[str] = field(default_factory=list)


@dataclass
class DialogueState:
    flow: FlowState | None = None
    last_intent: str | None = None
    misses: int = 0
    # Values of `remember` slots an action said to keep: {slot: [value, entity type]}.
    remembered: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DialogueState:
        try:
            flow = data.get("flow")
            remembered = data.get("remembered") or {}
            return cls(
                flow=FlowState(**flow) if isinstance(flow, dict) else None,
                last_intent=data.get("last_intent"),
                misses=int(data.get("misses", 0)),
                remembered={str(k): [str(v[0]), str(v[1])] for k, v in remembered.items()},
            )
        except (TypeError, ValueError, IndexError, AttributeError):  # an older version's state
            return cls()

    def to_mapping(self) -> dict[str, Any]:
        return asdict(self)


class ContentResponder:
    """Answers a tenant's visitors from its content."""

    def __init__(self, content: TenantContent, understanding: Understanding) -> None:
        self.content = content
        self.intents = content.intents
        self.understanding = understanding

    def respond(self, turn: Turn) -> BotTurn:
        state = DialogueState.from_mapping(turn.state)
        heard = self.understanding.understand(turn.text, turn.language, turn.entities)
        intent, confidence = self._intent(heard, turn.payload)
        language = heard.language
        threshold = self.content.bot.answer_threshold
        confident = intent in self.intents and intent != OUT_OF_SCOPE and confidence >= threshold
        replies: Step | None = None
        if state.flow is not None and state.flow.pending is not None:
            replies = self._pending_slot(state, heard, intent if confident else None, turn)
        follow_up = self._follow_up(state, heard, intent if confident else None, turn.text)
        if replies is None and follow_up is not None:
            spec, answer = follow_up
            replies = [self._render(answer, language)]
            state.misses, intent = 0, spec.intent
        if replies is None and confident:
            replies = self._answer_intent(state, intent, heard, turn)
        # Asking for a person always works, even when the model is less than sure.
        if replies is None and intent == HUMAN_AGENT and confidence >= threshold / 2:
            replies = self._answer_intent(state, intent, heard, turn)
        if replies is None:
            replies = self._fallback(state, heard, language, turn.agents_available)
            intent = OUT_OF_SCOPE
        if isinstance(replies, ActionRequest):
            # The flow stays in the state with its slots: `resume` renders the outcome.
            return BotTurn(
                [], language, state.to_mapping(), intent, round(confidence, 4), action=replies
            )
        replies = _with_hours(replies, turn, language)
        return BotTurn(replies, language, state.to_mapping(), intent, round(confidence, 4))

    def resume(self, turn: Turn, results: Sequence[ActionResult]) -> BotTurn:
        """The replies for the action `respond` returned, from its results (one reply each)."""
        state = DialogueState.from_mapping(turn.state)
        flow, language = state.flow, turn.language
        spec = self.intents.get(flow.intent) if flow is not None else None
        if flow is None or spec is None or spec.flow is None:  # content changed meanwhile
            state.flow = None
            return BotTurn([], language, state.to_mapping())
        replies = []
        asking = [r for r in results if r.ask is not None]
        for result in results:
            # Content saved before an outcome existed says what it says for `unavailable`.
            outcomes = spec.flow.outcomes
            outcome = outcomes.get(result.outcome) or outcomes.get("unavailable")
            if outcome is None or result.ask is not None:
                continue
            replies.append(self._render(outcome, language, {**flow.slots, **result.values}))
            for slot in spec.flow.slots:
                if slot.remember and slot.name in result.remember:
                    kind = flow.slot_types.get(slot.name, "")
                    state.remembered[slot.name] = [result.remember[slot.name], kind]
        state.flow = None
        wanted = next((s for s in spec.flow.slots if asking and s.name == asking[0].ask), None)
        if wanted is not None:
            # A remembered value did not fit: ask for it, for just the values that need it.
            many = next((s for s in spec.flow.slots if s.many), None)
            if many is not None:
                flow.slots[many.name] = " ".join(r.values.get(many.name, "") for r in asking)
            flow.slots.pop(wanted.name, None)
            flow.slot_types.pop(wanted.name, None)
            state.remembered.pop(wanted.name, None)
            flow.remembered, flow.pending, flow.retries = [], wanted.name, 0
            state.flow = flow
            replies.append(BotReply(MessageContent(_pick(wanted.prompt, language))))
        replies = _with_hours(replies, turn, language)
        return BotTurn(replies, language, state.to_mapping(), flow.intent)

    def _follow_up(
        self, state: DialogueState, heard: Understood, intent: str | None, text: str
    ) -> tuple[IntentSpec, AnswerSpec] | None:
        """("and to Norway?") The last answer's intent and its answer for the country named."""
        if not heard.countries or state.last_intent not in self.intents:
            return None
        spec = self.intents[state.last_intent]
        answer = _for_country(spec, heard.countries)
        if answer is None:
            return None
        # A clear question of its own wins, unless it is short and cannot use the country.
        if intent is None or intent == spec.intent:
            return spec, answer
        if len(text.split()) <= FOLLOW_UP_WORDS and self.intents[intent].context is None:
            return spec, answer
        return None

    def _intent(self, heard: Understood, payload: str | None) -> tuple[str, float]:
        if payload and payload.startswith(INTENT_PAYLOAD):
            name = payload.removeprefix(INTENT_PAYLOAD)
            if name in self.intents:
                return name, 1.0
        return heard.intent, heard.confidence

    def _pending_slot(
        self, state: DialogueState, heard: Understood, new_intent: str | None, turn: Turn
    ) -> Step | None:
        language = heard.language
        flow = state.flow
        assert flow is not None and flow.pending is not None
        spec = self.intents.get(flow.intent)
        if spec is None or spec.flow is None:
            state.flow = None
            return None
        slot = next((s for s in spec.flow.slots if s.name == flow.pending), None)
        if slot is None:
            state.flow = None
            return None
        entities = list(heard.entities)
        if "POSTCODE" in slot.entities:
            # Only here, where the bot just asked for one, is a bare number taken as a postcode.
            entities += [
                p
                for p in find_postcodes(turn.text)
                if all(p.end <= e.start or e.end <= p.start for e in entities)
            ]
        self._correct(spec, flow, slot, entities)
        if self._fill(spec, flow, entities):
            return self._continue_flow(state, spec, language, turn.tenant_slug)
        if new_intent is not None and new_intent != flow.intent:
            aside = self.intents[new_intent]
            if aside.aside and aside.answer is not None and flow.asides == 0:
                flow.asides += 1
                return [self._render(aside.answer, language)]
            if not aside.aside:
                state.flow = None  # the shopper moved on; answer what they asked now
                return None
        flow.retries += 1
        if flow.retries == 1:
            return [BotReply(MessageContent(_pick(slot.retry, language)))]
        if flow.retries == 2 and slot.help is not None and flow.asides == 0:
            return [self._with_person(_pick(slot.help, language), language, turn)]
        state.flow = None
        return [self._offer_human(language, turn.agents_available)]

    def _answer_intent(
        self, state: DialogueState, intent: str, heard: Understood, turn: Turn
    ) -> Step:
        language = heard.language
        spec = self.intents[intent]
        state.misses = 0
        state.last_intent = intent
        if spec.flow is not None:
            flow = state.flow = FlowState(intent=intent)
            self._fill(spec, flow, heard.entities)
            # What this message says wins; a remembered value only fills what is still missing.
            for slot in spec.flow.slots:
                remembered = state.remembered.get(slot.name)
                missing = slot.name not in flow.slots and _applies(slot, flow)
                if slot.remember and remembered and missing:
                    flow.slots[slot.name], flow.slot_types[slot.name] = remembered
                    flow.remembered.append(slot.name)
            return self._continue_flow(state, spec, language, turn.tenant_slug)
        state.flow = None
        assert spec.answer is not None
        answer = _for_country(spec, heard.countries) or spec.answer
        if spec.answer_offline is not None and not turn.agents_available:
            answer = spec.answer_offline  # the bot knows nobody is there before it speaks
        return [self._render(answer, language, wants_human=spec.handover)]

    @staticmethod
    def _correct(
        spec: IntentSpec, flow: FlowState, pending: SlotSpec, entities: Sequence[Entity]
    ) -> None:
        """("sorry, it's 40023456") A value for an earlier slot replaces what it held."""
        assert spec.flow is not None
        for slot in spec.flow.slots:
            if slot is pending or slot.name not in flow.slots:
                continue
            if any(e.type in pending.entities for e in entities if e.type in slot.entities):
                continue  # the value fits the question asked: it is the answer, not a fix
            if any(e.type in slot.entities for e in entities):
                del flow.slots[slot.name]
                flow.slot_types.pop(slot.name, None)
                if slot.name in flow.remembered:
                    flow.remembered.remove(slot.name)

    @staticmethod
    def _fill(spec: IntentSpec, flow: FlowState, entities: Sequence[Entity]) -> bool:
        """Fill empty slots from the message's entities; True if any slot was filled."""
        assert spec.flow is not None
        filled = False
        for slot in spec.flow.slots:
            if slot.name in flow.slots or not _applies(slot, flow):
                continue
            for wanted in slot.entities:
                matches = [e for e in entities if e.type == wanted]
                if not matches:
                    continue
                values = list(dict.fromkeys(e.value for e in matches))
                values = values[:MANY_VALUES] if slot.many else values[:1]
                flow.slots[slot.name] = " ".join(values)
                flow.slot_types[slot.name] = wanted
                filled = True
                break
        return filled

    def _continue_flow(
        self, state: DialogueState, spec: IntentSpec, language: str, tenant_slug: str
    ) -> Step:
        flow = state.flow
        assert flow is not None and spec.flow is not None
        missing = next(
            (s for s in spec.flow.slots if s.name not in flow.slots and _applies(s, flow)), None
        )
        if missing is not None:
            flow.pending, flow.retries = missing.name, 0
            return [BotReply(MessageContent(_pick(missing.prompt, language)))]
        flow.pending = None
        return ActionRequest(
            action=spec.flow.action,
            tenant_slug=tenant_slug,
            language=language,
            slots=dict(flow.slots),
            slot_types=dict(flow.slot_types),
            remembered=frozenset(flow.remembered),
        )

    def _fallback(
        self, state: DialogueState, heard: Understood, language: str, available: bool = True
    ) -> list[BotReply]:
        state.misses = min(state.misses + 1, MAX_RETRIES + 1)
        texts = self.content.bot.fallback
        if state.misses == 1:
            return [BotReply(MessageContent(_pick(texts.rephrase, language)))]
        if state.misses == 2:
            topics = [
                name
                for name, score in heard.ranking
                if name in self.intents
                and name not in NOT_SUGGESTED
                and self.intents[name].title is not None
                and score >= SUGGESTION_FLOOR
            ][:SUGGESTIONS]
            if topics:
                buttons = tuple(self._intent_button(name, language) for name in topics)
                return [BotReply(MessageContent(_pick(texts.suggest, language), buttons))]
        return [self._offer_human(language, available)]

    def _offer_human(self, language: str, available: bool = True) -> BotReply:
        texts = self.content.bot.fallback
        buttons = (
            (self._intent_button(HUMAN_AGENT, language),) if HUMAN_AGENT in self.intents else ()
        )
        if not available:
            # Nobody can take the chat now: say how else to reach the shop; the person button
            # leads to the leave-a-message form. Content without that text asks for a
            # rephrase instead of dangling a person who is not there.
            if texts.offline is None:
                return BotReply(MessageContent(_pick(texts.rephrase, language)))
            return BotReply(MessageContent(_pick(texts.offline, language), buttons))
        return BotReply(MessageContent(_pick(texts.offer_human, language), buttons))

    def _with_person(self, text: str, language: str, turn: Turn) -> BotReply:
        """`text`, with a button to a person when one can be offered now."""
        offer = turn.agents_available and HUMAN_AGENT in self.intents
        buttons = (self._intent_button(HUMAN_AGENT, language),) if offer else ()
        return BotReply(MessageContent(text, buttons))

    def _intent_button(self, intent: str, language: str) -> Button:
        title = self.intents[intent].title
        return Button(_pick(title, language) if title else intent, INTENT_PAYLOAD + intent)

    def _render(
        self,
        answer: AnswerSpec,
        language: str,
        values: Mapping[str, str] | None = None,
        *,
        wants_human: bool = False,
    ) -> BotReply:
        text = _pick(answer.text, language)
        if values is not None:
            text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
            # A value with nothing to say ({details} of an order with no tracking yet) leaves
            # no empty lines behind.
            text = _BLANK_LINES.sub("\n\n", text).strip()
        buttons = tuple(
            Button(
                _pick(b.label, language),
                INTENT_PAYLOAD + b.intent
                if b.intent
                else f"url:{b.url if isinstance(b.url, str) else _pick(b.url or {}, language)}",
            )
            for b in answer.buttons
        )
        return BotReply(MessageContent(text, buttons), wants_human=wants_human)


Step = list[BotReply] | ActionRequest


def _for_country(spec: IntentSpec, countries: Sequence[str]) -> AnswerSpec | None:
    """The intent's answer for the first country named that it knows (None: its own answer
    serves it), else its answer for a country it does not serve (`elsewhere`)."""
    if spec.context is None or not countries:
        return None
    context = spec.context
    known = next((c for c in countries if c in context.answers or c in context.served), None)
    if known is None:
        return context.elsewhere
    return context.answers.get(known)  # None: a served country gets the intent's answer


def _applies(slot: SlotSpec, flow: FlowState) -> bool:
    """Whether the slot is asked at all, given how earlier slots were filled (`when`)."""
    return all(flow.slot_types.get(name) == kind for name, kind in (slot.when or {}).items())


def _pick(text: Localized, language: str) -> str:
    return text.get(language) or next(iter(text.values()))


def _with_hours(replies: Sequence[BotReply], turn: Turn, language: str) -> list[BotReply]:
    """Fill `{opening_hours}` with the hours the handover really uses (see bot/hours.py)."""
    marker = "{opening_hours}"
    if not any(marker in reply.content.text for reply in replies):
        return list(replies)
    hours = describe(turn.opening_hours, language)
    return [
        replace(
            reply, content=replace(reply.content, text=reply.content.text.replace(marker, hours))
        )
        for reply in replies
    ]
