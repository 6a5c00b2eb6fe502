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

Workflows tell people through :func:`tell`; each call writes one notification row.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l

from diaspora import i18n
from diaspora.models import Application, Notification, User
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
        **context,
    )
