"""Accounts: sign-up, confirmation, login, logout, reset, password and email changes."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from diaspora.models import OutboxMessage, Role, User
from tests.conftest import PASSWORD, first_link, login


def signup(
    client,
    email="new@example.org",
    password="a long enough phrase",
    role="member",
    name="Zara Ahmed",
    **extra,
):
    data = {
        "name": name,
        "email": email,
        "password": password,
        "confirm": password,
        "role": role,
        "accept_terms": "y",
        **extra,
    }
    return client.post("/signup", data=data)


def outbox(db, to=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.recipient == to)
    return db.session.scalars(query).all()


def link_in(message, path):
    match = re.search(r"https?://\S*" + path + r"\S*", message.body_text)
    assert match, message.body_text
    return match.group(0).replace("http://diaspora.test", "")


def test_signup_creates_unconfirmed_member_and_queues_confirmation(client, db):
    response = signup(client)
    assert response.status_code == 200
    assert b"Check your inbox" in response.data
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
    assert user.role == Role.MEMBER and not user.is_confirmed
    assert user.password_hash.startswith("$argon2id$")
    (message,) = outbox(db, "new@example.org")
    assert message.template == "confirm"


def test_confirmation_link_confirms(client, db):
    signup(client)
    (message,) = outbox(db, "new@example.org")
    response = client.post(link_in(message, "/confirm/"), follow_redirects=True)
    assert b"confirmed" in response.data
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.org"))
    assert user.is_confirmed


def test_tampered_or_expired_confirmation_is_rejected(client, db):
    signup(client)
    (message,) = outbox(db, "new@example.org")
    link = link_in(message, "/confirm/")
    response = client.get(link[:-3] + "xyz", follow_redirects=True)
    assert b"invalid or has expired" in response.data
    with freeze_time(timedelta(days=4)):
        response = client.get(link, follow_redirects=True)
    assert b"invalid or has expired" in response.data
    assert not db.session.scalar(sa.select(User.email_confirmed_at))


def test_signup_with_existing_address_answers_the_same(client, db, make_user):
    existing = make_user(email="taken@example.org")
    first = signup(client, email="taken@example.org")
    second = signup(client, email="free@example.org")
    assert first.status_code == second.status_code == 200
    strip = lambda r, e: r.data.replace(e.encode(), b"EMAIL")  # noqa: E731
    assert strip(first, "taken@example.org") == strip(second, "free@example.org")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2
    (warning,) = outbox(db, "taken@example.org")
    assert warning.template == "signup_existing" and warning.user_id == existing.id


@pytest.mark.parametrize("role", ["coordinator", "admin", "superuser"])
def test_signup_cannot_choose_a_privileged_role(client, db, role):
    response = signup(client, role=role)
    assert b"Check your inbox" not in response.data
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_signup_ignores_extra_fields(client, db):
    signup(client, email_confirmed_at="2020-01-01", session_token="x", suspended_at="")
    user = db.session.scalar(sa.select(User))
    assert user.role == Role.MEMBER and not user.is_confirmed and user.session_token != "x"


@pytest.mark.parametrize(
    "password,accepted",
    [
        ("seven77", False),
        ("password1", False),
        ("qwertyuiop", False),
        ("aaaaaaaaaaaa", False),
        ("x7Qp!m2Z", True),
        ("Ünïcödé pässwörd ✓ 山川", True),
        ("p" + "abcdefghij" * 6 + "xyz", True),
        ("a" * 129, False),
    ],
)
def test_password_rules(client, db, password, accepted):
    signup(client, password=password)
    user = db.session.scalar(sa.select(User))
    assert (user is not None) == accepted
    if accepted:
        assert user.check_password(password)
        assert not user.check_password(password + " ")


def test_sixty_four_character_password_is_kept_as_typed(client, db):
    password = "Mot de passe très long, avec des accents: éàü — كلمة سر طويلة 2026!"[:64]
    assert len(password) == 64
    signup(client, password=password)
    user = db.session.scalar(sa.select(User))
    user.email_confirmed_at = user.created_at
    db.session.commit()
    assert login(client, "new@example.org", password).status_code == 302


def test_login_failures_answer_identically(client, make_user):
    make_user(email="real@example.org")
    suspended = make_user(email="suspended@example.org")
    suspended.suspended_at = suspended.created_at
    from diaspora.extensions import db

    db.session.commit()
    answers = [
        login(client, "nobody@example.org", PASSWORD),
        login(client, "real@example.org", "wrong password!"),
        login(client, "suspended@example.org", PASSWORD),
    ]
    assert {r.status_code for r in answers} == {200}
    emails = ("nobody@example.org", "real@example.org", "suspended@example.org")
    bodies = {r.data.replace(e.encode(), b"EMAIL") for r, e in zip(answers, emails, strict=True)}
    assert len(bodies) == 1
    assert b"Email or password is incorrect." in answers[0].data


def test_login_logout_and_copied_cookie_stops_working(app, client, make_user):
    user = make_user()
    assert login(client, user.email).status_code == 302
    assert client.get("/account").status_code == 200
    cookie = client.get_cookie("diaspora_session", domain="diaspora.test").value
    copy = app.test_client()
    copy.set_cookie("diaspora_session", cookie, domain="diaspora.test")
    assert copy.get("/account").status_code == 200, "the copied cookie works before logout"
    client.post("/logout")
    assert client.get("/account").status_code == 302
    thief = app.test_client()
    thief.set_cookie("diaspora_session", cookie, domain="diaspora.test")
    assert thief.get("/account").status_code == 302


def test_remember_me_cookie_dies_with_password_change(app, client, make_user):
    user = make_user()
    login(client, user.email, remember=True)
    remember = client.get_cookie("diaspora_remember", domain="diaspora.test")
    assert remember is not None and remember.http_only
    other = app.test_client()
    other.set_cookie("diaspora_remember", remember.value, domain="diaspora.test")
    assert other.get("/account").status_code == 200
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "an entirely new phrase",
            "confirm": "an entirely new phrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200, "this session continues"
    fresh = app.test_client()
    fresh.set_cookie("diaspora_remember", remember.value, domain="diaspora.test")
    assert fresh.get("/account").status_code == 302, "the old remember-me cookie is dead"


def test_change_password_requires_current_password(client, db, make_user):
    user = make_user()
    login(client, user.email)
    response = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": "an entirely new phrase",
            "confirm": "an entirely new phrase",
        },
    )
    assert response.status_code == 400
    assert b"current password is not correct" in response.data
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_change_email_requires_password_and_confirmation(client, db, make_user):
    user = make_user(email="old@example.org")
    login(client, user.email)
    bad = client.post(
        "/account/email", data={"current_password": "wrong one!", "email": "new@example.org"}
    )
    assert bad.status_code == 400
    assert (
        client.post(
            "/account/email", data={"current_password": PASSWORD, "email": "New@Example.org"}
        ).status_code
        == 302
    )
    db.session.refresh(user)
    assert user.email == "old@example.org" and user.pending_email == "new@example.org"
    (message,) = outbox(db, "new@example.org")
    client.post(link_in(message, "/account/email/confirm/"))
    db.session.refresh(user)
    assert user.email == "new@example.org" and user.pending_email is None


class TestPasswordReset:
    def request(self, client, email):
        return client.post("/forgot", data={"email": email}, follow_redirects=True)

    def test_same_answer_for_known_and_unknown(self, client, db, make_user):
        make_user(email="known@example.org")
        known = self.request(client, "known@example.org")
        unknown = self.request(client, "unknown@example.org")
        assert known.status_code == unknown.status_code == 200
        assert known.data == unknown.data
        assert [m.template for m in outbox(db)] == ["reset_password", "reset_no_account"]
        assert "/reset/" not in outbox(db, "unknown@example.org")[0].body_text

    def reset_link(self, db, email):
        return link_in(outbox(db, email)[-1], "/reset/")

    def test_reset_works_once_and_ends_sessions(self, app, client, db, make_user):
        user = make_user(email="r@example.org")
        other_device = app.test_client()
        login(other_device, user.email)
        self.request(client, user.email)
        link = self.reset_link(db, user.email)
        data = {"password": "brand new secret phrase", "confirm": "brand new secret phrase"}
        assert client.post(link, data=data).status_code == 302
        assert other_device.get("/account").status_code == 302
        assert login(client, user.email, "brand new secret phrase").status_code == 302
        client.post("/logout")
        again = client.post(
            link, data={"password": "third secret phrase!", "confirm": "third secret phrase!"}
        )
        assert again.status_code == 302 and "/forgot" in again.location
        db.session.refresh(user)
        assert user.check_password("brand new secret phrase")

    def test_superseded_link_is_rejected(self, client, db, make_user):
        user = make_user(email="s@example.org")
        self.request(client, user.email)
        first = self.reset_link(db, user.email)
        self.request(client, user.email)
        second = self.reset_link(db, user.email)
        data = {"password": "brand new secret phrase", "confirm": "brand new secret phrase"}
        assert "/forgot" in client.post(first, data=data).location
        assert "/login" in client.post(second, data=data).location

    def test_expired_link_is_rejected(self, client, db, make_user):
        user = make_user(email="e@example.org")
        self.request(client, user.email)
        link = self.reset_link(db, user.email)
        with freeze_time(timedelta(hours=2)):
            response = client.get(link)
        assert response.status_code == 302 and "/forgot" in response.location


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "\\\\evil.example",
        "/%0d%0aLocation:%20https://evil.example",
        " //evil.example",
    ],
)
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user()
    response = login(client, user.email, next_url=target)
    assert response.status_code == 302
    parts = urlsplit(response.location)
    assert parts.netloc in ("", "diaspora.test") and parts.scheme in ("", "http")


def test_next_on_site_is_followed(client, make_user):
    user = make_user()
    assert login(client, user.email, next_url="/account").location == "/account"


def test_unconfirmed_user_sees_banner_and_can_resend(client, db, make_user):
    user = make_user(confirmed=False)
    login(client, user.email)
    page = client.get("/")
    assert b"Please confirm your email address" in page.data
    client.post("/confirm/resend")
    assert outbox(db, user.email)[-1].template == "confirm"


def test_confirm_token_for_old_address_is_stale(client, db, make_user):
    user = make_user(email="before@example.org", confirmed=False)
    from diaspora.services.accounts import send_confirmation

    send_confirmation(user)
    db.session.commit()
    link = link_in(outbox(db, "before@example.org")[-1], "/confirm/")
    user.email = "after@example.org"
    db.session.commit()
    client.post(link)
    db.session.refresh(user)
    assert not user.is_confirmed


def test_signup_mail_reaches_smtp_and_link_confirms(mail_config, smtp_server, client, db):
    signup(client, email="smtp@example.org")
    (message,) = smtp_server.to("smtp@example.org")
    assert message["Subject"] == "Confirm your email address"
    assert message.get_body(preferencelist=("html",)) is not None
    link = first_link(message, "/confirm/").replace("http://diaspora.test", "")
    client.post(link)
    user = db.session.scalar(sa.select(User).where(User.email == "smtp@example.org"))
    assert user.is_confirmed
    assert login(client, "smtp@example.org", "a long enough phrase").status_code == 302


@pytest.mark.parametrize("password", ["zara.ahmed@example.org", "Zara.Ahmed", "diaspora"])
def test_address_its_local_part_and_site_name_are_refused_as_password(
    client, db, make_user, password
):
    signup(client, email="zara.ahmed@example.org", password=password)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    user = make_user(email="zara.ahmed@example.org")
    login(client, user.email)
    data = {"current_password": PASSWORD, "password": password, "confirm": password}
    assert client.post("/account/password", data=data).status_code == 400
    client.post("/logout")
    client.post("/forgot", data={"email": user.email})
    link = link_in(outbox(db, user.email)[-1], "/reset/")
    client.post(link, data={"password": password, "confirm": password})
    db.session.refresh(user)
    assert user.check_password(PASSWORD) and not user.check_password(password)


def test_confirmation_link_works_once(client, db):
    signup(client)
    (message,) = outbox(db, "new@example.org")
    link = link_in(message, "/confirm/")
    assert b"confirmed" in client.post(link, follow_redirects=True).data
    again = client.post(link, follow_redirects=True)
    assert b"invalid or has expired" in again.data


def test_email_change_link_works_once(client, db, make_user):
    user = make_user(email="old@example.org")
    login(client, user.email)
    client.post("/account/email", data={"current_password": PASSWORD, "email": "new@example.org"})
    link = link_in(outbox(db, "new@example.org")[-1], "/account/email/confirm/")
    assert client.post(link).status_code == 302
    login(client, "new@example.org")
    client.post("/account/email", data={"current_password": PASSWORD, "email": "old@example.org"})
    client.post(link_in(outbox(db, "old@example.org")[-1], "/account/email/confirm/"))
    db.session.refresh(user)
    assert user.email == "old@example.org"
    login(client, "old@example.org")
    client.post("/account/email", data={"current_password": PASSWORD, "email": "new@example.org"})
    assert client.post(link).status_code == 404  # the first link, for an earlier change
    db.session.refresh(user)
    assert user.email == "old@example.org" and user.pending_email == "new@example.org"
