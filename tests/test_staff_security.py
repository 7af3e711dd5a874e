"""Staff sign-in security over HTTP: TOTP two-factor, lockout, throttling, account page, CLI.

Each test gets its own server (so the in-memory per-address limiter starts empty) and its own
staff member in its own shop, since these tests lock, re-key and re-password accounts; the
shared personas must stay untouched.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select, update

from botdesk import schema
from botdesk.actions.audit import Actor
from botdesk.actions.tenants import create_tenant
from botdesk.actions.two_factor import confirm_totp, pending_secret, start_totp_setup
from botdesk.actions.users import create_user
from botdesk.keys import DecryptionFailed, KeyRing
from botdesk.models import AuditEntry, Role, StaffSession, Tenant, User
from botdesk.runtime import Runtime, build_runtime
from botdesk.settings import Settings, generate_master_key
from tests.cli import run
from tests.conftest import PASSWORD, LiveServer, console_sign_in, make_settings

WRONG = "Wrong email or password. Repeated failures lock an account for a while."
WRONG_CODE = "That code is wrong or was already used."
TOTP_REQUIRED = "This shop requires two-factor sign-in. Set it up under Account."
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"  # for people to look at


@dataclass(frozen=True)
class Staff:
    id: uuid.UUID
    email: str
    tenant_id: uuid.UUID


@pytest.fixture
def staff(runtime: Runtime) -> Staff:
    """An agent of their own shop, created for this test (and deleted after it)."""
    with runtime.db.session() as session:
        tenant = create_tenant(
            session, runtime.keyring, Actor.operator(), slug="secure-shop", name="Secure Shop"
        )
        user = create_user(
            session,
            Actor.operator(),
            email="sam.agent@example.com",
            display_name="Sam Agent",
            password=PASSWORD,
            tenant=tenant,
            role=Role.AGENT,
        )
        return Staff(user.id, user.email, tenant.id)


@pytest.fixture
def live(runtime: Runtime) -> Iterator[LiveServer]:
    with LiveServer(runtime) as server:
        yield server


def client(server: LiveServer) -> httpx.Client:
    """A cookie-keeping client, like one staff member's browser."""
    return httpx.Client(base_url=server.url, timeout=10)


@pytest.fixture
def browser(live: LiveServer) -> Iterator[httpx.Client]:
    with client(live) as c:
        yield c


def sign_in(c: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return console_sign_in(c, email, password)


def code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def csrf(c: httpx.Client) -> str:
    page = c.get("/console/account")
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert match
    return match.group(1)


def enrol(c: httpx.Client) -> str:
    """Set up TOTP on the account page of a signed-in client; returns the secret."""
    token = csrf(c)
    assert c.post("/console/account/totp/setup", data={"csrf": token}).status_code == 303
    page = c.get("/console/account")
    match = re.search(r'<code class="secret" id="secret">([A-Z2-7 ]+)</code>', page.text)
    assert match, page.text
    secret = match.group(1).replace(" ", "")
    confirmed = c.post("/console/account/totp/confirm", data={"csrf": token, "code": code(secret)})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/console/account?done=totp-on"
    return secret


def audit(runtime: Runtime, action: str | None = None) -> list[AuditEntry]:
    with runtime.db.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))


def user_row(runtime: Runtime, staff: Staff) -> User:
    with runtime.db.session() as session:
        user = session.get(User, staff.id)
        assert user is not None
        session.expunge(user)
        return user


def set_user(runtime: Runtime, staff: Staff, **values: Any) -> None:
    """Test arrangement: move the clock for one account (expire a lock, forget a used step)."""
    with runtime.db.session() as session:
        session.execute(update(User).where(User.id == staff.id).values(**values))


def test_totp_enrolment_then_sign_in_takes_a_code_once(
    runtime: Runtime, live: LiveServer, browser: httpx.Client, staff: Staff
) -> None:
    assert sign_in(browser, staff.email).headers["location"] == "/console"
    page = browser.get("/console/account")
    assert "Set up two-factor sign-in" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert browser.post("/console/account/totp/setup", data={"csrf": "forged"}).status_code == 403
    token = csrf(browser)
    browser.post("/console/account/totp/setup", data={"csrf": token})
    page = browser.get("/console/account")
    assert "otpauth://totp/botdesk:sam.agent%40example.com?secret=" in page.text
    assert "<svg" in page.text and "QR code for your authenticator app" in page.text
    secret = re.findall(r"secret=([A-Z2-7]+)", page.text)[0]
    with runtime.db.session() as session:
        sealed = session.get(User, staff.id).totp_secret  # type: ignore[union-attr]
    assert sealed is not None and secret.encode() not in sealed
    wrong = browser.post("/console/account/totp/confirm", data={"csrf": token, "code": "000000"})
    assert wrong.status_code == 422 and "That code does not match." in wrong.text
    enabled_with = code(secret)
    ok = browser.post("/console/account/totp/confirm", data={"csrf": token, "code": enabled_with})
    assert ok.status_code == 303
    assert "Two-factor sign-in is on." in browser.get(ok.headers["location"]).text

    with client(live) as phone:
        step_one = sign_in(phone, staff.email)
        assert step_one.status_code == 303
        assert step_one.headers["location"] == "/console/login/code"
        assert "botdesk_console" not in phone.cookies
        pending = phone.cookies["botdesk_sign_in"]
        assert "Path=/console/login" in step_one.headers["set-cookie"]
        # The pending token is no session: not as a cookie, not anywhere.
        phone.cookies.set("botdesk_console", pending, path="/console")
        assert phone.get("/console").status_code == 303
        assert phone.get("/console/account").status_code == 303
        del phone.cookies["botdesk_console"]
        assert "authenticator app" in phone.get("/console/login/code").text
        # The code that switched TOTP on was spent: replaying it is refused.
        replay = phone.post("/console/login/code", data={"code": enabled_with})
        assert replay.status_code == 401 and WRONG_CODE in replay.text
        # Computed once: a 30-second step may end between two calls, and the next step's
        # code is another, unused one (this test failed that way, once in a while).
        spent = code(secret, 1)
        signed = phone.post("/console/login/code", data={"code": spent})
        assert signed.status_code == 303 and signed.headers["location"] == "/console"
        assert phone.get("/console").status_code == 200

        with client(live) as thief:  # who saw that code over a shoulder, and has the password
            sign_in(thief, staff.email)
            stolen = thief.post("/console/login/code", data={"code": spent})
            assert stolen.status_code == 401 and WRONG_CODE in stolen.text

        # Single use: the pending step cannot be spent again, even with an unused code.
        phone.cookies.set("botdesk_sign_in", pending, path="/console/login")
        set_user(runtime, staff, totp_last_step=None)
        again = phone.post("/console/login/code", data={"code": code(secret)})
        assert again.status_code == 401 and "took too long" in again.text

    (signed_in,) = [e for e in audit(runtime, "staff.signed_in") if e.details["second_factor"]]
    assert signed_in.target_id == str(staff.id)
    assert [e.details["reason"] for e in audit(runtime, "staff.sign_in_failed")] == [
        "code",
        "code",
    ]
    actions = {e.action for e in audit(runtime)}
    assert {"staff.totp_setup_started", "staff.totp_enabled"} <= actions
    for entry in audit(runtime):
        assert "@" not in str(entry.details) and secret not in str(entry.details)


def test_an_abandoned_code_step_expires(
    runtime: Runtime, browser: httpx.Client, staff: Staff
) -> None:
    sign_in(browser, staff.email)
    secret = enrol(browser)
    browser.cookies.clear()
    sign_in(browser, staff.email)
    with runtime.db.session() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.expires_at < dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    late = browser.post("/console/login/code", data={"code": code(secret, 1)})
    assert late.status_code == 401
    assert "The sign-in took too long. Enter your email and password again." in late.text
    assert 'action="/console/login"' in late.text and "botdesk_sign_in" not in browser.cookies


def test_five_wrong_passwords_lock_the_account_with_the_same_answer(
    runtime: Runtime, browser: httpx.Client, staff: Staff
) -> None:
    for _ in range(5):
        wrong = sign_in(browser, staff.email, "not the password")
        assert wrong.status_code == 401 and WRONG in wrong.text
    (locked,) = audit(runtime, "staff.locked")
    assert locked.details == {"failures": 5, "minutes": 15}
    until = user_row(runtime, staff).locked_until
    assert until is not None
    assert abs(until - dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15)) < dt.timedelta(minutes=1)
    # Locked: the right password gets exactly what a wrong one or an unknown email gets.
    right = sign_in(browser, staff.email)
    wrong = sign_in(browser, staff.email, "not the password")
    unknown = sign_in(browser, "nobody.here@example.com")
    assert right.status_code == wrong.status_code == unknown.status_code == 401
    assert right.text == wrong.text
    assert right.text.replace(staff.email, "") == unknown.text.replace(
        "nobody.here@example.com", ""
    )
    assert "botdesk_console" not in browser.cookies
    assert user_row(runtime, staff).failed_logins == 5  # attempts while locked are not counted

    set_user(runtime, staff, locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    for _ in range(5):
        sign_in(browser, staff.email, "still not it")
    assert [e.details["minutes"] for e in audit(runtime, "staff.locked")] == [15, 30]

    set_user(runtime, staff, locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert sign_in(browser, staff.email).headers["location"] == "/console"
    after = user_row(runtime, staff)
    assert (after.failed_logins, after.locked_until) == (0, None)
    reasons = [e.details["reason"] for e in audit(runtime, "staff.sign_in_failed")]
    assert reasons == ["password"] * 5 + ["locked", "locked", "unknown"] + ["password"] * 5
    assert all("@" not in str(e.details) for e in audit(runtime))


def test_wrong_codes_lock_the_account_too(
    runtime: Runtime, live: LiveServer, browser: httpx.Client, staff: Staff
) -> None:
    sign_in(browser, staff.email)
    secret = enrol(browser)
    with client(live) as other:
        assert sign_in(other, staff.email).headers["location"] == "/console/login/code"
        for _ in range(4):
            assert other.post("/console/login/code", data={"code": "123456"}).status_code == 401
        locked = other.post("/console/login/code", data={"code": "654321"})
        assert locked.status_code == 429
        assert "Too many attempts. Try again in 15 minutes." in locked.text
        assert int(locked.headers["retry-after"]) > 14 * 60
        # The pending step is gone, and the password no longer opens one.
        gone = other.post("/console/login/code", data={"code": code(secret, 1)})
        assert gone.headers["location"] == "/console/login"
        refused = sign_in(other, staff.email)
        assert refused.status_code == 401 and WRONG in refused.text
    assert [e.details["failures"] for e in audit(runtime, "staff.locked")] == [5]


def test_one_address_failing_too_often_is_throttled(
    runtime: Runtime, staff: Staff, tmp_path: Path
) -> None:
    assert runtime.settings.master_key is not None
    strict = build_runtime(
        make_settings(
            runtime.settings.database_url,
            tmp_path,
            master_key=runtime.settings.master_key.get_secret_value(),
            rate_limit_sign_in_failures_per_address="3/15minutes",
        )
    )
    try:
        with LiveServer(strict) as server, client(server) as c:
            for n in range(3):  # a different account each time: no account lock is reached
                assert sign_in(c, f"guess{n}@example.com").status_code == 401
            throttled = sign_in(c, staff.email)  # even the right password is not checked now
            assert throttled.status_code == 429
            assert "Too many attempts. Try again in 15 minutes." in throttled.text
            assert 14 * 60 < int(throttled.headers["retry-after"]) <= 15 * 60
            assert "botdesk_console" not in c.cookies
    finally:
        strict.close()
    assert user_row(runtime, staff).failed_logins == 0
    assert audit(runtime, "staff.signed_in") == []


def test_a_shop_requiring_two_factor_refuses_staff_without_it(
    runtime: Runtime, browser: httpx.Client, staff: Staff
) -> None:
    with runtime.db.session() as session:  # the admin's settings page does this
        session.execute(
            update(Tenant).where(Tenant.id == staff.tenant_id).values(require_totp=True)
        )
    assert sign_in(browser, staff.email).headers["location"] == "/console"
    home = browser.get("/console")
    assert home.status_code == 403
    assert TOTP_REQUIRED in home.text and 'href="/console/account"' in home.text
    api = browser.get("/console/api/state")
    assert api.status_code == 403 and api.json()["error"]["message"] == TOTP_REQUIRED
    account = browser.get("/console/account")
    assert account.status_code == 200
    assert "Secure Shop requires two-factor sign-in. Set it up to keep working there." in (
        account.text
    )

    secret = enrol(browser)
    assert browser.get("/console").status_code == 200
    # Turning it off would lock them out of the shop, so it is refused.
    off = browser.post(
        "/console/account/totp/disable",
        data={"csrf": csrf(browser), "code": code(secret, 1), "password": PASSWORD},
    )
    assert off.status_code == 409 and "Secure Shop requires two-factor sign-in" in off.text
    assert user_row(runtime, staff).totp_enabled_at is not None


def test_turning_two_factor_off_needs_a_code_and_the_password(
    runtime: Runtime, live: LiveServer, browser: httpx.Client, staff: Staff
) -> None:
    sign_in(browser, staff.email)
    secret = enrol(browser)
    token = csrf(browser)
    for password, totp in [("not the password", code(secret, 1)), (PASSWORD, "000000")]:
        refused = browser.post(
            "/console/account/totp/disable",
            data={"csrf": token, "code": totp, "password": password},
        )
        assert refused.status_code == 403 and "Wrong password or code." in refused.text
        set_user(runtime, staff, totp_last_step=None)
    assert user_row(runtime, staff).failed_logins == 2
    off = browser.post(
        "/console/account/totp/disable",
        data={"csrf": token, "code": code(secret, 1), "password": PASSWORD},
    )
    assert off.headers["location"] == "/console/account?done=totp-off"
    with client(live) as c:
        assert sign_in(c, staff.email).headers["location"] == "/console"
    assert [e.details["purpose"] for e in audit(runtime, "staff.reauthentication_failed")] == [
        "totp_disable",
        "totp_disable",
    ]
    assert len(audit(runtime, "staff.totp_disabled")) == 1
    after = user_row(runtime, staff)
    assert (after.totp_secret, after.totp_enabled_at) == (None, None)


def test_changing_the_password_checks_the_old_one_and_ends_other_sessions(
    runtime: Runtime, live: LiveServer, browser: httpx.Client, staff: Staff
) -> None:
    new = "a brand new passphrase"
    sign_in(browser, staff.email)
    token = csrf(browser)
    with client(live) as laptop:
        sign_in(laptop, staff.email)
        assert laptop.get("/console").status_code == 200

        def change(current: str, password: str, repeat: str | None = None) -> httpx.Response:
            return browser.post(
                "/console/account/password",
                data={
                    "csrf": token,
                    "current": current,
                    "new": password,
                    "repeat": repeat or password,
                },
            )

        assert change(PASSWORD, new, "another passphrase").status_code == 422
        short = change(PASSWORD, "too short")
        assert short.status_code == 422 and "at least 12 characters" in short.text
        wrong = change("not the password", new)
        assert wrong.status_code == 403 and "Wrong current password." in wrong.text
        nocsrf = browser.post(
            "/console/account/password", data={"current": PASSWORD, "new": new, "repeat": new}
        )
        assert nocsrf.status_code == 403
        done = change(PASSWORD, new)
        assert done.headers["location"] == "/console/account?done=password"
        assert browser.get("/console").status_code == 200  # this session continues
        assert laptop.get("/console").status_code == 303  # the other one ended
    with client(live) as c:
        assert sign_in(c, staff.email).status_code == 401
        assert sign_in(c, staff.email, new).headers["location"] == "/console"
    (changed,) = audit(runtime, "staff.password_changed")
    assert changed.details == {"other_sessions_ended": 1}
    assert [e.details["purpose"] for e in audit(runtime, "staff.reauthentication_failed")] == [
        "password_change"
    ]


def _enrol_directly(runtime: Runtime, email: str) -> str:
    """Test arrangement for CLI tests: TOTP switched on through the actions the page uses."""
    with runtime.db.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        start_totp_setup(session, runtime.keyring, user)
        secret = pending_secret(runtime.keyring, user)
        assert secret is not None
        assert confirm_totp(session, runtime.keyring, user, code(secret)) is None
    return secret


def _two_step_sign_in(runtime: Runtime, email: str, totp: str) -> int:
    with LiveServer(runtime) as server, client(server) as c:
        assert sign_in(c, email).headers["location"] == "/console/login/code"
        return c.post("/console/login/code", data={"code": totp}).status_code


def _cli_runtime(cli_env: dict[str, str], key: str | None = None) -> Runtime:
    """The CLI's database, opened in this process with `key` (default: the CLI's own)."""
    url, key = cli_env["BOTDESK_DATABASE_URL"], key or cli_env["BOTDESK_MASTER_KEY"]
    return build_runtime(Settings(database_url=url, master_key=key))


def _two_factor_user(cli_env: dict[str, str], email: str) -> str:
    """Test arrangement, in-process: the CLI's database with a shop and an agent with TOTP on."""
    runtime = _cli_runtime(cli_env)
    try:
        schema.upgrade(runtime.db.engine)
        with runtime.db.session() as session:
            shop = create_tenant(session, runtime.keyring, Actor.operator(), slug="s", name="S")
            create_user(
                session,
                Actor.operator(),
                email=email,
                display_name="Agent",
                password=PASSWORD,
                tenant=shop,
                role=Role.AGENT,
            )
        return _enrol_directly(runtime, email)
    finally:
        runtime.close()


def test_key_rotation_reseals_two_factor_secrets(cli_env: dict[str, str], tmp_path: Path) -> None:
    email = "rotating.agent@example.com"
    secret = _two_factor_user(cli_env, email)
    old_key, new_key = cli_env["BOTDESK_MASTER_KEY"], generate_master_key()
    (tmp_path / "old.key").write_text(old_key)

    env = {**cli_env, "BOTDESK_MASTER_KEY": new_key}
    rotated = run(env, "key", "rotate", "--old-key-file", str(tmp_path / "old.key"))
    assert rotated.returncode == 0, rotated.stderr
    assert "re-wrapped 1 tenant key(s) and re-sealed 1 two-factor secret(s)" in rotated.stdout
    again = run(env, "key", "rotate", "--old-key-file", str(tmp_path / "old.key"))
    assert "re-sealed 0 two-factor secret(s)" in again.stdout

    after = _cli_runtime(cli_env, new_key)
    try:
        assert _two_step_sign_in(after, email, code(secret, 1)) == 303
        with after.db.session() as session:
            actions = session.scalars(select(AuditEntry.action)).all()
            sealed = session.scalar(select(User.totp_secret).where(User.email == email))
            user_id = session.scalar(select(User.id).where(User.email == email))
        assert actions.count("staff.totp_resealed") == 1
        assert sealed is not None and user_id is not None
        with pytest.raises(DecryptionFailed):  # the retired key opens nothing any more
            KeyRing(base64.urlsafe_b64decode(old_key)).open_totp_secret(user_id, sealed)
    finally:
        after.close()


def test_operator_resets_a_lost_second_factor(cli_env: dict[str, str]) -> None:
    email = "lost.phone@example.com"
    secret = _two_factor_user(cli_env, email)
    runtime = _cli_runtime(cli_env)
    try:
        with LiveServer(runtime) as server, client(server) as old_phone, client(server) as c:
            sign_in(old_phone, email)
            assert old_phone.post("/console/login/code", data={"code": code(secret, 1)}).is_redirect
            assert old_phone.get("/console/account").status_code == 200
            with runtime.db.session() as session:  # and they locked themselves out guessing
                session.execute(
                    update(User)
                    .where(User.email == email)
                    .values(failed_logins=5, locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(1))
                )
            missing = run(cli_env, "user", "reset-2fa", "nobody@example.com")
            assert missing.returncode == 1 and "no staff account has that email" in missing.stderr
            reset = run(cli_env, "user", "reset-2fa", email.upper(), "--json")
            assert reset.returncode == 0, reset.stderr
            assert json.loads(reset.stdout)["sessions_ended"] == 1
            assert old_phone.get("/console/account").status_code == 303  # signed out
            assert sign_in(c, email).headers["location"] == "/console"  # no code asked
        with runtime.db.session() as session:
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None
            assert (user.totp_secret, user.totp_enabled_at, user.failed_logins) == (None, None, 0)
            (entry,) = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "staff.totp_reset")
            ).all()
            assert (entry.actor_kind.value, entry.target_id) == ("operator", str(user.id))
            assert entry.details == {"had_totp": True, "sessions_ended": 1}
    finally:
        runtime.close()


@pytest.mark.browser
def test_enrolling_and_signing_in_with_a_code_in_chromium(
    chromium: Any, live: LiveServer, staff: Staff
) -> None:
    SHOTS.mkdir(exist_ok=True)
    context = chromium.new_context(base_url=live.url, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto("/console/login")
        page.get_by_label("Email").fill(staff.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Account").click()
        page.get_by_role("button", name="Set up two-factor sign-in").click()
        qr = page.locator(".qr svg")
        qr.wait_for()
        assert qr.bounding_box()["width"] >= 150
        secret = page.locator("#secret").inner_text().replace(" ", "")
        page.screenshot(path=str(SHOTS / "account-totp.png"), full_page=True)
        page.get_by_label("Enter the code the app shows now").fill(code(secret))
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        page.get_by_text("Two-factor sign-in is on.").wait_for()
        page.get_by_role("button", name="Sign out").click()

        page.get_by_label("Email").fill(staff.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Code").wait_for()
        assert page.url.endswith("/console/login/code")
        page.screenshot(path=str(SHOTS / "login-code.png"), full_page=True)
        page.get_by_label("Code").fill(code(secret, 1))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Secure Shop").first.wait_for()
        assert page.url.endswith("/console")
    finally:
        context.close()
    assert errors == []
