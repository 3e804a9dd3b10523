"""Dashboard login: passwords, signed sessions, CSRF on every form, nothing open without a user."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tandem.connector.cli.dashboard_cmd import app as dashboard_cli
from tandem.connector.clock import utcnow
from tandem.connector.store import Database
from tandem.connector.web.app import create_app
from tandem.connector.web.dashboard import dashboard_routes
from tandem.connector.web.dashboard.passwords import MIN_ITERATIONS, hash_password, verify_password
from tandem.connector.web.dashboard.session import COOKIE, Session, SessionCodec
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, csrf_of, dashboard_config

PAGES = ["/", "/orders", "/orders/1", "/pos", "/pos/PO-00001", "/exceptions", "/suppliers"]


def test_password_hashes_are_salted_pbkdf2_and_checked() -> None:
    stored = hash_password("s3cret")
    algorithm, iterations, salt, digest = stored.split("$")
    assert algorithm == "pbkdf2_sha256" and int(iterations) >= MIN_ITERATIONS
    assert salt and digest
    assert hash_password("s3cret") != stored  # a new salt each time
    assert verify_password("s3cret", stored)
    assert not verify_password("s3cret ", stored)
    assert not verify_password("s3cret", "plain text")
    assert not verify_password("s3cret", "pbkdf2_sha256$x$y$z")
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


def test_hash_password_command_reads_stdin_and_prints_a_usable_hash() -> None:
    result = CliRunner().invoke(dashboard_cli, ["hash-password"], input="hunter2 hunter2\n")
    assert result.exit_code == 0, result.output
    printed = result.output.strip()
    assert printed.startswith("pbkdf2_sha256$600000$")
    assert verify_password("hunter2 hunter2", printed)
    assert "hunter2" not in printed
    empty = CliRunner().invoke(dashboard_cli, ["hash-password"], input="\n")
    assert empty.exit_code == 1


def test_session_cookies_are_signed_and_expire() -> None:
    now = utcnow()
    codec = SessionCodec(b"key", timedelta(hours=1))
    session = codec.fresh(now, "alice", "fp")
    value = codec.dumps(session)
    loaded = codec.loads(value, now)
    assert loaded is not None and loaded.user == "alice" and loaded.csrf == session.csrf
    assert codec.loads(value, now + timedelta(hours=2)) is None  # expired
    assert SessionCodec(b"other key", timedelta(hours=1)).loads(value, now) is None
    version, _payload, signature = value.split(".")
    forged = SessionCodec(b"attacker", timedelta(hours=1)).dumps(Session("x", 2**40, "mallory"))
    assert codec.loads(f"{version}.{forged.split('.')[1]}.{signature}", now) is None
    assert codec.loads("garbage", now) is None


@pytest.mark.parametrize("page", PAGES)
def test_every_page_needs_a_login(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_login_sets_a_safe_cookie_and_returns_to_the_page_asked_for(client: TestClient) -> None:
    first = client.get("/exceptions?show=all")
    assert first.headers["location"] == "/login?next=%2Fexceptions%3Fshow%3Dall"
    form = client.get(first.headers["location"])
    assert 'name="next" value="/exceptions?show=all"' in form.text
    response = client.post(
        "/login",
        data={
            "csrf": csrf_of(form.text),
            "username": "alice",
            "password": PASSWORD,
            "next": "/exceptions?show=all",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/exceptions?show=all"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=v1.")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=3600" in cookie
    page = client.get("/exceptions")
    assert page.status_code == 200 and "alice" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_a_wrong_password_or_name_is_refused_alike(client: TestClient, name: str) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"csrf": token, "username": name, "password": "wrong password"}
    )
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert client.get("/").status_code == 303  # still not logged in


def test_login_without_the_forms_token_is_forbidden(client: TestClient) -> None:
    client.get("/login")
    for data in ({}, {"csrf": "forged"}):
        response = client.post("/login", data={**data, "username": "alice", "password": PASSWORD})
        assert response.status_code == 403
    assert client.get("/").status_code == 303


def test_next_only_leads_to_this_site(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        token = csrf_of(client.get("/login").text)
        data = {"csrf": token, "username": "alice", "password": PASSWORD, "next": target}
        assert client.post("/login", data=data).headers["location"] == "/"


def test_a_tampered_cookie_is_no_session(alice: TestClient) -> None:
    value = alice.cookies[COOKIE]
    version, payload, signature = value.split(".")
    alice.cookies.set(COOKIE, f"{version}.{payload}x.{signature}")
    assert alice.get("/").status_code == 303


def test_logout_needs_the_token_and_ends_the_session(alice: TestClient) -> None:
    assert alice.post("/logout").status_code == 403
    assert alice.post("/logout", data={"csrf": "nope"}).status_code == 403
    assert alice.get("/").status_code == 200
    token = csrf_of(alice.get("/").text)
    response = alice.post("/logout", data={"csrf": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "You are logged out." in alice.get("/login").text
    assert alice.get("/").status_code == 303


def test_a_session_from_before_a_password_change_is_void(alice: TestClient, db: Database) -> None:
    cookie = alice.cookies[COOKIE]
    changed = dashboard_config(password_hash=hash_password("a new password", iterations=1_000))
    with TestClient(Starlette(routes=dashboard_routes(changed, db))) as other:
        other.cookies.set(COOKIE, cookie)
        assert other.get("/", follow_redirects=False).status_code == 303


def test_too_many_failures_from_one_address_are_refused_for_a_while(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    bad = {"csrf": token, "username": "alice", "password": "guess"}
    codes = [client.post("/login", data=bad).status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]
    right = {**bad, "password": PASSWORD}
    assert client.post("/login", data=right).status_code == 429


def test_without_users_the_dashboard_explains_how_to_add_one(db: Database) -> None:
    cfg = dashboard_config(users=False)
    with TestClient(Starlette(routes=dashboard_routes(cfg, db))) as client:
        for page in ("/", "/login", "/exceptions"):
            response = client.get(page, follow_redirects=False)
            assert response.status_code == 503
            assert "tandem dashboard hash-password" in response.text
        posted = client.post("/login", data={"username": "x", "password": "y"})
        assert posted.status_code == 503


def test_the_web_app_serves_the_dashboard_beside_the_webhooks(db: Database) -> None:
    cfg = dashboard_config()
    with TestClient(create_app(cfg, db), follow_redirects=False) as client:
        assert client.get("/").headers["location"].startswith("/login")
        log_in(client)
        assert re.search(r"<h1>Overview</h1>", client.get("/").text)
        assert client.get("/static/dashboard.css").headers["content-type"].startswith("text/css")
        assert client.get("/healthz").status_code == 200
