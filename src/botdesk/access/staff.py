"""Staff members, their tenants and roles: the context every console request acts in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from botdesk.errors import Forbidden
from botdesk.models import Membership, Role, Tenant, User

TRANSCRIPT_ROLES = frozenset({Role.ADMIN, Role.AGENT})


@dataclass(frozen=True)
class StaffContext:
    """A signed-in staff member acting within one tenant, with their role there."""

    user: User
    tenant: Tenant
    role: Role


def staff_tenants(session: Session, user: User) -> Sequence[tuple[Tenant, Role]]:
    rows = session.execute(
        select(Tenant, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user.id)
        .order_by(Tenant.name)
    ).all()
    return [(tenant, role) for tenant, role in rows]


TOTP_REQUIRED = "This shop requires two-factor sign-in. Set it up under Account."


def staff_context(session: Session, user: User, tenant_slug: str | None) -> StaffContext:
    """The user's context in `tenant_slug` (or their first tenant); Forbidden if not a member.

    Also Forbidden while the tenant requires TOTP and the user has not switched it on: every
    console page and the agent API come through here, so the rule is enforced in one place.
    """
    memberships = staff_tenants(session, user)
    for tenant, role in memberships:
        if tenant_slug is None or tenant.slug == tenant_slug:
            if tenant.require_totp and user.totp_enabled_at is None:
                raise Forbidden(TOTP_REQUIRED)
            return StaffContext(user, tenant, role)
    raise Forbidden("you have no role in this tenant")


def _require_transcript_role(staff: StaffContext) -> None:
    if staff.role not in TRANSCRIPT_ROLES:
        raise Forbidden("your role cannot read conversations")


def require_agent(staff: StaffContext) -> None:
    """Agents and admins work conversations; analysts never do."""
    _require_transcript_role(staff)


def tenant_staff(session: Session, staff: StaffContext) -> Sequence[tuple[User, Role]]:
    """Everyone with a role in the staff member's tenant (names for notes and transfers)."""
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == staff.tenant.id)
        .order_by(User.display_name)
    ).all()
    return [(user, role) for user, role in rows]
