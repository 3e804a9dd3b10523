"""How the email channel talks SMTP: STARTTLS, implicit TLS and AUTH against a real server, and
which failures are worth retrying (4xx, no server, no answer) and which need a person (5xx)."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from tandem.connector.channels import PermanentError, TransientError
from tests.suppliers.email import support
from tests.suppliers.email.support import (
    CC,
    TO,
    Recorder,
    back_to_back,
    free_port,
    smtp_server,
)

USER, PASSWORD = "tandem", "s3cret-Pa55"
TRY_LATER = "451 4.3.0 try again later"
UNAVAILABLE = "550 5.1.1 mailbox unavailable"
SPAM = "554 5.7.1 message rejected as spam"


def channel(port: int, **kwargs):
    """The test channel without the PDF, which takes most of a send's time and is not what
    these tests are about (test_starttls_and_auth keeps it: a large message over TLS)."""
    kwargs.setdefault("transport", {"attach_pdf": False})
    return support.channel(port, **kwargs)


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Trusts this self-signed certificate and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"),
            *("-days", "1", "-keyout", str(key), "-out", str(cert)),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    assert isinstance(auth_data, LoginPassword)
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def starttls_server(certificate: Certificate) -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    with smtp_server(
        handler,
        tls_context=certificate.server_context(),
        require_starttls=True,
        auth_require_tls=True,
        authenticator=authenticator,
    ) as port:
        yield handler, port


def starttls_channel(port: int, certificate: Certificate, password: str = PASSWORD, **kwargs):
    smtp = {"starttls": True, "username": USER, "password": password}
    return channel(port, smtp=smtp, tls_context=certificate.client_context(), **kwargs)


def test_starttls_and_auth(starttls_server, certificate):
    handler, port = starttls_server
    email_channel = starttls_channel(port, certificate, transport={})
    result = asyncio.run(email_channel.send(back_to_back()))

    assert handler.authenticated == [True]
    (message,) = handler.messages()
    assert message["Message-ID"] == result.reference
    assert PASSWORD not in result.sent
    assert "PO-00012.pdf" in result.details["attachments"]


def test_a_wrong_password_is_permanent_and_never_repeated(starttls_server, certificate):
    handler, port = starttls_server
    with pytest.raises(PermanentError, match="535") as caught:
        asyncio.run(starttls_channel(port, certificate, password="wrong-Pa55").send(back_to_back()))
    assert "wrong-Pa55" not in str(caught.value)
    assert handler.envelopes == []


def test_a_certificate_nobody_vouches_for_is_permanent(starttls_server):
    _, port = starttls_server
    smtp = {"starttls": True, "username": USER, "password": PASSWORD}
    with pytest.raises(PermanentError, match="TLS certificate is not trusted") as caught:
        asyncio.run(channel(port, smtp=smtp).send(back_to_back()))  # the system's trust store
    assert PASSWORD not in str(caught.value)


def test_starttls_asked_of_a_server_without_it_is_permanent():
    with smtp_server(Recorder()) as port, pytest.raises(PermanentError, match="STARTTLS"):
        asyncio.run(channel(port, smtp={"starttls": True}).send(back_to_back()))


def test_implicit_tls(certificate):
    handler = Recorder()
    with smtp_server(handler, ssl_context=certificate.server_context()) as port:
        email_channel = channel(port, smtp={"ssl": True}, tls_context=certificate.client_context())
        asyncio.run(email_channel.send(back_to_back()))
    assert len(handler.envelopes) == 1


@pytest.mark.parametrize("refusing", [{"rcpt_reply": TRY_LATER}, {"data_reply": TRY_LATER}])
def test_a_4xx_reply_is_transient(refusing):
    with (
        smtp_server(Recorder(**refusing)) as port,
        pytest.raises(TransientError, match=re.escape(TRY_LATER)),
    ):
        asyncio.run(channel(port).send(back_to_back()))


@pytest.mark.parametrize(
    "refusing", [{"rcpt_reply": UNAVAILABLE}, {"data_reply": UNAVAILABLE}, {"data_reply": SPAM}]
)
def test_a_5xx_reply_is_permanent_in_the_servers_words(refusing):
    said = next(iter(refusing.values()))
    with (
        smtp_server(Recorder(**refusing)) as port,
        pytest.raises(PermanentError, match=re.escape(said)),
    ):
        asyncio.run(channel(port).send(back_to_back()))


def test_a_refused_copy_is_reported_but_the_supplier_got_the_po():
    handler = Recorder(rcpt_reply=UNAVAILABLE, refuse=set(CC))
    with smtp_server(handler) as port:
        result = asyncio.run(channel(port).send(back_to_back()))
    assert handler.envelopes[0].rcpt_tos == TO
    assert result.details["refused"] == {CC[0]: UNAVAILABLE}


def test_when_only_the_copy_arrives_the_supplier_did_not_get_it():
    handler = Recorder(rcpt_reply=UNAVAILABLE, refuse=set(TO))
    with (
        smtp_server(handler) as port,
        pytest.raises(PermanentError, match=re.escape(f"{TO[0]}: {UNAVAILABLE}")),
    ):
        asyncio.run(channel(port).send(back_to_back()))


def test_nothing_listening_is_transient():
    with pytest.raises(TransientError, match=r"127.0.0.1:\d+"):
        asyncio.run(channel(free_port()).send(back_to_back()))


def test_a_server_that_never_answers_is_transient():
    with socket.socket() as silent:  # accepts connections (the kernel does) and says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        email_channel = channel(silent.getsockname()[1], smtp={"timeout_seconds": 0.1})
        with pytest.raises(TransientError, match=r"no answer within 0\.1 s"):
            asyncio.run(email_channel.send(back_to_back()))


def test_starttls_is_used_whenever_the_server_offers_it(starttls_server, certificate):
    handler, port = starttls_server  # refuses mail and AUTH before STARTTLS
    smtp = {"username": USER, "password": PASSWORD}  # starttls left unset
    email_channel = channel(port, smtp=smtp, tls_context=certificate.client_context())
    asyncio.run(email_channel.send(back_to_back()))
    assert handler.authenticated == [True]


class CountingAuthenticator:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.calls += 1
        return authenticator(server, session, envelope, mechanism, auth_data)


@pytest.fixture
def cleartext_server() -> Iterator[tuple[Recorder, CountingAuthenticator, int]]:
    """Offers AUTH without any TLS: a password sent here crosses the network readable."""
    handler, auth = Recorder(), CountingAuthenticator()
    with smtp_server(handler, authenticator=auth, auth_require_tls=False) as port:
        yield handler, auth, port


def test_a_password_is_never_sent_over_an_unencrypted_connection(cleartext_server):
    handler, auth, port = cleartext_server
    smtp = {"username": USER, "password": PASSWORD}
    with pytest.raises(PermanentError, match="unencrypted") as caught:
        asyncio.run(channel(port, smtp=smtp).send(back_to_back()))
    message = str(caught.value)
    assert "smtp.allow_plaintext_auth" in message and PASSWORD not in message
    assert auth.calls == 0 and handler.envelopes == []


def test_a_password_in_the_clear_only_when_the_config_says_so(cleartext_server):
    handler, auth, port = cleartext_server
    smtp = {"username": USER, "password": PASSWORD, "allow_plaintext_auth": True}
    asyncio.run(channel(port, smtp=smtp).send(back_to_back()))
    assert auth.calls == 1 and handler.authenticated == [True]


def test_without_a_username_a_server_without_tls_still_takes_the_po():
    handler = Recorder()
    with smtp_server(handler) as port:
        asyncio.run(channel(port).send(back_to_back()))
    assert len(handler.envelopes) == 1
