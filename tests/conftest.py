"""Shared fixtures: every database-backed test runs on SQLite, and on PostgreSQL (with Redis as
the broker, the scale-out configuration) when BOTDESK_TEST_POSTGRES_URL is set.

Each backend gets its own freshly migrated database for the session; every table is emptied
after each test, so tests are isolated without paying for a migration each.

Under pytest-xdist the session is per worker, so is everything above: each worker has its own
SQLite files and its own PostgreSQL databases (created here, dropped at its end), and its
servers listen on ports the kernel picks. Redis is shared, but only for pub/sub, whose
channels are named by tenant and conversation ids (random UUIDs): workers never hear each
other's events. (A Redis database number would not separate them: pub/sub ignores it.)
"""

from __future__ import annotations

import email
import email.message
import fcntl
import hashlib
import json
import os
import re
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text, update

# Tests must not pick up a developer's BOTDESK_* configuration.
for _name in [
    n for n in os.environ if n.startswith("BOTDESK_") and not n.startswith("BOTDESK_TEST_")
]:
    del os.environ[_name]

from botdesk import access, schema  # noqa: E402
from botdesk.actions.audit import Actor  # noqa: E402
from botdesk.actions.tenants import create_tenant  # noqa: E402
from botdesk.actions.users import create_user  # noqa: E402
from botdesk.app import UVICORN_OPTIONS, create_app  # noqa: E402
from botdesk.models import AuditChain, Base, Role, Tenant, User  # noqa: E402
from botdesk.rate_limits import Limit, RateLimits  # noqa: E402
from botdesk.runtime import Runtime, build_runtime  # noqa: E402
from botdesk.settings import Settings, generate_master_key  # noqa: E402
from tests.waits import wait_until  # noqa: E402

POSTGRES_URL = os.environ.get("BOTDESK_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("BOTDESK_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])
PASSWORD = "correct horse battery staple"


# The rate limits botdesk ships with (make_settings raises them for everything else).
SHIPPED_LIMITS: dict[str, object] = {
    limit.setting: Settings.model_fields[limit.setting].default for limit in Limit
}


def make_settings(database_url: str, tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "development",
        "database_url": database_url,
        "master_key": generate_master_key(),
        "data_dir": tmp,
        # Tests open hundreds of conversations from one address; the limits have tests of their
        # own (test_rate_limits.py), which also check that the shipped defaults are the strict ones.
        **{limit.setting: "1000000/minute" for limit in Limit},
        # The test servers' own job runs keep to the hourly interval, as before the lifecycle
        # sweep: with it every 15 s in every test server, one xdist worker's SQLite file was
        # corrupted in two of five full runs (cause not pinned down: the suspects are tests that
        # read the file raw while a job thread holds it). Tests run the sweep themselves.
        "lifecycle_interval_seconds": 3600,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _fresh_postgres_database() -> tuple[str, str]:
    """Create an empty PostgreSQL database; returns (its URL, its name)."""
    assert POSTGRES_URL is not None
    # Each xdist worker creates its own databases; the worker id in the name tells whose it is.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"botdesk_test_{worker}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        Settings(database_url=POSTGRES_URL).database_url, isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = Settings(database_url=POSTGRES_URL).database_url
    return base.rsplit("/", 1)[0] + "/" + name, name


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(
        Settings(database_url=POSTGRES_URL or "").database_url, isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory for empty databases of a backend, cleaned up at the end of the session."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'botdesk.db'}"
        url, name = _fresh_postgres_database()
        created.append(name)
        return url

    yield make
    for name in created:
        _drop_postgres_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def runtime(
    backend: str, empty_database: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    """A migrated database with its runtime; PostgreSQL runs pair it with the Redis broker."""
    url = empty_database(backend)  # type: ignore[operator]
    redis_url = REDIS_URL if backend == "postgres" else None
    settings = make_settings(
        url,
        tmp_path_factory.mktemp("data"),
        redis_url=redis_url,
        # The stand-in merchants and the demo merchant listen on loopback; a test that needs a
        # failed verification sends its own X-Forwarded-For, so per-address limits never meet.
        outbound_allowed_networks=["127.0.0.1/32"],
        trusted_proxies=["127.0.0.1/32"],
        order_lookup_timeout_seconds=3.0,
    )
    runtime = build_runtime(settings)
    schema.upgrade(runtime.db.engine)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session", autouse=True)
def _models_trained_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each bot content's intent model is trained once per run, not by every test that needs it.

    Training is deterministic (tests/test_nlu_model.py checks), so the model of the same content
    is the same model; the demo's takes seconds. The cache is keyed by the content's digest and
    shared by the run's xdist workers; the training code itself still runs for each content.
    """
    from botdesk.bot import registry
    from botdesk.bot.understanding import train_model
    from botdesk.content.loader import TenantContent
    from botdesk.nlu import IntentModel, embeddings

    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent  # workers' base dirs are popen-gwN under the run's
    cache = run_dir / "trained-models"
    cache.mkdir(exist_ok=True)

    def cached_train_model(content: TenantContent) -> IntentModel:
        document = json.dumps(content.to_document(), sort_keys=True, ensure_ascii=False)
        # A test may turn embeddings off: the sparse model of the same content is another model.
        kind = "fused" if embeddings.default_embedder() is not None else "sparse"
        path = cache / f"{hashlib.sha256(document.encode()).hexdigest()}-{kind}"
        if path.exists():
            return IntentModel.load(path)
        # One worker trains (the demo's embeds 3,000 examples); the others wait, then load.
        with (cache / f"{path.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.exists():
                return IntentModel.load(path)
            model = train_model(content)
            staging = Path(tempfile.mkdtemp(dir=cache))
            model.save(staging)
            staging.rename(path)  # atomic: another worker never sees half a model
            return model

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "train_model", cached_train_model)
        yield


# Persona rows survive between tests: creating seven accounts costs seven argon2 hashes, which
# are slow on purpose. Tests must not modify persona rows; anything else is deleted.
_BASELINE: dict[str, tuple[set[uuid.UUID], set[uuid.UUID]]] = {}


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "runtime" not in request.fixturenames:
        return
    runtime: Runtime = request.getfixturevalue("runtime")
    tenant_ids, user_ids = _BASELINE.get(runtime.db.url, (set(), set()))
    keep = {"tenants", "users", "memberships"}
    runtime.audit.flush()  # the node's sealer finishes before its rows go
    with runtime.db.engine.begin() as connection:
        if runtime.db.engine.dialect.name == "postgresql":
            # Past the audit log's append-only trigger (as the database's owner may go).
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        # The chain heads first: a sealer that still holds one is waited for, never deadlocked.
        connection.execute(AuditChain.__table__.delete())
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in keep:
                connection.execute(table.delete())
        connection.execute(Tenant.__table__.delete().where(Tenant.id.not_in(tenant_ids)))
        connection.execute(User.__table__.delete().where(User.id.not_in(user_ids)))
    # The rows went behind the node's back (no session, no event), so its caches must be told.
    runtime.tenants.clear()
    runtime.orders.reset()


@pytest.fixture(params=BACKENDS)
def cli_env(
    request: pytest.FixtureRequest, tmp_path: Path, empty_database: object
) -> dict[str, str]:
    """Environment for running `botdesk` against an empty database of each backend."""
    from tests.cli import cli_environment

    return cli_environment(empty_database(request.param), tmp_path / "var")  # type: ignore[operator]


CHROMIUM = Path("/usr/bin/chromium")


# Module scope: the Playwright instance ends with its module, before other modules' asyncio code.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    if not CHROMIUM.exists():
        if os.environ.get("BOTDESK_TEST_REQUIRE_BROWSER"):
            pytest.fail("browser tests are required here but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


class LiveServer:
    """uvicorn serving the app on a free loopback port, in a thread."""

    def __init__(self, runtime: Runtime) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(runtime),
            log_config=None,
            access_log=False,
            lifespan="off",
            **UVICORN_OPTIONS,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_until(lambda: self.server.started, 10, "the test server to start", every=0.005)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="session")
def server(runtime: Runtime) -> Iterator[LiveServer]:
    with LiveServer(runtime) as live:
        yield live


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@dataclass(frozen=True)
class TenantPersonas:
    tenant: Tenant
    admin: User
    agent: User
    analyst: User


@dataclass(frozen=True)
class Personas:
    """Two merchants with their staff, and a stranger with an account but no role anywhere."""

    alice: TenantPersonas  # tenant "acme": fi, en
    bob: TenantPersonas  # tenant "bobs": sv, nb, en
    stranger: User


def _staff(runtime: Runtime, tenant: Tenant, prefix: str) -> TenantPersonas:
    with runtime.db.session() as session:
        users = {
            role: create_user(
                session,
                Actor.operator(),
                email=f"{prefix}-{role.value}@example.com",
                display_name=f"{prefix} {role.value}",
                password=PASSWORD,
                tenant=tenant,
                role=role,
            )
            for role in Role
        }
    return TenantPersonas(tenant, users[Role.ADMIN], users[Role.AGENT], users[Role.ANALYST])


@pytest.fixture(scope="session")
def personas(runtime: Runtime) -> Personas:
    with runtime.db.session() as session:
        acme = create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug="acme",
            name="Acme Outdoor",
            languages=["fi", "en"],
        )
        bobs = create_tenant(
            session,
            runtime.keyring,
            Actor.operator(),
            slug="bobs",
            name="Bob's Boots",
            languages=["sv", "nb", "en"],
            retention_bot_days=60,
        )
    with runtime.db.session() as session:
        stranger = create_user(
            session,
            Actor.operator(),
            email="stranger@example.com",
            display_name="Stranger",
            password=PASSWORD,
        )
    # Sampling is random by nature; personas sample nothing unless a test asks
    # (`sample_everything`), so no other test depends on a coin toss.
    with runtime.db.session() as session:
        session.execute(update(Tenant).values(sample_rate=0.0))
    # The persona objects too: a test that merges one into a session writes its columns back.
    acme.sample_rate = bobs.sample_rate = 0.0
    personas = Personas(_staff(runtime, acme, "alice"), _staff(runtime, bobs, "bob"), stranger)
    people = [personas.stranger] + [
        user
        for side in (personas.alice, personas.bob)
        for user in (side.admin, side.agent, side.analyst)
    ]
    _BASELINE[runtime.db.url] = ({acme.id, bobs.id}, {user.id for user in people})
    return personas


class Inbox:
    """A local SMTP server's mailbox (aiosmtpd): what botdesk sent."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
def mailing_server(runtime: Runtime, inbox: Inbox, tmp_path: Path) -> Iterator[LiveServer]:
    """The app on the same database, configured to send mail to the test's SMTP server."""
    assert runtime.settings.master_key is not None
    settings = make_settings(
        runtime.settings.database_url,
        tmp_path,
        master_key=runtime.settings.master_key.get_secret_value(),
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,  # type: ignore[attr-defined]
        smtp_starttls=False,
        smtp_from="Nordkapp Wear <chat@shop.example>",
        **SHIPPED_LIMITS,  # its own limiter, in memory: the relay tests count from zero
    )
    mailing = build_runtime(settings)
    with LiveServer(mailing) as live:
        yield live
    mailing.close()


MINI_CONTENT = Path(__file__).resolve().parent / "content" / "mini"


@pytest.fixture
def sample_everything(runtime: Runtime, bot: None) -> Iterator[None]:
    """acme (with the mini bot) keeps every question as an improvement sample."""
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(Tenant.slug == "acme").values(sample_rate=1.0))
    yield  # persona tenants outlive the test: put their setting back
    with runtime.db.session() as session:
        session.execute(update(Tenant).where(Tenant.slug == "acme").values(sample_rate=0.0))


@pytest.fixture
def strict_limits(runtime: Runtime) -> Iterator[RateLimits]:
    """The shared test server counts with the shipped rate limits, from zero, for one test."""
    shipped = runtime.settings.model_copy(update=SHIPPED_LIMITS)
    raised = runtime.limits
    runtime.limits = RateLimits(
        shipped, runtime.keyring.derive("botdesk/rate-limit-keys/v1"), key_prefix=uuid.uuid4().hex
    )
    yield runtime.limits
    runtime.limits.reset()
    runtime.limits = raised


@pytest.fixture
def agent_online(runtime: Runtime, personas: Personas) -> None:
    """Alice's agent has the console open and is online, so acme can offer a person."""
    from botdesk.actions.agents import set_presence
    from botdesk.models import Presence

    with runtime.db.session() as session:
        staff = access.staff_context(session, session.merge(personas.alice.agent), "acme")
        set_presence(session, staff, Presence.ONLINE)


@pytest.fixture
def bot(runtime: Runtime, personas: Personas) -> None:
    """Tenant acme (en, fi) answers with the mini content (tests/content/mini)."""
    from botdesk.actions.bot_content import save_content
    from botdesk.content.loader import load_directory

    with runtime.db.session() as session:
        tenant = session.merge(personas.alice.tenant)
        save_content(session, Actor.operator(), tenant, load_directory(MINI_CONTENT))


@dataclass
class VisitorChat:
    """A shopper's conversation through the HTTP API."""

    client: httpx.Client
    id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def send(self, text: str, **extra: object) -> httpx.Response:
        return self.client.post(
            f"/api/v1/conversations/{self.id}/messages",
            json={"text": text, **extra},
            headers=self.auth,
        )

    def messages(self, after: int = 0, **params: object) -> httpx.Response:
        return self.client.get(
            f"/api/v1/conversations/{self.id}/messages",
            params={"after": after, **params},
            headers=self.auth,
        )


def console_sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in as a browser does: the form first (its login-CSRF cookie and token), then post."""
    form = client.get("/console/login")
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert match is not None, form.text
    return client.post(
        "/console/login", data={"email": email, "password": password, "csrf": match.group(1)}
    )


def start_chat(client: httpx.Client, slug: str, language: str | None = None) -> VisitorChat:
    response = client.post(
        f"/api/v1/tenants/{slug}/conversations", json={"language": language} if language else None
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return VisitorChat(client, body["conversation"]["id"], body["visitor_token"])
