"""Acceptance: a drop-ship order goes from paid to fulfilled-with-tracking in the Shopify
stand-in by an email reply alone. `tandem sync` sends Bloom the PO over real SMTP (aiosmtpd);
Bloom answers it, with a UPS number, into a real IMAP mailbox (dovecot); the next `tandem
sync` reads the reply and the customer's order gets the fulfillment — no CLI command for the
PO, no dashboard action."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.integration.shopify_support import config_data, po_number, tandem, write_config
from tests.standin import ShopifyStandin
from tests.suppliers.email.support import Recorder, smtp_server
from tests.support.imap import USER, ImapServer

TRACKING = "1Z999AA10123456784"


def answer(po_email: EmailMessage, body: str) -> bytes:
    """What Bloom's mail client sends when Bloom clicks "reply": In-Reply-To, References, the
    PO quoted below."""
    message = EmailMessage()
    message["From"] = "Bloom Orders <orders@bloom.example>"
    message["To"] = str(po_email["From"])
    message["Subject"] = f"Re: {po_email['Subject']}"
    message["Message-ID"] = "<answer-1@bloom.example>"
    message["In-Reply-To"] = str(po_email["Message-ID"])
    message["References"] = str(po_email["Message-ID"])
    original = po_email.get_body(preferencelist=("plain",))
    quoted = (
        "\n".join(f"> {line}" for line in str(original.get_content()).splitlines())
        if original
        else ""
    )
    message.set_content(f"{body}\n\nOn Friday, Purchasing wrote:\n{quoted}\n")
    return message.as_bytes()


def test_an_email_reply_with_tracking_fulfills_the_customers_order(
    shop: ShopifyStandin,
    imap_server: ImapServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", shop.token)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TANDEM_IMAP_PASSWORD", imap_server.accounts[USER])
    outgoing = Recorder()
    with smtp_server(outgoing) as port:
        data = config_data(shop, tmp_path)
        data["smtp"] = {"host": "127.0.0.1", "port": port, "from": f"Purchasing <{USER}>"}
        data["inbox"] = {
            "host": imap_server.host,
            "port": imap_server.port,
            "username": USER,
            "password": "${TANDEM_IMAP_PASSWORD}",
            "tls": "none",
        }
        bloom = next(s for s in data["suppliers"] if s["id"] == "bloom")
        bloom["transport"] = {"type": "email", "to": "orders@bloom.example"}
        config = str(write_config(tmp_path / "tandem.yaml", data))

        order = shop.add_order([("ROSE", 2)], tags=["dropship"])
        out = tandem("sync", "--config", config)
        number = po_number(Path(config), "bloom")
        assert f"sent to suppliers: {number} rev 1" in out
        [po_email] = outgoing.messages()
        assert shop.fulfillments(order) == []

        imap_server.append(
            answer(po_email, f"Thanks, sent today by UPS, tracking {TRACKING}.\nBloom"),
            folder="INBOX",
        )
        out = tandem("sync", "--config", config)

    assert f"supplier reply: {number} shipped by Bloom via email: 2 × ROSE" in out
    assert "store write-backs: " in out
    [fulfillment] = shop.fulfillments(order)
    assert [x["number"] for x in fulfillment["tracking"]] == [TRACKING]
    assert sum(line["quantity"] for line in fulfillment["lines"]) == 2
    shown = tandem("po", "show", number, "--config", config)
    assert "by Bloom via email" in shown
    assert imap_server.messages("INBOX") == []
