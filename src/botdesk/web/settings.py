"""The tenant admin's settings page: hours, pre-chat form, agents, retention, privacy, contacts.

Each section is its own small form posting to its own URL, so a mistake in one section is shown
next to it, with what the admin typed, while the others keep their stored values. Every value
is validated by the same actions the CLI uses; this module only turns form fields into them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.samples import set_business_contacts
from botdesk.actions.tenants import (
    MAX_RETENTION_DAYS,
    configure_handover,
    configure_retention,
    set_privacy_policy_url,
    set_require_totp,
)
from botdesk.actions.widget import MAX_KEEP_DAYS, configure_widget, keep_days_of
from botdesk.api.deps import AdminStaff, CsrfToken, SessionDep
from botdesk.errors import BotdeskError, Invalid, NotFound
from botdesk.handover import (
    FORM_FIELDS,
    IDLE_RANGE,
    QUEUE_GRACE_RANGE,
    WEEKDAYS,
    ConsentMode,
    FieldRule,
    HandoverPolicy,
)
from botdesk.models import Tenant
from botdesk.pii import BusinessContacts
from botdesk.web import PLAIN_FORM, page

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[PLAIN_FORM])

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES = dict(zip(WEEKDAYS, _DAYS, strict=True))
FIELD_NAMES = {
    "email": "Email",
    "order_number": "Order number",
    "topic": "Topic",
    "message": "Message",
}
SAVED = {
    "hours": "Opening hours saved.",
    "form": "Pre-chat form saved.",
    "agents": "Agent settings saved.",
    "retention": "Retention saved.",
    "privacy": "Privacy policy link saved.",
    "contacts": "Shop contact details saved.",
    "widget": "Chat widget settings saved.",
}
_CONTACT_LISTS = ("emails", "phones", "addresses")
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})")  # noqa: RUF001
_MAX_TOPICS = 40


async def _form_data(request: Request) -> FormData:
    return await request.form()


# Read in an async dependency, so the (sync) route itself runs in the thread pool as usual.
FormDep = Annotated[FormData, Depends(_form_data)]


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def sentence(message: str) -> str:
    """Domain messages start in lower case (they are also CLI output); pages want a capital."""
    return message[:1].upper() + message[1:]


@cache
def time_zones() -> tuple[str, ...]:
    # Region/City names only: "posixrules", "Etc/GMT+3" (sign inverted!) and the like confuse.
    regional = (
        zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "posix", "right/", "SystemV/"))
    )
    return ("UTC", *sorted(regional))


def _view(tenant: Tenant, policy: HandoverPolicy) -> dict[str, Any]:
    """The stored settings as the strings the forms show."""
    return {
        "zone": policy.hours.zone,
        "mode": "weekly" if policy.hours.week else "always",
        "days": {
            day: ", ".join(f"{a}–{b}" for a, b in policy.hours.week.get(day, ()))  # noqa: RUF001
            for day in WEEKDAYS
        },
        "fields": {name: policy.fields.get(name, FieldRule.HIDDEN).value for name in FORM_FIELDS},
        "consent": policy.consent.value,
        "topics": [
            {"id": key, "labels": dict(labels), "new": False, "remove": False}
            for key, labels in policy.topics.items()
        ],
        "max_chats": str(policy.max_chats_per_agent),
        "queue_grace": str(policy.queue_grace_seconds),
        "idle_minutes": str(policy.idle_minutes),
        "require_totp": tenant.require_totp,
        "bot_days": str(tenant.retention_bot_days),
        "agent_mode": "request" if tenant.retention_agent_days is None else "days",
        "agent_days": str(tenant.retention_agent_days or ""),
        "privacy_policy_url": tenant.privacy_policy_url or "",
        "sound": (tenant.widget or {}).get("sound") is True,
        "keep_days": str(keep_days_of(tenant.widget)),
        # One per line in a text area each.
        "contacts": {
            key: "\n".join(value)
            for key, value in BusinessContacts.from_stored(tenant.business_contacts)
            .to_stored()
            .items()
        },
    }


def _read(section: str, form: FormData, tenant: Tenant) -> dict[str, Any]:
    """What the admin submitted for one section, in the same shape as `_view`."""
    if section == "hours":
        return {
            "zone": field(form, "zone").strip(),
            "mode": field(form, "mode"),
            "days": {day: field(form, f"hours-{day}") for day in WEEKDAYS},
        }
    if section == "form":
        topics = []
        for i in range(_MAX_TOPICS):
            if f"topic-{i}-id" not in form:
                break
            topics.append(
                {
                    "id": field(form, f"topic-{i}-id").strip(),
                    "labels": {lang: field(form, f"topic-{i}-{lang}") for lang in tenant.languages},
                    "new": field(form, f"topic-{i}-new") == "1",
                    "remove": field(form, f"topic-{i}-remove") == "on",
                }
            )
        return {
            "fields": {name: field(form, f"field-{name}") for name in FORM_FIELDS},
            "consent": field(form, "consent"),
            "topics": topics,
        }
    if section == "agents":
        return {
            "max_chats": field(form, "max_chats").strip(),
            "queue_grace": field(form, "queue_grace").strip(),
            "idle_minutes": field(form, "idle_minutes").strip(),
            "require_totp": field(form, "require_totp") == "on",
        }
    if section == "retention":
        return {
            "bot_days": field(form, "bot_days").strip(),
            "agent_mode": field(form, "agent_mode"),
            "agent_days": field(form, "agent_days").strip(),
        }
    if section == "contacts":
        return {"contacts": {key: field(form, f"contacts-{key}") for key in _CONTACT_LISTS}}
    if section == "widget":
        return {
            "sound": field(form, "sound") == "on",
            "keep_days": field(form, "keep_days").strip(),
        }
    return {"privacy_policy_url": field(form, "privacy_policy_url").strip()}


def _clock(hours: str, minutes: str) -> str:
    return f"{int(hours):02d}:{minutes}"


def _week(values: dict[str, Any]) -> dict[str, list[list[str]]]:
    week: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        ranges = []
        for part in re.split(r"[,;]", values["days"][day]):
            if not part.strip():
                continue
            match = _RANGE.fullmatch(part.strip())
            if match is None:
                raise Invalid(f"{DAY_NAMES[day]}: write hours as 09:00-17:00, several with commas")
            start, end = _clock(match[1], match[2]), _clock(match[3], match[4])
            if not all(t == "24:00" or (t[:2] < "24" and t[3:] < "60") for t in (start, end)):
                raise Invalid(f"{DAY_NAMES[day]}: {part.strip()} is not a time of day")
            if start >= end:
                raise Invalid(f"{DAY_NAMES[day]}: {start}-{end} ends before it starts")
            ranges.append([start, end])
        if ranges:
            week[day] = ranges
    if values["mode"] != "always" and not week:
        raise Invalid("enter the hours of at least one day, or choose 'Always open'")
    return week if values["mode"] != "always" else {}


def _topics(values: dict[str, Any], stored: HandoverPolicy) -> dict[str, dict[str, str]]:
    topics: dict[str, dict[str, str]] = {}
    for row in values["topics"]:
        key: str = row["id"]
        typed = {lang: text.strip() for lang, text in row["labels"].items() if text.strip()}
        if row["remove"] or (row["new"] and not key and not typed):
            continue
        if not key:
            raise Invalid("give the new topic an id, e.g. 'warranty'")
        if key in topics or (row["new"] and key in stored.topics):
            raise Invalid(f"there is already a topic '{key[:40]}'")
        # Labels in languages the tenant no longer offers are kept, not silently dropped.
        labels = {
            lang: text
            for lang, text in ({} if row["new"] else stored.topics.get(key, {})).items()
            if lang not in row["labels"]
        }
        labels.update(typed)
        if not labels:
            raise Invalid(f"the topic '{key[:40]}' needs a label in at least one language")
        topics[key] = labels
    if not topics:
        raise Invalid("keep at least one topic (or hide the topic field)")
    return topics


def _whole(text: str, what: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\d{1,5}", text) or not low <= int(text) <= high:
        raise Invalid(f"{what} must be a whole number from {low} to {high}")
    return int(text)


def _save(section: str, session: Session, staff: access.StaffContext, values: Any) -> None:
    tenant, actor = access.tenant_for_admin(staff), Actor.staff(staff.user.id)
    stored = access.handover_policy(tenant)
    config = stored.to_config()
    if section == "hours":
        config.update(timezone=values["zone"], hours=_week(values))
        configure_handover(session, actor, tenant, config)
    elif section == "form":
        for name, rule in values["fields"].items():
            if rule not in {r.value for r in FieldRule}:
                raise Invalid(f"{FIELD_NAMES[name]}: choose required, optional or hidden")
        config.update(
            fields=values["fields"], consent=values["consent"], topics=_topics(values, stored)
        )
        configure_handover(session, actor, tenant, config)
    elif section == "agents":
        config["max_chats"] = _whole(values["max_chats"], "chats per agent", 1, 20)
        config["queue_grace_seconds"] = _whole(
            values["queue_grace"],
            "seconds before a shopper who left leaves the queue",
            *QUEUE_GRACE_RANGE,
        )
        config["idle_minutes"] = _whole(
            values["idle_minutes"], "minutes before a quiet chat is closed", *IDLE_RANGE
        )
        configure_handover(session, actor, tenant, config)
        # The rule applies at once, to the admin too: without their own second factor they
        # would be locked out of the page that could undo it.
        if values["require_totp"] and staff.user.totp_enabled_at is None:
            raise Invalid(
                "set up two-factor sign-in for your own account (under Account) before "
                "requiring it from everyone"
            )
        set_require_totp(session, actor, tenant, values["require_totp"])
    elif section == "retention":
        bot_days = _whole(values["bot_days"], "bot conversation retention", 1, MAX_RETENTION_DAYS)
        agent_days = (
            None
            if values["agent_mode"] == "request"
            else _whole(values["agent_days"], "agent conversation retention", 1, MAX_RETENTION_DAYS)
        )
        configure_retention(session, actor, tenant, bot_days=bot_days, agent_days=agent_days)
    elif section == "contacts":
        lists = {key: values["contacts"][key].splitlines() for key in _CONTACT_LISTS}
        set_business_contacts(session, actor, tenant, **lists)
    elif section == "widget":
        keep_days = _whole(values["keep_days"] or "0", "days to keep the chat", 0, MAX_KEEP_DAYS)
        configure_widget(session, actor, tenant, sound=values["sound"], keep_days=keep_days)
    else:
        set_privacy_policy_url(session, actor, tenant, values["privacy_policy_url"])


def _render(
    request: Request,
    session: Session,
    staff: access.StaffContext,
    csrf: str,
    *,
    status: int = 200,
    saved: str | None = None,
    error: tuple[str, str] | None = None,
    submitted: dict[str, Any] | None = None,
) -> Response:
    view = _view(staff.tenant, access.handover_policy(staff.tenant)) | (submitted or {})
    if not any(row["new"] for row in view["topics"]):
        view["topics"] = [*view["topics"], {"id": "", "labels": {}, "new": True, "remove": False}]
    return page(
        request,
        "settings.html",
        status,
        staff=staff,
        tenants=access.staff_tenants(session, staff.user),
        csrf=csrf,
        v=view,
        saved=saved,
        error=error,
        weekdays=DAY_NAMES,
        form_fields=FIELD_NAMES,
        rules=[rule.value for rule in FieldRule],
        consent_modes=[mode.value for mode in ConsentMode],
        zones=time_zones(),
    )


@router.get("/settings")
def settings_page(
    request: Request,
    staff: AdminStaff,
    csrf: CsrfToken,
    session: SessionDep,
    saved: str | None = None,
) -> Response:
    return _render(request, session, staff, csrf, saved=SAVED.get(saved or ""))


@router.post("/settings/{section}")
def save_settings(
    request: Request,
    section: str,
    staff: AdminStaff,
    csrf: CsrfToken,
    session: SessionDep,
    form: FormDep,
) -> Response:
    if section not in SAVED:
        raise NotFound("no such settings section")
    values = _read(section, form, staff.tenant)
    try:
        _save(section, session, staff, values)
    except BotdeskError as exc:
        # Nothing of a refused section is stored, even the parts that were valid.
        session.rollback()
        return _render(
            request,
            session,
            staff,
            csrf,
            status=exc.status_code,
            error=(section, sentence(exc.message)),
            submitted=values,
        )
    return RedirectResponse(
        f"/console/settings?tenant={staff.tenant.slug}&saved={section}#{section}", 303
    )
