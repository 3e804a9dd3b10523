"""Email into a pickup folder (`smtp.pickup_directory`): one `.eml` file per message, named
after its Message-ID, so a resend of a revision replaces its file and `lookup` finds it."""

from __future__ import annotations

import asyncio
import email
import email.policy
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tandem.adapters.suppliers.email.pickup import PickupChannel
from tandem.connector.cli.app import app
from tests.suppliers.email.support import back_to_back, change_of, channel


def pickup(folder: Path) -> PickupChannel:
    return PickupChannel(channel(1), folder)


def test_each_revision_is_one_file_named_after_its_message_id(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    order, change = back_to_back(), change_of(back_to_back())
    first = asyncio.run(pickup(folder).send(order))
    asyncio.run(pickup(folder).send(change))
    again = asyncio.run(pickup(folder).send(order))  # a resend replaces, never adds

    assert sorted(p.name for p in folder.iterdir()) == [
        "PO-00012.rev1.order.eml",
        "PO-00012.rev2.change.eml",
    ]
    assert first.reference == again.reference == "<PO-00012.rev1.order@shop.example>"
    found = asyncio.run(pickup(folder).lookup(order))
    assert found is not None and found.details["file"] == str(folder / "PO-00012.rev1.order.eml")


def test_a_po_number_with_a_slash_stays_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    document = back_to_back(number="PO/2026/00012")

    result = asyncio.run(pickup(folder).send(document))

    [written] = folder.iterdir()
    assert written.name == "PO_2026_00012.rev1.order.eml"
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["Message-ID"] == result.reference == "<PO/2026/00012.rev1.order@shop.example>"
    assert asyncio.run(pickup(folder).lookup(document)) is not None
    assert asyncio.run(pickup(folder).lookup(back_to_back(number="PO/2026/00013"))) is None


def test_two_supplier_tests_leave_two_messages(tmp_path: Path) -> None:
    config = tmp_path / "tandem.yaml"
    setup = {
        "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
        "smtp": {"host": "127.0.0.1", "from": "po@shop.example", "pickup_directory": "mail"},
        "suppliers": [
            {"id": "acme", "name": "Acme", "transport": {"type": "email", "to": "o@acme.example"}}
        ],
    }
    config.write_text(yaml.safe_dump(setup))
    for _ in range(2):  # within the same second, as a person checking twice does
        result = CliRunner().invoke(app, ["supplier", "test", "acme", "--config", str(config)])
        assert result.exit_code == 0, result.output

    written = sorted((tmp_path / "mail").iterdir())
    assert len(written) == 2
    assert all(".rev1.test." in p.name for p in written)
