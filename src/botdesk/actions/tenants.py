"""Creating and configuring tenants."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.actions.audit import Actor, AuditAction, record
from botdesk.errors import Conflict, Invalid
from botdesk.handover import HandoverPolicy
from botdesk.keys import KeyRing
from botdesk.models import SUPPORTED_LANGUAGES, Tenant

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_RETENTION_DAYS = 3650


def validate_languages(languages: Sequence[str]) -> list[str]:
    cleaned = [lang.strip().lower() for lang in languages if lang.strip()]
    unknown = [lang for lang in cleaned if lang not in SUPPORTED_LANGUAGES]
    if not cleaned or unknown:
        raise Invalid(
            f"languages must be a non-empty list drawn from {', '.join(SUPPORTED_LANGUAGES)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    return list(dict.fromkeys(cleaned))


def validate_retention_days(days: int | None, *, what: str) -> None:
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise Invalid(f"{what} must be between 1 and {MAX_RETENTION_DAYS} days")


def create_tenant(
    session: Session,
    keyring: KeyRing,
    actor: Actor,
    *,
    slug: str,
    name: str,
    languages: Sequence[str] = ("en",),
    retention_bot_days: int = 90,
    retention_agent_days: int | None = None,
    allowed_origins: Sequence[str] = (),
    privacy_policy_url: str | None = None,
) -> Tenant:
    """Create a tenant with its own wrapped key; slugs are unique and URL-safe."""
    if not SLUG_PATTERN.fullmatch(slug):
        raise Invalid(
            "a slug is 1-63 lowercase letters, digits and inner hyphens (e.g. 'nordic-wear')"
        )
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise Invalid("a tenant name needs 1-200 characters")
    validate_retention_days(retention_bot_days, what="bot conversation retention")
    validate_retention_days(retention_agent_days, what="agent conversation retention")
    for origin in allowed_origins:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise Invalid("an allowed origin looks like https://shop.example (no path)")
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict(f"a tenant with slug {slug!r} already exists")
    tenant_id = uuid.uuid4()
    tenant = Tenant(
        id=tenant_id,
        slug=slug,
        name=name,
        languages=validate_languages(languages),
        retention_bot_days=retention_bot_days,
        retention_agent_days=retention_agent_days,
        allowed_origins=list(allowed_origins),
        privacy_policy_url=privacy_policy_url,
        widget={},
        wrapped_key=keyring.new_tenant_key(tenant_id),
        master_key_id=keyring.master_key_id,
    )
    session.add(tenant)
    record(
        session,
        actor,
        AuditAction.TENANT_CREATED,
        tenant_id=tenant_id,
        target_kind="tenant",
        target_id=tenant_id,
    )
    return tenant


def rewrap_tenant_keys(session: Session, new: KeyRing, old: KeyRing, actor: Actor) -> int:
    """Master-key rotation: re-wrap every tenant key from `old` to `new`; returns how many.

    Idempotent: tenants already under `new` are skipped. Tenants under a third key stop the
    rotation before anything changes, since they would be unreadable afterwards.
    """
    tenants = session.scalars(select(Tenant).with_for_update()).all()
    strangers = [
        t.slug for t in tenants if t.master_key_id not in (old.master_key_id, new.master_key_id)
    ]
    if strangers:
        raise Conflict(
            f"{len(strangers)} tenant(s) are wrapped by neither key, e.g. {strangers[0]}"
        )
    moved = 0
    for tenant in tenants:
        if tenant.master_key_id == old.master_key_id and old.master_key_id != new.master_key_id:
            tenant.wrapped_key = new.rewrap_tenant_key(tenant.id, tenant.wrapped_key, old)
            tenant.master_key_id = new.master_key_id
            record(
                session,
                actor,
                AuditAction.TENANT_KEY_REWRAPPED,
                tenant_id=tenant.id,
                target_kind="tenant",
                target_id=tenant.id,
                master_key_id=new.master_key_id,
            )
            moved += 1
    return moved


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Widget texts a tenant may reword (keys of TEXTS in widget.js); `privacy` keeps its {n}.
WIDGET_TEXT_KEYS = frozenset({"open", "title", "placeholder", "send", "privacy", "deleted"})


def configure_tenant(
    session: Session,
    actor: Actor,
    tenant: Tenant,
    *,
    languages: Sequence[str] | None = None,
    retention_bot_days: int | None = None,
    retention_agent_days: int | None = None,
    clear_agent_retention: bool = False,
    allowed_origins: Sequence[str] | None = None,
    privacy_policy_url: str | None = None,
    primary_color: str | None = None,
    position: str | None = None,
    greeting: dict[str, str] | None = None,
    texts: dict[str, dict[str, str]] | None = None,
) -> list[str]:
    """Change a tenant's settings; returns the names of what changed (audited, values not)."""
    changed: list[str] = []
    if languages is not None:
        tenant.languages = validate_languages(languages)
        changed.append("languages")
    if retention_bot_days is not None:
        validate_retention_days(retention_bot_days, what="bot conversation retention")
        tenant.retention_bot_days = retention_bot_days
        changed.append("retention_bot_days")
    if retention_agent_days is not None or clear_agent_retention:
        validate_retention_days(retention_agent_days, what="agent conversation retention")
        tenant.retention_agent_days = None if clear_agent_retention else retention_agent_days
        changed.append("retention_agent_days")
    if allowed_origins is not None:
        for origin in allowed_origins:
            if not re.fullmatch(r"https?://[^/\s]+", origin):
                raise Invalid("an allowed origin looks like https://shop.example (no path)")
        tenant.allowed_origins = list(dict.fromkeys(allowed_origins))
        changed.append("allowed_origins")
    if privacy_policy_url is not None:
        if privacy_policy_url and not re.fullmatch(r"https?://\S+", privacy_policy_url):
            raise Invalid("the privacy policy URL must start with https:// or http://")
        tenant.privacy_policy_url = privacy_policy_url or None
        changed.append("privacy_policy_url")
    widget = dict(tenant.widget or {})
    if primary_color is not None:
        if not HEX_COLOUR.fullmatch(primary_color):
            raise Invalid("a colour is written #rrggbb, e.g. #1f5f8b")
        widget["primary_color"] = primary_color.lower()
        changed.append("primary_color")
    if position is not None:
        if position not in ("right", "left"):
            raise Invalid("the launcher position is right or left")
        widget["position"] = position
        changed.append("position")
    if greeting is not None:
        unknown = set(greeting) - set(tenant.languages)
        if unknown or any(not 1 <= len(text) <= 300 for text in greeting.values()):
            raise Invalid("a greeting is 1-300 characters per tenant language")
        widget["greeting"] = dict(greeting)
        changed.append("greeting")
    if texts is not None:
        for lang, overrides in texts.items():
            if lang not in tenant.languages:
                raise Invalid(f"{lang!r} is not one of the tenant's languages")
            for key, text in overrides.items():
                if key not in WIDGET_TEXT_KEYS:
                    raise Invalid(
                        f"widget text {key!r} cannot be changed; these can: "
                        + ", ".join(sorted(WIDGET_TEXT_KEYS))
                    )
                if not 1 <= len(text) <= 200 or (key == "privacy" and "{n}" not in text):
                    raise Invalid(
                        f"widget text {key!r} needs 1-200 characters"
                        + (" and {n} for the days" if key == "privacy" else "")
                    )
        merged = {lang: dict(v) for lang, v in (widget.get("texts") or {}).items()}
        for lang, overrides in texts.items():
            merged.setdefault(lang, {}).update(overrides)
        widget["texts"] = merged
        changed.append("texts")
    tenant.widget = widget
    if changed:
        record(
            session,
            actor,
            AuditAction.TENANT_CONFIGURED,
            tenant_id=tenant.id,
            target_kind="tenant",
            target_id=tenant.id,
            settings=changed,
        )
    return changed


def configure_handover(
    session: Session, actor: Actor, tenant: Tenant, config: Mapping[str, Any]
) -> list[str]:
    """Replace the tenant's handover policy; returns (and audits) the keys whose value changed."""
    new = HandoverPolicy.from_config(config).to_config()
    # Stored policies were validated on the way in; an empty one ({}) means the defaults.
    old = HandoverPolicy.from_config(tenant.handover).to_config()
    changed = [key for key, value in new.items() if old.get(key) != value]
    if changed:
        tenant.handover = new
        record(
            session,
            actor,
            AuditAction.TENANT_HANDOVER_CONFIGURED,
            tenant_id=tenant.id,
            target_kind="tenant",
            target_id=tenant.id,
            settings=changed,
        )
    return changed


def set_require_totp(session: Session, actor: Actor, tenant: Tenant, required: bool) -> bool:
    """Require (or stop requiring) two-factor sign-in for the tenant's staff; True if changed."""
    if tenant.require_totp == required:
        return False
    tenant.require_totp = required
    record(
        session,
        actor,
        AuditAction.TENANT_CONFIGURED,
        tenant_id=tenant.id,
        target_kind="tenant",
        target_id=tenant.id,
        settings=["require_totp"],
        require_totp=required,
    )
    return True


def set_privacy_policy_url(session: Session, actor: Actor, tenant: Tenant, url: str) -> bool:
    """Set the policy the widget's consent line links to ('' removes it); True if changed.

    Stricter than `configure_tenant`: a tenant admin may only link an https page, since the
    link is shown to shoppers on the merchant's (https) site.
    """
    url = url.strip()
    if url and (
        not re.fullmatch(r"https://[^\s/]+\S*", url) or len(url) > 500 or "<" in url or '"' in url
    ):
        raise Invalid(
            "the privacy policy URL must be an https:// address of at most 500 characters"
        )
    if (tenant.privacy_policy_url or "") == url:
        return False
    return bool(configure_tenant(session, actor, tenant, privacy_policy_url=url))


def configure_retention(
    session: Session, actor: Actor, tenant: Tenant, *, bot_days: int, agent_days: int | None
) -> list[str]:
    """Set both retention periods (agent_days None: until a deletion request); audits changes."""
    validate_retention_days(bot_days, what="bot conversation retention")
    validate_retention_days(agent_days, what="agent conversation retention")
    return configure_tenant(
        session,
        actor,
        tenant,
        retention_bot_days=bot_days if bot_days != tenant.retention_bot_days else None,
        retention_agent_days=agent_days if agent_days != tenant.retention_agent_days else None,
        clear_agent_retention=agent_days is None and tenant.retention_agent_days is not None,
    )
