"""The demo tenant: a Nordic fashion shop with an admin and an agent, for trying botdesk out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from botdesk.actions.audit import Actor
from botdesk.actions.tenants import create_tenant
from botdesk.actions.users import create_user, grant_role
from botdesk.content.loader import TenantContent, load_directory
from botdesk.content.store import save_content
from botdesk.models import Role, Tenant, User
from botdesk.runtime import Runtime
from botdesk.settings import ConfigError

DEMO_SLUG = "demo"
# The demo shop's bot content lives in the repository (content/demo) and doubles as a fixture.
DEMO_CONTENT = Path(__file__).resolve().parents[2] / "content" / "demo"
# Published on purpose, development only: `seed_demo` refuses outside development.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    password: str


DEMO_STAFF = (
    ("admin@demo.botdesk.test", "Aino Admin", Role.ADMIN),
    ("agent@demo.botdesk.test", "Sven Agent", Role.AGENT),
    ("analyst@demo.botdesk.test", "Nora Analyst", Role.ANALYST),
)


def seed_demo(runtime: Runtime) -> list[DemoLogin]:
    """Create the demo tenant and its staff if missing; idempotent."""
    if not runtime.settings.is_development:
        raise ConfigError(
            "the demo tenant has published passwords; seed it only with "
            "BOTDESK_ENVIRONMENT=development"
        )
    actor = Actor.operator()
    with runtime.db.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
        if tenant is None:
            tenant = create_tenant(
                session,
                runtime.keyring,
                actor,
                slug=DEMO_SLUG,
                name="Nordkapp Wear",
                languages=["fi", "sv", "nb", "en"],
                allowed_origins=[runtime.settings.base_url],
                privacy_policy_url=f"{runtime.settings.base_url}/#privacy",
            )
            session.flush()
        for email, name, role in DEMO_STAFF:
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                create_user(
                    session,
                    actor,
                    email=email,
                    display_name=name,
                    password=DEMO_PASSWORD,
                    tenant=tenant,
                    role=role,
                )
            else:
                grant_role(session, actor, tenant=tenant, user=user, role=role)
    return [DemoLogin(email, role, DEMO_PASSWORD) for email, _name, role in DEMO_STAFF]


def bundled_demo_content() -> TenantContent:
    """The demo shop's content from the repository."""
    return load_directory(DEMO_CONTENT)


def load_demo_content(runtime: Runtime) -> int:
    """Store the bundled content as the demo tenant's (a no-op if unchanged) and ready its bot."""
    content = bundled_demo_content()
    with runtime.db.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
        assert tenant is not None, "seed the demo tenant first"
        version, _new = save_content(session, Actor.operator(), tenant, content)
        tenant_id = tenant.id
    with runtime.db.session() as session:
        runtime.bots.responder(session, tenant_id)  # trains and stores the model if missing
    return version
