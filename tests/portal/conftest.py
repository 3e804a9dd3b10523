"""A portal-enabled Tandem with one drop-ship PO to Bloom, and a client for its pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tandem.connector.configuration import TandemConfig
from tandem.connector.portal import portal_link
from tandem.connector.portal.routes import portal_routes
from tandem.connector.store import Database
from tests.portal.support import bloom_po, portal_config


@pytest.fixture
def cfg() -> TandemConfig:
    return portal_config()


@pytest.fixture
def po(db: Database, cfg: TandemConfig) -> tuple[int, str]:
    return bloom_po(db, cfg)


@pytest.fixture
def link(cfg: TandemConfig, po: tuple[int, str]) -> str:
    """The PO page's path, as the email's link gives it."""
    url = portal_link(cfg, po[0], "bloom")
    assert url is not None
    return url.removeprefix("https://tandem.example.com")


@pytest.fixture
def client(cfg: TandemConfig, db: Database) -> Iterator[TestClient]:
    app = Starlette(routes=portal_routes(cfg, db))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
