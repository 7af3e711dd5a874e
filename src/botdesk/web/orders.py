"""The tenant admin's Orders page: connect, change, test and remove the order connector.

Secrets never travel back to the browser. The form says which are saved, and an empty field
keeps the saved one, but only while the address's origin stays the same: otherwise an admin
could point a saved token at a server of their own and read it there.

Testing waits for the merchant's system (seconds; at worst the look-up deadline), so that route
is async and signs the admin in within its own short transactions, as the agents' JSON API
does, instead of holding a unit of work (on SQLite, the one write lock) while it waits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from botdesk import access
from botdesk.actions.audit import Actor
from botdesk.actions.connectors import record_connector_test, remove_connector, save_connector
from botdesk.api.deps import (
    COOKIE,
    CSRF_HEADER,
    AdminStaff,
    CsrfToken,
    RuntimeDep,
    SessionDep,
    StaffRequest,
    staff_in,
)
from botdesk.errors import BotdeskError, Invalid
from botdesk.models import OrderConnector
from botdesk.orders.connectors import (
    OPTIONS,
    SECRETS,
    ConfigInvalid,
    ConnectorConfig,
    ConnectorKind,
    GenericOptions,
    ShopifyOptions,
    WooCommerceOptions,
    validate_config,
)
from botdesk.orders.model import OrderState
from botdesk.orders.outbound import FailureKind, LookupFailed, OutboundPolicy
from botdesk.orders.tracking import Health
from botdesk.runtime import Runtime
from botdesk.web import PLAIN_FORM, page
from botdesk.web.settings import FormDep, field, sentence

router = APIRouter(prefix="/console", include_in_schema=False, dependencies=[PLAIN_FORM])

KINDS = {
    "shopify": ("Shopify", "The Admin API of your shop, read by a custom app."),
    "woocommerce": ("WooCommerce", "The WooCommerce REST API of your WordPress site."),
    "generic": ("Your own order API", "An HTTP JSON API of your own, described field by field."),
}
MAPPING = {
    "state": "Order state",
    "email": "Email",
    "postcode": "Postcode",
    "carrier": "Carrier",
    "tracking_number": "Tracking number",
    "tracking_url": "Tracking link",
    "expected_delivery": "Expected delivery date",
    "events": "Tracking events (a list)",
    "event_at": "Event time",
    "event_text": "Event description",
    "event_place": "Event place",
}
REQUIRED_PATHS = ("state", "event_at", "event_text")  # the rest may be left empty
SECRET_LABELS = {
    "token": "bearer token",
    "hmac_secret": "signing secret",
    "access_token": "Admin API access token",
    "consumer_key": "consumer key",
    "consumer_secret": "consumer secret",
}
# What an admin can do about each failure, in plain words (never the merchant's own message).
FAILURES = {
    "not_configured": "There is no connector to test yet.",
    "circuit_open": "Look-ups are paused after repeated failures; they resume by themselves.",
    "blocked_address": "The address leads to a private or internal network, which botdesk "
    "may not reach. Use the system's public address.",
    "unreachable": "botdesk could not connect. Check the address; the system may be down.",
    "timeout": "The system did not answer in time.",
    "redirect": "The system sent botdesk to another address. Enter the final address instead.",
    "unauthorised": "The system refused the credentials. Check the token or keys and the "
    "permissions they grant.",
    "rate_limited": "The system asked botdesk to slow down (too many requests). Try again later.",
    "client_error": "The system refused the request. Check the address and the path.",
    "server_error": "The system answered with an error of its own. Try again later.",
    "too_large": "The system's answer was larger than botdesk accepts.",
    "invalid_response": "The answer was not what botdesk expected. Check the address and, for "
    "your own API, the field mapping.",
}
CIRCUIT = {
    "closed": "Normal: look-ups go through",
    "open": "Paused after repeated failures: shoppers are offered a person meanwhile",
    "half_open": "Trying again after a pause",
}
SAVED = {
    "saved": "Connector saved. Test the connection to make sure it works.",
    "removed": "Connector removed. The bot now tells shoppers it cannot check orders.",
    "none": "There was no connector to remove.",
}
STATES = tuple(state.value for state in OrderState)
_MAX_STATES = 200
_MAX_VALUE = 100  # a merchant's state value (StateMap's limit)


def wanted_secrets(kind: str, auth: object) -> tuple[str, ...]:
    """The secrets a connector of this kind (and, for generic, auth mode) needs."""
    if kind == ConnectorKind.GENERIC:
        return ("hmac_secret",) if auth == "hmac" else ("token",)
    return SECRETS[ConnectorKind(kind)] if kind in set(ConnectorKind) else ()


def _lines(states: dict[str, OrderState]) -> str:
    return "\n".join(f"{theirs} = {ours.value}" for theirs, ours in states.items())


def _view(row: OrderConnector | None) -> dict[str, Any]:
    """The stored connector (or a new one's defaults) as the strings the form shows."""
    kind = row.kind if row else ConnectorKind.SHOPIFY.value
    options = OPTIONS[ConnectorKind(kind)].model_validate(row.options if row else {})
    generic = options if isinstance(options, GenericOptions) else GenericOptions()
    shopify = options if isinstance(options, ShopifyOptions) else ShopifyOptions()
    woo = options if isinstance(options, WooCommerceOptions) else WooCommerceOptions()
    return {
        "kind": kind,
        "base_url": row.base_url if row else "",
        "auth": generic.auth,
        "path": generic.path,
        "mapping": {name: path or "" for name, path in generic.mapping.model_dump().items()},
        "states": _lines(generic.states),
        "name_prefix": shopify.name_prefix,
        "woo_states": _lines(woo.states),
    }


def _read(form: FormData) -> dict[str, Any]:
    """What the admin submitted, in the shape of `_view` (never a secret)."""
    return {
        "kind": field(form, "kind"),
        "base_url": field(form, "base_url").strip(),
        "auth": field(form, "auth"),
        "path": field(form, "path").strip(),
        "mapping": {name: field(form, f"map-{name}").strip() for name in MAPPING},
        "states": field(form, "states"),
        "name_prefix": field(form, "name_prefix").strip(),
        "woo_states": field(form, "woo_states"),
    }


def _states(text: str, what: str) -> dict[str, str]:
    """`merchant_value = our_state` lines, one a line; blank lines and `#` comments skipped."""
    states: dict[str, str] = {}
    lines = text.splitlines()
    if len(lines) > _MAX_STATES:
        raise Invalid(f"{what}: at most {_MAX_STATES} lines")
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        theirs, sep, ours = (part.strip() for part in line.partition("="))
        if not sep or not theirs or not ours:
            raise Invalid(f"{what}, line {number}: write it as merchant_value = our_state")
        if len(theirs) > _MAX_VALUE:
            raise Invalid(f"{what}, line {number}: at most {_MAX_VALUE} characters before the =")
        if ours not in STATES:
            raise Invalid(
                f"{what}, line {number}: '{ours[:40]}' is not one of ours ({', '.join(STATES)})"
            )
        if theirs in states:
            raise Invalid(f"{what}, line {number}: '{theirs[:40]}' is given twice")
        states[theirs] = ours
    return states


def _options(values: dict[str, Any]) -> dict[str, Any]:
    kind = values["kind"]
    if kind == ConnectorKind.SHOPIFY:
        return {"name_prefix": values["name_prefix"]}
    if kind == ConnectorKind.WOOCOMMERCE:
        return {"states": _states(values["woo_states"], "custom order statuses")}
    if kind != ConnectorKind.GENERIC:
        return {}
    for name in REQUIRED_PATHS:
        if not values["mapping"][name]:
            raise Invalid(f"field mapping: {MAPPING[name]} needs a path (e.g. order.status)")
    return {
        "auth": values["auth"],
        "path": values["path"],
        "mapping": {name: path or None for name, path in values["mapping"].items()},
        "states": _states(values["states"], "order states"),
    }


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    return parsed.scheme, parsed.host, parsed.port


def _secrets(
    values: dict[str, Any], form: FormData, stored: ConnectorConfig | None
) -> dict[str, str]:
    """The typed secrets; an empty field keeps the saved one while the origin stays the same."""
    same_place = stored is not None and _origin(stored.base_url) == _origin(values["base_url"])
    secrets: dict[str, str] = {}
    for name in wanted_secrets(values["kind"], values["auth"]):
        typed = field(form, name).strip()
        kept = stored.secrets.get(name) if stored is not None else None
        if typed:
            secrets[name] = typed
        elif kept and same_place:
            secrets[name] = kept
        elif kept:
            raise Invalid(
                f"enter the {SECRET_LABELS[name]} again: a saved secret is only ever sent to "
                "the address it was saved for"
            )
    return secrets


def _config(
    values: dict[str, Any], form: FormData, stored: ConnectorConfig | None, policy: OutboundPolicy
) -> ConnectorConfig:
    options = _options(values)
    secrets = _secrets(values, form, stored)
    try:
        return validate_config(values["kind"], values["base_url"], options, secrets, policy)
    except ConfigInvalid as exc:
        raise Invalid(friendly(str(exc))) from None


def friendly(message: str) -> str:
    """validate_config's message in the form's words (it names settings as the CLI does)."""
    # Options are validated on their own, so their names come without an "options." prefix.
    labels = {
        "kind": "Order system",
        "base_url": "Address",
        "auth": "Authentication",
        "path": "Path",
        "name_prefix": "Order name prefix",
    } | {f"mapping.{name}": f"Field mapping, {label}" for name, label in MAPPING.items()}
    parts = []
    for part in message.split("; "):
        where, _, what = part.partition(": ")
        if where == "missing secret":
            names = [SECRET_LABELS.get(name, name) for name in what.split(", ")]
            parts.append(f"enter the {' and the '.join(names)}")
            continue
        if where == "unreadable secret":
            names = [SECRET_LABELS.get(name, name) for name in what.split(", ")]
            parts.append(f"paste the {' and the '.join(names)} again: it has characters no key has")
            continue
        if what.startswith("String should match pattern"):
            what = (
                "start with / and include {number}, e.g. /orders/{number}"
                if where == "path"
                else "write a dotted path such as order.shipping.trackingCode"
            )
        parts.append(f"{labels.get(where, where)}: {what}")
    return "; ".join(parts)


def _when(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "never"


def _later(*moments: dt.datetime | None) -> dt.datetime | None:
    return max((m for m in moments if m is not None), default=None)


def _health(row: OrderConnector, node: Health, zone: ZoneInfo) -> dict[str, Any]:
    """The row's persisted health, or this node's newer one (the row is written once a minute)."""
    error_at, error_kind = row.last_error_at, row.last_error_kind
    if node.last_error_at is not None and (error_at is None or node.last_error_at > error_at):
        error_at, error_kind = node.last_error_at, node.last_error_kind
    success = _later(row.last_success_at, node.last_success_at)
    return {
        "last_success": _when(success, zone),
        "last_error": _when(error_at, zone),
        "error_kind": error_kind,
        "failing": error_at is not None and (success is None or error_at > success),
        "circuit": node.circuit.value,
        "circuit_text": CIRCUIT.get(node.circuit.value, node.circuit.value),
    }


def _render(
    request: Request,
    session: Session,
    runtime: Runtime,
    staff: access.StaffContext,
    csrf: str,
    *,
    status: int = 200,
    saved: str | None = None,
    tested: str | None = None,
    error: tuple[str, str] | None = None,
    submitted: dict[str, Any] | None = None,
) -> Response:
    tenant = access.tenant_for_admin(staff)
    row = access.connector_row(session, tenant.id)
    zone = ZoneInfo(access.handover_policy(tenant).hours.zone)
    # Which secrets are saved follows from the stored kind: the page never opens them.
    stored = wanted_secrets(row.kind, row.options.get("auth")) if row else ()
    return page(
        request,
        "orders.html",
        status,
        staff=staff,
        tenants=access.staff_tenants(session, staff.user),
        csrf=csrf,
        v=submitted or _view(row),
        connector=row,
        health=_health(row, runtime.orders.health(tenant.id), zone) if row else None,
        stored=stored,
        saved=saved,
        tested=tested if tested == "ok" or tested in FAILURES else None,
        error=error,
        kinds=KINDS,
        mapping=MAPPING,
        required_paths=REQUIRED_PATHS,
        failures=FAILURES,
        states=STATES,
    )


@router.get("/orders")
def orders_page(
    request: Request,
    staff: AdminStaff,
    csrf: CsrfToken,
    session: SessionDep,
    runtime: RuntimeDep,
    saved: str | None = None,
    tested: str | None = None,
) -> Response:
    return _render(
        request, session, runtime, staff, csrf, saved=SAVED.get(saved or ""), tested=tested
    )


@router.post("/orders")
def save_orders(
    request: Request,
    staff: AdminStaff,
    csrf: CsrfToken,
    session: SessionDep,
    runtime: RuntimeDep,
    form: FormDep,
) -> Response:
    tenant = access.tenant_for_admin(staff)
    values = _read(form)
    try:
        key = runtime.tenants.get(tenant.id).key
        row = access.connector_row(session, tenant.id)
        stored = access.config_of(row, key) if row else None
        config = _config(values, form, stored, runtime.orders.policy)
        save_connector(session, Actor.staff(staff.user.id), tenant, key, config)
    except BotdeskError as exc:
        session.rollback()  # nothing of a refused form is stored
        error = ("connector", sentence(exc.message))
        return _render(
            request,
            session,
            runtime,
            staff,
            csrf,
            status=exc.status_code,
            error=error,
            submitted=values,
        )
    return RedirectResponse(f"/console/orders?tenant={tenant.slug}&saved=saved#health", 303)


@router.post("/orders/remove")
def remove_orders(
    request: Request,
    staff: AdminStaff,
    csrf: CsrfToken,
    session: SessionDep,
    runtime: RuntimeDep,
    form: FormDep,
) -> Response:
    tenant = access.tenant_for_admin(staff)
    if field(form, "confirm") != "yes":
        error = ("remove", "Tick the box to confirm: the bot stops checking orders at once.")
        return _render(request, session, runtime, staff, csrf, status=422, error=error)
    removed = remove_connector(session, Actor.staff(staff.user.id), tenant)
    done = "removed" if removed else "none"
    return RedirectResponse(f"/console/orders?tenant={tenant.slug}&saved={done}", 303)


def _stored_config(
    runtime: Runtime, asked: StaffRequest
) -> tuple[str, uuid.UUID, ConnectorConfig | None]:
    with runtime.db.read() as session:
        tenant = access.tenant_for_admin(staff_in(session, asked))
        row = access.connector_row(session, tenant.id)
        key = runtime.tenants.get(tenant.id).key if row else b""
        return tenant.slug, tenant.id, access.config_of(row, key) if row else None


def _record_test(runtime: Runtime, asked: StaffRequest, outcome: str) -> None:
    with runtime.db.session() as session:
        staff = staff_in(session, asked)  # checked again: the test took a while
        record_connector_test(
            session, Actor.staff(staff.user.id), access.tenant_for_admin(staff), outcome
        )


@router.post("/orders/test")
async def check_connection(
    request: Request, runtime: RuntimeDep, form: FormDep, tenant: str | None = None
) -> Response:
    # The checks of AdminStaff, in order (signed in, CSRF, a role, admin), in our own reads.
    sent = request.headers.get(CSRF_HEADER)
    asked = StaffRequest(
        request.cookies.get(COOKIE), field(form, "csrf") if sent is None else sent, tenant
    )
    slug, tenant_id, config = await runtime.run(_stored_config, runtime, asked)
    if config is None:
        outcome = FailureKind.NOT_CONFIGURED.value
    else:
        try:
            await runtime.orders.check(tenant_id, config)
            outcome = "ok"
        except LookupFailed as failure:
            outcome = failure.kind.value
        await runtime.run(_record_test, runtime, asked, outcome)
    return RedirectResponse(f"/console/orders?tenant={slug}&tested={outcome}#health", 303)
