"""The connections of the web server `tandem run` and `tandem serve` start (`process.listen`,
`http.server_config`), over real sockets: answers are sent without waiting on Nagle, and the
server never resets a connection it closes — not a keep-alive connection it closes as idle
just as a delivery is sent on it, nor one whose answer says `Connection: close` while the
client is still sending the body."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select as select_rows

from tandem.connector.daemon import process
from tandem.connector.daemon.http import server_config
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.web import create_app
from tests.conftest import make_config
from tests.shopify.test_webhooks import SECRET, headers

BIG = 1024 * 1024  # more than the socket buffers take at once: the server must read it


@pytest.fixture
def server(sqlite_db: Database) -> Iterator[tuple[int, uvicorn.Server]]:
    config = make_config(
        {
            "store": {
                "platform": "shopify",
                "shop_url": "https://demo.myshopify.com",
                "access_token": "shpat_x",
                "webhook_secret": SECRET,
            },
            "daemon": {"keep_alive_timeout": "1s"},
        }
    )
    sock = process.listen("127.0.0.1", 0)
    host, port = sock.getsockname()[:2]
    app = create_app(config, sqlite_db)
    web = uvicorn.Server(server_config(app, config.daemon, host, port, log_level="warning"))
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not web.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.01)
    yield port, web
    web.should_exit = True
    thread.join(timeout=10)


def delivery(webhook_id: str, padding: int = 0) -> bytes:
    """A signed orders/create delivery as raw HTTP/1.1, its body padded to `padding` bytes."""
    body = json.dumps({"id": 7, "admin_graphql_api_id": "gid://shopify/Order/7"}).encode()
    body += b" " * max(0, padding - len(body))
    head = "".join(f"{k}: {v}\r\n" for k, v in headers(body, webhook_id=webhook_id).items())
    start = f"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    return (start + head + "\r\n").encode() + body


def answer(sock: socket.socket) -> bytes:
    """One whole HTTP answer (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
    length = int(fields[b"content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"closed in the middle of an answer: {data!r}"
        body += chunk
    return head + b"\r\n\r\n" + body


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def stored(db: Database) -> list[Any]:
    with db.read() as conn:
        return conn.execute(select_rows(t.webhook_deliveries.c.webhook_id)).scalars().all()


def test_accepted_connections_send_at_once(server: tuple[int, uvicorn.Server]) -> None:
    """TCP_NODELAY on the server's end of a real connection: an answer's body does not wait
    for the client's (delayed) ACK of its headers."""
    port, web = server
    with connect(port) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer(client).startswith(b"HTTP/1.1 200 ")
        ours = client.getsockname()
        [theirs] = [
            c.transport.get_extra_info("socket")
            for c in web.server_state.connections
            if c.transport.get_extra_info("peername")[:2] == ours[:2]
        ]
        assert theirs.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_delivery_sent_as_the_server_closes_the_idle_connection_is_not_reset(
    server: tuple[int, uvicorn.Server], sqlite_db: Database
) -> None:
    port, _ = server
    with connect(port) as client:
        client.sendall(delivery("wh-first"))
        assert answer(client).startswith(b"HTTP/1.1 200 ")
        # Idle past daemon.keep_alive_timeout: the server closes its side...
        assert select.select([client], [], [], 10)[0], "the idle connection was not closed"
        assert client.recv(1, socket.MSG_PEEK) == b""
        # ...and a sender that reuses the connection all the same, as one whose delivery
        # crossed the close, can send it whole and sees a clean close: nothing answered.
        client.sendall(delivery("wh-crossed", padding=BIG))
        assert client.recv(65536) == b""
    assert stored(sqlite_db) == ["wh-first"]  # never read: safe to send again
    with connect(port) as client:
        client.sendall(delivery("wh-crossed", padding=BIG))
        assert answer(client).startswith(b"HTTP/1.1 200 ")
    assert sorted(stored(sqlite_db)) == ["wh-crossed", "wh-first"]


def test_an_answer_that_closes_the_connection_reaches_a_client_still_sending(
    server: tuple[int, uvicorn.Server],
) -> None:
    """No webhooks for that platform: refused on the headers, the body left unread, and the
    connection closed with the answer, which the client reads whole after sending its body."""
    port, _ = server
    with connect(port) as client:
        client.sendall(
            b"POST /webhooks/woocommerce HTTP/1.1\r\nHost: x\r\n"
            + f"Content-Length: {BIG}\r\n\r\n".encode()
            + b"x" * BIG
        )
        got = answer(client)
        assert got.startswith(b"HTTP/1.1 404 ") and b"connection: close" in got.lower()
        assert client.recv(65536) == b""
