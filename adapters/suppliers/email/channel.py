"""The email channel: a PO document sent to a supplier over SMTP (aiosmtplib).

The connection is upgraded with STARTTLS whenever the server offers it (unless
`smtp.starttls` is false), and a password is never sent over a connection that is not
encrypted unless `smtp.allow_plaintext_auth` says so.

What a failure means for the next attempt follows the SMTP reply code: 4xx, a refused or
dropped connection and timeouts are `TransientError` (try again later); 5xx (recipient
unknown, bad credentials 535, message rejected), a TLS certificate that is not trusted and a
server without STARTTLS or AUTH are `PermanentError` (a person must act). Messages carry the
server's own words and never the SMTP password.

The transmitting mark (`connector.transmission`) is set once the message is composed (PDF and
CSV rendered), the connection is up and the login accepted, right before `MAIL FROM`.

SMTP itself cannot tell whether an earlier attempt arrived. With `transport.sent_lookup`,
`lookup` looks the Message-ID up over IMAP in the sending account's Sent folder or in the
mailbox of `transport.bcc_archive` (`sent_folder`): found means sent (the timeline says where
it was found); not found means "send again" only where the copy is filed as the server
accepts the message (`SentLookup.not_found`), else the channel cannot tell; a lookup that
cannot be made for now is a `TransientError` (the item stays in doubt and is asked again,
then held), one that cannot be made at all (login refused, no such folder) cannot tell.
Without `sent_lookup`, `lookup` raises `LookupUnsupported`; a resend is safe to the extent
that it carries the same Message-ID.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from typing import NoReturn

import aiosmtplib

from tandem.adapters.suppliers import csvfile
from tandem.adapters.suppliers.email import message, render
from tandem.adapters.suppliers.email.errors import EmailSetupError
from tandem.adapters.suppliers.email.sent_folder import SentFolder
from tandem.connector import transmission
from tandem.connector.channels import (
    ChannelError,
    LookupUnsupported,
    PermanentError,
    PurchaseOrderDocument,
    SendResult,
    TransientError,
)
from tandem.connector.configuration.model import SmtpConfig, SupplierConfig
from tandem.connector.configuration.transports import EmailTransport


class EmailChannel:
    """Sends PO documents to one supplier by email.

    `tls_context` replaces the system's default trust (e.g. a private CA or, in tests, a
    self-signed certificate) for SMTP and IMAP; without it the server's certificate is
    checked as usual.
    """

    marks_transmission = True  # connected and logged in, right before MAIL FROM

    def __init__(
        self,
        smtp: SmtpConfig,
        transport: EmailTransport,
        supplier: SupplierConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.smtp = smtp
        self.transport = transport
        self.supplier = supplier
        self._tls_context = tls_context
        where = f"supplier {supplier.id}: transport"
        try:
            self._columns = csvfile.check_columns(transport.csv_columns, f"{where}.csv_columns")
        except PermanentError as exc:
            raise EmailSetupError(str(exc)) from None
        try:
            self._renderer = render.Renderer(transport.templates)
        except EmailSetupError as exc:
            raise EmailSetupError(f"{where}.templates: {exc}") from None
        for key, value in (("smtp.from", smtp.from_), (f"{where}.reply_to", transport.reply_to)):
            if value is not None and ("@" not in value or "\r" in value or "\n" in value):
                raise EmailSetupError(f"{key}: {value!r} is not an email address")
        self._server = f"SMTP server {smtp.host}:{smtp.port}"
        lookup = transport.sent_lookup
        self._sent = None if lookup is None else SentFolder(lookup, tls_context=tls_context)

    def compose(self, document: PurchaseOrderDocument) -> EmailMessage:
        """The message `send` would deliver (for previews and tests)."""
        try:
            return message.compose(
                document,
                from_header=self.smtp.from_,
                transport=self.transport,
                supplier=self.supplier,
                renderer=self._renderer,
                csv_columns=self._columns,
            )
        except ValueError as exc:  # the email package refuses a header (a line break in it)
            raise EmailSetupError(f"cannot build the email for {document.number}: {exc}") from None

    async def send(self, document: PurchaseOrderDocument) -> SendResult:
        email = self.compose(document)
        raw = email.as_bytes(policy=SMTP_POLICY)
        recipients = [message.sender_address(a) for a in (*self.transport.to, *self.transport.cc)]
        if self.transport.bcc_archive:  # the envelope only: no Bcc header for the supplier
            recipients.append(self.transport.bcc_archive)
        message_id = str(email["Message-ID"])
        refused, reply = await self._deliver(raw, recipients)
        to = [message.sender_address(a) for a in self.transport.to]
        if all(address in refused for address in to):  # only Cc got it: the supplier did not
            self._raise_refused(refused)
        details: dict[str, object] = {
            "to": list(self.transport.to),
            "cc": list(self.transport.cc),
            "message_id": message_id,
            "server_reply": reply,
            "attachments": [p.get_filename() for p in email.iter_attachments()],
        }
        if refused:
            details["refused"] = refused
        lookup = self.transport.sent_lookup
        if lookup is not None and lookup.append_to_sent:
            details["sent_copy"] = await self._file_copy(raw)
        return SendResult(
            reference=message_id, sent=raw.decode("utf-8", "replace"), details=details
        )

    async def lookup(self, document: PurchaseOrderDocument) -> SendResult | None:
        what = f"{document.number} revision {document.revision}"
        if self._sent is None:
            raise LookupUnsupported(
                f"email to supplier {self.supplier.id}: SMTP cannot tell whether {what}"
                " arrived (transport.sent_lookup would look for it in the Sent folder)"
            )
        identifier = message.message_id(document, message.domain_of(self.smtp.from_))
        try:
            raw = await self._sent.find(identifier, document.idempotency_key)
        except PermanentError as exc:  # login refused, no such folder, another item's copy
            raise LookupUnsupported(f"cannot look {what} up: {exc}") from None
        if raw is None:
            if self.transport.absence_means_unsent():
                return None
            raise LookupUnsupported(
                f"{identifier} is not in {self._sent.where}, but copies are filed there"
                " after the SMTP server accepted a message (append_to_sent, bcc_archive), so"
                f" its absence does not prove that {what} was not sent"
            )
        return SendResult(
            reference=identifier,
            sent=raw.decode("utf-8", "replace"),
            details={"message_id": identifier, "found_in": self._sent.where},
        )

    async def _file_copy(self, raw: bytes) -> str:
        """Tandem's copy in the Sent folder: the message went out whatever happens here, so a
        failure is noted on the timeline, never an error."""
        assert self._sent is not None
        try:
            await self._sent.append(raw)
        except ChannelError as exc:
            return f"not filed: {exc}"
        return f"filed in {self._sent.where}"

    async def _deliver(self, raw: bytes, recipients: list[str]) -> tuple[dict[str, str], str]:
        """Refused recipients (address -> reply) and the server's reply to the message."""
        smtp = self.smtp
        # Logging in is left to us (no username here), so the connection is checked first.
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            use_tls=smtp.ssl,
            start_tls=smtp.starttls,  # None: upgrade whenever the server offers STARTTLS
            timeout=smtp.timeout_seconds,
            tls_context=self._tls_context,
        )
        try:
            async with client:
                if smtp.username is not None:
                    self._refuse_cleartext_login(client)
                    password = smtp.password.get_secret_value() if smtp.password else ""
                    await client.login(smtp.username, password)
                await transmission.transmitting()
                errors, reply = await client.sendmail(
                    message.sender_address(smtp.from_), recipients, raw
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            self._raise_refused({r.recipient: f"{r.code} {r.message}" for r in exc.recipients})
        except aiosmtplib.SMTPResponseException as exc:
            self._raise_reply(exc.code, exc.message)
        except aiosmtplib.SMTPNotSupported as exc:
            raise self._error(PermanentError, exc.message) from None
        except aiosmtplib.SMTPTimeoutError as exc:
            raise self._error(
                TransientError, f"no answer within {smtp.timeout_seconds:g} s ({exc.message})"
            ) from None
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as exc:
            if type(exc) is aiosmtplib.SMTPException:  # no STARTTLS or AUTH: the settings
                raise self._error(PermanentError, _with_hint(exc.message)) from None
            self._raise_connection(exc)
        except ValueError as exc:  # after SSLError, which is one too: a bad envelope address
            raise self._error(
                PermanentError, f"cannot send to or from that address: {exc}"
            ) from None
        return {address: f"{r.code} {r.message}" for address, r in errors.items()}, reply

    def _refuse_cleartext_login(self, client: aiosmtplib.SMTP) -> None:
        if client.get_transport_info("sslcontext") is None and not self.smtp.allow_plaintext_auth:
            raise self._error(
                PermanentError,
                f"refusing to send the password of {self.smtp.username!r} over an unencrypted"
                " connection (the server offers no STARTTLS); set smtp.ssl or use a port with"
                " STARTTLS, or smtp.allow_plaintext_auth: true for a relay on a network you"
                " trust",
            )

    def _error(self, kind: type[ChannelError], text: str) -> ChannelError:
        """`kind` with the server named and the password, should anything echo it, masked."""
        said = f"{self._server}: {text}"
        password = self.smtp.password.get_secret_value() if self.smtp.password else ""
        # Short passwords are left alone: masking every "a" would garble the server's words.
        return kind(said.replace(password, "********") if len(password) >= 4 else said)

    def _raise_reply(self, code: int, text: str) -> NoReturn:
        kind = PermanentError if 500 <= code < 600 else TransientError
        raise self._error(kind, f"{code} {text}") from None

    def _raise_refused(self, refused: dict[str, str]) -> NoReturn:
        said = "; ".join(f"{address}: {reply}" for address, reply in refused.items())
        if any(reply.startswith("5") for reply in refused.values()):
            raise self._error(PermanentError, f"recipient refused, {said}") from None
        raise self._error(TransientError, f"recipient refused for now, {said}") from None

    def _raise_connection(self, exc: BaseException) -> NoReturn:
        cause = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise self._error(
                PermanentError, f"its TLS certificate is not trusted ({cause.verify_message})"
            ) from None
        if isinstance(cause, ssl.SSLError):
            raise self._error(
                PermanentError,
                f"TLS failed ({cause.reason or cause}); check smtp.ssl (TLS from the start, "
                "usually port 465) and smtp.starttls (usually port 587)",
            ) from None
        text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise self._error(TransientError, text) from None


def _with_hint(text: str) -> str:
    if "AUTH" in text:
        return f"{text} (some servers offer AUTH only after STARTTLS: see smtp.starttls)"
    if "STARTTLS" in text:
        return f"{text} (set smtp.starttls to false, or smtp.ssl for TLS from the start)"
    return text
