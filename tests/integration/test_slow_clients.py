"""A real `tandem run` against clients that send slowly or too much: a slow body is cut off
with 408 (a webhook for a platform not configured is refused at once), slow headers by
closing the connection, an oversized form is refused with 413, past
`daemon.max_connections` the answer is 503 — and /healthz keeps answering all along."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tandem.connector.web.dashboard.passwords import hash_password
from tests.integration.daemon_support import free_port, start, stop

BOUND = 2.0  # daemon.header_timeout and daemon.body_timeout in this test, in seconds
SLOW_CLIENTS = 20
HASH = hash_password("a password", iterations=1_000)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[int]:
    (tmp_path / "orders.json").write_text("[]")
    data: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'tandem.db'}",
        "store": {"platform": "file", "orders_file": "orders.json"},
        "dashboard": {"users": [{"name": "alice", "password_hash": HASH}]},
        "daemon": {
            "header_timeout": f"{BOUND}s",
            "body_timeout": f"{BOUND}s",
            "max_connections": 40,
            "max_body_bytes": 64 * 1024,
        },
    }
    config = tmp_path / "tandem.yaml"
    config.write_text(yaml.safe_dump(data))
    port = free_port()
    process = start(config, port, tmp_path / "tandem.log")
    try:
        yield port
    finally:
        assert stop(process) == 0


class SlowClient(threading.Thread):
    """Sends `head` (then, if `body`, a body) one byte every `pace` seconds until cut off;
    keeps what the server answered and how long the connection lived."""

    def __init__(self, port: int, head: bytes, body: bool, pace: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.port, self.head, self.body, self.pace = port, head, body, pace
        self.answer = b""
        self.lived = float("inf")

    def run(self) -> None:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            try:
                if self.body:
                    sock.sendall(self.head)
                    trickle = b"x" * 1000
                else:
                    trickle = self.head
                for byte in trickle:
                    sock.sendall(bytes([byte]))
                    sock.settimeout(self.pace)
                    try:
                        chunk = sock.recv(4096)
                    except TimeoutError:
                        continue
                    self.answer += chunk
                    break  # answered or closed
                sock.settimeout(5)
                while chunk := sock.recv(4096):
                    self.answer += chunk
            except OSError:
                pass  # reset by the server: cut off
        self.lived = time.monotonic() - started


def test_slow_clients_are_cut_off_and_health_keeps_answering(daemon: int) -> None:
    port = daemon
    form = (
        b"POST /login HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    )
    webhook = b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
    heads = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 200 + b"\r\n\r\n"
    clients = [
        *(SlowClient(port, form, body=True) for _ in range(SLOW_CLIENTS // 4)),
        *(SlowClient(port, webhook, body=True) for _ in range(SLOW_CLIENTS // 4)),
        *(SlowClient(port, heads, body=False) for _ in range(SLOW_CLIENTS // 2)),
    ]
    for client in clients:
        client.start()
    health: list[int] = []
    deadline = time.monotonic() + BOUND + 2
    while time.monotonic() < deadline:
        health.append(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code)
        time.sleep(0.1)
    for client in clients:
        client.join(timeout=10)
    assert set(health) == {200} and len(health) > 10
    for client in clients:
        assert client.lived < BOUND + 1.5, (client.head[:30], client.lived)
    for client in clients[: SLOW_CLIENTS // 4]:  # slow bodies: told why
        assert client.answer.startswith(b"HTTP/1.1 408 "), client.answer
    # The file platform takes no webhooks: told at once, the body never waited for.
    for client in clients[SLOW_CLIENTS // 4 : SLOW_CLIENTS // 2]:
        assert client.answer.startswith(b"HTTP/1.1 404 "), client.answer
        assert b"connection: close" in client.answer.lower(), client.answer
    for client in clients[SLOW_CLIENTS // 2 :]:  # slow headers: closed, nothing answered
        assert client.answer == b"", client.answer


def test_a_form_too_large_is_refused_before_it_is_read(daemon: int) -> None:
    url = f"http://127.0.0.1:{daemon}/login"
    big = httpx.post(url, content=b"a=" + b"x" * 100_000, headers={"Content-Type": "text/plain"})
    assert big.status_code == 413
    assert big.text == "Request body too large.\n"

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once the bytes pass the cap
        for _ in range(100):
            yield b"x" * 4096

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    streamed = httpx.post(url, content=chunks(), headers=form)
    assert streamed.status_code == 413
    assert httpx.get(f"http://127.0.0.1:{daemon}/healthz").status_code == 200


def test_past_the_connection_limit_new_requests_get_503_at_once(daemon: int) -> None:
    held = [socket.create_connection(("127.0.0.1", daemon)) for _ in range(45)]
    try:
        time.sleep(0.3)
        started = time.monotonic()
        refused = httpx.get(f"http://127.0.0.1:{daemon}/healthz", timeout=5)
        assert refused.status_code == 503 and time.monotonic() - started < 1
    finally:
        for sock in held:
            sock.close()
    # Idle connections are closed by the header bound; the server answers again.
    time.sleep(0.5)
    assert httpx.get(f"http://127.0.0.1:{daemon}/healthz").status_code == 200
