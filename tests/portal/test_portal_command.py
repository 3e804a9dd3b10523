"""`tandem portal link|revoke`: print a PO's link again, or take every link to it back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tandem.connector.cli import app
from tandem.connector.clock import utcnow
from tandem.connector.configuration import load_config
from tandem.connector.portal.tokens import Denied, open_po_token
from tandem.connector.store import open_database
from tests.portal.support import PORTAL, bloom_po


def tandem(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_revoked_po_link_stops_working_and_a_new_one_is_printed(tmp_path: Path) -> None:
    path = tmp_path / "tandem.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
                "warehouse": {"name": "Main warehouse", "address": {"city": "Bristol"}},
                "portal": PORTAL,
                "suppliers": [
                    {
                        "id": "bloom",
                        "name": "Bloom",
                        "mode": "drop_ship",
                        "release": {"immediate": True},
                    }
                ],
            }
        )
    )
    cfg = load_config(path)
    db = open_database(cfg.database_url)
    try:
        po_id, number = bloom_po(db, cfg)
        old = tandem("portal", "link", number, "--config", str(path)).strip()
        assert old.startswith("https://tandem.example.com/portal/po/")
        said = tandem("portal", "revoke", number, "--config", str(path))
        assert f"portal links to {number} made until now are revoked" in said
        new = said.split("new link: ", 1)[1].strip()
        with db.read() as conn:
            assert open_po_token(conn, cfg, new.rsplit("/", 1)[1], utcnow()).po_id == po_id
            with pytest.raises(Denied, match="revoked"):
                open_po_token(conn, cfg, old.rsplit("/", 1)[1], utcnow())
        bulk = tandem("portal", "link", "--supplier", "bloom", "--config", str(path))
        assert "/portal/supplier/" in bulk
    finally:
        db.dispose()
