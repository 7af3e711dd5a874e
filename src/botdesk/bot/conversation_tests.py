"""Running a tenant's conversation tests (content/…/dialogues/*.yaml) against its bot.

The dialogues run in memory against the same responder that serves shoppers, carrying dialogue
state and language from turn to turn exactly as conversations do; nothing is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from botdesk.bot.dialogue import ContentResponder
from botdesk.bot.responder import Turn
from botdesk.content.schema import DialogueSpec


@dataclass
class DialogueResult:
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"dialogue": self.name, "passed": self.passed, "problems": self.problems}


def run_dialogue(responder: ContentResponder, dialogue: DialogueSpec) -> DialogueResult:
    result = DialogueResult(dialogue.dialogue)
    language = dialogue.language
    state: Mapping[str, Any] = {}
    conversation_id = uuid.uuid4()
    for number, turn in enumerate(dialogue.turns, 1):
        said_turn = Turn(
            tenant_id=uuid.UUID(int=0),
            tenant_slug="",
            conversation_id=conversation_id,
            language=language,
            text=turn.user,
            history=[],
            state=state,
        )
        answer = responder.respond(said_turn)
        if answer.action is not None:
            # Dialogues run offline: a parcel code gets its carrier's page (no I/O in that), an
            # order look-up is unavailable since no order system is asked.
            from botdesk.orders.tracking import offline_results

            resumed = responder.resume(
                replace(said_turn, state=answer.state, language=answer.language),
                offline_results(answer.action),
            )
            answer = replace(answer, replies=resumed.replies, state=resumed.state)
        state, language = answer.state, answer.language
        said = " / ".join(reply.content.text for reply in answer.replies)
        where = f"turn {number} ({turn.user!r})"
        if turn.intent is not None and answer.intent != turn.intent:
            result.problems.append(
                f"{where}: expected intent {turn.intent}, got {answer.intent} ({answer.confidence})"
            )
        if turn.bot is not None and turn.bot.casefold() not in said.casefold():
            result.problems.append(
                f"{where}: expected the bot to say {turn.bot!r}; it said {said!r}"
            )
        handover = any(reply.wants_human for reply in answer.replies)
        if turn.handover is not None and handover != turn.handover:
            result.problems.append(f"{where}: expected handover={turn.handover}, got {handover}")
    return result


def run_dialogues(responder: ContentResponder) -> list[DialogueResult]:
    return [run_dialogue(responder, d) for d in responder.content.dialogues]
