"""Dates are typed in three boxes, day, month and year (and a time on the 24-hour clock for
an interview), never in the browser's date picker: the boxes render with their labels inside
a fieldset, the parts are read, a month may be named, a script's single ISO value still
works, and what is wrong is said box by box, linked from the summary, with what was typed
kept."""

from datetime import date, datetime
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DateTimeLocalField
from wtforms.validators import Optional

from diaspora.extensions import db
from diaspora.forms import BaseForm, month_number
from diaspora.models import Application, Profile, ProjectStatus, Role, TravelWindow
from diaspora.moderation.routes import AUDIT_PER_PAGE
from diaspora.services import applications as service
from diaspora.services import interviews, projects
from diaspora.services.applications import Engagement
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

NEXT_YEAR = date.today().year + 1


class Page(HTMLParser):
    """Inputs by id, labels by target, legends, hints and the summary's links."""

    def __init__(self, html):
        super().__init__()
        self.inputs: dict[str, dict] = {}
        self.ids: list[str] = []
        self.labels: dict[str, str] = {}
        self.legends: list[str] = []
        self.summary: list[str] = []
        self._label: str | None = None
        self._legend = False
        self._summary = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "input" and "id" in attrs:
            self.inputs[attrs["id"]] = attrs
        if tag == "label" and attrs.get("for"):
            self._label = attrs["for"]
            self.labels[self._label] = ""
        if tag == "legend":
            self._legend = True
            self.legends.append("")
        if "error-summary" in (attrs.get("class") or ""):
            self._summary = True
        if self._summary and tag == "a":
            self.summary.append(attrs["href"].removeprefix("#"))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None
        if tag == "legend":
            self._legend = False
        if tag == "ul":
            self._summary = False

    def handle_data(self, data):
        if self._label:
            self.labels[self._label] += data
        if self._legend:
            self.legends[-1] += data

    def value(self, control_id):
        return self.inputs[control_id].get("value")


def boxes(name, day, month, year, time=None):
    data = {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}
    if time is not None:
        data[f"{name}-time"] = time
    return data


@pytest.fixture
def member(db, make_user, client):
    user = with_profile(make_user(name="Hiwot Tesfaye"))
    db.session.commit()
    return user


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)


def windows(user):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(TravelWindow).join(Profile).filter_by(user_id=user.id)
    ).all()


def add_travel(client, **data):
    return client.post("/profile/travel", data={"country": "ET", **data}, follow_redirects=True)


# ------------------------------------------------------------------------------ the boxes


def test_a_date_renders_as_three_labelled_boxes_in_a_fieldset(client, auth, member):
    auth.login(member)
    html = client.get("/profile/travel").get_data(as_text=True)
    page = Page(html)
    assert 'type="date"' not in html
    assert "From" in page.legends and "To" in page.legends
    for name in ("start", "end"):
        for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
            box = page.inputs[f"{name}-{part}"]
            assert box["name"] == f"{name}-{part}"
            assert box["type"] == "text" and box["inputmode"] == "numeric"
            assert "autocomplete" not in box
            assert box["aria-describedby"] == f"{name}-hint"
            assert page.labels[f"{name}-{part}"].startswith(label)
        assert f"{name}-hint" in page.ids
    assert "For example, 27 3 2027" in html
    names = [page.labels[f"{n}-{p}"] for n in ("start", "end") for p in ("day", "month", "year")]
    assert len(set(names)) == len(names), names  # every box has its own accessible name
    assert all(page.ids.count(i) == 1 for i in page.ids)


def test_the_parts_are_read_and_the_date_written_back_in_words(client, auth, member):
    auth.login(member)
    page = add_travel(
        client,
        **boxes("start", "2", "3", str(NEXT_YEAR)),
        **boxes("end", "22", "3", str(NEXT_YEAR)),
    )
    assert "Travel window added." in page.get_data(as_text=True)
    assert f"from 02 Mar {NEXT_YEAR} to 22 Mar {NEXT_YEAR}" in page.get_data(as_text=True)
    (window,) = windows(member)
    assert (window.start, window.end) == (date(NEXT_YEAR, 3, 2), date(NEXT_YEAR, 3, 22))


def test_a_single_iso_value_still_works(client, auth, member):
    auth.login(member)
    add_travel(client, start=f"{NEXT_YEAR}-04-01", end=f"{NEXT_YEAR}-04-09")
    (window,) = windows(member)
    assert (window.start, window.end) == (date(NEXT_YEAR, 4, 1), date(NEXT_YEAR, 4, 9))


@pytest.mark.parametrize(
    ("typed", "number"),
    [("3", 3), ("03", 3), ("Mar", 3), ("march", 3), ("MARCH", 3), ("Sept.", 9), ("sep", 9)]
    + [("dec", 12), ("\u0663", 3), ("ma", None), ("13x", None), ("", None), ("123", None)],
)
def test_a_month_is_a_number_or_an_english_name(typed, number):
    assert month_number(typed) == number


def test_a_named_month_is_read_from_the_form(client, auth, member):
    auth.login(member)
    add_travel(
        client,
        **boxes("start", " 2 ", "March", str(NEXT_YEAR)),
        **boxes("end", "02", "apr", str(NEXT_YEAR)),
    )
    (window,) = windows(member)
    assert (window.start, window.end) == (date(NEXT_YEAR, 3, 2), date(NEXT_YEAR, 4, 2))


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("start", "message", "wrong"),
    [
        (("2", "", str(NEXT_YEAR)), "The date must include a month.", ["month"]),
        (("", "", str(NEXT_YEAR)), "The date must include a day and month.", ["day", "month"]),
        (("31", "2", str(NEXT_YEAR)), "The date must be a real date.", ["day"]),
        (("12", "13", str(NEXT_YEAR)), "The date must be a real date.", ["month"]),
        (("x", "Smarch", str(NEXT_YEAR)), "The date must be a real date.", ["day", "month"]),
        (("2", "3", "27"), "Enter the year as four digits, for example 2027.", ["year"]),
        (("2", "3", "1850"), "Enter a date between 1900 and 2199.", ["year"]),
        (("2", "3", "9" * 5000), "Enter the year as four digits, for example 2027.", ["year"]),
    ],
)
def test_a_wrong_date_is_refused_box_by_box_and_kept(client, auth, member, start, message, wrong):
    auth.login(member)
    response = add_travel(client, **boxes("start", *start), **boxes("end", "9", "9", "2199"))
    html = response.get_data(as_text=True)
    page = Page(html)
    assert message in html
    assert page.summary[0] == f"start-{wrong[0]}"  # the first box in error, which exists
    assert page.ids.count(page.summary[0]) == 1
    for part, typed in zip(("day", "month", "year"), start, strict=True):
        box = page.inputs[f"start-{part}"]
        assert box["value"] == typed.strip()
        assert (box.get("aria-invalid") == "true") == (part in wrong), part
        assert box["aria-describedby"].split() == ["start-hint", "start-err"]
    assert "start-err" in page.ids
    assert windows(member) == []


def test_an_empty_required_date_says_so_and_links_to_its_day(client, auth, member):
    auth.login(member)
    page = Page(add_travel(client, **boxes("end", "9", "9", "2199")).get_data(as_text=True))
    assert page.summary == ["start-day"]
    assert all(page.inputs[f"start-{p}"]["aria-invalid"] == "true" for p in ("day", "month"))


def test_a_refusal_of_the_service_links_to_the_date_it_names(client, auth, member):
    auth.login(member)
    response = add_travel(
        client,
        **boxes("start", "9", "5", str(NEXT_YEAR)),
        **boxes("end", "1", "5", str(NEXT_YEAR)),
    )
    page = Page(response.get_data(as_text=True))
    assert page.summary[-1] == "end-day" and "end-day" in page.inputs
    assert (page.value("end-day"), page.value("end-month")) == ("1", "5")


def test_optional_dates_left_empty_stay_none(client, auth, db, member, project):
    auth.login(member)
    response = client.post(
        f"/projects/{project.id}/apply",
        data={
            "motivation": MOTIVATION,
            "consent": "y",
            **boxes("available_from", "", "", ""),
            **boxes("available_until", "1", "Jun", str(NEXT_YEAR)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    application = db.session.query(Application).one()
    assert application.available_from is None
    assert application.available_until == date(NEXT_YEAR, 6, 1)


def test_the_apply_form_compares_the_two_dates(client, auth, member, project):
    auth.login(member)
    html = client.post(
        f"/projects/{project.id}/apply",
        data={
            "motivation": MOTIVATION,
            "consent": "y",
            **boxes("available_from", "9", "6", str(NEXT_YEAR)),
            **boxes("available_until", "1", "6", str(NEXT_YEAR)),
        },
    ).get_data(as_text=True)
    page = Page(html)
    assert "The end comes before the start." in html
    assert page.summary == ["available_until-day"]
    assert page.value("available_from-day") == "9"


def test_editing_a_project_shows_its_dates_in_the_boxes(client, auth, rep, project):
    project.start_date = date(NEXT_YEAR, 3, 2)
    project.deadline = date(NEXT_YEAR, 1, 27)
    auth.login(rep)
    page = Page(client.get(f"/projects/{project.id}/edit").get_data(as_text=True))
    assert "Start date" in page.legends and "Application deadline" in page.legends
    shown = [page.value(f"start_date-{p}") for p in ("day", "month", "year")]
    assert shown == ["2", "3", str(NEXT_YEAR)]
    shown = [page.value(f"deadline-{p}") for p in ("day", "month", "year")]
    assert shown == ["27", "1", str(NEXT_YEAR)]


def test_the_audit_filter_reads_boxes_and_keeps_them_in_its_links(client, auth, make_user, rep):
    coordinator = make_user(role=Role.COORDINATOR)
    for n in range(AUDIT_PER_PAGE + 1):
        project = make_project(make_institution(rep), status=ProjectStatus.DRAFT, title=f"P{n}")
        projects.submit(rep, project)
        projects.decide(coordinator, project, "approve")
    db.session.commit()
    auth.login(coordinator)
    since = boxes("since", "1", "1", str(NEXT_YEAR))
    html = client.get("/coordination/audit", query_string=since).get_data(as_text=True)
    assert "No entries match." in html
    assert Page(html).value("since-month") == "1"
    since = boxes("since", "1", "Jan", str(NEXT_YEAR - 2))
    html = client.get("/coordination/audit", query_string=since).get_data(as_text=True)
    assert "No entries match." not in html
    assert f"since-month=Jan&amp;since-year={NEXT_YEAR - 2}" in html  # the next page's link
    html = client.get("/coordination/audit", query_string=boxes("since", "", "", "")).get_data(
        as_text=True
    )
    assert "No entries match." not in html and "There is a problem" not in html


# ------------------------------------------------------------------------------ form level


class Window(BaseForm):
    class Meta:
        csrf = False

    on = DateField("On", validators=[Optional()])
    at = DateTimeLocalField("At", format="%Y-%m-%dT%H:%M", validators=[Optional()])


def window(app, **data):
    with app.test_request_context():
        form = Window(formdata=MultiDict(data))
        form.validate()
        return form


def test_every_date_field_gets_the_boxes(app):
    form = window(app)
    assert form.on.type == "DateField" and [b.id for b in form.on.boxes()] == [
        "on-day",
        "on-month",
        "on-year",
    ]
    assert [b.label for b in form.at.boxes()] == ["Day", "Month", "Year", "Time"]
    assert form.on.data is None and form.at.data is None and not form.errors


@pytest.mark.parametrize(
    ("time", "expected"),
    [("14:30", (14, 30)), ("9:05", (9, 5)), ("0930", (9, 30)), ("14.30", (14, 30))],
)
def test_a_time_is_hours_and_minutes_on_the_24_hour_clock(app, time, expected):
    form = window(app, **boxes("at", "27", "3", "2027", time))
    assert form.at.data == datetime(2027, 3, 27, *expected)


@pytest.mark.parametrize(
    ("time", "message"),
    [
        ("", "Enter the time, for example 14:30."),
        ("2:30 PM", "Enter the time on the 24-hour clock, for example 14:30."),
        ("24:00", "Enter the time on the 24-hour clock, for example 14:30."),
        ("14:60", "Enter the time on the 24-hour clock, for example 14:30."),
    ],
)
def test_a_wrong_time_is_named(app, time, message):
    form = window(app, **boxes("at", "27", "3", "2027", time))
    assert form.at.errors == [message]
    assert form.at.error_target() == "at-time"
    assert [b.value for b in form.at.boxes()] == ["27", "3", "2027", time]


def test_a_time_without_its_date(app):
    form = window(app, **{"at-time": "14:30"})
    assert form.at.errors == ["The date must include a day, month and year."]
    assert form.at.error_target() == "at-day"


def test_scripts_still_send_single_values(app):
    form = window(app, on="2027-03-02", at="2027-03-02T14:30")
    assert form.on.data == date(2027, 3, 2) and form.at.data == datetime(2027, 3, 2, 14, 30)
    assert [b.value for b in form.at.boxes()] == ["02", "03", "2027", "14:30"]
    form = window(app, on="2027-02-30")
    assert form.on.errors == ["Not a valid date value."]


# ------------------------------------------------------------------------------ interview


@pytest.fixture
def shortlisted(db, rep, member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    service.decide(rep, application, "shortlist")
    db.session.commit()
    return application


def proposal(**times):
    return {"timezone": "UTC", "duration": "45", "place": "Room 7", "note": "", **times}


def test_the_interview_form_has_a_time_box(client, auth, rep, shortlisted):
    auth.login(rep)
    html = client.get(f"/applications/{shortlisted.id}").get_data(as_text=True)
    page = Page(html)
    assert "datetime-local" not in html
    assert "Time 1" in page.legends
    assert page.labels["time_1-time"].startswith("Time")
    assert page.inputs["time_5-time"]["name"] == "time_5-time"
    assert "For example, 27 3 2027 and 14:30 (24-hour clock)" in html


def test_interview_times_typed_in_boxes_are_proposed(client, auth, db, rep, shortlisted):
    auth.login(rep)
    response = client.post(
        f"/applications/{shortlisted.id}/interview",
        data=proposal(
            **boxes("time_1", "2", "Mar", str(NEXT_YEAR), "14:30"),
            **boxes("time_2", "", "", "", ""),
            **boxes("time_3", "3", "3", str(NEXT_YEAR), "0900"),
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    starts = [slot.starts_at.replace(tzinfo=None) for slot in interviews.current(shortlisted).slots]
    assert sorted(starts) == [datetime(NEXT_YEAR, 3, 2, 14, 30), datetime(NEXT_YEAR, 3, 3, 9)]


def test_a_proposal_with_a_wrong_time_keeps_what_was_typed(client, auth, rep, shortlisted):
    auth.login(rep)
    response = client.post(
        f"/applications/{shortlisted.id}/interview",
        data=proposal(**boxes("time_1", "2", "March", str(NEXT_YEAR), "25:10")),
    )
    html = response.get_data(as_text=True)
    page = Page(html)
    assert "Enter the time on the 24-hour clock, for example 14:30." in html
    assert page.summary == ["time_1-time"]
    assert page.inputs["time_1-time"]["aria-invalid"] == "true"
    assert "aria-invalid" not in page.inputs["time_1-day"]
    assert [page.value(f"time_1-{p}") for p in ("day", "month", "year", "time")] == [
        "2",
        "March",
        str(NEXT_YEAR),
        "25:10",
    ]
    assert interviews.current(shortlisted) is None
