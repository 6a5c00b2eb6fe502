"""Every event a person is told about, worded once.

An event kind names what happened (``"accepted"``, ``"institution_verified"``). Its entry in
:data:`EVENTS` gives the line shown on the site (the notification list and the applications
dashboards), the email subject, the notification category whose preference decides how the
email is sent (a key of :data:`diaspora.services.notifications.KINDS`) and the email template
(``email/<template>.txt`` and ``.html``). Texts and subjects are :meth:`str.format` patterns
over the event's context (``project``, ``institution``, ``decision``, ...).

Workflows tell people through :func:`tell`; each call writes one notification row.
"""

from dataclasses import dataclass

from diaspora import i18n
from diaspora.models import Application, Notification, User
from diaspora.services.notifications import notify


@dataclass(frozen=True)
class EventKind:
    """How one kind of event is told: ``category`` is the notification kind whose setting
    applies, ``text`` the line on the site, ``subject`` the email subject when it differs
    from the text, ``template`` the email template (``notification`` repeats the text)."""

    category: str
    text: str
    subject: str = ""
    template: str = "notification"

    def render_text(self, **context) -> str:
        return str(self.text).format(**context)

    def render_subject(self, **context) -> str:
        return str(self.subject or self.text).format(**context)


EVENTS: dict[str, EventKind] = {
    # About an application; the template is email/applications/<event>.
    "new_application": EventKind(
        "new_application",
        "New application to {project.title}",
        template="applications/new_application",
    ),
    "application_received": EventKind(
        "application_update",
        "Your application to {project.title} is received",
        template="applications/application_received",
    ),
    "withdrawn": EventKind(
        "new_application",
        "An application to {project.title} was withdrawn",
        template="applications/withdrawn",
    ),
    "shortlisted": EventKind(
        "application_update",
        "You are shortlisted for {project.title} (not yet decided)",
        subject="You are shortlisted for {project.title}",
        template="applications/shortlisted",
    ),
    "accepted": EventKind(
        "application_update",
        "You are accepted on {project.title}",
        template="applications/accepted",
    ),
    "declined": EventKind(
        "application_update",
        "You were not selected for {project.title}",
        subject="Your application to {project.title}",
        template="applications/declined",
    ),
    "closed": EventKind(
        "application_update",
        "{project.title} closed before a decision on your application",
        subject="{project.title} has closed",
        template="applications/closed",
    ),
    "interview_proposed": EventKind(
        "application_update",
        "Interview times proposed for {project.title}: pick one",
        subject="Interview times proposed for {project.title}",
        template="applications/interview_proposed",
    ),
    "interview_agreed": EventKind(
        "message",
        "Interview for {project.title} agreed: {when}",
        subject="Interview for {project.title} agreed",
        template="applications/interview_agreed",
    ),
    "interview_cancelled": EventKind(
        "message",
        "The interview for {project.title} on {when} is called off",
        subject="Interview for {project.title} called off",
        template="applications/interview_cancelled",
    ),
    "interview_other_times": EventKind(
        "message",
        "The applicant to {project.title} asks for other interview times",
        subject="Other interview times asked for {project.title}",
        template="applications/interview_other_times",
    ),
    "message": EventKind(
        "message",
        "New message about {project.title}",
        subject="You have a new message about {project.title}",
        template="applications/message",
    ),
    "reminder": EventKind(
        "reminder",
        "An application to {project.title} has waited more than 5 days",
        subject="An application to {project.title} is waiting for your answer",
        template="applications/reminder",
    ),
    "completion_marked": EventKind(
        "team",
        "{marked_by} marked the engagement on {project.title} completed: "
        "confirm it or dispute it by {until:%d %b %Y}",
        subject="Is the engagement on {project.title} completed?",
        template="applications/completion_marked",
    ),
    "completed": EventKind(
        "team",
        "Both sides agree the engagement on {project.title} is completed",
        subject="The engagement on {project.title} is completed",
        template="applications/completed",
    ),
    "completion_disputed": EventKind(
        "team",
        "{disputed_by} says the engagement on {project.title} is not completed yet",
        subject="The engagement on {project.title} is not completed yet",
        template="applications/completion_disputed",
    ),
    # Months after a confirmed engagement, told to both sides (see services.follow_ups).
    "follow_up": EventKind(
        "team",
        "{months} months after {project.title}: four short questions",
        subject="{months} months after {project.title}: how did it go?",
        template="follow_up",
    ),
    # About an institution, told to its representatives.
    "institution_verified": EventKind(
        "moderation", "Your institution is verified", template="institution_verified"
    ),
    "institution_rejected": EventKind(
        "moderation", "Your institution could not be verified", template="institution_rejected"
    ),
    "institution_change_approved": EventKind(
        "moderation",
        "The change to your institution is approved",
        template="institution_change_approved",
    ),
    "institution_change_rejected": EventKind(
        "moderation",
        "The change to your institution was not approved",
        template="institution_change_rejected",
    ),
    # About a project, told to its institution's representatives.
    "project_decision": EventKind(
        "moderation",
        "{project.title}: {decision}",
        subject="Your project was {decision}",
        template="project_decision",
    ),
    "project_still_current": EventKind(
        "moderation",
        "Is {project.title} still current? Confirm it on your dashboard.",
        subject="Is your project still current?",
        template="project_still_current",
    ),
    # About a member's own profile.
    "profile_stale": EventKind(
        "profile_reminder",
        "Is your profile still current? You last confirmed or changed it on {since:%d %b %Y}.",
        subject="Is your profile still current?",
        template="profile_still_current",
    ),
    # About a project an institution invites a member to apply to.
    "invited": EventKind(
        "invitation",
        "{institution.name} invites you to apply to {project.title}",
        template="invited",
    ),
    # About a project a member saved.
    "saved_project_deadline": EventKind(
        "deadline",
        "Applications for {project.title} close {when} ({project.deadline:%d %b %Y}).",
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
