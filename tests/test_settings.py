"""Settings: validation, secrets, and documentation of every variable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from botdesk.settings import ConfigError, Settings, generate_master_key, load_settings

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    for name in Settings.model_fields:
        assert f"`BOTDESK_{name.upper()}`" in text, f"document BOTDESK_{name.upper()}"


def test_the_embedded_default_generates_a_private_key_file_once(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/x.db", data_dir=tmp_path / "var")
    key = settings.resolve_master_key()
    path = tmp_path / "var" / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 32
    assert settings.resolve_master_key() == key


def test_postgres_needs_an_explicit_master_key() -> None:
    settings = Settings(database_url="postgresql://db.internal/botdesk")
    assert settings.database_url.startswith("postgresql+psycopg://")
    with pytest.raises(ConfigError, match="BOTDESK_MASTER_KEY"):
        settings.resolve_master_key()


@pytest.mark.parametrize(
    "value", ["changeme", "CHANGEME", "placeholder", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]
)
def test_placeholder_keys_are_refused_outside_development(value: str) -> None:
    with pytest.raises(ConfigError, match=r"placeholder|all zeros"):
        Settings(master_key=value).resolve_master_key()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "problem"),
    [("not base64!!", r"base64|32 bytes"), ("c2hvcnQ=", "32 bytes")],
)
def test_malformed_keys_are_refused_clearly(value: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        Settings(master_key=value).resolve_master_key()  # type: ignore[arg-type]


def test_key_file_setting(tmp_path: Path) -> None:
    key = generate_master_key()
    (tmp_path / "k").write_text(key + "\n")
    assert len(Settings(master_key_file=tmp_path / "k").resolve_master_key()) == 32
    with pytest.raises(ConfigError, match="cannot read"):
        Settings(master_key_file=tmp_path / "missing").resolve_master_key()


def test_environment_errors_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTDESK_DATABASE_URL", "mysql://nope")
    with pytest.raises(ConfigError, match="BOTDESK_DATABASE_URL"):
        load_settings()
    monkeypatch.setenv("BOTDESK_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("BOTDESK_MAX_MESSAGE_CHARS", "0")
    with pytest.raises(ConfigError, match="BOTDESK_MAX_MESSAGE_CHARS"):
        load_settings()


def test_placeholder_smtp_password_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOTDESK_SMTP_PASSWORD", "changeme")
    with pytest.raises(ConfigError, match="placeholder"):
        load_settings()
    monkeypatch.setenv("BOTDESK_ENVIRONMENT", "development")
    assert load_settings().smtp_secret == "changeme"
