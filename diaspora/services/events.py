"""Every event a person is told about, worded once.

An event kind names what happened (``"accepted"``, ``"institution_verified"``). Its entry in
:data:`EVENTS` gives the line shown on the site (the notification list and the applications
dashboards), the email subject, the notification category whose preference decides how the
email is sent (a key of :data:`diaspora.services.notifications.KINDS`) and the email template
(``email/<template>.txt`` and ``.html``). Texts and subjects are :meth:`str.format` patterns
over the event's context (``project``, ``institution``, ``decision``, ...), marked for
translation and worded in the recipient's language; a date in them is a value formatted in
that language (``{until_date}``, see :func:`EventKind.values`), and a pattern that counts
something has one form per number (:class:`Counted`).

Workflows tell people through :func:`tell`; each call writes one notification row. The row
keeps the values its line shows (:func:`params_for`), so that the site words the line again
in the language of the page reading it (:func:`line_of`): a person who changes language
reads their older notifications in the new one.
"""

import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import flask_babel
from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from diaspora import i18n
from diaspora.models import Application, Notification, User
from diaspora.models.interview import LocalTime, local_time_text
from diaspora.services.notifications import notify


class Counted(str):
    """A pattern that counts a value of the context (``count``): ``forms(n)`` gives the
    pattern for ``n`` in the current language (an ``ngettext`` call, so that every language
    has its plural forms). As a plain string it is the English plural."""

    def __new__(cls, count: str, forms: Callable[[int], str]):
        with force_locale(i18n.DEFAULT):
            english = forms(2)
        text = super().__new__(cls, english)
        text.count = count
        text.forms = forms
        return text


def _pattern(text, context: dict) -> str:
    if isinstance(text, Counted):
        return text.forms(int(context[text.count]))
    return str(text)


#: Dates the patterns show, formatted in the reader's language: name in the pattern, and
#: how to find the date in the context.
DATES: dict[str, Callable[[dict], object]] = {
    "until_date": lambda context: context.get("until"),
    "since_date": lambda context: context.get("since"),
    "deadline_date": lambda context: getattr(context.get("project"), "deadline", None),
}


@dataclass(frozen=True)
class EventKind:
    """How one kind of event is told: ``category`` is the notification kind whose setting
    applies, ``text`` the line on the site, ``subject`` the email subject when it differs
    from the text, ``template`` the email template (``notification`` repeats the text)."""

    category: str
    text: str
    subject: str = ""
    template: str = "notification"

    @staticmethod
    def values(context: dict) -> dict:
        """The context with the dates the patterns show, in the current language."""
        found = {name: find(context) for name, find in DATES.items() if name not in context}
        dates = {name: i18n.format_date(value) for name, value in found.items() if value}
        return {**context, **dates}

    def render_text(self, **context) -> str:
        return _pattern(self.text, context).format(**self.values(context))

    def render_subject(self, **context) -> str:
        return _pattern(self.subject or self.text, context).format(**self.values(context))


class _Flat(string.Formatter):
    """Formats a pattern from stored values: ``{project.title}`` is the value stored under
    "project.title", not an attribute of a project."""

    def get_field(self, field_name, args, kwargs):
        return kwargs[field_name], field_name


def _fields(text) -> set[str]:
    """The names of the values a pattern shows (every plural form of a counted one)."""
    if isinstance(text, Counted):
        with force_locale(i18n.DEFAULT):
            patterns = [text.forms(1), text.forms(2)]
        names = {text.count}  # the number that chooses the form, even if not shown
    else:
        patterns, names = [str(text)], set()
    for pattern in patterns:
        for _literal, name, _spec, _conversion in string.Formatter().parse(pattern):
            if name:
                names.add(name)
    return names


def _plain(value: str) -> str:
    return value.replace("\x00", "")


#: The translation functions a lazy value may be stored with, by name.
_TRANSLATORS = {
    f.__name__: f
    for f in (
        flask_babel.gettext,
        flask_babel.pgettext,
        flask_babel.ngettext,
        flask_babel.npgettext,
    )
}


def _stored(value):
    """``value`` as plain JSON data that words it again later: people's own words (titles,
    names) and numbers as they are; a translatable word as the call that translates it
    (``{"msgid": ...}``); a date as an ISO date (``{"date": ...}``); an interview time as its
    moments and zone. Anything else is stored as the text it is now."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return _plain(value)
    if isinstance(value, LazyString) and getattr(value._func, "__name__", "") in _TRANSLATORS:
        args, variables = value._args, value._kwargs
        if all(isinstance(a, str | int) for a in args) and all(
            isinstance(v, str | int | float) for v in variables.values()
        ):
            stored = {"call": value._func.__name__, "args": [_stored(a) for a in args]}
            if value._func is flask_babel.gettext and len(args) == 1 and not variables:
                stored = {"msgid": _plain(args[0])}
            elif variables:
                stored["variables"] = {k: _stored(v) for k, v in variables.items()}
            return stored
    if isinstance(value, LocalTime):
        slot = value.slot
        return {
            "interview": {
                "starts_at": slot.starts_at.isoformat(),
                "ends_at": slot.ends_at.isoformat(),
                "timezone": slot.proposal.timezone,
            }
        }
    if isinstance(value, datetime):  # shown as its date, in UTC
        value = (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return _plain(str(value))


def _worded(value):
    """A stored value (see :func:`_stored`) in the current language."""
    if not isinstance(value, dict):
        return value
    if "msgid" in value:
        return flask_babel.gettext(value["msgid"])
    if "call" in value:
        return _TRANSLATORS[value["call"]](*value["args"], **value.get("variables", {}))
    if "date" in value:
        return i18n.format_date(value["date"])
    if "interview" in value:
        moments = value["interview"]
        return local_time_text(
            datetime.fromisoformat(moments["starts_at"]),
            datetime.fromisoformat(moments["ends_at"]),
            moments["timezone"],
        )
    raise ValueError(value)


def params_for(event: str, context: dict) -> dict:
    """The values the line of ``event`` shows, as plain data to store with the row: one
    entry per name in its pattern ("project.title", "months", "until_date"), dates as the
    date they show (formatted when the line is read)."""
    values = {}
    for name in sorted(_fields(EVENTS[event].text)):
        if name in DATES and name not in context:
            found = DATES[name](context)
            if found:
                values[name] = _stored(found)
            continue
        values[name] = _stored(string.Formatter().get_field(name, (), context)[0])
    return values


def line_of(note: Notification) -> str:
    """The line of a notification in the current language: its event's pattern over the
    values stored with it; the stored message when there are none (older rows, rows not
    worded from an event) or they no longer fit the pattern."""
    kind = EVENTS.get(note.event or "")
    if kind is None or not isinstance(note.params, dict):
        return note.message
    try:
        values = {name: _worded(value) for name, value in note.params.items()}
        return _Flat().format(_pattern(kind.text, values), **values)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return note.message


EVENTS: dict[str, EventKind] = {
    # About an application; the template is email/applications/<event>.
    "new_application": EventKind(
        "new_application",
        _l("New application to {project.title}"),
        template="applications/new_application",
    ),
    "application_received": EventKind(
        "application_update",
        _l("Your application to {project.title} is received"),
        template="applications/application_received",
    ),
    "withdrawn": EventKind(
        "new_application",
        _l("An application to {project.title} was withdrawn"),
        template="applications/withdrawn",
    ),
    "shortlisted": EventKind(
        "application_update",
        _l("You are shortlisted for {project.title} (not yet decided)"),
        subject=_l("You are shortlisted for {project.title}"),
        template="applications/shortlisted",
    ),
    "accepted": EventKind(
        "application_update",
        _l("You are accepted on {project.title}"),
        template="applications/accepted",
    ),
    "declined": EventKind(
        "application_update",
        _l("You were not selected for {project.title}"),
        subject=_l("Your application to {project.title}"),
        template="applications/declined",
    ),
    "closed": EventKind(
        "application_update",
        _l("{project.title} closed before a decision on your application"),
        subject=_l("{project.title} has closed"),
        template="applications/closed",
    ),
    "interview_proposed": EventKind(
        "application_update",
        _l("Interview times proposed for {project.title}: pick one"),
        subject=_l("Interview times proposed for {project.title}"),
        template="applications/interview_proposed",
    ),
    "interview_agreed": EventKind(
        "message",
        _l("Interview for {project.title} agreed: {when}"),
        subject=_l("Interview for {project.title} agreed"),
        template="applications/interview_agreed",
    ),
    "interview_cancelled": EventKind(
        "message",
        _l("The interview for {project.title} on {when} is called off"),
        subject=_l("Interview for {project.title} called off"),
        template="applications/interview_cancelled",
    ),
    "interview_other_times": EventKind(
        "message",
        _l("The applicant to {project.title} asks for other interview times"),
        subject=_l("Other interview times asked for {project.title}"),
        template="applications/interview_other_times",
    ),
    "message": EventKind(
        "message",
        _l("New message about {project.title}"),
        subject=_l("You have a new message about {project.title}"),
        template="applications/message",
    ),
    "reminder": EventKind(
        "reminder",
        _l("An application to {project.title} has waited more than 5 days"),
        subject=_l("An application to {project.title} is waiting for your answer"),
        template="applications/reminder",
    ),
    "completion_marked": EventKind(
        "team",
        _l(
            "{marked_by} marked the engagement on {project.title} completed: "
            "confirm it or dispute it by {until_date}"
        ),
        subject=_l("Is the engagement on {project.title} completed?"),
        template="applications/completion_marked",
    ),
    "completed": EventKind(
        "team",
        _l("Both sides agree the engagement on {project.title} is completed"),
        subject=_l("The engagement on {project.title} is completed"),
        template="applications/completed",
    ),
    "completion_disputed": EventKind(
        "team",
        _l("{disputed_by} says the engagement on {project.title} is not completed yet"),
        subject=_l("The engagement on {project.title} is not completed yet"),
        template="applications/completion_disputed",
    ),
    # Months after a confirmed engagement, told to both sides (see services.follow_ups).
    "follow_up": EventKind(
        "team",
        Counted(
            "months",
            lambda n: ngettext(
                "{months} month after {project.title}: four short questions",
                "{months} months after {project.title}: four short questions",
                n,
            ),
        ),
        subject=Counted(
            "months",
            lambda n: ngettext(
                "{months} month after {project.title}: how did it go?",
                "{months} months after {project.title}: how did it go?",
                n,
            ),
        ),
        template="follow_up",
    ),
    # About an institution, told to its representatives.
    "institution_verified": EventKind(
        "moderation", _l("Your institution is verified"), template="institution_verified"
    ),
    "institution_rejected": EventKind(
        "moderation", _l("Your institution could not be verified"), template="institution_rejected"
    ),
    "institution_change_approved": EventKind(
        "moderation",
        _l("The change to your institution is approved"),
        template="institution_change_approved",
    ),
    "institution_change_rejected": EventKind(
        "moderation",
        _l("The change to your institution was not approved"),
        template="institution_change_rejected",
    ),
    # About a project, told to its institution's representatives.
    "project_decision": EventKind(
        "moderation",
        _l("{project.title}: {decision}"),
        subject=_l("Your project was {decision}"),
        template="project_decision",
    ),
    "project_still_current": EventKind(
        "moderation",
        _l("Is {project.title} still current? Confirm it on your dashboard."),
        subject=_l("Is your project still current?"),
        template="project_still_current",
    ),
    # About a member's own profile.
    "profile_stale": EventKind(
        "profile_reminder",
        _l("Is your profile still current? You last confirmed or changed it on {since_date}."),
        subject=_l("Is your profile still current?"),
        template="profile_still_current",
    ),
    # About a project an institution invites a member to apply to.
    "invited": EventKind(
        "invitation",
        _l("{institution.name} invites you to apply to {project.title}"),
        template="invited",
    ),
    # About a project a member saved.
    "saved_project_deadline": EventKind(
        "deadline",
        _l("Applications for {project.title} close {when} ({deadline_date})."),
    ),
}


class UnknownEvent(ValueError):
    """An event kind that is not declared in EVENTS."""


def tell(
    user: User, event: str, link: str, *, application: Application | None = None, **context
) -> Notification:
    """Tell ``user`` about ``event``: one notification row on the site and, at the pace they
    chose for its category, the email. ``context`` fills the text, the subject and the email
    template; ``application`` ties the row to the application it is about, so it shows on the
    applications dashboards and goes when the application is deleted."""
    kind = EVENTS.get(event)
    if kind is None:
        raise UnknownEvent(event)
    with i18n.recipient_locale(user):
        text = kind.render_text(**context)
        subject = kind.render_subject(**context)
        params = params_for(event, context)
        context = kind.values(context)  # the email shows the dates as the text does
    return notify(
        user,
        kind.category,
        text,
        link,
        subject=subject,
        email_template=kind.template,
        event=event,
        application_id=application.id if application is not None else None,
        params=params,
        **context,
    )
