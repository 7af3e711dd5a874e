"""Visitor API v1, handover: ask for a person, send the pre-chat form, wait, leave, rate."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field, StrictBool

from botdesk.actions.handover import (
    HandoverForm,
    cancel_handover,
    handover_state,
    rate_conversation,
    request_handover,
    submit_form,
)
from botdesk.api.deps import RuntimeDep, VisitorToken
from botdesk.api.schemas import INPUT, ErrorOut, JsonInt, PlainText
from botdesk.errors import Conflict
from botdesk.handover import ConsentMode, FormKind, WaitEstimate
from botdesk.models import ConversationStatus

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 404, 409, 413, 422)
}
router = APIRouter(prefix="/api/v1", tags=["handover"], responses=_ERRORS)


class OptionOut(BaseModel):
    value: str
    label: str


class FieldOut(BaseModel):
    name: str = Field(description="email, order_number, topic or message.")
    required: bool
    value: str = Field(description="Prefilled from what the shopper already told the bot.")
    options: list[OptionOut] = Field(default_factory=list, description="The topic's choices.")


class FormOut(BaseModel):
    kind: FormKind = Field(
        description="'queue': sending it joins the queue; 'offline': nobody is available, "
        "sending it leaves a message that is answered by email."
    )
    fields: list[FieldOut]
    consent: ConsentMode
    privacy_policy_url: str | None

    @classmethod
    def of(cls, form: HandoverForm) -> FormOut:
        return cls(
            kind=form.kind,
            fields=[
                FieldOut(
                    name=f.name,
                    required=f.required,
                    value=f.value,
                    options=[OptionOut(value=v, label=label) for v, label in f.options],
                )
                for f in form.fields
            ],
            consent=form.consent,
            privacy_policy_url=form.privacy_policy_url,
        )


class QueueOut(BaseModel):
    position: int = Field(description="1 is next.")
    agents_online: int
    wait_seconds: int | None = Field(
        description="Estimated wait; null when there is no honest estimate (no recent data)."
    )

    @classmethod
    def of(cls, estimate: WaitEstimate) -> QueueOut:
        return cls(
            position=estimate.position,
            agents_online=estimate.agents_online,
            wait_seconds=estimate.seconds,
        )


class HandoverOut(BaseModel):
    status: ConversationStatus
    form: FormOut | None = None
    queue: QueueOut | None = None


class FormIn(BaseModel):
    model_config = INPUT

    email: PlainText | None = Field(default=None, max_length=1000)
    order_number: PlainText | None = Field(default=None, max_length=1000)
    topic: PlainText | None = Field(default=None, max_length=100)
    message: PlainText | None = Field(default=None, max_length=20000)
    consent: StrictBool = False  # true, not "yes" or 1


class RatingIn(BaseModel):
    model_config = INPUT

    score: JsonInt = Field(ge=1, le=5, description="1 (poor) to 5 (excellent).")


def _state(runtime: RuntimeDep, conversation_id: uuid.UUID, token: str) -> HandoverOut:
    current, form, estimate = handover_state(runtime, conversation_id, token)
    return HandoverOut(
        status=current,
        form=FormOut.of(form) if form else None,
        queue=QueueOut.of(estimate) if estimate else None,
    )


@router.post(
    "/conversations/{conversation_id}/handover",
    response_model=HandoverOut,
    summary="Ask for a person: returns the pre-chat form (queue or offline kind), prefilled",
)
def ask_for_person(
    conversation_id: uuid.UUID, token: VisitorToken, runtime: RuntimeDep
) -> HandoverOut:
    form = request_handover(runtime, conversation_id, token)
    return HandoverOut(status=form.status, form=FormOut.of(form))


@router.get(
    "/conversations/{conversation_id}/handover",
    response_model=HandoverOut,
    summary="The form while filling it, or the place in the queue while waiting",
)
def get_handover(
    conversation_id: uuid.UUID, token: VisitorToken, runtime: RuntimeDep
) -> HandoverOut:
    return _state(runtime, conversation_id, token)


@router.post(
    "/conversations/{conversation_id}/handover/form",
    response_model=HandoverOut,
    summary="Send the pre-chat form: join the queue, or leave an offline message",
    description="422 lists each field's problem in `error.details` as {field, message}. "
    "409 means nobody is available any more: the form is now the offline kind.",
)
def send_form(
    conversation_id: uuid.UUID, body: FormIn, token: VisitorToken, runtime: RuntimeDep
) -> HandoverOut:
    new_status = submit_form(runtime, conversation_id, token, body.model_dump())
    if new_status is ConversationStatus.PRE_CHAT_FORM:
        raise Conflict("no agent is available any more; you can leave a message instead")
    return _state(runtime, conversation_id, token)


@router.delete(
    "/conversations/{conversation_id}/handover",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Back out of the form or leave the queue (back to the bot)",
)
def leave(conversation_id: uuid.UUID, token: VisitorToken, runtime: RuntimeDep) -> Response:
    cancel_handover(runtime, conversation_id, token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/conversations/{conversation_id}/rating",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Rate a chat an agent closed (CSAT 1-5, once)",
)
def rate(
    conversation_id: uuid.UUID, body: RatingIn, token: VisitorToken, runtime: RuntimeDep
) -> Response:
    rate_conversation(runtime, conversation_id, token, body.score)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
