"""Telling people about their applications: one ``notify_*`` function per event.

Each queues the email (no private content, a link to the site), adds a notification on the
site, and records a dashboard update (:class:`ApplicationUpdate`) for the person it concerns.
"""

from flask import url_for

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    ApplicationUpdate,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services.notifications import notify

S = ApplicationStatus

# What a dashboard update says, by kind; ``{title}`` is the project title.
UPDATE_TEXT = {
    "new_application": "New application to {title}",
    "withdrawn": "An application to {title} was withdrawn",
    "shortlisted": "You are shortlisted for {title} (not yet decided)",
    "accepted": "You are accepted on {title}",
    "declined": "You were not selected for {title}",
    "message": "New message about {title}",
    "closed": "{title} closed before a decision on your application",
    "reminder": "An application to {title} has waited more than 5 days",
    "completed": "The engagement on {title} is marked completed",
}


NOTIFICATION_KINDS = {
    "new_application": "new_application",
    "withdrawn": "new_application",
    "shortlisted": "application_update",
    "accepted": "application_update",
    "declined": "application_update",
    "closed": "application_update",
    "message": "message",
    "reminder": "reminder",
    "completed": "team",
}


def _tell(recipient: User, application: Application, kind: str, subject: str, **context) -> None:
    """Record a dashboard update about ``application`` for ``recipient`` and notify them (on
    the site, and by email at the pace they chose for this kind of notification)."""
    db.session.add(ApplicationUpdate(application=application, recipient_id=recipient.id, kind=kind))
    notify(
        recipient,
        NOTIFICATION_KINDS[kind],
        subject,
        url_for("applications.show", application_id=application.id),
        subject=subject,
        email_template=f"applications/{kind}",
        project=application.project,
        application_url=url_for("applications.show", application_id=application.id, _external=True),
        **context,
    )


def _tell_institution(application: Application, kind: str, subject: str, **context) -> None:
    for rep in permissions.representatives(application.project.institution_id):
        _tell(rep, application, kind, subject, **context)


def _tell_member(application: Application, kind: str, subject: str, **context) -> None:
    if application.member is not None:
        _tell(application.member, application, kind, subject, **context)


def notify_new_application(application: Application) -> None:
    db.session.flush()
    _tell_institution(
        application, "new_application", f"New application to {application.project.title}"
    )


def notify_withdrawn(application: Application) -> None:
    _tell_institution(
        application, "withdrawn", f"An application to {application.project.title} was withdrawn"
    )


def notify_decision(application: Application) -> None:
    title = application.project.title
    subjects = {
        S.SHORTLISTED: f"You are shortlisted for {title}",
        S.ACCEPTED: f"You are accepted on {title}",
        S.DECLINED: f"Your application to {title}",
    }
    _tell_member(application, application.status.value, subjects[application.status])


def notify_message(message: ApplicationMessage) -> None:
    application = message.application
    subject = f"You have a new message about {application.project.title}"
    if message.from_institution:
        _tell_member(application, "message", subject)
    else:
        _tell_institution(application, "message", subject)


def notify_closed(application: Application) -> None:
    _tell_member(application, "closed", f"{application.project.title} has closed")


def notify_reminder(application: Application) -> None:
    _tell_institution(
        application,
        "reminder",
        f"An application to {application.project.title} is waiting for your answer",
        waiting_days=(utcnow() - application.created_at).days,
    )


def notify_completed(application: Application, by_institution: bool) -> None:
    subject = f"The engagement on {application.project.title} is completed"
    if by_institution:
        _tell_member(application, "completed", subject)
    else:
        _tell_institution(application, "completed", subject)
