"""Network freshness: how many profiles and listings went stale, whom coordinators could
remind, and what the reminders achieved.

What *stale* means is decided once per kind, as a SQL condition, where the daily job lives:
:func:`diaspora.services.profiles.stale_condition` (listed or public, untouched for six
months) and :func:`diaspora.services.projects.stale_condition` (published, not confirmed
for 60 days). The counts, the coordinators' lists and their one-click reminders use the same
conditions, and a reminder goes through the job's own function, so it keeps the job's pace
(once per 60 days per member, once per 30 days per listing) however it is sent.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models import Institution, Profile, Project, audit
from diaspora.models.base import utcnow
from diaspora.services import permissions, profiles, projects
from diaspora.services.errors import Conflict, NotAllowed, NotFound
from diaspora.services.impact import N_, Column, Table, percent

# Reminders older than this no longer count in "reminded recently" and its effect.
EFFECT_WINDOW = timedelta(days=90)

PROFILES, LISTINGS = N_("Member profiles"), N_("Project listings")


def tables(now: datetime | None = None) -> list[Table]:
    """The dashboard's freshness figures (table key ``freshness``): per kind, how many are
    stale now and how many of those are due a reminder (what "Remind all" would send), how
    many were reminded in the last 90 days, and how many of those were
    confirmed or changed after their reminder."""
    now = now or utcnow()
    since = now - EFFECT_WINDOW
    profile_row = db.session.execute(
        sa.select(
            sa.func.count().filter(profiles.stale_condition(now)),
            sa.func.count().filter(
                profiles.stale_condition(now), profiles.reminder_due_condition(now)
            ),
            sa.func.count().filter(Profile.reminder_sent_at >= since),
            sa.func.count().filter(
                Profile.reminder_sent_at >= since,
                profiles.last_confirmed() > Profile.reminder_sent_at,
            ),
        ).select_from(Profile)
    ).one()
    listing_row = db.session.execute(
        sa.select(
            sa.func.count().filter(projects.stale_condition(now)),
            sa.func.count().filter(
                projects.stale_condition(now), projects.reminder_due_condition(now)
            ),
            sa.func.count().filter(Project.reminder_sent_at >= since),
            sa.func.count().filter(
                Project.reminder_sent_at >= since,
                Project.confirmed_current_at > Project.reminder_sent_at,
            ),
        ).select_from(Project)
    ).one()
    rows = tuple(
        (label, stale, due, reminded, confirmed, percent(confirmed, reminded))
        for label, (stale, due, reminded, confirmed) in (
            (PROFILES, profile_row),
            (LISTINGS, listing_row),
        )
    )
    return [
        Table(
            "freshness",
            N_("Network freshness"),
            (
                Column("kind", N_("Kind"), "text"),
                Column("stale", N_("Stale now")),
                Column("due", N_("Due a reminder now")),
                Column("reminded", N_("Reminded in the last 90 days")),
                Column("confirmed", N_("Confirmed or changed since")),
                Column("confirmed_share", N_("Share confirmed or changed"), "percent"),
            ),
            rows,
            note=N_(
                "A profile is stale when it is listed or public and its member has neither "
                "confirmed nor changed it for six months; a listing, when it has been published "
                "for 60 days without its institution confirming it. Members are reminded at "
                "most once per 60 days, institutions once per 30 days per listing; a reminded "
                "profile or listing counts once, with its latest reminder."
            ),
            people=frozenset({"stale", "due", "reminded", "confirmed"}),
        )
    ]


def stale_profiles(now: datetime | None = None) -> sa.Select:
    """Stale profiles, the longest untouched first (for :func:`paginate`)."""
    now = now or utcnow()
    return (
        sa.select(Profile)
        .where(profiles.stale_condition(now))
        .order_by(profiles.last_confirmed(), Profile.id)
    )


def stale_listings(now: datetime | None = None) -> sa.Select:
    """Stale listings, the longest unconfirmed first, with their institution loaded."""
    now = now or utcnow()
    return (
        sa.select(Project)
        .join(Institution, Institution.id == Project.institution_id)
        .where(projects.stale_condition(now))
        .order_by(sa.func.coalesce(Project.confirmed_current_at, Project.published_at), Project.id)
        .options(contains_eager(Project.institution))
    )


def counts(table: Table, column: str) -> dict[str, int]:
    """One column of the figures of :func:`tables` by kind: ``"stale"`` (the length of each
    list) or ``"due"`` (what a "Remind all" would remind), as ``profiles`` and ``listings``."""
    values = dict(zip(table.column("kind"), table.column(column), strict=True))
    return {"profiles": values[PROFILES], "listings": values[LISTINGS]}


def profile_since(profile: Profile) -> datetime:
    """When the member last confirmed or changed the profile."""
    return profiles.last_confirmed_at(profile)


def listing_since(project: Project) -> datetime | None:
    """When the listing was last confirmed, or published."""
    return projects.last_confirmed(project)


def next_profile_reminder(profile: Profile) -> datetime | None:
    return profile.reminder_sent_at + profiles.REMIND_EVERY if profile.reminder_sent_at else None


def next_listing_reminder(project: Project) -> datetime | None:
    return project.reminder_sent_at + projects.REMIND_EVERY if project.reminder_sent_at else None


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun`` in plain English: "1 member", "3 members", "0 listings" (for
    the audit log; pages say it in their reader's language)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def may_remind_profile(profile: Profile, now: datetime | None = None) -> bool:
    """Whether a reminder may go to the member now (none in the last 60 days)."""
    due = next_profile_reminder(profile)
    return due is None or due <= (now or utcnow())


def may_remind_listing(project: Project, now: datetime | None = None) -> bool:
    """Whether the institution may be asked about the listing now (not in the last 30 days)."""
    due = next_listing_reminder(project)
    return due is None or due <= (now or utcnow())


def _coordinator(actor) -> None:
    if not permissions.is_coordinator(actor):
        raise NotAllowed


def remind_profile(actor, profile_id: int, now: datetime | None = None) -> Profile:
    """A coordinator reminds one member of their stale profile, through the job's function.
    Refused, with nothing sent, when the member was reminded in the last 60 days (saying
    when) or the profile is not stale any more."""
    _coordinator(actor)
    now = now or utcnow()
    profile = db.session.get(Profile, profile_id)
    if profile is None:
        raise NotFound
    if not profiles.remind_stale(now, [profile.id]):
        db.session.refresh(profile)
        _refuse(profile.display_name, profile.reminder_sent_at, profiles.REMIND_EVERY, now)
        raise Conflict(
            _(
                "The profile of %(name)s is not stale: nothing was sent.",
                name=profile.display_name,
            )
        )
    audit.record(
        actor,
        "freshness.remind_profile",
        "profile",
        profile.id,
        subject_user_id=profile.user_id,
    )
    db.session.refresh(profile)
    return profile


def remind_listing(actor, project_id: int, now: datetime | None = None) -> Project:
    """A coordinator asks an institution to confirm one stale listing, through the job's
    function; refused like :func:`remind_profile` (once per 30 days)."""
    _coordinator(actor)
    now = now or utcnow()
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound
    if not projects.remind_stale(now, [project.id]):
        db.session.refresh(project)
        _refuse(
            _("“%(title)s”", title=project.title),
            project.reminder_sent_at,
            projects.REMIND_EVERY,
            now,
        )
        raise Conflict(
            _("“%(title)s” is not a stale listing: nothing was sent.", title=project.title)
        )
    audit.record(actor, "freshness.remind_listing", "project", project.id)
    db.session.refresh(project)
    return project


def _refuse(name: str, sent: datetime | None, every: timedelta, now: datetime) -> None:
    if sent is not None and sent >= now - every:
        raise Conflict(
            _(
                "%(name)s: the last reminder went out on %(date)s at %(time)s UTC, and the "
                "next may go out from %(next)s. Nothing was sent.",
                name=name,
                date=i18n.format_date(sent, "%d %b %Y"),
                time=i18n.format_date(sent, "%H:%M"),
                next=i18n.format_date(sent + every, "%d %b %Y"),
            )
        )


def remind_all_profiles(actor, now: datetime | None = None) -> int:
    """A coordinator reminds every member whose stale profile is due a reminder; returns
    how many were reminded (members reminded in the last 60 days are skipped)."""
    _coordinator(actor)
    reminded = profiles.remind_stale(now or utcnow())
    audit.record(
        actor,
        "freshness.remind_all_profiles",
        "profile",
        None,
        reason=f"{counted(reminded, 'member')} reminded",
    )
    return reminded


def remind_all_listings(actor, now: datetime | None = None) -> int:
    """A coordinator asks about every stale listing due a reminder; returns how many."""
    _coordinator(actor)
    reminded = projects.remind_stale(now or utcnow())
    audit.record(
        actor,
        "freshness.remind_all_listings",
        "project",
        None,
        reason=f"{counted(reminded, 'listing')} asked about",
    )
    return reminded
