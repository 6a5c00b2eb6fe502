"""Telling people about their applications: one ``notify_*`` function per event.

Each tells the person the event concerns through :func:`diaspora.services.events.tell`: one
notification, tied to the application (so the applications dashboards show it), worded by the
event's entry in ``EVENTS``, and emailed as they chose (no private content, a link to the
site).

Whatever the words of an event depend on (who acted, an interview time, why it was called
off) is passed as a value that writes itself in the recipient's language when the line and
the email are written: a lazy string, or an object whose ``str`` is worked out then.
"""

from collections.abc import Callable

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationMessage,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services.events import tell


class InReadersLanguage:
    """A known English text of the platform, written (``str``) in the current language:
    the recipient's when their line and email are written."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return gettext(self.text)

    def __html__(self) -> str:
        return str(escape(str(self)))


def _tell(recipient: User, application: Application, event: str, **context) -> None:
    """Tell ``recipient`` about ``event`` on ``application``, on the site and by email.
    ``attachments`` may be a function that makes them: it is called in the recipient's
    language, so that a calendar file reads in it."""
    make = context.get("attachments")
    if callable(make):
        with i18n.recipient_locale(recipient):
            context["attachments"] = make()
    tell(
        recipient,
        event,
        url_for("applications.show", application_id=application.id),
        application=application,
        project=application.project,
        application_url=url_for("applications.show", application_id=application.id, _external=True),
        **context,
    )


def _tell_institution(application: Application, event: str, **context) -> None:
    for rep in permissions.representatives(application.project.institution_id):
        _tell(rep, application, event, **context)


def _tell_member(application: Application, event: str, **context) -> None:
    if application.member is not None:
        _tell(application.member, application, event, **context)


def _tell_both_sides(application: Application, event: str, **context) -> None:
    _tell_member(application, event, **context)
    _tell_institution(application, event, **context)


def notify_new_application(application: Application) -> None:
    db.session.flush()
    _tell_institution(application, "new_application")


def notify_received(application: Application) -> None:
    """Tell the member their application arrived and what happens next."""
    _tell_member(application, "application_received")


def notify_withdrawn(application: Application) -> None:
    _tell_institution(application, "withdrawn")


def notify_decision(application: Application) -> None:
    """Tell the member the institution shortlisted, accepted or declined them; the event
    kind is the new status."""
    _tell_member(application, application.status.value)


def notify_message(message: ApplicationMessage) -> None:
    if message.from_institution:
        _tell_member(message.application, "message")
    else:
        _tell_institution(message.application, "message")


def notify_closed(application: Application, closed_by: str, reason: str) -> None:
    """The project closed before a decision: who closed it (``"system"``, ``"institution"``
    or ``"coordinators"``) and why, as the email words it. The platform's own reasons are
    known English texts, written in the member's language; a person's reason is kept as
    written."""
    if closed_by == "system" and reason:
        reason = InReadersLanguage(reason)
    _tell_member(application, "closed", closed_by=closed_by, reason=reason)


def notify_reminder(application: Application) -> None:
    _tell_institution(
        application, "reminder", waiting_days=(utcnow() - application.created_at).days
    )


def _tell_other_side(application: Application, by_institution: bool, event: str, **context) -> None:
    if by_institution:
        _tell_member(application, event, **context)
    else:
        _tell_institution(application, event, **context)


def notify_completion_marked(application: Application, by_institution: bool) -> None:
    """One side marked the engagement completed: the other side may confirm or dispute."""
    _tell_other_side(
        application,
        by_institution,
        "completion_marked",
        marked_by=_l("The institution") if by_institution else _l("The member"),
        institution_acted=by_institution,
        until=application.dispute_until,
    )


def notify_completed(application: Application, by_institution: bool) -> None:
    """The second side confirmed the completion: the side that marked it is told."""
    _tell_other_side(application, by_institution, "completed")


def notify_completion_disputed(application: Application, by_institution: bool) -> None:
    """The completion was disputed: the side that marked it is told (the note is in the
    thread, not in the email)."""
    _tell_other_side(
        application,
        by_institution,
        "completion_disputed",
        disputed_by=_l("The institution") if by_institution else _l("The member"),
        institution_acted=by_institution,
    )


def notify_interview_proposed(application: Application) -> None:
    _tell_member(application, "interview_proposed")


Attachments = list[dict] | Callable[[], list[dict]]


def notify_interview_agreed(application: Application, when, attachments: Attachments) -> None:
    """Tell both sides the time the member chose (``when`` writes itself in each one's
    language); the email carries the calendar file."""
    _tell_both_sides(application, "interview_agreed", when=when, attachments=attachments)


def notify_interview_cancelled(
    application: Application, when, why, attachments: Attachments
) -> None:
    """Tell both sides an agreed interview will not take place, and why; the email carries
    the calendar file that removes it."""
    _tell_both_sides(
        application, "interview_cancelled", when=when, why=why, attachments=attachments
    )


def notify_interview_other_times(application: Application) -> None:
    _tell_institution(application, "interview_other_times")
