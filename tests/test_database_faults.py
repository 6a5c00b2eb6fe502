"""A database that is down, hung or busy gives a clear 503, and /healthz tells the truth.

Three real failures: PostgreSQL on a closed port (runs everywhere, psycopg is installed),
a TCP proxy in front of the shared PostgreSQL server that cuts or stalls its connections
(PostgreSQL runs only), and an SQLite file whose write lock another connection holds.
"""

import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from diaspora import create_app
from diaspora.main import errors
from diaspora.models import User
from tests.conftest import PG_URL, _base_config, free_port, login, wait_for_port
from tests.fault_tools import TcpProxy

pg_only = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="tests the embedded SQLite database")

SIGNUP = {
    "name": "Outage Tester",
    "password": "a long enough phrase",
    "confirm": "a long enough phrase",
    "role": "member",
    "accept_terms": "y",
}


@pytest.fixture
def outage_log(monkeypatch):
    """A fresh outage log, so what other tests logged does not count here."""
    fresh = errors.OutageLog()
    monkeypatch.setattr(errors, "outages", fresh)
    return fresh


def signup(client, email):
    return client.post("/signup", data={**SIGNUP, "email": email})


def sign_in_cookie(client, token="a-session-token"):
    """The session cookie of a signed-in person, made without the database."""
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
        session["login_at"] = time.time()


def assert_unavailable_page(response, busy=False):
    """503, Retry-After, no caching, the security headers, the layout with a neutral header."""
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = response.get_data(as_text=True)
    assert "<title>" in page and "· Diaspora</title>" in page
    assert 'class="site-header"' in page and 'class="site-footer"' in page
    assert "style.css" in page
    assert "Log out" not in page and "Log in" not in page  # nobody was looked up
    if busy:
        assert "The site is busy; try again in a moment" in page
    else:
        assert "cannot reach its database" in page


def no_tracebacks(caplog):
    return [r for r in caplog.records if r.exc_info or r.stack_info]


def outage_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == errors.log.name]


# --------------------------------------------------------------------------- nothing listens


@pytest.fixture
def dead_app(tmp_path):
    """The app with its database URL on a local port where nothing listens."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/diaspora"
    config = _base_config(tmp_path, url)
    config.update(RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN="2 per minute")
    return create_app(config)


def test_every_kind_of_request_gets_503_with_the_layout(dead_app, outage_log, caplog):
    caplog.set_level(logging.INFO)
    anonymous = dead_app.test_client()
    assert_unavailable_page(anonymous.get("/projects/"))
    assert_unavailable_page(signup(anonymous, "nobody@example.org"))

    signed_in = dead_app.test_client()
    sign_in_cookie(signed_in)
    assert_unavailable_page(signed_in.get("/"))
    assert_unavailable_page(signed_in.get("/about"))  # the account is read before any page
    assert_unavailable_page(signed_in.post("/logout"))

    response = anonymous.get("/projects/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json["error"] == "Temporarily unavailable"
    assert "database" in response.json["message"]

    assert no_tracebacks(caplog) == []
    assert outage_lines(caplog) == ["database unavailable: OperationalError (connection refused)"]


@pytest.mark.parametrize(
    "command",
    [
        ["search", "status"],
        ["search", "apply"],
        ["search", "prune", "--days", "30"],
        ["jobs", "list"],
        ["mail", "status"],
        ["users", "list"],
        ["report", "refresh"],
        ["networks", "list"],
    ],
)
def test_a_command_without_its_database_says_so_in_one_line(dead_app, command):
    """Scheduled and operator commands end with one line and status 1, no traceback."""
    result = dead_app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Error: Database unavailable: OperationalError (connection refused).\n"
    ), result.output


def test_a_bug_in_a_command_is_still_shown_whole(app, monkeypatch):
    from diaspora.services.indexing import indexer

    monkeypatch.setattr(indexer, "status", lambda: 1 / 0)
    result = app.test_cli_runner().invoke(args=["search", "status"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_health_check_answers_unavailable_at_once(dead_app):
    client = dead_app.test_client()
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["status"] == "unavailable"
    assert response.json["database"] == "OperationalError (connection refused)"
    assert set(response.json["search"]) == {"projects", "experts", "shared"}


def test_login_attempts_the_database_could_not_serve_do_not_count(dead_app, outage_log):
    client = dead_app.test_client()
    for _ in range(5):  # the limit is 2 per minute: counted, the third would be 429
        response = login(client, "someone@example.org", "wrong password!")
        assert_unavailable_page(response)
        # The limiter adds nothing: the outage's own Retry-After, no counters shown.
        assert response.headers["Retry-After"] == str(dead_app.config["DATABASE_RETRY_AFTER"])
        assert not [name for name, _value in response.headers.items() if name.startswith("X-Rate")]


def test_a_hung_database_costs_the_connect_timeout_not_more(tmp_path, outage_log):
    """A server that accepts connections and never answers (a stalled proxy)."""
    with TcpProxy("127.0.0.1", free_port()) as proxy:
        proxy.stall()
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/diaspora"
        config = _base_config(tmp_path, url)
        config["DATABASE_CONNECT_TIMEOUT"] = 2
        client = create_app(config).test_client()
        for path in ("/healthz", "/projects/"):
            started = time.monotonic()
            response = client.get(path)
            assert time.monotonic() - started < 15, path  # the stall itself never ends
            assert response.status_code == 503, path
        assert response.headers["Retry-After"]
        health = client.get("/healthz").json
        assert health["database"] == "ConnectionTimeout (connection timed out)"


def test_engine_options_bound_every_wait(dead_app, app):
    options = dead_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"]["connect_timeout"] == 5
    assert options["pool_timeout"] == 10
    assert options["pool_pre_ping"] is True
    if not PG_URL:
        sqlite_options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        assert sqlite_options["connect_args"] == {"timeout": 15}
        assert "connect_timeout" not in sqlite_options["connect_args"]


@pytest.fixture
def small_pool(app_config):
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_pre_ping": True,
        "pool_size": 1,
        "max_overflow": 0,
        "pool_timeout": 0.3,
    }


def test_no_free_connection_in_the_pool_is_503(small_pool, app, db, client, outage_log):
    held = db.engine.connect()  # the pool's only connection
    try:
        response = client.get("/projects/")
        assert_unavailable_page(response)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json["database"] == "TimeoutError (no free connection in the pool)"
    finally:
        held.close()
    assert client.get("/projects/").status_code == 200
    db.session.remove()  # a server ends each request's session; the test's context does not
    assert client.get("/healthz").status_code == 200


def test_conflicts_still_failing_after_retries_are_busy():
    from psycopg.errors import DeadlockDetected, LockNotAvailable, SerializationFailure

    for orig in (SerializationFailure(), DeadlockDetected(), LockNotAvailable()):
        exc = sa.exc.OperationalError("UPDATE ...", {}, orig)
        assert errors.database_failure(exc)[0] == errors.BUSY


# --------------------------------------------------------------------------- the outage log


def test_repeats_are_counted_then_summarised(caplog):
    caplog.set_level(logging.WARNING, logger=errors.log.name)
    now = [1000.0]
    outages = errors.OutageLog(window=60, clock=lambda: now[0])
    kind = "OperationalError (connection refused)"
    for _ in range(40):
        outages.failed(errors.UNAVAILABLE, kind)
        now[0] += 0.5
    outages.failed(errors.BUSY, "OperationalError (database is locked)")
    now[0] += 61
    outages.failed(errors.UNAVAILABLE, kind)
    outages.failed(errors.UNAVAILABLE, kind)
    outages.connected()
    outages.connected()
    outages.failed(errors.UNAVAILABLE, kind)
    assert outage_lines(caplog) == [
        f"database unavailable: {kind}",
        "database busy: OperationalError (database is locked)",
        f"database unavailable: {kind} (39 more in the last 60 s)",
        f"database reachable again (it failed with {kind}; 1 more since the last line)",
        f"database unavailable: {kind}",
    ]


def test_errors_that_are_bugs_are_not_outages(app, db):
    with pytest.raises(sa.exc.DBAPIError) as raised:
        db.session.execute(sa.text("SELECT * FROM no_such_table"))
    db.session.rollback()
    assert errors.database_failure(raised.value) is None


# --------------------------------------------------------------------------- search


@pytest.mark.search_index
def test_health_check_is_ok_with_database_and_search(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "search": {"projects": "ok", "experts": "ok", "shared": "ok"},
        "search_lag": {"projects": 0, "experts": 0, "shared": 0},
    }


def test_health_check_is_degraded_without_search(app, client, tmp_path):
    empty = tmp_path / "no-index-here"
    empty.mkdir()
    app.config["SEARCH_INDEX_DIR"] = str(empty)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["database"] == "ok"
    assert response.json["search"] == {
        "projects": "missing",
        "experts": "missing",
        "shared": "missing",
    }
    assert response.json["search_lag"] == {"projects": None, "experts": None, "shared": None}
    assert list(empty.iterdir()) == []  # the health check creates nothing


# --------------------------------------------------------------------------- SQLite busy


@pytest.fixture
def busy_config(app_config):
    app_config["SQLITE_BUSY_TIMEOUT"] = 0.2
    return app_config


@pytest.fixture
def write_lock(busy_config):
    """Another connection holding the SQLite write lock until ``release()``."""

    class Lock:
        def __init__(self, path):
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=5)

        def hold(self):
            self.conn.execute("BEGIN IMMEDIATE")

        def release(self):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    lock = Lock(busy_config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    yield lock
    lock.release()
    lock.conn.close()


def users_with(db, email):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).where(User.email == email))


@sqlite_only
def test_the_app_database_uses_wal(app, db):
    assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


@sqlite_only
def test_a_held_write_lock_gives_the_busy_page(write_lock, app, client, db, outage_log, caplog):
    caplog.set_level(logging.INFO)
    write_lock.hold()
    started = time.monotonic()
    assert_unavailable_page(signup(client, "busy@example.org"), busy=True)
    assert time.monotonic() - started < 5  # the configured 0.2 s, not the default 15 s
    assert users_with(db, "busy@example.org") == 0
    assert client.get("/projects/").status_code == 200  # WAL: reading never waits

    write_lock.release()
    assert signup(client, "busy@example.org").status_code == 200
    assert users_with(db, "busy@example.org") == 1
    assert no_tracebacks(caplog) == []
    assert outage_lines(caplog) == ["database busy: OperationalError (database is locked)"]


@sqlite_only
def test_a_held_write_lock_gives_the_busy_page_signed_in(write_lock, app, client, db, make_user):
    user = make_user()
    assert login(client, user.email).status_code == 302
    token = user.session_token
    write_lock.hold()
    response = client.post("/logout")
    assert_unavailable_page(response, busy=True)
    db.session.rollback()
    assert db.session.get(User, user.id).session_token == token  # nothing half-written
    assert client.get("/account").status_code == 200  # still signed in

    write_lock.release()
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


# --------------------------------------------------------------------------- PostgreSQL outage


@pytest.fixture
def proxy(app_config):
    """The app reaches the shared PostgreSQL server only through a proxy the test controls."""
    url = make_url(app_config["SQLALCHEMY_DATABASE_URI"])
    forwarder = TcpProxy(url.host, url.port).start()
    app_config["SQLALCHEMY_DATABASE_URI"] = url.set(
        host="127.0.0.1", port=forwarder.port
    ).render_as_string(hide_password=False)
    yield forwarder
    forwarder.stop()


@pg_only
def test_an_outage_mid_session_gives_503_then_recovers(
    proxy, app, db, make_user, outage_log, caplog
):
    caplog.set_level(logging.INFO)
    user = make_user()
    member = app.test_client()
    visitor = app.test_client()
    assert login(member, user.email).status_code == 302
    assert member.get("/").status_code == 200
    assert visitor.get("/projects/").status_code == 200
    token = user.session_token
    db.session.remove()

    proxy.cut()
    try:
        assert_unavailable_page(member.get("/"))
        assert_unavailable_page(member.post("/logout"))
        assert_unavailable_page(visitor.get("/projects/"))
        assert_unavailable_page(signup(visitor, "during@example.org"))
        started = time.monotonic()
        health = visitor.get("/healthz")
        assert time.monotonic() - started < 10
        assert health.status_code == 503
        assert health.json["status"] == "unavailable"
    finally:
        proxy.restore()

    assert member.get("/").status_code == 200  # the very next request
    assert member.get("/account").status_code == 200  # the logout was not applied
    health = visitor.get("/healthz")
    assert (health.status_code, health.json["database"]) == (200, "ok")
    assert users_with(db, "during@example.org") == 0
    assert db.session.get(User, user.id).session_token == token
    assert signup(visitor, "during@example.org").status_code == 200
    assert users_with(db, "during@example.org") == 1
    assert no_tracebacks(caplog) == []
    first, *rest = outage_lines(caplog)  # the rest: at most the recovery line
    assert first == "database unavailable: OperationalError (connection refused)"
    assert len(rest) <= 1
    assert all(line.startswith("database reachable again (it failed with ") for line in rest)


@pytest.fixture
def limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN="2 per minute")


@pg_only
def test_login_during_an_outage_does_not_count(limited, proxy, app, db, make_user):
    email = make_user().email
    client = app.test_client()
    db.session.remove()
    proxy.cut()
    try:
        for _ in range(4):  # counted, the third would already be refused with 429
            assert_unavailable_page(login(client, email, "wrong password!"))
    finally:
        proxy.restore()
    assert login(client, email, "wrong password!").status_code == 200
    assert login(client, email, "wrong password!").status_code == 200
    assert login(client, email, "wrong password!").status_code == 429
    assert login(client, email).status_code == 429  # the limit itself still holds


@pg_only
def test_an_outage_inside_a_request_and_its_error_page(proxy, app, db, make_user, outage_log):
    """The account is read, then the server goes; the 404 page's navigation would need it."""
    user = make_user()
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    db.session.remove()
    app.before_request_funcs[None].append(proxy.cut)  # runs after the account was loaded

    try:
        assert_unavailable_page(client.get("/projects/999999"))
    finally:
        app.before_request_funcs[None].remove(proxy.cut)
        proxy.restore()
    assert client.get("/projects/999999").status_code == 404


def _get(url, headers=None):
    """(status, headers, body) of a GET, error statuses included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.mark.slow
@pg_only
def test_gunicorn_workers_answer_503_through_an_outage_and_log_a_handful(
    proxy, app_config, app, tmp_path
):
    port = free_port()
    env = {
        **os.environ,
        "DIASPORA_ENV": "development",
        "DIASPORA_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app_config["SEARCH_INDEX_DIR"],
        "MAIL_FILE_DIR": app_config["MAIL_FILE_DIR"],
        "HOME": str(tmp_path),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log_file:
        server = subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=90)  # a loaded machine may take long to start workers
        for _ in range(10):  # both workers hold pooled connections when the server goes
            assert _get(base + "/")[0] == 200
        proxy.cut()
        try:
            for n in range(30):
                path = ("/", "/projects/")[n % 2]
                status, headers, body = _get(base + path)
                assert status == 503, path
                assert headers["Retry-After"] and "site-footer" in body
            assert _get(base + "/about")[0] == 200  # a page that needs no database still works
            status, _, body = _get(base + "/", {"Accept": "application/json"})
            assert status == 503 and json.loads(body)["error"] == "Temporarily unavailable"
            assert _get(base + "/healthz")[0] == 503
        finally:
            proxy.restore()
        for _ in range(10):  # whichever worker answers, the first request after is fine
            assert _get(base + "/")[0] == 200
        assert json.loads(_get(base + "/healthz")[2])["database"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = log_path.read_text()
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if "database unavailable:" in line]
    assert 1 <= len(lines) <= 4, output  # one per worker and kind, not one per request
