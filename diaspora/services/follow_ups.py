"""Follow-ups after an engagement: 3, 6 and 12 months after a confirmed completion, both
sides are asked three short questions (still in contact? knowledge or skills transferred? a
follow-on project?) and, if they like, what changed, through a notification and an email
with a one-click link.

- :func:`send_due` (the daily ``flask engagements follow-up``) records the follow-ups that
  are due and tells each person once. The unique (application, side, step) constraint and
  ``INSERT ... ON CONFLICT DO NOTHING`` make it safe to run twice, or in two processes at
  once: only the run whose insert created the row tells anyone.
- :func:`open_link` and :func:`answer` serve the link: a signed token naming the follow-up
  and its recipient, which alone lets that person answer that one follow-up.
- :func:`impact_table` and :func:`changes` are what the coordinators' dashboard shows.
- :func:`seed_demo_answers` fills the demo data.
"""

import calendar
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from diaspora.extensions import db
from diaspora.models import (
    Application,
    FollowOn,
    FollowUp,
    FollowUpSide,
    FollowUpSkip,
    Institution,
    Project,
    Transferred,
    User,
)
from diaspora.models.base import utcnow
from diaspora.models.follow_up import FOLLOW_UP_STEPS, WHAT_CHANGED_MAX
from diaspora.security import make_token, read_token
from diaspora.services import permissions
from diaspora.services.application_profiles import applicant_name
from diaspora.services.errors import Conflict, Invalid, NotFound
from diaspora.services.events import tell
from diaspora.services.impact import (
    N_,
    Column,
    Filters,
    Period,
    Table,
    percent,
    project_conditions,
)
from diaspora.validation import INT_MAX, strip_controls

STEPS = FOLLOW_UP_STEPS
FOLLOW_UP_SALT = "follow-up"
# A link works for a long while (people answer late), and once answered the answers may be
# changed for CHANGE_FOR after the first answer.
TOKEN_MAX_AGE = int(timedelta(days=400).total_seconds())
CHANGE_FOR = timedelta(days=30)
LINK_NOT_VALID = _l(
    "This follow-up link is not valid: it may be mistyped or cut short, or it is not "
    "yours to use any more. Copy the whole link from the email, or sign in and open "
    "/follow-ups: it lists every follow-up waiting for your answer."
)
IN_CONTACT = ("yes", "no")
NO_FILTERS = Filters()


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later (or earlier), on the same day of the month
    or the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, _last_day(year, month)))


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def completion_of(application: Application) -> datetime | None:
    """When the engagement was completed: the later side's mark when both sides marked it,
    else the first mark (``completed_at``), which the dispute period confirmed."""
    marks = [application.member_completed_at, application.institution_completed_at]
    if all(marks):
        return max(marks)
    return application.completed_at


def due_steps(completed: datetime, now: datetime) -> list[int]:
    """The steps whose time has come by ``now``, in order."""
    return [step for step in STEPS if add_months(completed, step) <= now]


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Plan:
    """What one side of one engagement needs now: ``ask`` the latest step due (None when
    nothing new is due) and ``skip`` the older steps due at the same time, never asked."""

    application: Application
    side: FollowUpSide
    completed: datetime
    ask: int | None
    skip: tuple[int, ...]

    def due_at(self, step: int) -> datetime:
        return add_months(self.completed, step)


def _candidates(now: datetime) -> list[Application]:
    """Confirmed engagements completed long enough ago that a step may be due, that do not
    have every follow-up yet (the exact dates are checked on each)."""
    recorded = (
        sa.select(sa.func.count())
        .where(FollowUp.application_id == Application.id)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Application)
            .options(joinedload(Application.project))
            .where(
                Application.completion_confirmed_condition(now),
                Application.completed_at <= now - timedelta(days=88),
                recorded < len(STEPS) * len(FollowUpSide),
            )
            .order_by(Application.id)
        )
    )


def _recorded_steps(ids: list[int]) -> dict[tuple[int, FollowUpSide], set[int]]:
    recorded: dict[tuple[int, FollowUpSide], set[int]] = {}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            sa.select(FollowUp.application_id, FollowUp.side, FollowUp.step).where(
                FollowUp.application_id.in_(ids[start : start + 500])
            )
        )
        for application_id, side, step in rows:
            recorded.setdefault((application_id, side), set()).add(step)
    return recorded


def plans(now: datetime) -> list[Plan]:
    """For every confirmed engagement and side, what is due and not yet recorded. When
    several steps are due at once (a fresh install, old engagements), only the latest is
    asked and the older ones are skipped, so nobody receives several surveys in one day;
    a step older than one already recorded is skipped too."""
    applications = _candidates(now)
    recorded = _recorded_steps([a.id for a in applications])
    result = []
    for application in applications:
        completed = completion_of(application)
        if completed is None:
            continue
        due = due_steps(completed, now)
        for side in FollowUpSide:
            done = recorded.get((application.id, side), set())
            new = [step for step in due if step not in done]
            if not new:
                continue
            latest = max(new)
            ask = latest if latest > max(done, default=0) else None
            skip = tuple(step for step in new if step != ask)
            result.append(Plan(application, side, completed, ask, skip))
    return result


def recipients(application: Application, side: FollowUpSide) -> list[User]:
    """Whom a side's follow-up goes to: the member (unless deleted or suspended), or the
    institution's active representatives."""
    if side == FollowUpSide.MEMBER:
        member = application.member
        return [member] if member is not None and member.is_active else []
    return permissions.representatives(application.project.institution_id)


# --------------------------------------------------------------------------- sending


@dataclass
class Sent:
    """What one run of :func:`send_due` did."""

    asked: int = 0
    skipped: int = 0
    nobody: int = 0
    told: int = 0

    def __str__(self) -> str:
        return (
            f"Asked {self.asked} follow-up(s) ({self.told} person(s) told); skipped "
            f"{self.skipped} older step(s) due at the same time and {self.nobody} with "
            "nobody to ask."
        )


def _insert(**values) -> int | None:
    """Insert one follow-up unless its (application, side, step) exists; its id if this
    call created it. A concurrent run's uncommitted row makes this wait for that run, then
    do nothing: only one run ever tells anyone about a follow-up."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(FollowUp)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["application_id", "side", "step"])
        .returning(FollowUp.id)
    )
    return db.session.execute(statement).scalar()


def send_due(now: datetime | None = None) -> Sent:
    """Record every follow-up that is due and tell its recipients (a notification and an
    email with a one-click link). Idempotent; the caller commits."""
    now = now or utcnow()
    sent = Sent()
    for plan in plans(now):
        application = plan.application
        if plan.ask is not None:
            people = recipients(application, plan.side)
            follow_up_id = _insert(
                application_id=application.id,
                side=plan.side,
                step=plan.ask,
                due_at=plan.due_at(plan.ask),
                asked_id=people[0].id if people else None,
                sent_at=now if people else None,
                skipped=None if people else FollowUpSkip.NOBODY,
            )
            if follow_up_id is not None:
                if people:
                    sent.asked += 1
                else:
                    sent.nobody += 1
                for person in people:
                    _tell(person, follow_up_id, application, plan.ask)
                    sent.told += 1
        for step in plan.skip:
            skipped = _insert(
                application_id=application.id,
                side=plan.side,
                step=step,
                due_at=plan.due_at(step),
                skipped=FollowUpSkip.LATER_STEP,
            )
            sent.skipped += skipped is not None
    return sent


def token_for(follow_up_id: int, user_id: int) -> str:
    """The one-click link's token: signed, naming the follow-up and whom it was sent to."""
    return make_token(FOLLOW_UP_SALT, {"f": follow_up_id, "u": user_id})


def _tell(person: User, follow_up_id: int, application: Application, step: int) -> None:
    token = token_for(follow_up_id, person.id)
    tell(
        person,
        "follow_up",
        url_for("follow_ups.answer", token=token, _external=False),
        application=application,
        project=application.project,
        months=step,
        answer_url=url_for("follow_ups.answer", token=token, _external=True),
    )


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class Opened:
    """A follow-up as its link shows it: the project's title and the other side's public
    name, nothing else about the engagement."""

    follow_up: FollowUp
    user: User
    project_title: str
    other_side: str
    changeable_until: datetime | None

    @property
    def months(self) -> int:
        return self.follow_up.step

    def may_change(self, now: datetime | None = None) -> bool:
        until = self.changeable_until
        return until is None or (now or utcnow()) <= until


def open_link(token: str, lock: bool = False) -> Opened:
    """The follow-up a link opens, for the person it was sent to; NotFound for a wrong,
    tampered or expired token, or one whose person may no longer answer (deleted,
    suspended, no longer the institution's representative). Reads only."""
    data = read_token(FOLLOW_UP_SALT, token or "", TOKEN_MAX_AGE)
    follow_up_id, user_id = (data or {}).get("f"), (data or {}).get("u")
    if not all(isinstance(v, int) and 0 < v <= INT_MAX for v in (follow_up_id, user_id)):
        raise NotFound(str(LINK_NOT_VALID))
    follow_up = db.session.get(FollowUp, follow_up_id, with_for_update=lock or None)
    user = db.session.get(User, user_id)
    if follow_up is None or user is None or not user.is_active or follow_up.sent_at is None:
        raise NotFound(str(LINK_NOT_VALID))
    application = follow_up.application
    if follow_up.side == FollowUpSide.MEMBER:
        if application.member_id != user.id:
            raise NotFound(str(LINK_NOT_VALID))
        other = application.project.institution.name
    else:
        if not permissions.represents(user, application.project.institution_id):
            raise NotFound(str(LINK_NOT_VALID))
        other = applicant_name(application, user)
    until = follow_up.answered_at + CHANGE_FOR if follow_up.answered_at else None
    return Opened(follow_up, user, application.project.title, other, until)


def answer(
    token: str,
    in_contact: str,
    transferred: str,
    follow_on: str,
    what_changed: str,
    now: datetime | None = None,
) -> FollowUp:
    """Save the answers given through a follow-up link (or change them, within
    :data:`CHANGE_FOR` of the first answer). The institution answers once: any of its
    representatives may give or change that one answer."""
    now = now or utcnow()
    opened = open_link(token, lock=True)
    if not opened.may_change(now):
        raise Conflict(
            _("These answers were given more than 30 days ago and can no longer be changed.")
        )
    if in_contact not in IN_CONTACT:
        raise Invalid(_("Say whether you are still in contact: yes or no."))
    try:
        transferred_value, follow_on_value = Transferred(transferred), FollowOn(follow_on)
    except ValueError:
        raise Invalid(_("Choose one of the answers offered for each question.")) from None
    text = strip_controls(what_changed or "").strip()
    if len(text) > WHAT_CHANGED_MAX:
        raise Invalid(_("Say what changed in at most %(num)d characters.", num=WHAT_CHANGED_MAX))
    follow_up = opened.follow_up
    follow_up.in_contact = in_contact == "yes"
    follow_up.transferred = transferred_value
    follow_up.follow_on = follow_on_value
    follow_up.what_changed = text
    follow_up.answered_by_id = opened.user.id
    follow_up.answered_at = follow_up.answered_at or now
    return follow_up


def pending_for(user: User, application_id: int | None = None) -> list[tuple[FollowUp, str]]:
    """The follow-ups sent to ``user`` (or, for a representative, to their institution) that
    wait for an answer, each with its link's token: what their notifications lead to (only
    those of one engagement when ``application_id`` is given)."""
    institution_ids = permissions.represented_institution_ids(user)
    query = (
        sa.select(FollowUp)
        .join(Application, Application.id == FollowUp.application_id)
        .join(Project, Project.id == Application.project_id)
        .options(joinedload(FollowUp.application).joinedload(Application.project))
        .where(
            FollowUp.sent_at.is_not(None),
            FollowUp.answered_at.is_(None),
            sa.or_(
                sa.and_(FollowUp.side == FollowUpSide.MEMBER, Application.member_id == user.id),
                sa.and_(
                    FollowUp.side == FollowUpSide.INSTITUTION,
                    Project.institution_id.in_(institution_ids),
                ),
            ),
        )
        .order_by(FollowUp.sent_at.desc(), FollowUp.id)
    )
    if application_id is not None:
        query = query.where(FollowUp.application_id == application_id)
    return [(f, token_for(f.id, user.id)) for f in db.session.scalars(query)]


# --------------------------------------------------------------------------- figures


def _filtered(query, filters: Filters, join: bool = False):
    """``query`` narrowed to the projects ``filters`` name (joined only when needed, or when
    ``join`` asks for the project's columns)."""
    if not (filters or join):
        return query
    query = query.join(Application, Application.id == FollowUp.application_id).join(
        Project, Project.id == Application.project_id
    )
    return query.where(*project_conditions(filters))


QUESTIONS = (
    ("in_contact", N_("Still in contact")),
    ("transferred", N_("Knowledge or skills transferred")),
    ("follow_on", N_("A follow-on project")),
)
# The "After" column, per step (a page shows it in its reader's language).
AFTER = {3: N_("3 months"), 6: N_("6 months"), 12: N_("12 months")}
# The answer between yes and no, for the questions that have one.
MIDDLE = {"transferred": Transferred.PARTLY.value, "follow_on": FollowOn.PLANNED.value}
COLUMNS = (
    Column("question", N_("Question"), "text"),
    Column("after", N_("After"), "text"),
    Column("asked", N_("Asked")),
    Column("answered", N_("Answered")),
    Column("yes", N_("Yes")),
    Column("yes_share", N_("Yes (%)"), "percent"),
    Column("partly", N_("Partly or planned")),
    Column("partly_share", N_("Partly or planned (%)"), "percent"),
    Column("no", N_("No")),
    Column("no_share", N_("No (%)"), "percent"),
)


class NotAsked(str):
    """A cell for an answer the question does not offer ("Still in contact" has no middle
    answer): an empty string, so the CSV and JSON leave it empty and the pages show "not
    asked" (None would read as a hidden small count), and never a small count to hide
    (:func:`diaspora.services.impact.suppress` hides numbers only)."""


NOT_ASKED = NotAsked("")


def impact_table(period: Period, filters: Filters = NO_FILTERS) -> Table:
    """Per question and step, one cohort: the follow-ups asked (sent) in the period, how many
    of them were answered (whenever), and each answer's count and share of those answered.
    One grouped query over one indexed range of dates, per step, answered or not and
    combination of answers (at most 108 groups), added up here."""
    answers = (FollowUp.in_contact, FollowUp.transferred, FollowUp.follow_on)
    answered = FollowUp.answered_at.is_not(None)
    query = _filtered(
        sa.select(FollowUp.step, answered, *answers, sa.func.count()).where(
            period.contains(FollowUp.sent_at)
        ),
        filters,
    ).group_by(FollowUp.step, answered, *answers)
    asked: dict[int, int] = {}
    counts: dict[tuple[int, str, str | None], int] = {}
    for step, is_answered, in_contact, transferred, follow_on, count in db.session.execute(query):
        asked[step] = asked.get(step, 0) + count
        if not is_answered:
            continue
        for key, value in (
            ("in_contact", "yes" if in_contact else "no"),
            ("transferred", transferred and transferred.value),
            ("follow_on", follow_on and follow_on.value),
        ):
            counts[(step, key, value)] = counts.get((step, key, value), 0) + count
            counts[(step, key, "")] = counts.get((step, key, ""), 0) + count
    rows = []
    for key, label in QUESTIONS:
        for step in STEPS:
            if not asked.get(step):
                continue
            total = counts.get((step, key, ""), 0)
            yes, no = counts.get((step, key, "yes"), 0), counts.get((step, key, "no"), 0)
            if key == "in_contact":
                middle, middle_share = NOT_ASKED, NOT_ASKED
            else:
                middle = counts.get((step, key, MIDDLE[key]), 0)
                middle_share = percent(middle, total)
            rows.append(
                (
                    label,
                    AFTER[step],
                    asked[step],
                    total,
                    yes,
                    percent(yes, total),
                    middle,
                    middle_share,
                    no,
                    percent(no, total),
                )
            )
    return Table(
        key="follow_ups",
        title=N_("Follow-ups after engagements"),
        columns=COLUMNS,
        rows=tuple(rows),
        note=N_(
            "Asked: follow-ups sent in the period, 3, 6 and 12 months after an engagement's "
            "completion, to the member and to the institution (one answer per institution). "
            "Answered: how many of those were answered, whenever the answer came; the answers "
            'and their shares are of those answered. "Still in contact" offers only yes '
            "or no."
        ),
        people=frozenset({"asked", "answered", "yes", "partly", "no"}),
    )


@dataclass(frozen=True)
class Change:
    """One "what changed" answer, for coordinators only."""

    answered_at: datetime
    step: int
    side: FollowUpSide
    project_id: int
    project_title: str
    institution: str
    text: str


def changes(period: Period, filters: Filters = NO_FILTERS, limit: int = 20) -> list[Change]:
    """The latest "what changed" answers given in the period, newest first."""
    query = _filtered(
        sa.select(
            FollowUp.answered_at,
            FollowUp.step,
            FollowUp.side,
            Project.id,
            Project.title,
            Institution.name,
            FollowUp.what_changed,
        ),
        filters,
        join=True,
    ).join(Institution, Institution.id == Project.institution_id)
    query = (
        query.where(period.contains(FollowUp.answered_at), FollowUp.what_changed != "")
        .order_by(FollowUp.answered_at.desc(), FollowUp.id.desc())
        .limit(max(0, min(limit, 500)))
    )
    return [Change(*row) for row in db.session.execute(query)]


# --------------------------------------------------------------------------- demo data

DEMO_CHANGES = (
    "The lab now runs its own quality checks every week.",
    "Two of our nurses now train the new staff themselves.",
    "We wrote a grant proposal together and it was funded.",
    "The course is part of the curriculum from this year on.",
    "We still call each other when a difficult case comes in.",
    "The software is in daily use and our team maintains it.",
    "Students from the programme started their own study group.",
    "The ministry adopted the procedure for two more regions.",
    "Not much yet: the equipment we planned for has not arrived.",
    "We share data and have a joint paper under review.",
    "Our engineers now size solar systems without outside help.",
    "The maternity ward keeps its records the way we practised.",
    "Three of our students went on to a master's programme abroad.",
    "We applied for a second project with the same expert.",
    "The cooperative lost far less grain this harvest.",
    "Nothing new since the visit, but the contact is still there.",
    "The district now plans road repairs a year ahead.",
    "Our technicians teach the methods to the next intake.",
    "The leak rate in the old town network went down by a third.",
    "We changed how we review procurement files.",
    "The mentoring continues by video call once a month.",
    "The start-ups we mentored are all still trading.",
    "Our lecturers reuse the course material every term.",
    "The audit led to a new checklist in every ward.",
    "Hard to say yet: the team that took part has moved on.",
)


@dataclass
class Seeded:
    asked: int = 0
    answered: int = 0
    skipped: int = 0
    steps: dict = field(default_factory=dict)


def seed_demo_answers(rng: random.Random, now: datetime | None = None) -> Seeded:
    """For the demo data: the follow-ups of existing confirmed engagements whose steps are
    due, as if the daily command had run all along (each step asked when it was due), about
    three in four answered a few days later with varied answers. Sends nothing. The "what
    changed" texts go round :data:`DEMO_CHANGES` in the order they were given, so the
    latest ones the dashboard quotes all differ."""
    now = now or utcnow()
    seeded = Seeded()
    written: list[FollowUp] = []
    for plan in plans(now):
        people = recipients(plan.application, plan.side)
        for step in sorted((*plan.skip, *([plan.ask] if plan.ask else []))):
            due = plan.due_at(step)
            follow_up = FollowUp(
                application_id=plan.application.id,
                side=plan.side,
                step=step,
                due_at=due,
                created_at=due,
            )
            db.session.add(follow_up)
            if not people:
                follow_up.skipped = FollowUpSkip.NOBODY
                seeded.skipped += 1
                continue
            follow_up.asked_id = people[0].id
            follow_up.sent_at = min(due + timedelta(hours=rng.randint(1, 20)), now)
            seeded.asked += 1
            answered_at = follow_up.sent_at + timedelta(days=rng.randint(0, 20), hours=3)
            if rng.random() < 0.75 and answered_at <= now:
                if _demo_answer(rng, follow_up, rng.choice(people), answered_at):
                    written.append(follow_up)
                seeded.answered += 1
                seeded.steps[step] = seeded.steps.get(step, 0) + 1
    start = rng.randrange(len(DEMO_CHANGES))
    for n, follow_up in enumerate(sorted(written, key=lambda f: f.answered_at)):
        follow_up.what_changed = DEMO_CHANGES[(start + n) % len(DEMO_CHANGES)]
    db.session.flush()
    return seeded


def _demo_answer(rng: random.Random, follow_up: FollowUp, person: User, when: datetime) -> bool:
    """Plausible answers: contact and follow-on projects thin out as time passes. Whether
    the person says what changed (the caller writes the text)."""
    fading = {3: 0.0, 6: 0.1, 12: 0.2}[follow_up.step]
    follow_up.in_contact = rng.random() < 0.8 - fading
    follow_up.transferred = rng.choices(list(Transferred), weights=(5, 4, 1))[0]
    follow_up.follow_on = rng.choices(list(FollowOn), weights=(2 - fading, 3, 5))[0]
    writes = rng.random() < 0.6
    follow_up.what_changed = ""
    follow_up.answered_by_id = person.id
    follow_up.answered_at = when
    return writes
