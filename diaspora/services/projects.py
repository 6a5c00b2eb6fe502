"""Project workflows: drafting, submission with screening, moderation, closing, freshness.

Every change of a project's status goes through :func:`transition`, which reads the
transition table below (from-state, to-state, who may). A refused or impossible transition
raises and changes nothing. Like the other service modules, functions here take plain
values and model objects, never request objects, and leave the commit to the caller.

Choices documented here:
- a coordinator unpublishes a published project by sending it back to *changes requested*
  with a reason; the institution edits and resubmits it, and it is reviewed again;
- only drafts and listings sent back for changes can be edited; a published or pending
  listing is refused (unpublishing or closing it comes first);
- skills typed that are not in the taxonomy are added as free (uncurated) skills, which
  coordinators see on review and can merge later.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from diaspora import catalog, i18n, skill_names
from diaspora.extensions import db
from diaspora.models import (
    AuditEntry,
    Compensation,
    EngagementMode,
    Institution,
    InstitutionStatus,
    Project,
    ProjectStatus,
    Skill,
    WorkMode,
    audit,
)
from diaspora.models.base import utcnow
from diaspora.services import application_closing, locks, permissions, profiles
from diaspora.services.errors import Conflict, Invalid, NotAllowed
from diaspora.services.events import tell
from diaspora.services.screening import Match, screen, summarize
from diaspora.validation import has_line_break

REP = "rep"
COORDINATOR = "coordinator"
SYSTEM = "system"

STALE_AFTER = timedelta(days=60)
REMIND_EVERY = timedelta(days=30)
MAX_SKILLS = 15
SCREENED = ("title", "summary", "description")

S = ProjectStatus


class InvalidTransition(Conflict):
    """The project is not in a state from which this action is possible."""


class SystemActor:
    """The platform itself, acting on a schedule (closing past-deadline projects)."""

    id = None
    name = "system"
    is_authenticated = False
    is_coordinator = False


SYSTEM_ACTOR = SystemActor()


@dataclasses.dataclass(frozen=True)
class Transition:
    action: str
    source: ProjectStatus
    target: ProjectStatus
    who: frozenset[str]
    needs_reason: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", S.DRAFT, S.PENDING, frozenset({REP})),
    Transition("submit", S.CHANGES_REQUESTED, S.PENDING, frozenset({REP})),
    Transition("approve", S.PENDING, S.PUBLISHED, frozenset({COORDINATOR})),
    Transition("request_changes", S.PENDING, S.CHANGES_REQUESTED, frozenset({COORDINATOR}), True),
    Transition("reject", S.PENDING, S.REJECTED, frozenset({COORDINATOR}), True),
    Transition("unpublish", S.PUBLISHED, S.CHANGES_REQUESTED, frozenset({COORDINATOR}), True),
    Transition("close", S.PUBLISHED, S.CLOSED, frozenset({REP, COORDINATOR, SYSTEM})),
    Transition("complete", S.CLOSED, S.COMPLETED, frozenset({REP, COORDINATOR})),
    Transition("archive", S.COMPLETED, S.ARCHIVED, frozenset({REP, COORDINATOR})),
)

ACTIONS = frozenset(t.action for t in TRANSITIONS)
DECISIONS = ("approve", "request_changes", "reject")

# What the institution is told, per action that a coordinator or the platform takes (lazy:
# written in each representative's language when their message is).
DECISION_LABELS = {
    # Translators: completes "Your project ... was %(decision)s."
    "approve": _l("approved and published"),
    # Translators: completes "Your project ... was %(decision)s."
    "request_changes": _l("sent back for changes"),
    # Translators: completes "Your project ... was %(decision)s."
    "reject": _l("rejected"),
    # Translators: completes "Your project ... was %(decision)s."
    "unpublish": _l("unpublished and sent back for changes"),
    # Translators: completes "Your project ... was %(decision)s."
    "close": _l("closed"),
}

#: Reasons the platform itself records (kept in English in the database and the audit log,
#: translated where they are shown: :func:`reason_text`).
DEADLINE_PASSED = "The application deadline passed."
PLATFORM_REASONS = {DEADLINE_PASSED: _l("The application deadline passed.")}


def reason_text(reason: str) -> str:
    """A stored reason as people read it: the platform's own reasons in the current
    language, what a person wrote as they wrote it."""
    known = PLATFORM_REASONS.get(reason or "")
    return str(known) if known is not None else reason


# --------------------------------------------------------------------------- who may


def roles_of(user, project: Project) -> set[str]:
    """The roles of the transition table that ``user`` holds towards ``project``, as
    :mod:`diaspora.services.permissions` answers: rep, coordinator, system (or none)."""
    if user is SYSTEM_ACTOR:
        return {SYSTEM}
    roles = set()
    if permissions.is_coordinator(user):
        roles.add(COORDINATOR)
    if permissions.represents(user, project.institution_id):
        roles.add(REP)
    return roles


def allowed_actions(user, project: Project) -> list[str]:
    """The actions ``user`` may take on ``project`` now (for showing buttons)."""
    roles = roles_of(user, project)
    return [t.action for t in TRANSITIONS if t.source == project.status and t.who & roles]


# --------------------------------------------------------------------------- transitions


def transition(actor, project: Project, action: str, reason: str = "") -> Project:
    """Apply ``action`` to ``project`` as ``actor``, by the transition table.

    Raises NotAllowed when the actor may never take this action on this project,
    InvalidTransition when the project is not in a state that allows it, Conflict when
    another precondition fails and Invalid when a reason is missing. Nothing changes in
    any of these cases.

    The project's row is locked and reloaded first (:func:`locks.lock_project`, the
    lock order of every writer of a project and its applications), so a transition decides
    on the status as it is now and a close never races a decision into a deadlock.
    """
    rows = [t for t in TRANSITIONS if t.action == action]
    if not rows:
        raise Invalid(_("Unknown action %(action)s.", action=repr(action)))
    project = locks.lock_project(project)
    roles = roles_of(actor, project)
    permitted = [t for t in rows if t.who & roles]
    if not permitted:
        raise NotAllowed
    step = next((t for t in permitted if t.source == project.status), None)
    if step is None:
        raise InvalidTransition(
            _(
                "This project is %(status)s; that action is not possible now.",
                status=project.status.label.lower(),
            )
        )
    reason = (reason or "").strip()
    if step.needs_reason and not reason:
        raise Invalid(_("Give a reason; the institution will read it."))
    before = project.status
    _BEFORE.get(action, _nothing)(actor, project)
    now = utcnow()
    ended = 0
    project.status = step.target
    if step.target == S.PENDING:
        project.submitted_at = now
    elif step.target == S.PUBLISHED:
        project.published_at = now
        project.confirmed_current_at = None
        project.reminder_sent_at = None
    elif step.target == S.CLOSED:
        project.closed_at = now
        ended = application_closing.close_waiting(project, _closer(actor, roles), reason)
    if action != "submit":
        project.status_reason = reason
    audit.record(
        None if actor is SYSTEM_ACTOR else actor,
        f"project.{action}",
        "project",
        project.id,
        reason or f"{before.value} -> {step.target.value}",
    )
    if action in DECISION_LABELS and not (action == "close" and REP in roles):
        _tell_institution(
            project,
            action,
            reason,
            by_system=actor is SYSTEM_ACTOR,
            ended=ended,
        )
    return project


def _closer(actor, roles: set[str]) -> str:
    """Who closes a project, as its waiting applicants are told."""
    if actor is SYSTEM_ACTOR:
        return application_closing.BY_SYSTEM
    if REP in roles:
        return application_closing.BY_INSTITUTION
    return application_closing.BY_COORDINATORS


def _nothing(actor, project: Project) -> None:
    return None


def _before_submit(actor, project: Project) -> None:
    """Only verified institutions submit; complete listings only; screen the text."""
    if project.institution.status != InstitutionStatus.VERIFIED:
        raise Conflict(
            _("Your institution must be verified by a coordinator before it can submit projects.")
        )
    if not getattr(actor, "is_confirmed", False):
        raise Conflict(_("Confirm your email address before submitting a project."))
    if project.deadline is not None and project.deadline < utcnow().date():
        raise Conflict(_("The application deadline has passed. Choose a later date."))
    screen_project(project)


_BEFORE = {"submit": _before_submit}


def screening_matches(project: Project) -> list[Match]:
    """The screening matches of the project's current text (title, summary, description)."""
    return screen({name: getattr(project, name) for name in SCREENED}, project.country)


def screen_project(project: Project) -> None:
    """Screen the listing's text and store what matched; a match holds it as flagged."""
    matches = screening_matches(project)
    project.screening = summarize(matches)
    project.flagged = bool(matches)


def submit(actor, project: Project) -> Project:
    return transition(actor, project, "submit")


def decide(actor, project: Project, decision: str, reason: str = "") -> Project:
    """A coordinator's review decision: approve, request changes, or reject."""
    if decision not in DECISIONS:
        raise Invalid(_("Choose approve, request changes or reject."))
    return transition(actor, project, decision, reason)


def unpublish(actor, project: Project, reason: str) -> Project:
    return transition(actor, project, "unpublish", reason)


def close(actor, project: Project, reason: str = "") -> Project:
    return transition(actor, project, "close", reason)


def _tell_institution(
    project: Project, action: str, reason: str, by_system: bool = False, ended: int = 0
) -> None:
    """Email every active representative what was decided about their project, and why:
    the coordinators' reason, or what happened when the platform acted (``by_system``:
    the deadline passed, the places are filled); ``ended`` is how many waiting applications
    a close ended."""
    decision = DECISION_LABELS[action]
    path = url_for("projects.dashboard")
    for rep in permissions.representatives(project.institution_id):
        tell(
            rep,
            "project_decision",
            path,
            project=project,
            decision=decision,
            action=action,
            reason=reason,
            by_system=by_system,
            ended=ended,
            dashboard_url=url_for("projects.dashboard", _external=True),
            project_url=url_for("projects.show", project_id=project.id, _external=True),
        )


# --------------------------------------------------------------------------- editing

TEXT_LIMITS = {
    "title": 200,
    "summary": 500,
    "description": 20000,
    "region": 120,
    "contact_name": 120,
    "contact_role": 120,
    "info_url": 300,
}
SINGLE_LINE = ("title", "region", "contact_name", "contact_role", "info_url")
#: The fields' names in the messages about them (the form's labels).
FIELD_NAMES = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "region": _l("City or region"),
    "contact_name": _l("Contact person"),
    "contact_role": _l("Contact person's role"),
    "info_url": _l("Web page with more information"),
}


@dataclasses.dataclass
class ProjectData:
    """The fields a representative may set on a project; nothing else is ever copied."""

    title: str
    summary: str
    description: str
    country: str
    sector: str
    engagement_mode: str
    work_mode: str
    compensation: str
    region: str = ""
    skills: list[str] = dataclasses.field(default_factory=list)
    start_date: date | None = None
    duration_weeks: int | None = None
    deadline: date | None = None
    places: int = 1
    languages: list[str] = dataclasses.field(default_factory=list)
    contact_name: str = ""
    contact_role: str = ""
    info_url: str = ""
    written_in: str = i18n.DEFAULT


def check_link(url: str) -> str:
    """An http(s) link with a host, or "" ; anything else (``javascript:``...) is refused."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise Invalid(_("Links must start with http:// or https://."))
    return url


def _clean(data: ProjectData) -> dict:
    """Validate ``data`` into column values, or raise Invalid with a clear message."""
    values: dict = {}
    for name, limit in TEXT_LIMITS.items():
        value = (getattr(data, name) or "").strip()
        if len(value) > limit:
            raise Invalid(_("%(field)s is too long.", field=FIELD_NAMES[name]))
        if name in SINGLE_LINE and has_line_break(value):
            raise Invalid(_("Line breaks are not allowed in single-line fields."))
        values[name] = value
    for name in ("title", "summary", "description"):
        if not values[name]:
            raise Invalid(_("%(field)s is required.", field=FIELD_NAMES[name]))
    values["info_url"] = check_link(values["info_url"])
    if data.country not in dict(catalog.countries()):
        raise Invalid(_("Choose a country."))
    if data.sector not in catalog.sectors():
        raise Invalid(_("Choose a sector."))
    if not i18n.supported(data.written_in):
        raise Invalid(_("Choose the language the listing is written in."))
    try:
        values["engagement_mode"] = EngagementMode(data.engagement_mode)
        values["work_mode"] = WorkMode(data.work_mode)
        values["compensation"] = Compensation(data.compensation)
    except ValueError as exc:
        raise Invalid(_("Choose the engagement, work mode and compensation.")) from exc
    known_languages = dict(catalog.languages())
    languages = list(dict.fromkeys(data.languages))
    if any(code not in known_languages for code in languages):
        raise Invalid(_("Choose languages from the list."))
    if not 1 <= (data.places or 0) <= 500:
        raise Invalid(_("The number of places must be between 1 and 500."))
    if data.duration_weeks is not None and not 1 <= data.duration_weeks <= 520:
        raise Invalid(_("The duration must be between 1 and 520 weeks."))
    if data.start_date and data.deadline and data.deadline > data.start_date:
        raise Invalid(_("The application deadline must come before the start date."))
    values.update(
        country=data.country,
        sector=data.sector,
        languages=languages,
        written_in=data.written_in,
        places=data.places,
        duration_weeks=data.duration_weeks,
        start_date=data.start_date,
        deadline=data.deadline,
    )
    return values


def resolve_skills(names: list[str]) -> list[Skill]:
    """Skills for the typed names: taxonomy ones by name, unknown ones added as free skills."""
    wanted: dict[str, str] = {}
    for raw in names:
        for part in (raw or "").split(","):
            name = " ".join(part.split())
            if name:
                if len(name) > 120:
                    raise Invalid(_("A skill name is at most 120 characters."))
                wanted.setdefault(Skill.key_for(name), name)
    if len(wanted) > MAX_SKILLS:
        raise Invalid(
            ngettext("List at most %(num)d skill.", "List at most %(num)d skills.", MAX_SKILLS)
        )
    return profiles.ensure_skills(wanted)


def skill_suggestions(limit: int = 3000) -> list[str]:
    """Names of the curated skills, for the form's suggestion list."""
    return list(
        db.session.scalars(
            sa.select(Skill.name).where(Skill.curated.is_(True)).order_by(Skill.name).limit(limit)
        )
    )


def _apply(project: Project, data: ProjectData) -> None:
    values = _clean(data)
    skills = resolve_skills(data.skills)
    for name, value in values.items():
        setattr(project, name, value)
    project.skills = skills


def create_project(actor, institution: Institution, data: ProjectData) -> Project:
    """A new draft for ``institution``, written by one of its representatives."""
    if not permissions.represents(actor, institution.id):
        raise NotAllowed
    if institution.status == InstitutionStatus.REJECTED:
        raise Conflict(_("This institution was not verified; it cannot post projects."))
    project = Project(institution=institution, status=S.DRAFT, created_by_id=actor.id)
    _apply(project, data)
    db.session.add(project)
    db.session.flush()
    audit.record(actor, "project.create", "project", project.id)
    return project


def update_project(actor, project: Project, data: ProjectData) -> Project:
    """Edit a draft or a listing sent back for changes; anything else is refused."""
    if not permissions.represents(actor, project.institution_id):
        raise NotAllowed
    if not project.is_editable:
        raise InvalidTransition(
            _(
                "Only drafts and listings sent back for changes can be edited. "
                "Ask a coordinator if a published listing must change."
            )
        )
    _apply(project, data)
    return project


def project_data(project: Project) -> ProjectData:
    """The editable fields of a project, to fill the edit form."""
    return ProjectData(
        **{f.name: getattr(project, f.name) for f in dataclasses.fields(ProjectData)}
        | {
            "engagement_mode": project.engagement_mode.value,
            "work_mode": project.work_mode.value,
            "compensation": project.compensation.value,
            # In the reader's language: the form reads the names back as the curated skills.
            "skills": [skill_names.skill_name(skill) for skill in project.skills],
        }
    )


# --------------------------------------------------------------------------- freshness


def today() -> date:
    return utcnow().date()


def listed_query(on: date | None = None) -> sa.Select:
    """The projects open on ``on`` (``Project.is_open``, checked at read time), newest first."""
    return (
        sa.select(Project)
        .where(Project.is_open(on or today()))
        .order_by(Project.published_at.desc(), Project.id.desc())
    )


def listed_project(project_id: int) -> Project | None:
    """The project ``project_id`` if it is listed (open to applications), else None: what
    anyone may read of it, with its institution and skills loaded."""
    return db.session.scalar(
        listed_query()
        .where(Project.id == project_id)
        .options(sa.orm.joinedload(Project.institution), sa.orm.selectinload(Project.skills))
    )


def newest(limit: int = 3) -> list[Project]:
    return list(db.session.scalars(listed_query().limit(limit)))


def close_expired(on: date | None = None) -> int:
    """Close every published project whose deadline has passed; return how many.

    A project that closed meanwhile (its last place taken) is left as it is.
    """
    on = on or today()
    expired = db.session.scalars(
        sa.select(Project)
        .where(Project.status == S.PUBLISHED, Project.deadline < on)
        .order_by(Project.id)
    ).all()
    closed = 0
    for project in expired:
        if locks.lock_project(project).status != S.PUBLISHED:
            continue
        transition(SYSTEM_ACTOR, project, "close", DEADLINE_PASSED)
        closed += 1
    return closed


def last_confirmed(project: Project) -> datetime | None:
    return project.confirmed_current_at or project.published_at


def needs_confirmation(project: Project, now: datetime | None = None) -> bool:
    """A project published over 60 days ago without the institution confirming it since."""
    now = now or utcnow()
    confirmed = last_confirmed(project)
    return project.status == S.PUBLISHED and confirmed is not None and now - confirmed > STALE_AFTER


def stale_condition(now: datetime):
    """:func:`needs_confirmation` as a SQL condition: the one rule of the reminder job, the
    coordinators' counts and their list of stale listings."""
    return sa.and_(
        Project.status == S.PUBLISHED,
        sa.func.coalesce(Project.confirmed_current_at, Project.published_at) < now - STALE_AFTER,
    )


def reminder_due_condition(now: datetime):
    """Never reminded, or last reminded over 30 days ago."""
    return sa.or_(Project.reminder_sent_at.is_(None), Project.reminder_sent_at < now - REMIND_EVERY)


def remind_stale(now: datetime | None = None, project_ids: list[int] | None = None) -> int:
    """Ask institutions to confirm long-open projects, at most once per 30 days each;
    ``project_ids`` narrows this to those projects (a coordinator's one-click reminder).
    Returns how many projects were asked about.

    The projects are claimed by one UPDATE that checks the rule again, so two runs at once
    ask about each project once. The reminder is not a change of the listing: ``updated_at``
    keeps its value."""
    now = now or utcnow()
    claimed = locks.claim_for_reminder(
        Project, now, stale_condition(now), reminder_due_condition(now), ids=project_ids
    )
    if not claimed:
        return 0
    projects = db.session.scalars(
        sa.select(Project)
        .where(Project.id.in_(claimed))
        .order_by(Project.id)
        .execution_options(populate_existing=True)
    ).all()
    for project in projects:
        for rep in permissions.representatives(project.institution_id):
            tell(
                rep,
                "project_still_current",
                url_for("projects.dashboard"),
                project=project,
                dashboard_url=url_for("projects.dashboard", _external=True),
            )
    return len(claimed)


def confirm_current(actor, project: Project) -> Project:
    """A representative confirms a published project is still current."""
    if not permissions.represents(actor, project.institution_id):
        raise NotAllowed
    if project.status != S.PUBLISHED:
        raise InvalidTransition(_("Only published projects can be confirmed as current."))
    project.confirmed_current_at = utcnow()
    return project


# --------------------------------------------------------------------------- dashboards


def projects_of(institutions: list[Institution]) -> dict[ProjectStatus, list[Project]]:
    """The institutions' projects grouped by status, in lifecycle order."""
    ids = [institution.id for institution in institutions]
    grouped: dict[ProjectStatus, list[Project]] = {status: [] for status in S}
    if ids:
        for project in db.session.scalars(
            sa.select(Project)
            .where(Project.institution_id.in_(ids))
            .order_by(Project.updated_at.desc())
        ):
            grouped[project.status].append(project)
    return {status: items for status, items in grouped.items() if items}


# What happened to a project, as its history says it (the status it reached follows), in
# the language of the page that shows it.
HISTORY_WORDS = {
    "create": _l("Created as a draft"),
    "submit": _l("Submitted for review"),
    "approve": _l("Published by a coordinator"),
    "request_changes": _l("Sent back for changes by a coordinator"),
    "reject": _l("Rejected by a coordinator"),
    "unpublish": _l("Unpublished by a coordinator and sent back for changes"),
    "close": _l("Closed to applications"),
    "complete": _l("Marked completed"),
    # Translators: a status of a project, and a line of its history.
    "archive": _l("Archived"),
}
_REACHES = {t.action: t.target for t in TRANSITIONS} | {"create": S.DRAFT}


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One line of a project's history, in the words and status labels people read."""

    at: datetime
    what: str
    status: ProjectStatus | None  # the status the project reached, when it changed
    reason: str  # what the person who acted wrote; "" when nobody gave a reason
    by: str  # who acted ("The platform" for what happens on a schedule)


def history(project: Project) -> list[HistoryEntry]:
    """The project's moderation history from the audit log, newest first, in the current
    language (the audit log keeps its keys and English reasons)."""
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == "project", AuditEntry.target_id == project.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    return [_history_entry(entry) for entry in entries]


def _history_entry(entry: AuditEntry) -> HistoryEntry:
    action = entry.action.removeprefix("project.")
    change = audit.status_change(entry.reason)
    scheduled = entry.actor_id is None and entry.actor_name == "system"
    words = HISTORY_WORDS.get(action)
    return HistoryEntry(
        at=entry.created_at,
        what=str(words) if words is not None else audit.action_label(entry.action),
        status=change[1] if change else _REACHES.get(action),
        reason="" if change else reason_text(entry.reason),
        by=_("The platform") if scheduled else entry.actor_name,
    )
