"""Bad input at the edges gets a clear answer, never a 500 (SECURITY.md, round 2): control
characters and line breaks in forms, mail headers from old data, ids and pages beyond the
database's range, out-of-range dates, over-long addresses and bodies, error pages."""

import os
import runpy
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from diaspora import create_app
from diaspora.config import ROOT
from diaspora.extensions import db
from diaspora.mail import deliver_due, queue_email
from diaspora.main.limits import MAX_URL_LENGTH, paginate
from diaspora.models import (
    AuditEntry,
    Institution,
    OutboxMessage,
    Profile,
    ProjectStatus,
    Role,
    SavedSearch,
    User,
)
from diaspora.moderation.routes import AUDIT_PER_PAGE
from diaspora.security import CSP
from diaspora.validation import MAX_PAGE, page_number
from tests.conftest import PG_URL, _empty_tables, free_port
from tests.factories import filled_profile, make_institution, make_project, new_user, sign_in

SIGNUP = {
    "name": "Mariam Tadesse",
    "email": "mariam@example.org",
    "password": "a long enough phrase",
    "confirm": "a long enough phrase",
    "role": "member",
    "accept_terms": "y",
}
INSTITUTION = {
    "name": "University of Rwanda",
    "kind": "university",
    "country": "RW",
    "city": "Kigali",
    "website": "https://ur.example",
    "email_domain": "ur.example",
    "description": "Public university.",
}
LINE_BREAKS = ["Ada\r\nBcc: x@example.org", "Ada\nLovelace", "Ada\u2028Lovelace", "Ada\u2029x"]


def signed_in(app, role=Role.MEMBER, **kwargs):
    user = new_user(role, **kwargs)
    client = app.test_client()
    sign_in(client, user)
    return client, user


def assert_site_page(response, status):
    """The site's own page for ``status``, with the headers the app sets."""
    assert response.status_code == status
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert f"Error {status}." in html and 'class="site-header"' in html


# -- control characters and line breaks, in one place for every form --


def test_nul_and_controls_are_removed_at_sign_up(client, db):
    data = {**SIGNUP, "name": "Mariam\x00 Tadesse\x07\x9b", "email": "mariam@example.org\x00"}
    response = client.post("/signup", data=data)
    assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    user = db.session.scalar(sa.select(User))
    assert (user.name, user.email) == ("Mariam Tadesse", "mariam@example.org")


@pytest.mark.parametrize("value", LINE_BREAKS)
def test_line_breaks_are_refused_in_single_line_fields(app, client, db, value):
    response = client.post("/signup", data={**SIGNUP, "name": value})
    assert response.status_code == 200
    assert "Line breaks are not allowed here." in response.get_data(as_text=True)
    rep_client, _ = signed_in(app, Role.INSTITUTION)
    for field in ("name", "city", "website", "email_domain"):
        response = rep_client.post("/institutions/new", data={**INSTITUTION, field: value})
        assert response.status_code == 200, field
        assert "Line breaks are not allowed here." in response.get_data(as_text=True), field
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # only the rep
    assert db.session.scalar(sa.select(sa.func.count(Institution.id))) == 0


def test_multi_line_fields_keep_tabs_and_line_breaks_but_lose_controls(app):
    client, user = signed_in(app)
    bio = "First\tline\r\nsecond line\n\nNew paragraph\x00\x1b[31m\x7f"
    response = client.post("/profile", data={"display_name": "Mariam\x00", "bio": bio})
    assert response.status_code == 302
    profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))
    assert profile.display_name == "Mariam"
    assert profile.bio == "First\tline\r\nsecond line\n\nNew paragraph[31m"


@pytest.mark.search_index
def test_search_parameters_lose_control_characters(app):
    client, user = signed_in(app)
    response = client.post(
        "/search/saved", data={"q": "nurse\x00s\r\n" + "a" * 10_000, "country": "GH\x00"}
    )
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(SavedSearch).where(SavedSearch.user_id == user.id))
    assert saved.query.startswith("nurses  aaa") and len(saved.query) <= 200
    assert "\x00" not in saved.query and saved.filters == {"country": ["GH"]}
    assert client.get("/search", query_string={"q": "x\x00y", "sector": "\x00"}).status_code == 200


# -- mail headers made safe in the one mail helper --


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Korle Bu\r\nBcc: x@example.org", "Korle Bu Bcc: x@example.org"),
        ("Korle\u2028Bu\u2029", "Korle Bu"),
        ("Korle\x01Bu\x85", "KorleBu"),
    ],
)
def test_invitation_arrives_with_a_clean_subject_whatever_the_stored_name(
    mail_config, smtp_server, app, name, shown
):
    client, rep = signed_in(app, Role.INSTITUTION)
    institution = make_institution(rep)
    db.session.execute(sa.update(Institution).values(name=name))  # stored before the form rule
    db.session.commit()
    response = client.post(
        f"/institutions/{institution.id}/invite", data={"email": "ama@kbth.example"}
    )
    assert response.status_code == 302
    (message,) = smtp_server.to("ama@kbth.example")
    assert (
        str(message["Subject"]).strip() == f"You are invited to represent {shown} on the platform"
    )
    assert message["Bcc"] is None
    assert [m["to"] for m in smtp_server.messages] == [["ama@kbth.example"]]


@pytest.mark.parametrize(
    "sender",
    [
        ("Diaspora\r\nBcc: x@example.org", "no-reply@example.org"),
        "Diaspora\r\nBcc: x@example.org <no-reply@example.org>",
    ],
)
def test_mail_queued_before_the_rules_is_sent_with_clean_headers(
    mail_config, smtp_server, app, sender
):
    app.config["MAIL_DEFAULT_SENDER"] = sender
    db.session.add(
        OutboxMessage(
            template="confirm",
            recipient="old@example.org",
            subject="Old\r\nBcc: x@example.org\u2028subject",
            body_text="text",
            body_html="<p>text</p>",
            headers={"Reply-To": "Ama\nOwusu <ama@example.org>"},
        )
    )
    db.session.commit()
    assert deliver_due() == 1
    (message,) = smtp_server.to("old@example.org")
    assert str(message["Subject"]).strip() == "Old Bcc: x@example.org subject"
    assert str(message["From"]) == '"Diaspora Bcc: x@example.org" <no-reply@example.org>'
    assert str(message["Reply-To"]) == "Ama Owusu <ama@example.org>"
    assert message["Bcc"] is None
    assert [m["to"] for m in smtp_server.messages] == [["old@example.org"]]


def test_a_subject_longer_than_its_column_is_shortened(app, db):
    message = queue_email("a@example.org", "confirm", "x" * 400, confirm_url="x")
    db.session.commit()
    assert len(message.subject) == 255 and message.subject.endswith("\u2026")


# -- ids and page numbers beyond the database's range --


@pytest.mark.parametrize("bad", ["2147483648", "9223372036854775808", "99999999999999999999"])
def test_ids_beyond_the_integer_range_are_404(app, bad):
    rep = new_user(Role.INSTITUTION)
    project = make_project(make_institution(rep), status=ProjectStatus.PENDING)
    client, _ = signed_in(app, Role.COORDINATOR)
    assert client.get(f"/coordination/projects/{project.id}/review").status_code == 200
    for path in (
        f"/coordination/projects/{bad}/review",
        f"/projects/{bad}",
        f"/institutions/{bad}/representatives/{bad}/remove",
    ):
        method = client.post if path.endswith("remove") else client.get
        assert_site_page(method(path), 404)
    assert_site_page(client.get("/projects/0"), 404)
    assert client.get("/projects/2147483647").status_code == 404


def test_ids_from_form_choices_are_range_checked(app):
    client, _ = signed_in(app, Role.COORDINATOR)
    response = client.post(
        "/skills/free", data={"free_id": "9223372036854775808", "curated_id": "2147483648"}
    )
    assert response.status_code == 200 and "Merged:" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("-3", 1),
        ("0", 1),
        (" 7 ", 7),
        ("9223372036854775808", MAX_PAGE),
        ("1e9", 1),
    ],
)
def test_one_rule_for_page_numbers(value, expected):
    assert page_number(value) == expected


def test_a_page_past_the_end_shows_the_last_page(app: Flask, db):
    for n in range(5):
        new_user(email=f"p{n}@example.org")
    query = sa.select(User).order_by(User.id)
    for asked, shown, count in [("9223372036854775808", 3, 1), ("2", 2, 2), ("x", 1, 2)]:
        with app.test_request_context(f"/?page={asked}"):
            page = paginate(query, per_page=2)
        assert (page.page, len(page.items)) == (shown, count), asked
    client, _ = signed_in(app, Role.COORDINATOR)
    response = client.get("/coordination/users?page=9223372036854775808")
    assert response.status_code == 200 and "p4@example.org" in response.get_data(as_text=True)


# -- dates --


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_audit_dates_out_of_range_get_a_clear_message(app, until):
    client, _ = signed_in(app, Role.COORDINATOR)
    response = client.get("/coordination/audit", query_string={"until": until, "since": until})
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2199." in response.get_data(as_text=True)


def test_audit_links_carry_only_the_filters(app):
    client, coordinator = signed_in(app, Role.COORDINATOR)
    for n in range(AUDIT_PER_PAGE + 1):
        db.session.add(AuditEntry(actor_name="C", action="test", target_type="user", target_id=n))
    db.session.commit()
    response = client.get(
        "/coordination/audit",
        query_string={"_scheme": "javascript", "_anchor": "x", "actor": "C", "page": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Page 1 of 2" in html
    assert 'href="/coordination/audit?page=2&amp;actor=C"' in html
    assert "javascript" not in html


def test_form_dates_out_of_range_are_refused(app):
    rep = new_user(Role.INSTITUTION)
    project = make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)
    client, member = signed_in(app)
    filled_profile(member)
    response = client.post(
        f"/projects/{project.id}/apply",
        data={
            "motivation": "I ran two laboratories and would like to help set this one up.",
            "available_from": "9999-12-31",
            "consent": "y",
        },
    )
    assert response.status_code == 200
    assert "Enter a date between 1900 and 2199." in response.get_data(as_text=True)


# -- over-long addresses, over-size bodies and every error page --


@pytest.mark.search_index
def test_an_over_long_address_gets_the_sites_414_page(client):
    assert client.get("/search", query_string={"q": "a" * 4000}).status_code == 200
    assert_site_page(client.get("/search", query_string={"q": "a" * MAX_URL_LENGTH}), 414)
    assert_site_page(client.get("/projects/" + "x" * 10_000), 414)


@pytest.fixture
def production_like(app_config):
    """CSRF on, errors not propagated: the error pages a deployed site shows."""
    app_config.update(WTF_CSRF_ENABLED=True, TESTING=False, PROPAGATE_EXCEPTIONS=False)
    app = create_app(app_config)

    @app.route("/boom", methods=["GET", "POST"])
    def boom():
        raise RuntimeError("boom")

    with app.app_context():
        yield app
        db.session.remove()
        if PG_URL:
            _empty_tables()
        db.engine.dispose()


@pytest.mark.parametrize("role", [None, Role.MEMBER, Role.INSTITUTION, Role.COORDINATOR])
def test_every_error_page_is_the_sites_own_signed_in_or_not(production_like, role):
    client = production_like.test_client()
    if role is not None:
        sign_in(client, new_user(role))
    too_big = {"bio": "x" * (production_like.config["MAX_CONTENT_LENGTH"] + 1)}
    assert_site_page(client.post("/profile", data=too_big), 413)
    assert_site_page(client.post("/signup", data=too_big), 413)
    assert_site_page(client.post("/search/saved", data={"q": "nurses"}), 400)  # no CSRF token
    assert_site_page(client.get("/no/such/page"), 404)
    assert_site_page(client.get("/logout"), 405)
    assert_site_page(client.get("/boom"), 500)
    assert_site_page(client.post("/boom", data=too_big), 413)
    if role is not None:
        html = client.post("/profile", data=too_big).get_data(as_text=True)
        assert 'action="/logout"' in html  # the navigation of a signed-in person


# -- gunicorn in front of the app --


def test_gunicorn_config_allows_the_longest_request_line():
    from gunicorn.config import Config

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    for name, value in settings.items():
        if name in config.settings:
            config.set(name, value)
    assert config.limit_request_line == 8190
    assert config.control_socket_disable is True
    assert config.bind == ["127.0.0.1:8000"] and config.workers == 3


def test_gunicorn_lets_the_app_answer_long_addresses(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DIASPORA_ENV": "development",
        "DIASPORA_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        "HOME": str(tmp_path),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(base + "/search?q=" + "a" * 7000, timeout=10)
        assert answer.value.code == 414
        assert answer.value.headers["Content-Security-Policy"] == CSP
        assert "Error 414." in answer.value.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
