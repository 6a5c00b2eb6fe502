"""Where a visitor was going survives login, sign-up, the confirmation link and a profile
that must be created first; only paths on this site are ever followed."""

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlalchemy as sa

from diaspora.models import OutboxMessage, ProjectStatus, Role, User
from diaspora.security import make_token
from tests.conftest import login
from tests.factories import make_institution, make_project, new_user, sign_in, with_profile

PHRASE = "a long enough phrase"

OFF_SITE = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "http:/evil.example",
    " //evil.example",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%0d%0aLocation:%20https://evil.example",
    "/\t/evil.example",
    "https:%2F%2Fevil.example",
]


@pytest.fixture
def project(db):
    return make_project(make_institution(), status=ProjectStatus.PUBLISHED)


def apply_path(project) -> str:
    return f"/projects/{project.id}/apply"


def signup(client, next_url="", email="zara@example.org"):
    data = {
        "name": "Zara Ahmed",
        "email": email,
        "password": PHRASE,
        "confirm": PHRASE,
        "role": "member",
        "accept_terms": "y",
        "next": next_url,
    }
    return client.post("/signup", data=data)


def last_mail(db, to, template=None):
    query = sa.select(OutboxMessage).where(OutboxMessage.recipient == to)
    if template:
        query = query.where(OutboxMessage.template == template)
    return db.session.scalars(query.order_by(OutboxMessage.id.desc())).first()


def link_in(message, path):
    match = re.search(r"https?://\S*" + path + r"\S*", message.body_text)
    assert match, message.body_text
    return match.group(0).replace("http://diaspora.test", "")


def link_targets(page: str, path: str) -> list[str | None]:
    """The ``next`` of every link on ``page`` to ``path``."""
    hrefs = re.findall(r'(?:href|action)="(' + re.escape(path) + r'[^"]*)"', page)
    return [next_of(href.replace("&amp;", "&")) for href in hrefs]


def stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return parts.scheme in ("", "http") and parts.netloc in ("", "diaspora.test")


def next_of(location: str) -> str | None:
    values = parse_qs(urlsplit(location).query).get("next")
    return values[0] if values else None


def test_apply_when_logged_out_asks_to_log_in_with_the_apply_form_as_next(client, project):
    response = client.get(apply_path(project))
    assert response.status_code == 302
    assert next_of(response.location) == apply_path(project)
    page = client.get(response.location).get_data(as_text=True)
    assert f'value="{apply_path(project)}"' in page  # kept in the login form
    assert apply_path(project) in link_targets(page, "/signup")


def test_signup_page_keeps_next_in_its_form_and_its_login_link(client, project):
    page = client.get(f"/signup?next={quote(apply_path(project))}").get_data(as_text=True)
    assert f'name="next" type="hidden" value="{apply_path(project)}"' in page
    assert apply_path(project) in link_targets(page, "/login")


def test_whole_path_through_signup_and_confirmation_ends_on_the_apply_form(client, db, project):
    response = signup(client, apply_path(project))
    assert b"Check your inbox" in response.data
    assert apply_path(project) in link_targets(response.get_data(as_text=True), "/login")
    link = link_in(last_mail(db, "zara@example.org", "confirm"), "/confirm/")
    response = client.post(link)
    assert response.status_code == 302
    assert next_of(response.location) == apply_path(project)
    response = login(client, "zara@example.org", PHRASE, next_url=next_of(response.location))
    assert response.location == apply_path(project)
    # No profile yet: the apply page sends the member to the profile form and back.
    response = client.get(apply_path(project))
    assert response.status_code == 409
    assert apply_path(project) in link_targets(response.get_data(as_text=True), "/profile")
    profile_link = f"/profile?next={quote(apply_path(project), safe='')}"
    editor = client.get(profile_link).get_data(as_text=True)
    assert apply_path(project) in link_targets(editor, "/profile")  # the form posts it back
    response = client.post(profile_link, data={"display_name": "Zara"})
    assert response.status_code == 302 and response.location == apply_path(project)
    assert b"What the institution will see" in client.get(apply_path(project)).data


def test_confirming_while_logged_in_goes_straight_to_the_target(client, db, project):
    signup(client, apply_path(project))
    link = link_in(last_mail(db, "zara@example.org", "confirm"), "/confirm/")
    user = db.session.scalar(sa.select(User).where(User.email == "zara@example.org"))
    sign_in(client, user)
    assert client.post(link).location == apply_path(project)


def test_confirmation_without_a_target_goes_to_plain_login(client, db):
    signup(client)
    link = link_in(last_mail(db, "zara@example.org", "confirm"), "/confirm/")
    assert client.post(link).location == "/login"


def test_existing_address_gets_a_login_link_with_the_target(client, db, project):
    new_user(email="zara@example.org")
    signup(client, apply_path(project))
    message = last_mail(db, "zara@example.org", "signup_existing")
    assert next_of(link_in(message, "/login")) == apply_path(project)


@pytest.mark.parametrize("target", OFF_SITE)
def test_signup_never_carries_an_off_site_target(client, db, target):
    page = client.get("/signup", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page and "javascript" not in page.lower()
    signup(client, target)
    link = link_in(last_mail(db, "zara@example.org", "confirm"), "/confirm/")
    location = client.post(link).location
    assert location == "/login"


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_page_and_logged_in_redirects_stay_on_site(client, target):
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page and "javascript" not in page.lower()
    user = new_user()
    sign_in(client, user)
    for path in ("/login", "/signup"):
        response = client.get(path, query_string={"next": target})
        assert response.status_code == 302 and stays_on_site(response.location)
        assert "evil" not in response.location


@pytest.mark.parametrize("target", OFF_SITE)
def test_forged_target_in_a_signed_confirmation_token_is_not_followed(client, db, app, target):
    """Even a token signed with the site's key (a leaked or older format) carries no
    off-site target: the path is checked again when it is read."""
    user = new_user(confirmed=False, email="zara@example.org")
    with app.test_request_context():
        token = make_token("confirm", {"uid": user.id, "email": user.email, "next": target})
    sign_in(client, user)
    response = client.post(f"/confirm/{token}")
    assert response.location == "/"


def test_tampered_confirmation_token_confirms_nothing_and_goes_nowhere_else(client, db):
    signup(client, "/projects/1/apply")
    link = link_in(last_mail(db, "zara@example.org", "confirm"), "/confirm/")
    response = client.post(link[:-4] + "abcd")
    assert response.location == "/login"
    user = db.session.scalar(sa.select(User).where(User.email == "zara@example.org"))
    assert not user.is_confirmed


@pytest.mark.parametrize("target", OFF_SITE)
def test_profile_save_never_leaves_the_site(client, target):
    user = new_user(role=Role.MEMBER)
    sign_in(client, user)
    page = client.get("/profile", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page
    response = client.post("/profile", query_string={"next": target}, data={"display_name": "Zara"})
    assert response.status_code == 302 and response.location == "/profile"


def test_profile_save_without_next_stays_on_the_editor(client):
    sign_in(client, with_profile(new_user()))
    response = client.post("/profile", data={"display_name": "Zara"})
    assert response.location == "/profile"
