"""A form that fails shows "There is a problem" above the page, each line a link to a
control that exists, "Error: " before the title, each message tied to its control, and
keeps what was typed (passwords excepted)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from diaspora.models import ProjectStatus, Role
from tests.conftest import PASSWORD, login
from tests.factories import make_institution, make_project, new_user, sign_in, with_profile

KEPT = "Kept-as-typed-\u0623\u0645\u0647\u0631\u064a"  # Latin and Arabic, as typed


@dataclass
class Page(HTMLParser):
    """What the checks need from a page: its title, every element by id, the summary's
    links and the values of inputs and text areas."""

    title: str = ""
    ids: dict = field(default_factory=dict)
    id_counts: dict = field(default_factory=dict)
    summary_links: list = field(default_factory=list)
    _in_title: bool = False
    _in_summary: int = 0
    _textarea: str | None = None
    textareas: dict = field(default_factory=dict)

    def __post_init__(self):
        super().__init__()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = (tag, attrs)
            self.id_counts[attrs["id"]] = self.id_counts.get(attrs["id"], 0) + 1
        if tag == "title":
            self._in_title = True
        if "error-summary" in (attrs.get("class") or "").split():
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(attrs.get("href", ""))
        if tag == "textarea":
            self._textarea = attrs.get("id")
            self.textareas[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "div" and self._in_summary:
            self._in_summary -= 1
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._textarea:
            self.textareas[self._textarea] += data

    def value(self, control_id):
        tag, attrs = self.ids[control_id]
        if tag == "textarea":
            return self.textareas[control_id].strip()
        return attrs.get("value")


def parse(response) -> Page:
    page = Page()
    page.feed(response.get_data(as_text=True))
    return page


def check_summary(response, expected_targets):
    """The summary and its links, the title and the ties from message to control."""
    body = response.get_data(as_text=True)
    page = parse(response)
    assert "There is a problem" in body
    assert 'role="alert"' in body
    assert page.title.startswith("Error: ")
    targets = [href.removeprefix("#") for href in page.summary_links]
    assert set(expected_targets) <= set(targets), targets
    for target in targets:
        assert page.id_counts.get(target) == 1, f"#{target} is not one element of the page"
        tag, attrs = page.ids[target]
        assert tag in ("input", "select", "textarea"), (target, tag)
        described = (attrs.get("aria-describedby") or "").split()
        if attrs.get("type") == "radio":  # the group's fieldset carries the description
            continue
        error_ids = [d for d in described if d.endswith("-err")]
        assert error_ids, f"#{target} is not described by its error message"
        assert all(d in page.ids for d in described)
        assert attrs.get("aria-invalid") == "true"
    return page


@dataclass
class Case:
    name: str
    prepare: object  # (client) -> url
    data: dict
    errors: tuple
    kept: dict
    secret: tuple = ()


def _member(client):
    sign_in(client, new_user())
    return "/profile"


def _rep_institution(client):
    rep = new_user(role=Role.INSTITUTION)
    sign_in(client, rep)
    return rep


def _project_form(client):
    institution = make_institution(_rep_institution(client))
    return f"/projects/new/{institution.id}"


def _institution_form(client):
    _rep_institution(client)
    return "/institutions/new"


def _apply_form(client):
    project = make_project(make_institution(), status=ProjectStatus.PUBLISHED)
    sign_in(client, with_profile(new_user()))
    return f"/projects/{project.id}/apply"


def _account(client):
    sign_in(client, new_user())
    return "/account/password"


DAY_30_FEB = {
    "available_from-day": "30",
    "available_from-month": "Feb",
    "available_from-year": "2027",
}

CASES = [
    Case(
        "signup",
        lambda client: "/signup",
        {"name": KEPT, "email": "not an address", "password": "secret phrase 1", "role": "member"},
        ("email", "confirm", "accept_terms"),
        {"name": KEPT, "email": "not an address"},
        secret=("secret phrase 1",),
    ),
    Case(
        "profile",
        _member,
        {"display_name": "", "headline": KEPT, "years_experience": "many"},
        ("display_name", "years_experience"),
        {"headline": KEPT, "years_experience": "many"},
    ),
    Case(
        "project",
        _project_form,
        {"title": "", "summary": KEPT, "region": KEPT, "places": "0", "skills-0": "x" * 401},
        ("title", "deadline-day", "places", "skills-0"),
        {"summary": KEPT, "region": KEPT, "places": "0"},
    ),
    Case(
        "institution",
        _institution_form,
        {"name": "", "city": KEPT, "description": KEPT},
        ("name", "country"),
        {"city": KEPT, "description": KEPT},
    ),
    Case(
        "apply",
        _apply_form,
        {"motivation": KEPT, "hours_per_month": "900", **DAY_30_FEB},
        ("motivation", "hours_per_month", "available_from-day", "consent"),
        {"motivation": KEPT, "hours_per_month": "900", **DAY_30_FEB},
    ),
    Case(
        "account password",
        _account,
        {"current_password": "", "password": "new secret phrase", "confirm": "other phrase"},
        ("current_password", "confirm"),
        {},
        secret=("new secret phrase", "other phrase"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_failed_form_shows_a_summary_linking_to_each_field_and_keeps_input(client, db, case):
    url = case.prepare(client)
    response = client.post(url, data=case.data)
    assert response.status_code in (200, 400)
    page = check_summary(response, case.errors)
    for control_id, typed in case.kept.items():
        assert page.value(control_id) == typed, control_id
    body = response.get_data(as_text=True)
    for secret in case.secret:
        assert secret not in body


def test_failed_login_sums_up_and_keeps_the_address_not_the_password(client, db):
    user = new_user()
    response = login(client, user.email, "wrong password!")
    page = check_summary(response, ("email",))
    assert page.value("email") == user.email
    assert "wrong password!" not in response.get_data(as_text=True)
    assert "Email or password is incorrect." in response.get_data(as_text=True)


def test_a_page_without_errors_has_no_summary_and_a_plain_title(client, db):
    for url in ("/signup", "/login"):
        response = client.get(url)
        assert "There is a problem" not in response.get_data(as_text=True)
        assert not parse(response).title.startswith("Error")


def test_a_sent_form_that_succeeds_leaves_no_summary_on_the_next_page(client, db):
    user = new_user()
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert "There is a problem" not in client.get(response.location).get_data(as_text=True)


def test_hint_and_error_both_describe_the_control(client, db):
    response = client.post("/signup", data={"name": "", "password": "x"})
    page = parse(response)
    _, attrs = page.ids["name"]
    assert attrs["aria-describedby"].split() == ["name-hint", "name-err"]
    assert "name-hint" in page.ids and "name-err" in page.ids


def test_radio_group_errors_link_to_the_first_choice(client, db):
    response = client.post("/signup", data={"role": ""})
    page = check_summary(response, ("role-0",))
    assert page.ids["role-0"][1]["type"] == "radio"


def test_email_change_form_links_to_its_own_password_box(client, db):
    sign_in(client, new_user())
    response = client.post("/account/email", data={"email": KEPT})
    page = check_summary(response, ("email-current-password", "email"))
    assert page.value("email") == KEPT
    assert page.id_counts["current_password"] == 1  # the password form's own box


def test_error_page_after_a_failed_form_shows_no_summary(client, db, app):
    """A refusal answered by the error page names no field of a form it does not show."""
    sign_in(client, new_user(role=Role.INSTITUTION))
    response = client.post("/profile", data={"display_name": ""})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "There is a problem" not in body and not parse(response).title.startswith("Error")


def test_refusal_naming_no_field_heads_the_summary_and_the_form_keeps_its_input(client, db):
    """The service refuses what the form let through (an ORCID iD whose check digit is
    wrong): its message is the summary's first line, and what was typed stays."""
    sign_in(client, new_user())
    response = client.post("/profile", data={"display_name": KEPT, "orcid": "0000-0002-1825-0098"})
    body = response.get_data(as_text=True)
    page = parse(response)
    assert page.title.startswith("Error: ")
    assert "There is a problem" in body and "This ORCID iD is not valid" in body
    assert body.count("This ORCID iD is not valid") == 1  # in the summary, not flashed too
    assert page.value("display_name") == KEPT
    assert all(page.id_counts.get(href[1:]) == 1 for href in page.summary_links)


def test_checkbox_group_errors_link_to_the_first_box_and_show_beside_it(client, db):
    sign_in(client, new_user())
    response = client.post("/profile", data={"display_name": KEPT, "sectors": "no-such-sector"})
    body = response.get_data(as_text=True)
    page = parse(response)
    assert page.title.startswith("Error: ")
    assert "#sectors-0" in page.summary_links
    assert page.ids["sectors-0"][1]["type"] == "checkbox"
    assert "sectors-err" in page.ids and 'aria-describedby="sectors-err"' in body
