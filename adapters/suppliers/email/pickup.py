"""Email to a folder: each message written as an `.eml` file instead of sent over SMTP.

For trying Tandem out (the bundled example), for a mail system that collects files from a
pickup directory, and for checking templates. The file name is the Message-ID's unique part
made safe for a file name (`PO-00012.rev2.change.eml`), so a resend of a revision overwrites
its file, two test messages are two files, and `lookup` can tell whether a message went out.
"""

from __future__ import annotations

import os
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

from tandem.adapters.suppliers.email import message
from tandem.adapters.suppliers.email.channel import EmailChannel
from tandem.connector import transmission
from tandem.connector.channels import PurchaseOrderDocument, SendResult, TransientError


class PickupChannel:
    marks_transmission = True  # right before the file is written

    def __init__(self, channel: EmailChannel, directory: Path) -> None:
        self.channel = channel
        self.directory = directory

    def path(self, document: PurchaseOrderDocument) -> Path:
        domain = message.domain_of(self.channel.smtp.from_)
        return self.directory / message.message_file_name(
            message.message_id(document, domain), "eml"
        )

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        email = self.channel.compose(document)
        raw = email.as_bytes(policy=SMTP_POLICY)
        target = self.path(document)
        await transmission.transmitting()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".eml.part")
            partial.write_bytes(raw)
            os.replace(partial, target)
        except OSError as exc:
            raise TransientError(f"cannot write {target}: {exc.strerror or exc}") from None
        return SendResult(
            str(email["Message-ID"]),
            raw.decode("ascii", errors="replace"),
            {"file": str(target), "to": list(self.channel.transport.to)},
        )

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        target = self.path(document)
        if not target.exists():
            return None
        return SendResult(None, "", {"file": str(target)})
