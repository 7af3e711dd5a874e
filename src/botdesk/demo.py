"""The demo tenant: a Nordic fashion shop with an admin and an agent, for trying botdesk out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from botdesk import demo_merchant
from botdesk.access import tenant_canned_replies
from botdesk.actions.audit import Actor
from botdesk.actions.bot_content import save_content
from botdesk.actions.canned_replies import create_canned_reply
from botdesk.actions.connectors import save_connector
from botdesk.actions.samples import set_business_contacts
from botdesk.actions.tenants import configure_handover, configure_tenant, create_tenant
from botdesk.actions.users import create_user, grant_role
from botdesk.actions.widget import configure_widget
from botdesk.content.loader import TenantContent, load_directory
from botdesk.models import DemoOrder, Role, Tenant, User
from botdesk.orders.connectors import ConnectorConfig, ConnectorKind
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

# No "hours" on purpose: a newcomer trying the demo at any time of day can be handed over to a
# person, as long as a demo agent is signed in and online. Real shops usually set their hours.
DEMO_HANDOVER = {
    "timezone": "Europe/Helsinki",
    "fields": {"email": "required", "order_number": "optional", "topic": "optional"},
    "consent": "notice",
    "max_chats": 3,
}
# The widget's welcome: a greeting and topic buttons (each sends its intent as a quick reply).
DEMO_GREETING = {
    "fi": "Hei! Olen Nordkapp Wearin chatbotti. Miten voin auttaa?",
    "sv": "Hej! Jag är Nordkapp Wears chattbot. Hur kan jag hjälpa dig?",
    "nb": "Hei! Jeg er chatboten til Nordkapp Wear. Hva kan jeg hjelpe deg med?",
    "en": "Hi! I'm Nordkapp Wear's chat bot. How can I help?",
}
DEMO_TOPICS = {
    lang: [{"title": title, "payload": f"intent:{intent}"} for intent, title in topics]
    for lang, topics in {
        "fi": [
            ("track_order", "Missä tilaukseni on?"),
            ("return_item", "Palautukset"),
            ("size_guide", "Kokotaulukko"),
            ("delivery_time", "Toimitusajat"),
        ],
        "sv": [
            ("track_order", "Var är min beställning?"),
            ("return_item", "Returer"),
            ("size_guide", "Storleksguide"),
            ("delivery_time", "Leveranstider"),
        ],
        "nb": [
            ("track_order", "Hvor er bestillingen min?"),
            ("return_item", "Retur"),
            ("size_guide", "Størrelsesguide"),
            ("delivery_time", "Leveringstid"),
        ],
        "en": [
            ("track_order", "Where is my order?"),
            ("return_item", "Returns"),
            ("size_guide", "Size guide"),
            ("delivery_time", "Delivery times"),
        ],
    }.items()
}
# The same shortcuts in each language, so an agent's habits carry over; facts match the bot's.
DEMO_CANNED: dict[str, dict[str, str]] = {
    "hello": {
        "fi": "Hei ja kiitos odotuksesta! Täällä Nordkapp Wearin asiakaspalvelu. Miten voin "
        "auttaa?",
        "sv": "Hej och tack för att du väntade! Du har kommit till Nordkapp Wears kundtjänst. "
        "Hur kan jag hjälpa dig?",
        "nb": "Hei, og takk for at du ventet! Du snakker med kundeservice hos Nordkapp Wear. "
        "Hva kan jeg hjelpe deg med?",
        "en": "Hi, and thanks for waiting! You're through to Nordkapp Wear customer service. "
        "How can I help?",
    },
    "order-number": {
        "fi": "Voisitko kertoa tilausnumerosi? Siinä on kahdeksan numeroa, ja löydät sen "
        "tilausvahvistuksesta, jonka lähetimme sähköpostiisi.",
        "sv": "Kan du berätta ditt ordernummer? Det består av åtta siffror och finns i "
        "orderbekräftelsen som vi skickade till din e-post.",
        "nb": "Kan du oppgi ordrenummeret ditt? Det består av åtte sifre og står i "
        "ordrebekreftelsen vi sendte til e-posten din.",
        "en": "Could you tell me your order number? It's eight digits long, and you'll find it "
        "in the order confirmation we emailed you.",
    },
    "returns": {
        "fi": "Palautus on maksuton 30 päivän ajan. Tee palautusilmoitus palautussivullamme, "
        "niin saat palautuskoodin, ja vie paketti mihin tahansa noutopisteeseen. Tuotteiden "
        "pitää olla käyttämättömiä ja hintalappujen paikallaan.",
        "sv": "Du kan returnera kostnadsfritt inom 30 dagar. Anmäl returen på vår retursida så "
        "får du en returkod, och lämna sedan paketet hos valfritt ombud. Varorna ska vara "
        "oanvända och ha etiketterna kvar.",
        "nb": "Retur er gratis innen 30 dager. Registrer returen på retursiden vår for å få en "
        "returkode, og lever pakken på et hvilket som helst hentested. Varene må være ubrukte "
        "og ha merkelappene på.",
        "en": "Returns are free within 30 days. Register your return on our returns page to "
        "get a return code, then drop the parcel off at any pick-up point. Items should be "
        "unused with the tags still on.",
    },
    "delivery": {
        "fi": "Toimitus kestää Suomessa yleensä 1-3 arkipäivää, Ruotsiin 2-4, Tanskaan 2-5 ja "
        "Norjaan 3-6 arkipäivää. Arkipäivisin klo 14 mennessä tehdyt tilaukset lähtevät "
        "varastoltamme samana päivänä.",
        "sv": "Leveransen tar oftast 1-3 arbetsdagar till Finland, 2-4 till Sverige, 2-5 till "
        "Danmark och 3-6 arbetsdagar till Norge. Beställningar som görs före kl. 14 finsk tid "
        "på vardagar skickas samma dag.",
        "nb": "Leveringen tar vanligvis 1-3 virkedager til Finland, 2-4 til Sverige, 2-5 til "
        "Danmark og 3-6 virkedager til Norge. Bestillinger som legges inn før kl. 14 finsk "
        "tid på hverdager, sendes samme dag.",
        "en": "Delivery usually takes 1-3 working days in Finland, 2-4 to Sweden, 2-5 to "
        "Denmark and 3-6 working days to Norway. Orders placed by 14:00 Finnish time on a "
        "working day leave our warehouse the same day.",
    },
    "bye": {
        "fi": "Kiitos yhteydenotosta! Jos mieleen tulee vielä jotain, kirjoita meille "
        "milloin vain. Mukavaa päivänjatkoa!",
        "sv": "Tack för att du hörde av dig! Skriv gärna igen om du undrar över något mer. "
        "Ha en fin dag!",
        "nb": "Takk for at du tok kontakt! Bare skriv til oss igjen hvis du lurer på noe mer. "
        "Ha en fin dag!",
        "en": "Thanks for getting in touch! If anything else comes up, just message us again. "
        "Have a great day!",
    },
}


DEMO_CONTACT_EMAILS = [
    f"{box}@nordkappwear.example"
    for box in ("help", "asiakaspalvelu", "kundtjanst", "kundeservice")
]
DEMO_CONTACT_PHONE = "+358 9 4242 4242"


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
                # What the demo shop's privacy page promises: every chat goes 90 days after
                # its last message, with a person or not (demo_pages/*/80-privacy.md).
                retention_bot_days=90,
                retention_agent_days=90,
                allowed_origins=[runtime.settings.base_url],
                privacy_policy_url=f"{runtime.settings.base_url}/help/en/privacy",
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
        # Only what is missing: re-running `botdesk demo` keeps what an admin changed since.
        if not tenant.handover:
            configure_handover(session, actor, tenant, DEMO_HANDOVER)
        if not (tenant.widget or {}).get("greeting"):
            configure_tenant(session, actor, tenant, greeting=DEMO_GREETING)
        if "topics" not in (tenant.widget or {}):
            configure_widget(session, actor, tenant, topics=DEMO_TOPICS)
        if not tenant.business_contacts:
            # The shop's own public details (its bot content quotes them): readable in samples.
            set_business_contacts(
                session, actor, tenant, emails=DEMO_CONTACT_EMAILS, phones=[DEMO_CONTACT_PHONE]
            )
        present = {(r.shortcut, r.language) for r in tenant_canned_replies(session, tenant)}
        for shortcut, texts in DEMO_CANNED.items():
            for language, text in texts.items():
                if (shortcut, language) not in present:
                    create_canned_reply(
                        session, actor, tenant, shortcut=shortcut, language=language, text=text
                    )
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


def seed_demo_orders(runtime: Runtime, slug: str = DEMO_SLUG, base_url: str | None = None) -> int:
    """(Re)seed the demo merchant's orders, dated from now, and connect the tenant to it.

    `base_url` is where botdesk serves the demo merchant (BOTDESK_BASE_URL by default).
    """
    now = dt.datetime.now(dt.UTC)
    with runtime.db.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        assert tenant is not None, "seed the demo tenant first"
        session.execute(delete(DemoOrder).where(DemoOrder.tenant_id == tenant.id))
        for spec in demo_merchant.DEMO_ORDERS:
            session.add(
                DemoOrder(
                    tenant_id=tenant.id,
                    number=spec.number,
                    document=demo_merchant.order_document(spec, now),
                )
            )
        key = runtime.tenants.get(tenant.id).key
        config = ConnectorConfig(
            kind=ConnectorKind.GENERIC,
            base_url=(base_url or runtime.settings.base_url) + demo_merchant.PATH.format(slug=slug),
            options={
                "auth": "bearer",
                "mapping": demo_merchant.MAPPING,
                "states": demo_merchant.STATES,
            },
            secrets={"token": demo_merchant.token(runtime.keyring, tenant.id)},
        )
        save_connector(session, Actor.operator(), tenant, key, config)
    return len(demo_merchant.DEMO_ORDERS)
