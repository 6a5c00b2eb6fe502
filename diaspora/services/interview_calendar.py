"""The interview in force on an application, its calendar file (RFC 5545), and calling it
off when the application ends. Apart from :mod:`diaspora.services.interviews` (the steps
of the interview) so that the application workflow, which ends applications, can call it
off without importing the steps, which record themselves in the application's history.
Like every service, nothing here commits."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import icalendar
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diaspora.models import Application, InterviewProposal, InterviewStatus
from diaspora.models.base import utcnow
from diaspora.services.application_notices import notify_interview_cancelled
from diaspora.services.errors import NotFound

OPEN = (InterviewStatus.PROPOSED, InterviewStatus.OTHER_TIMES, InterviewStatus.AGREED)
CALENDAR_TYPE = "text/calendar; charset=utf-8; method={method}"
# Why an agreed interview will not take place, as the email ends its sentence.
WHY = {
    InterviewStatus.REPLACED: _l("new times were proposed; the application's page has them"),
    InterviewStatus.CANCELLED: _l("the application has ended"),
}


def current(application: Application) -> InterviewProposal | None:
    """The interview proposal in force (proposed, agreed or answered with a request for
    other times), if any; older ones are replaced or called off."""
    return next((p for p in reversed(application.interviews) if p.status in OPEN), None)


def agreed(application: Application) -> InterviewProposal | None:
    proposal = current(application)
    return proposal if proposal is not None and proposal.status == InterviewStatus.AGREED else None


def calendar_file(
    application: Application, proposal: InterviewProposal, cancel: bool = False
) -> bytes:
    """The agreed interview as an iCalendar file: one VEVENT, times in UTC. With
    ``cancel``, the same event (same UID, a later SEQUENCE) marked cancelled, which removes
    it from the calendar that holds it. Its summary and description are in the current
    language."""
    slot = proposal.chosen
    if slot is None:
        raise NotFound
    link = url_for("applications.show", application_id=application.id, _external=True)
    host = urlsplit(link).hostname or "diaspora.local"
    project = application.project
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Diaspora//Interviews//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"interview-{proposal.id}-{slot.id}@{host}")
    event.add("dtstamp", utcnow() if cancel else proposal.answered_at or proposal.created_at)
    event.add("sequence", 1 if cancel else 0)
    event.add("dtstart", slot.starts_at.astimezone(UTC))
    event.add("dtend", slot.ends_at.astimezone(UTC))
    event.add("summary", _("Interview: %(project)s", project=project.title))
    event.add("location", proposal.place)
    event.add(
        "description",
        _(
            "Interview about the application to %(project)s (%(institution)s). Details: %(link)s",
            project=project.title,
            institution=project.institution.name,
            link=link,
        ),
    )
    event.add("url", link)
    if cancel:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_attachment(
    application: Application, proposal: InterviewProposal, cancel: bool = False
) -> dict:
    return {
        "filename": "interview-cancelled.ics" if cancel else "interview.ics",
        "content_type": CALENDAR_TYPE.format(method="CANCEL" if cancel else "PUBLISH"),
        "data": calendar_file(application, proposal, cancel).decode("utf-8"),
    }


def call_off(
    application: Application, status: InterviewStatus, now: datetime | None = None
) -> None:
    """End the interview in force, as ``status`` (replaced by new times, or cancelled because
    the application ended). When a time was agreed and is still ahead, both sides get a
    calendar file that cancels it."""
    proposal = current(application)
    if proposal is None:
        return
    ahead = (
        proposal.status == InterviewStatus.AGREED
        and proposal.chosen is not None
        and proposal.chosen.starts_at > (now or utcnow())
    )
    proposal.status = status
    if ahead:
        notify_interview_cancelled(
            application,
            proposal.chosen.when,
            WHY[status],
            lambda: [calendar_attachment(application, proposal, cancel=True)],
        )
