"""Guessing passwords in parallel meets the limit; the owner is not locked out; logging out
(or a new password) ends every copy of a session's cookie."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tandem.connector.configuration import TandemConfig
from tandem.connector.store import Database
from tandem.connector.web.dashboard import auth, dashboard_routes
from tandem.connector.web.dashboard.passwords import hash_password, verify_password
from tandem.connector.web.dashboard.session import COOKIE
from tandem.connector.web.dashboard.throttle import LoginLimits
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, csrf_of, dashboard_config


class SlowHashes:
    """verify_password taking `seconds`, noting how many ran at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = self.most = self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, password: str, stored: str) -> bool:
        with self._lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.seconds)
            return verify_password(password, stored)
        finally:
            with self._lock:
                self.running -= 1


async def login_attempts(app: Starlette, address: str, passwords: list[str]) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://dash") as client:
        token = csrf_of((await client.get("/login")).text)

        async def attempt(password: str) -> int:
            data = {"csrf": token, "username": "alice", "password": password}
            return (await client.post("/login", data=data)).status_code

        return list(await asyncio.gather(*(attempt(p) for p in passwords)))


def test_parallel_guesses_meet_the_limit_and_the_owner_still_logs_in(
    cfg: TandemConfig, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = SlowHashes(0.1)
    monkeypatch.setattr(auth, "verify_password", hashes)
    app = Starlette(routes=dashboard_routes(cfg, db))

    async def scenario() -> tuple[list[int], list[int]]:
        guesses = login_attempts(app, "198.51.100.7", [f"guess {i}" for i in range(60)])
        owner = login_attempts(app, "203.0.113.20", [PASSWORD])
        return await asyncio.gather(guesses, owner)

    guessed, owner = asyncio.run(scenario())
    assert guessed.count(401) == 10 and guessed.count(429) == 50
    assert hashes.calls == 11  # the 50 refused were never hashed; the owner's one was
    assert hashes.most <= 4  # hashing runs at most four at once
    assert owner == [303]  # logged in, from an address that had not been failing


def test_the_limit_per_user_stops_failing_addresses_not_the_owner() -> None:
    clock = [0.0]
    limits = LoginLimits(pair_limit=3, user_limit=5, clock=lambda: clock[0])
    for n in range(5):  # five addresses, one failure each: the per-user bound is reached
        assert limits.begin(f"10.0.0.{n}", "alice") is not None
    assert limits.begin("10.0.0.1", "alice") is None  # a failing address waits
    owner = limits.begin("192.0.2.1", "alice")  # one that has not failed may try
    assert owner is not None
    limits.succeeded(owner)
    assert limits.begin("192.0.2.1", "alice") is not None
    clock[0] += 301  # the window passes
    assert limits.begin("10.0.0.1", "alice") is not None


def test_a_cookie_copied_before_logout_is_no_session_after(
    alice: TestClient, cfg: TandemConfig, db: Database
) -> None:
    copied = alice.cookies[COOKIE]
    token = csrf_of(alice.get("/").text)
    assert alice.post("/logout", data={"csrf": token}).status_code == 303

    app = Starlette(routes=dashboard_routes(cfg, db))
    with TestClient(app, follow_redirects=False) as thief:
        thief.cookies.set(COOKIE, copied)
        page = thief.get("/orders")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert thief.post("/logout", data={"csrf": token}).status_code == 403
        assert thief.get("/login").status_code == 200  # the form, not a redirect to the pages
    # Another process on the same database (a replica, a restart) knows it too.
    with TestClient(Starlette(routes=dashboard_routes(cfg, db))) as other:
        other.cookies.set(COOKIE, copied)
        assert other.get("/", follow_redirects=False).status_code == 303
    # Logging in again makes a new session that works.
    log_in(alice)
    assert alice.get("/").status_code == 200


def test_logging_out_one_session_leaves_another_alone(cfg: TandemConfig, db: Database) -> None:
    app = Starlette(routes=dashboard_routes(cfg, db))
    with (
        TestClient(app, follow_redirects=False) as laptop,
        TestClient(app, follow_redirects=False) as phone,
    ):
        log_in(laptop)
        log_in(phone)
        laptop.post("/logout", data={"csrf": csrf_of(laptop.get("/").text)})
        assert laptop.get("/").status_code == 303
        assert phone.get("/").status_code == 200


def test_a_new_password_ends_sessions_made_with_the_old(alice: TestClient, db: Database) -> None:
    copied = alice.cookies[COOKIE]
    changed = dashboard_config(password_hash=hash_password("a new password", iterations=1_000))
    app = Starlette(routes=dashboard_routes(changed, db))
    with TestClient(app, follow_redirects=False) as after:
        after.cookies.set(COOKIE, copied)
        assert after.get("/").status_code == 303
        log_in(after, password="a new password")
        assert after.get("/").status_code == 200
