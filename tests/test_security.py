"""SECURITY.md cases for accounts, sessions, CSRF, headers, limits and error pages."""

import itertools
import json
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from diaspora import create_app
from diaspora.config import ConfigurationError
from diaspora.models import OutboxMessage, Role, SearchChange, User
from diaspora.models.base import utcnow
from tests.conftest import PASSWORD, free_port, login, text_of, wait_for_port

TESTING_HASH_COST = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in (
        "same-origin",
        "no-referrer",
        "strict-origin-when-cross-origin",
    )
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_load_nothing_from_other_sites(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script" not in html
    for marker in ("http://", "https://", "//fonts", "//cdn"):
        assert marker not in html.replace("http://diaspora.test", "")


def test_session_and_remember_cookie_flags_in_production(app_config, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = {
        **app_config,
        "ENV_NAME": "production",
        "SECRET_KEY": "s" * 40,
        "SITE_URL": "https://diaspora.example.org",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/db",
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
        "TESTING": False,
    }
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug


@pytest.mark.parametrize(
    "override,problem",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}, "DATABASE_URL"),
        ({"DEBUG": True}, "debug"),
        ({"SESSION_COOKIE_SECURE": False}, "Secure"),
        ({"SITE_URL": ""}, "SITE_URL must be the public https address"),
        ({"SITE_URL": "http://diaspora.example.org"}, "SITE_URL"),
        ({"SITE_URL": "https://diaspora.example.org/app"}, "SITE_URL"),
        (TESTING_HASH_COST, "password hashing is too cheap"),
        ({"ARGON2_TIME_COST": 2}, "ARGON2_TIME_COST must be at least 3"),
        ({"ARGON2_MEMORY_COST": 32768}, "ARGON2_MEMORY_COST at least 65536 KiB"),
    ],
)
def test_production_refuses_unsafe_configuration(app_config, override, problem):
    config = {
        **app_config,
        "ENV_NAME": "production",
        "SECRET_KEY": "s" * 40,
        "SITE_URL": "https://diaspora.example.org",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/db",
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
        **override,
    }
    with pytest.raises(ConfigurationError, match=problem):
        create_app(config)


def test_cookies_are_httponly_and_lax(client, make_user):
    user = make_user()
    response = login(client, user.email, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    names = sorted(cookie.split("=", 1)[0] for cookie in cookies)
    assert names == ["diaspora_remember", "diaspora_session", "language"]
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_hashes_are_argon2id(make_user):
    assert make_user().password_hash.startswith("$argon2id$v=19$")


@pytest.mark.parametrize(
    "env_name,cost",
    [("testing", "m=8,t=1,p=1"), ("development", "m=65536,t=3,p=4")],
)
def test_password_hash_cost_follows_the_configuration(app_config, env_name, cost):
    """Tests hash at the cheapest cost; development (``make run``, demo data) and
    production at RFC 9106's low-memory profile."""
    app = create_app({**app_config, "ENV_NAME": env_name, "SECRET_KEY": "s" * 40})
    with app.app_context():
        user = User()
        user.set_password(PASSWORD)
        assert user.password_hash.startswith(f"$argon2id$v=19${cost}$")
        assert user.check_password(PASSWORD) and not user.check_password("wrong password")


def test_a_hash_made_at_a_lower_cost_is_upgraded_at_login(app_config):
    user = User()
    with create_app(app_config).app_context():
        user.set_password(PASSWORD)
    full_cost = create_app({**app_config, "ENV_NAME": "development", "SECRET_KEY": "s" * 40})
    with full_cost.app_context():
        assert user.check_password(PASSWORD)
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.fixture
def full_hash_cost(app_config):
    """The production cost of a password hash, for tests that time paths against each other:
    at the testing cost a missing hash would not show."""
    app_config.update(ARGON2_TIME_COST=3, ARGON2_MEMORY_COST=65536, ARGON2_PARALLELISM=4)
    return app_config


@pytest.fixture
def csrf_app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_every_post_route_requires_a_csrf_token(csrf_app_config, app, client, make_user):
    user = make_user(role=Role.ADMIN)
    with app.test_request_context():
        pass
    # Log in through a form that carries a token, then post everywhere without one.
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert (
        client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    exempt = {"notifications.unsubscribe"}  # authorised by its signed token (RFC 8058)
    posts = [
        r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint not in exempt
    ]
    assert len(posts) >= 8
    for rule in posts:
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
        response = client.post(url, data={"reason": "x", "email": "a@b.org"})
        if url.startswith("/api/"):
            # The API never reads the session cookie: without a key it acts for nobody.
            assert response.status_code == 401, f"{url} acted on the session cookie"
            continue
        assert response.status_code == 400, f"{url} accepted a POST without a CSRF token"
    assert client.get("/account").status_code == 200, "still logged in: nothing changed"


def test_only_one_click_unsubscribe_is_exempt_from_csrf(app):
    """And the language switcher, which checks the token itself for a signed-in person (a
    visitor's switch only sets a cookie)."""
    from diaspora.extensions import csrf

    assert csrf._exempt_views == {
        "diaspora.notifications.routes.unsubscribe",
        "diaspora.main.routes.set_language",
    }


def test_get_never_changes_state(client, make_user):
    user = make_user()
    login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_suspension_ends_sessions_and_login_is_refused(app, client, db, make_user):
    coordinator = make_user(role=Role.COORDINATOR)
    member = make_user()
    member_client = app.test_client()
    login(member_client, member.email)
    assert member_client.get("/account").status_code == 200
    login(client, coordinator.email)
    response = client.post(f"/coordination/users/{member.id}/suspend", data={"reason": "spam"})
    assert response.status_code == 302
    assert member_client.get("/account").status_code == 302
    assert b"Email or password is incorrect." in login(member_client, member.email).data
    client.post(f"/coordination/users/{member.id}/reactivate")
    assert login(member_client, member.email).status_code == 302


@pytest.mark.parametrize("role", [Role.MEMBER, Role.INSTITUTION])
def test_coordination_is_for_coordinators(client, make_user, role):
    user = make_user(role=role)
    victim = make_user()
    login(client, user.email)
    assert client.get("/coordination/users").status_code == 403
    assert client.get("/coordination/mail").status_code == 403
    assert (
        client.post(f"/coordination/users/{victim.id}/suspend", data={"reason": "x"}).status_code
        == 403
    )


def test_visitors_are_sent_to_login_for_coordination(client):
    response = client.get("/coordination/users")
    assert response.status_code == 302 and "/login" in response.location


def test_coordinator_cannot_suspend_admin(client, db, make_user):
    coordinator = make_user(role=Role.COORDINATOR)
    admin = make_user(role=Role.ADMIN)
    login(client, coordinator.email)
    assert (
        client.post(f"/coordination/users/{admin.id}/suspend", data={"reason": "x"}).status_code
        == 403
    )
    db.session.refresh(admin)
    assert admin.suspended_at is None


def test_idle_session_expires(client, make_user):
    user = make_user()
    login(client, user.email)
    with freeze_time(timedelta(hours=3)):
        assert client.get("/account").status_code == 302


def test_absolute_session_limit(client, make_user):
    user = make_user()
    login(client, user.email)
    for hours in range(1, 24):
        with freeze_time(timedelta(hours=hours)):
            assert client.get("/account").status_code == 200, hours
    with freeze_time(timedelta(hours=24, minutes=30)):
        assert client.get("/account").status_code == 302


@pytest.fixture
def limited_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def test_login_rate_limit(limited_config, client, make_user):
    user = make_user()
    for _ in range(25):
        assert login(client, user.email, "wrong password!").status_code == 200
    response = login(client, user.email)
    assert response.status_code == 429
    assert b"Too many" in response.data


def test_signup_rate_limit(limited_config, client):
    for n in range(5):
        client.post("/signup", data={"name": "x", "email": f"s{n}@example.org"})
    assert client.post("/signup", data={"name": "x"}).status_code == 429


def test_reset_request_rate_limit(limited_config, client):
    for _ in range(5):
        client.post("/forgot", data={"email": "flood@example.org"})
    assert client.post("/forgot", data={"email": "flood@example.org"}).status_code == 429


@pytest.mark.parametrize(
    "field,value",
    [
        ("name", "Eve\r\nBcc: victim@example.org"),
        ("email", "eve@example.org\r\nBcc: v@x.org"),
        ("name", "Eve\nX-Injected: 1"),
    ],
)
def test_line_breaks_in_header_values_are_refused(client, db, field, value):
    data = {
        "name": "Eve",
        "email": "eve@example.org",
        "password": "long enough phrase",
        "confirm": "long enough phrase",
        "role": "member",
        "accept_terms": "y",
        field: value,
    }
    response = client.post("/signup", data=data)
    assert response.status_code == 200
    assert b"Check your inbox" not in response.data
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_oversized_body_gets_413(client):
    response = client.post("/signup", data={"name": "x" * (1024 * 1024)})
    assert response.status_code == 413
    assert b"Too large" in response.data


def test_too_many_form_fields_get_a_clear_answer(client, db):
    data = {f"f{n}": "v" for n in range(10_000)}
    response = client.post("/signup", data=data)
    assert response.status_code == 200 and b"This field is required" in response.data
    multipart = {f"f{n}": "v" for n in range(1_000)}
    response = client.post("/signup", data=multipart, content_type="multipart/form-data")
    assert response.status_code == 413
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


@pytest.mark.parametrize("name", ["محمد الأمين", "አበበ ቢቂላ", "王小明", "Ama\u202eevil"])
def test_non_latin_and_rtl_names_are_kept_as_typed(client, db, name):
    client.post(
        "/signup",
        data={
            "name": name,
            "email": "n@example.org",
            "password": "long enough phrase",
            "confirm": "long enough phrase",
            "role": "member",
            "accept_terms": "y",
        },
    )
    user = db.session.scalar(sa.select(User))
    assert user.name == name
    user.email_confirmed_at = user.created_at
    user.role = Role.COORDINATOR
    db.session.commit()
    login(client, "n@example.org", "long enough phrase")
    html = client.get("/coordination/users").get_data(as_text=True)
    assert f'<td dir="auto">{name}</td>' in html


def test_script_in_a_name_is_shown_as_text(client, db, make_user):
    make_user(name='<script>alert(1)</script>"><img src=x onerror=alert(1)>')
    admin = make_user(role=Role.ADMIN)
    login(client, admin.email)
    html = client.get("/coordination/users").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "code,path,method", [(404, "/no/such/page", "get"), (405, "/logout", "get")]
)
def test_error_pages_are_friendly(client, code, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == code
    assert b"<h1>" in response.data and b"Traceback" not in response.data


def test_internal_error_shows_no_internals(app_config):
    app_config["TESTING"] = False
    app = create_app(app_config)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    with app.app_context():
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body


def test_logs_hold_no_passwords_or_links(client, caplog, make_user):
    user = make_user()
    with caplog.at_level("DEBUG"):
        login(client, user.email, "a wrong secret phrase")
        login(client, user.email)
        client.post("/forgot", data={"email": user.email})
    text = caplog.text
    assert PASSWORD not in text and "a wrong secret phrase" not in text
    assert "/reset/" not in text


def test_constraint_violation_gets_a_clear_answer(app_config, make_user):
    app_config["TESTING"] = False
    app = create_app(app_config)

    @app.post("/duplicate")
    def duplicate():
        from diaspora.extensions import db

        db.session.add(
            User(name="A", email="same@example.org", role=Role.MEMBER, password_hash="x")
        )
        db.session.add(
            User(name="B", email="same@example.org", role=Role.MEMBER, password_hash="x")
        )
        db.session.commit()
        return "unreachable"

    with app.app_context():
        response = app.test_client().post("/duplicate")
        from diaspora.extensions import db

        count = db.session.scalar(sa.select(sa.func.count(User.id)))
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 409
    assert b"conflicts with the current data" in response.data
    assert b"IntegrityError" not in response.data and b"UNIQUE" not in response.data
    assert count == 0


def _median_ratio(send_a, send_b, rounds=25, warmup=3):
    """Median time of ``send_a`` over median time of ``send_b``, calls interleaved so that
    load on the machine falls on both alike."""
    for _ in range(warmup):
        send_a(-1)
        send_b(-1)
    times_a, times_b = [], []
    for n in range(rounds):
        for send, times in ((send_a, times_a), (send_b, times_b))[:: 1 if n % 2 else -1]:
            start = time.perf_counter()
            send(n)
            times.append(time.perf_counter() - start)
    return statistics.median(times_a) / statistics.median(times_b)


def _assert_same_cost(send_a, send_b):
    """The two paths cost the same within a factor of two; measured again once before
    failing, so that one burst of load on the machine does not decide."""
    ratios = []
    for _ in range(2):
        ratios.append(_median_ratio(send_a, send_b))
        if 0.5 <= ratios[-1] <= 2.0:
            return
    pytest.fail(f"existing/unknown median time ratios {ratios} are outside 0.5..2.0")


@pytest.mark.slow
def test_signup_costs_the_same_for_existing_and_new_addresses(
    full_hash_cost, mail_config, smtp_server, client, db, make_user
):
    existing = make_user(email="taken@example.org")
    counter = itertools.count()

    def signup(email):
        data = {
            "name": "Timing Test",
            "email": email,
            "password": "a long enough phrase",
            "confirm": "a long enough phrase",
            "role": "member",
            "accept_terms": "y",
        }
        response = client.post("/signup", data=data)
        assert response.status_code == 200 and b"Check your inbox" in response.data

    _assert_same_cost(
        lambda n: signup(existing.email),
        lambda n: signup(f"new{next(counter)}@example.org"),
    )
    assert len(smtp_server.to(existing.email)) >= 25


@pytest.mark.slow
def test_reset_request_costs_the_same_for_known_and_unknown_addresses(
    mail_config, smtp_server, client, db, make_user
):
    known = make_user(email="known@example.org")
    counter = itertools.count()

    def forgot(email):
        response = client.post("/forgot", data={"email": email})
        assert response.status_code == 302 and "/login" in response.location

    _assert_same_cost(
        lambda n: forgot(known.email), lambda n: forgot(f"unknown{next(counter)}@example.org")
    )
    assert len(smtp_server.to(known.email)) >= 25


def test_reset_request_for_unknown_address_says_no_account_uses_it(
    mail_config, smtp_server, client, db
):
    client.post("/forgot", data={"email": "Nobody@Example.org"})
    (message,) = smtp_server.to("nobody@example.org")
    body = text_of(message)
    assert "no active" in body and "account uses it" in body and "/reset/" not in body
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_logins_and_reset_requests_leave_the_search_index_alone(client, db, make_user):
    user = make_user()
    before = db.session.scalar(sa.select(sa.func.count(SearchChange.id)))
    login(client, user.email)
    client.post("/logout")
    client.post("/forgot", data={"email": user.email})
    assert db.session.scalar(sa.select(sa.func.count(SearchChange.id))) == before
    user = db.session.get(User, user.id)
    user.suspended_at = utcnow()
    db.session.commit()
    changes = db.session.scalars(sa.select(SearchChange).where(SearchChange.doc_id == user.id))
    assert [(c.index, c.doc_id) for c in changes] == [("experts", user.id)]


def test_database_errors_are_logged_without_parameter_values(app_config, caplog):
    from diaspora.extensions import db

    app_config["TESTING"] = False
    app = create_app(app_config)
    secret = "argon2-hash-and-token-7f3c9e"

    @app.post("/failing-statement")
    def failing_statement():
        from diaspora.extensions import db

        db.session.execute(
            sa.text("SELECT * FROM no_such_table WHERE code = :code"), {"code": secret}
        )
        return "unreachable"

    with app.app_context(), caplog.at_level("DEBUG"):
        response = app.test_client().post("/failing-statement")
        db.engine.dispose()
    assert response.status_code == 500
    assert "no_such_table" in caplog.text  # the error itself is logged...
    assert secret not in caplog.text  # ...without the values it was given


@pytest.mark.parametrize("env_name,printed", [("development", True), ("production", False)])
def test_only_development_prints_mail_bodies(
    app, app_config, monkeypatch, capsys, env_name, printed
):
    monkeypatch.setattr("diaspora.check_production", lambda config: None)
    app_config.update(ENV_NAME=env_name, SECRET_KEY="s" * 40, MAIL_SERVER="")
    other = create_app(app_config)
    with other.app_context():
        from diaspora.extensions import db

        db.session.add(
            User(name="Known", email="known@example.org", role=Role.MEMBER, password_hash="x")
        )
        db.session.commit()
        other.test_client().post("/forgot", data={"email": "known@example.org"})
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.status.value == "sent"
        db.session.remove()
        db.engine.dispose()
    out = capsys.readouterr().out
    assert ("/reset/" in out) is printed
    assert (message.body_text in out) is printed


@pytest.mark.parametrize("trusted,separate", [(1, True), (0, False)])
def test_login_limit_counts_per_forwarded_client_only_behind_a_trusted_proxy(
    limited_config, db, make_user, trusted, separate
):
    limited_config.update(TRUSTED_PROXIES=trusted, RATE_LIMIT_LOGIN="3 per 5 minutes")
    app = create_app(limited_config)
    client = app.test_client()
    with app.app_context():
        make_user(email="limited@example.org")

        def attempt(address):
            return client.post(
                "/login",
                data={"email": "limited@example.org", "password": "wrong password!"},
                headers={"X-Forwarded-For": address},
            ).status_code

        assert [attempt("203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
        assert attempt("198.51.100.9") == (200 if separate else 429)
        db.engine.dispose()


def test_production_refuses_per_worker_counters_with_several_workers(app_config):
    config = {
        **app_config,
        "ENV_NAME": "production",
        "SECRET_KEY": "s" * 40,
        "SITE_URL": "https://diaspora.example.org",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/db",
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "WEB_CONCURRENCY": 3,
    }
    with pytest.raises(ConfigurationError, match="shared store"):
        create_app(config)
    assert create_app({**config, "WEB_CONCURRENCY": 1}).config["WEB_CONCURRENCY"] == 1
    shared = create_app({**config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"})
    assert shared.config["RATELIMIT_STORAGE_URI"].startswith("redis://")


_SERVER = """
import sys, json
from werkzeug.serving import run_simple
from diaspora import create_app
run_simple("127.0.0.1", int(sys.argv[1]), create_app(json.loads(sys.argv[2])), threaded=True)
"""


@pytest.mark.slow
def test_login_limit_is_counted_once_across_two_processes(
    limited_config, redis_url, make_user, tmp_path
):
    user = make_user(email="shared@example.org")
    config = {
        **limited_config,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATE_LIMIT_LOGIN": "4 per 5 minutes",
        "SERVER_NAME": None,
    }
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(port), json.dumps(config)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_for_port(port)

        def attempt(port):
            body = urllib.parse.urlencode({"email": user.email, "password": "wrong pass!"})
            request = urllib.request.Request(f"http://127.0.0.1:{port}/login", body.encode())
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        statuses = [attempt(ports[n % 2]) for n in range(5)]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    assert statuses == [200, 200, 200, 200, 429]
