"""The optional interview step: after shortlisting, a representative proposes one to five
times; the member picks one or asks for other times; the representative may propose again.

Times come in as the representative typed them (a date and time without zone) with the
zone they meant; they are stored in UTC and shown in that zone, named. Only the member and
the institution's representatives see an interview (:func:`applications.get_application`
decides who reaches it). Each step is kept in the application's history and told to the
other side; the agreed time's email carries a calendar file, and new times or the end of
the application cancel it (:mod:`diaspora.services.interview_calendar`).
Like every service, nothing here commits.
"""

import functools
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationStatus,
    InterviewProposal,
    InterviewSlot,
    InterviewStatus,
    MessageKind,
    User,
)
from diaspora.models.application import PLACE, TIMES_PROPOSED
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services.application_notices import (
    notify_interview_agreed,
    notify_interview_other_times,
    notify_interview_proposed,
)
from diaspora.services.applications import record_step
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.interview_calendar import (
    agreed,
    calendar_attachment,
    calendar_file,
    call_off,
    current,
)
from diaspora.services.locks import lock_application
from diaspora.validation import clean_line, strip_controls

MAX_TIMES = 5
DURATION_MIN = 15
DURATION_MAX = 480
PLACE_MAX = 300
NOTE_MAX = 1000
ZONE_MAX = 64
FURTHEST = timedelta(days=366)


@functools.cache
def _country_zones() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {}
    try:
        table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return zones
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, name, *_ = line.split("\t")
            zones.setdefault(code, []).append(name)
    return zones


def zones_of_country(code: str | None) -> list[str]:
    """The time zones of a country (ISO 3166 code), main one first; empty if unknown."""
    return _country_zones().get((code or "").upper(), [])


def default_zone(application: Application) -> str:
    """The zone a representative most likely means: the institution's country's."""
    return next(iter(zones_of_country(application.project.institution.country)), "UTC")


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone called ``name`` (``Africa/Addis_Ababa``, ``UTC``)."""
    name = clean_line(name or "").strip()
    if not name or len(name) > ZONE_MAX or name not in available_timezones():
        raise Invalid(_("Choose a time zone by its name, such as Africa/Addis_Ababa or UTC."))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(_("Choose a time zone by its name, such as Africa/Addis_Ababa or UTC."))


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as an aware UTC time; a time the clock skips (a
    daylight-saving change) is refused."""
    aware = local.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise Invalid(
            _(
                "%(time)s does not exist in %(zone)s (the clocks change).",
                time=i18n.format_date(local, "%d %b %Y %H:%M"),
                zone=zone.key,
            )
        )
    return utc


def propose(
    rep: User,
    application: Application,
    times: list[datetime],
    zone_name: str,
    duration_minutes: int | None,
    place: str,
    note: str = "",
    now: datetime | None = None,
) -> InterviewProposal:
    """Propose one to five interview times for a shortlisted application.

    ``times`` are wall-clock times in the zone named ``zone_name``. Times in the past, more
    than a year ahead or given twice are refused. Earlier proposals are replaced; the member
    is told.
    """
    if not permissions.represents(rep, application.project.institution_id):
        raise NotAllowed
    now = now or utcnow()
    zone = zone_named(zone_name)
    given = [t for t in times if t is not None]
    if not given:
        raise Invalid(_("Propose at least one time."))
    if len(given) > MAX_TIMES:
        raise Invalid(
            ngettext("Propose at most %(num)d time.", "Propose at most %(num)d times.", MAX_TIMES)
        )
    starts = sorted(to_utc(t, zone) for t in given)
    if any(start <= now for start in starts):
        raise Invalid(_("Every time must be in the future."))
    if any(start > now + FURTHEST for start in starts):
        raise Invalid(_("Propose times within the coming year."))
    if len(set(starts)) != len(starts):
        raise Invalid(_("The same time is proposed twice."))
    if duration_minutes is None or not DURATION_MIN <= duration_minutes <= DURATION_MAX:
        raise Invalid(
            _(
                "The duration is from %(min)d to %(max)d minutes.",
                min=DURATION_MIN,
                max=DURATION_MAX,
            )
        )
    place = clean_line(place or "").strip()
    if not place:
        raise Invalid(_("Say where the interview takes place, or the link to join it online."))
    if len(place) > PLACE_MAX:
        raise Invalid(_("Keep the place under %(num)d characters.", num=PLACE_MAX))
    note = strip_controls(note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(_("Keep the note under %(num)d characters.", num=NOTE_MAX))
    application = lock_application(application)
    if application.status != ApplicationStatus.SHORTLISTED:
        raise Conflict(
            _("Interview times can be proposed only while the applicant is shortlisted.")
        )
    if application.member_id is None:
        raise Conflict(_("This member has left the network."))
    call_off(application, InterviewStatus.REPLACED, now)
    proposal = InterviewProposal(
        application=application,
        proposed_by_id=rep.id,
        timezone=zone.key,
        duration_minutes=duration_minutes,
        place=place,
        status=InterviewStatus.PROPOSED,
        created_at=now,
        slots=[InterviewSlot(starts_at=start) for start in starts],
    )
    db.session.add(proposal)
    # The history keeps the platform's words in English; the page translates them.
    with force_locale("en"):
        lines = "\n".join(f"- {slot.local_text}" for slot in proposal.slots)
    body = f"{TIMES_PROPOSED}\n{lines}\n{PLACE}{place}" + (f"\n\n{note}" if note else "")
    record_step(application, rep, MessageKind.INTERVIEW_PROPOSED, body)
    notify_interview_proposed(application)
    return proposal


def choose(
    member: User, application: Application, slot_id: int | None, now: datetime | None = None
) -> InterviewSlot:
    """The member picks one of the times proposed; both sides get the calendar file."""
    if not permissions.is_applicant(member, application):
        raise NotAllowed
    now = now or utcnow()
    application = lock_application(application)
    proposal = _waiting_proposal(application)
    slot = next((s for s in proposal.slots if s.id == slot_id), None)
    if slot is None:
        raise Invalid(_("Pick one of the times proposed."))
    if slot.starts_at <= now:
        raise Conflict(_("This time has passed. Ask for other times."))
    slot.chosen = True
    proposal.status = InterviewStatus.AGREED
    proposal.answered_at = now
    with force_locale("en"):
        agreed_text = slot.local_text
    record_step(application, member, MessageKind.INTERVIEW_AGREED, agreed_text)
    db.session.flush()
    # Each side reads the time and gets the calendar file in their own language.
    notify_interview_agreed(
        application, slot.when, lambda: [calendar_attachment(application, proposal)]
    )
    return slot


def ask_other_times(member: User, application: Application, note: str) -> InterviewProposal:
    """The member can make none of the times and says so, with a note."""
    if not permissions.is_applicant(member, application):
        raise NotAllowed
    note = strip_controls(note or "").strip()
    if not note:
        raise Invalid(_("Say which days or times would suit you."))
    if len(note) > NOTE_MAX:
        raise Invalid(_("Keep the note under %(num)d characters.", num=NOTE_MAX))
    application = lock_application(application)
    proposal = _waiting_proposal(application)
    proposal.status = InterviewStatus.OTHER_TIMES
    proposal.answered_at = utcnow()
    record_step(application, member, MessageKind.INTERVIEW_OTHER_TIMES, note)
    notify_interview_other_times(application)
    return proposal


def _waiting_proposal(application: Application) -> InterviewProposal:
    if application.status != ApplicationStatus.SHORTLISTED:
        raise Conflict(_("This application is no longer shortlisted."))
    proposal = current(application)
    if proposal is None or proposal.status != InterviewStatus.PROPOSED:
        raise Conflict(_("No interview times are waiting for your answer. Reload the page."))
    return proposal


def agreed_calendar(user: User, application_id: int) -> bytes:
    """The calendar file of the application's agreed interview, for its member or a
    representative of its institution; NotFound for anyone else or when none is agreed."""
    application = db.session.get(Application, application_id)
    if application is None or permissions.side_of(user, application) is None:
        raise NotFound
    proposal = agreed(application)
    if proposal is None:
        raise NotFound
    return calendar_file(application, proposal)
