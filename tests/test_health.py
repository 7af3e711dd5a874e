"""Health probes, the OpenAPI document and the offline API docs page."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from botdesk import schema
from botdesk.actions.audit import Actor
from botdesk.actions.tenants import create_tenant
from botdesk.keys import KeyRing
from botdesk.runtime import Runtime, build_runtime
from tests.conftest import LiveServer, Personas, make_settings


def test_healthz_and_readyz(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["schema"] == "ok"


def test_readyz_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    runtime = build_runtime(make_settings(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path))
    with LiveServer(runtime) as live, httpx.Client(base_url=live.url) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["schema"] == "not migrated"
        schema.upgrade(runtime.db.engine)
        assert client.get("/readyz").status_code == 200
    runtime.close()


def test_readyz_reports_a_master_key_that_does_not_match(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    assert api.get("/readyz").json()["checks"]["master_key"] == "ok"
    with runtime.db.session() as session:
        create_tenant(
            session,
            KeyRing(os.urandom(32)),
            Actor.operator(),
            slug="elsewhere",
            name="Wrapped elsewhere",
        )
    response = api.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["master_key"] == "does not match 1 tenant key(s)"


def test_openapi_document_describes_the_visitor_api(api: httpx.Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "botdesk API"
    paths = document["paths"]
    assert set(paths) >= {
        "/api/v1/tenants/{slug}/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/messages",
    }
    assert "ErrorOut" in document["components"]["schemas"]
    # The console's JSON API is described too (its staff session declared); its pages are not.
    assert not any(p.startswith("/console") and not p.startswith("/console/api/") for p in paths)


@pytest.mark.parametrize("page", ["/api/v1/docs", "/", "/console/login"])
def test_pages_load_nothing_from_other_hosts(api: httpx.Client, page: str) -> None:
    response = api.get(page)
    assert response.status_code == 200
    assets = re.findall(r"""<(?:script|link|img)[^>]*?(?:src|href)=["']([^"']+)""", response.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        assert api.get(asset).status_code == 200, asset
    assert "validator.swagger.io" not in response.text
