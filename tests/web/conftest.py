"""Fixtures for the dashboard: an app on a fresh database, a client, a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database
from tandem.connector.web.dashboard import dashboard_routes
from tests.web.support import PASSWORD, csrf_of, dashboard_config


@pytest.fixture
def cfg() -> TandemConfig:
    return dashboard_config()


@pytest.fixture
def client(cfg: TandemConfig, db: Database) -> Iterator[TestClient]:
    app = Starlette(routes=dashboard_routes(cfg, db))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def log_in(client: TestClient, name: str = "alice", password: str = PASSWORD) -> TestClient:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"csrf": token, "username": name, "password": password, "next": "/"}
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def alice(client: TestClient) -> TestClient:
    return log_in(client)
