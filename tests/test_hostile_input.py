"""Hostile input on every route, generated from ``app.url_map`` so new routes are covered.

For every rule: ids substituted (a real one, and 2147483648, 9223372036854775808, -1, 0),
a GET with ``?page=9223372036854775808&q=%00``, and for rules that accept POST, form bodies
whose every text field holds NUL, CR/LF, U+2028 or 10,000 characters, and one body over
the size limit. Fields are read from
the forms the GET page shows, plus every field of every form class. Each request is made
signed out and signed in as a member, an institution representative and a coordinator.
Nothing may answer 500 or more, and every answer carries the site's security headers.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)

from diaspora import create_app
from diaspora.extensions import db
from diaspora.forms import BaseForm
from diaspora.models import (
    Application,
    Education,
    InstitutionRepresentative,
    Notification,
    OutboxMessage,
    ProfileLanguage,
    ProfileSkill,
    ProjectReport,
    Role,
    SavedSearch,
    Skill,
    SkillLabel,
    TravelWindow,
    User,
)
from diaspora.security import CSP
from tests.conftest import PASSWORD
from tests.factories import filled_profile, make_institution, make_project, new_user, sign_in

ROLES = ("visitor", "member", "rep", "coordinator")
OUT_OF_RANGE_IDS = ("2147483648", "9223372036854775808", "-1", "0")
HOSTILE = {
    "nul": "\x00",
    "crlf": "\r\nBcc: victim@example.org",
    "u2028": "\u2028next\u2029",
    "long": "a" * 10_000,
}
# Also NUL with valid email addresses, so forms that need one (sign-up) reach the database.
NUL_BESIDE_VALID_EMAILS = "nul, valid emails"
OVER_SIZE = b"q=" + b"a" * (256 * 1024)  # the default MAX_CONTENT_LENGTH, plus the name
FORM_TYPE = "application/x-www-form-urlencoded"
LONG_FIELDS_MAX = 16  # keeps the 10,000-character body under MAX_CONTENT_LENGTH
OTHER_ARGS = {"token": "not-a-token", "action": "close", "kind": "have", "filename": "style.css"}

# id arguments of the routes -> the column of a real row made by ``world``
ID_SOURCES = {
    "application_id": Application.id,
    "entry_id": Education.id,
    "language_id": ProfileLanguage.id,
    "message_id": OutboxMessage.id,
    "notification_id": Notification.id,
    "rep_id": InstitutionRepresentative.id,
    "report_id": ProjectReport.id,
    "saved_id": SavedSearch.id,
    "skill_id": ProfileSkill.skill_id,
    "window_id": TravelWindow.id,
}


def _rules():
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SEARCH_INDEX_DIR": "unused",
            "MAIL_FILE_DIR": "unused",
        }
    )
    return sorted(
        (rule.rule, tuple(sorted(rule.methods & {"GET", "POST"})))
        for rule in app.url_map.iter_rules()
    )


RULES = _rules()


class FormReader(HTMLParser):
    """The POST forms of a page: action and (name, kind, value) of every field."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str, str]]]] = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self.forms.append((attrs.get("action") or "", []))
            else:
                self.forms.append(("#get", []))
            return
        if not self.forms or not attrs.get("name"):
            if tag == "option" and self._select is not None and self._select[2] == "":
                self._select[2] = attrs.get("value", "")
            return
        fields = self.forms[-1][1]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "reset"):
                return
            fields.append((attrs["name"], kind, attrs.get("value") or ""))
        elif tag == "textarea":
            self._textarea = [attrs["name"], "textarea", ""]
            fields.append(self._textarea)
        elif tag == "select":
            self._select = [attrs["name"], "select", ""]
            fields.append(self._select)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_fields(html: str, path: str) -> list[tuple[str, str, str]]:
    """Fields of the page's POST forms that submit to ``path``."""
    reader = FormReader()
    reader.feed(html)
    return [
        tuple(field)
        for action, fields in reader.forms
        if action != "#get" and (urlsplit(action).path or path) == path
        for field in fields
    ]


def _form_classes():
    seen, todo = [], [BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            seen.append(sub)
            todo.append(sub)
    return seen


def class_fields() -> list[tuple[str, str, str]]:
    """Every field of every form class, as (name, kind, a valid value)."""
    fields = []
    for form_class in _form_classes():
        try:
            form = form_class(formdata=None)
        except TypeError:  # forms that need arguments are covered by their pages
            continue
        for field in form:
            fields.extend(_describe(field))
    return fields


def _describe(field):
    if isinstance(field, FieldList):
        return [(f"{field.name}-0", "text", "")]
    if isinstance(field, PasswordField):
        return [(field.name, "password", "")]
    if isinstance(field, EmailField):
        return [(field.name, "email", "")]
    if isinstance(field, (SelectField, RadioField, SelectMultipleField)):
        values = [str(value) for value, *_ in field.iter_choices() if str(value)]
        return [(field.name, "select", values[0])] if values else []
    if isinstance(field, BooleanField):
        return [(field.name, "checkbox", "y")]
    if isinstance(field, DateField):
        return [(field.name, "date", "")]
    if isinstance(field, IntegerField):
        return [(field.name, "number", "")]
    if isinstance(field, StringField):
        return [(field.name, "textarea" if field.type == "TextAreaField" else "text", "")]
    return []


TEXT_KINDS = {"text", "textarea", "email", "search", "url", "tel"}


def hostile_body(fields, hostile: str, emails: bool = True) -> MultiDict:
    """A body where every text field (``emails`` too, or not) carries ``hostile`` and the
    others a valid value."""
    body, long_fields = MultiDict(), 0
    for name, kind, value in fields:
        if name in body or name == "csrf_token":
            continue
        if kind == "email" and not emails:
            body.add(name, "valid@example.org")
        elif kind in TEXT_KINDS:
            base = value or ("hostile@example.org" if kind == "email" else "Text")
            long_fields += len(hostile) > 1000
            body.add(name, base if long_fields > LONG_FIELDS_MAX else base + hostile)
        elif kind == "password":
            body.add(name, PASSWORD)
        elif kind == "date":
            body.add(name, value or "2031-03-14")
        elif kind == "number":
            body.add(name, value or "3")
        elif kind in ("checkbox", "radio", "select", "hidden"):
            body.add(name, value or "y")
    return body


@pytest.fixture
def app_config(app_config):
    """Mail stays queued (delivery is not what these tests are about, and it is slow)."""
    app_config["MAIL_DELIVER_AFTER_COMMIT"] = False
    return app_config


@pytest.fixture
def world(app, client):
    """One of everything a route's id can name, and a user for each role."""
    member = new_user(Role.MEMBER, email="member@example.org")
    rep = new_user(Role.INSTITUTION, email="rep@example.org")
    second_rep = new_user(Role.INSTITUTION, email="rep2@example.org")
    coordinator = new_user(Role.COORDINATOR, email="coordinator@example.org")
    filled_profile(member, listed=True, public=True)
    institution = make_institution(rep)
    institution.representatives.append(InstitutionRepresentative(user_id=second_rep.id))
    from diaspora.models import ProjectStatus

    project = make_project(institution, status=ProjectStatus.PUBLISHED)
    skill = Skill(name="Family medicine", key="family medicine", curated=True, sector="health")
    skill.labels.append(SkillLabel(label="GP", key="gp", source="taxonomy"))
    db.session.add(skill)
    db.session.commit()
    sign_in(client, member)
    client.post(
        f"/projects/{project.id}/apply",
        data={"motivation": "I ran two laboratories and would like to help.", "consent": "y"},
    )
    client.post(f"/projects/{project.id}/report", data={"reason": "fees", "comment": "x"})
    client.post("/search/saved", data={"q": "nurses", "frequency": "weekly"})
    with client.session_transaction() as session:
        session.clear()
    ids = {
        "institution_id": institution.id,
        "project_id": project.id,
        "user_id": member.id,
    }
    for name, column in ID_SOURCES.items():
        ids[name] = db.session.scalar(sa.select(column).order_by(column).limit(1)) or 1
    users = {"member": member.id, "rep": rep.id, "coordinator": coordinator.id}
    return {"ids": ids, "users": users}


def become(client, world, role):
    db.session.rollback()
    with client.session_transaction() as session:
        session.clear()
    if role == "visitor":
        return
    user = db.session.get(User, world["users"][role])
    if user is not None and user.is_active:
        sign_in(client, user)


def url_of(rule: str, ids: dict, id_value: str | None = None) -> str:
    """``rule`` with its arguments filled in: real ids, or ``id_value`` for every id."""
    parts = []
    for piece in rule.split("<"):
        if ">" not in piece:
            parts.append(piece)
            continue
        argument, rest = piece.split(">", 1)
        converter, _, name = argument.rpartition(":")
        if converter == "int":
            parts.append(id_value if id_value is not None else str(ids.get(name, 1)))
        else:
            parts.append(OTHER_ARGS.get(name, "x"))
        parts.append(rest)
    return "".join(parts)


def problems(response, what: str) -> list[str]:
    """What is wrong with one answer: a server error, or missing security headers."""
    response.close()
    found = []
    if response.status_code >= 500:
        found.append(f"{what}: {response.status_code}")
    if response.headers.get("Content-Security-Policy") != CSP:
        found.append(f"{what}: no Content-Security-Policy")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        found.append(f"{what}: no X-Content-Type-Options")
    return found


def try_rule(client, world, rule: str, methods: tuple, fields: list) -> list[str]:
    """Every hostile request for one rule, in every role; the problems found."""
    found = []
    real = url_of(rule, world["ids"])
    for role in ROLES:
        for method in methods:
            for bad_id in OUT_OF_RANGE_IDS if "<int:" in rule else ():
                become(client, world, role)
                url = url_of(rule, world["ids"], bad_id)
                response = client.open(url, method=method)
                found += problems(response, f"{role} {method} {url}")
                if response.status_code != 404:
                    found.append(f"{role} {method} {url}: {response.status_code}, not 404")
        if "GET" in methods:
            become(client, world, role)
            response = client.get(real, query_string="page=9223372036854775808&q=%00&project=0")
            found += problems(response, f"{role} GET {real}?page=...")
        if "POST" in methods:
            become(client, world, role)
            shown = []
            if "GET" in methods:
                page = client.get(real)
                shown = page_fields(page.get_data(as_text=True), real)
            bodies = {name: hostile_body(shown + fields, value) for name, value in HOSTILE.items()}
            bodies[NUL_BESIDE_VALID_EMAILS] = hostile_body(shown + fields, "\x00", emails=False)
            for name, body in bodies.items():
                become(client, world, role)
                response = client.post(real, data=body)
                found += problems(response, f"{role} POST {real} ({name})")
            become(client, world, role)
            response = client.post(real, data=OVER_SIZE, content_type=FORM_TYPE)
            found += problems(response, f"{role} POST {real} (over the size limit)")
    return found


def _area(rule: str) -> str:
    return rule.strip("/").split("/")[0] or "home"


AREAS = sorted({_area(rule) for rule, _ in RULES})
SEARCHING_AREAS = {"search", "experts"}


@pytest.mark.parametrize(
    "area",
    [pytest.param(a, marks=pytest.mark.search_index) if a in SEARCHING_AREAS else a for a in AREAS],
)
def test_hostile_input_never_fails(client, world, area):
    """Every rule of one area (its first path segment), with one set of test data."""
    fields = class_fields()
    found = []
    for rule, methods in RULES:
        if _area(rule) == area:
            found += try_rule(client, world, rule, methods, fields)
    assert not found, "\n".join(found)


def test_every_form_inherits_the_base_form():
    """The input rules hold for every form only if every form has them."""
    from flask_wtf import FlaskForm

    import diaspora

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith(diaspora.__name__)]
    assert len(ours) > 20
    assert all(issubclass(c, BaseForm) for c in ours), [
        c.__qualname__ for c in ours if not issubclass(c, BaseForm)
    ]
