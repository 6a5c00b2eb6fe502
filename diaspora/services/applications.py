"""Applications: applying, deciding, the team, the thread, completion and feedback.

Functions take plain values and model objects, never request objects, raise
ApplicationError (a message safe to show) or PermissionDenied, and leave the commit to the
caller. Each event reaches the person it concerns through ONE ``notify_*`` function of
:mod:`diaspora.services.application_notices`, which queues the email (no private content, a
link to the site) and adds a dashboard update. Row locks come from
:mod:`diaspora.services.locks`, in the order every writer takes them.
"""

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    ApplicationUpdate,
    EngagementFeedback,
    Institution,
    InstitutionRepresentative,
    Profile,
    Project,
    ProjectStatus,
    User,
    WorkMode,
)
from diaspora.models.application import TEAM, WAITING
from diaspora.models.base import utcnow
from diaspora.models.profile import GROUP_LABELS
from diaspora.services import projects
from diaspora.services.accounts import PermissionDenied
from diaspora.services.application_notices import (
    UPDATE_TEXT,
    notify_completed,
    notify_decision,
    notify_message,
    notify_new_application,
    notify_reminder,
    notify_withdrawn,
)
from diaspora.services.locks import lock_application, lock_project
from diaspora.services.privacy import ProfileView, may_see_member, member_name

S = ApplicationStatus

MAX_OPEN_APPLICATIONS = 10
MOTIVATION_MIN = 30
MOTIVATION_MAX = 4000
MESSAGE_MAX = 4000
DECISION_MESSAGE_MAX = 2000
FEEDBACK_MAX = 1000
REMIND_AFTER = timedelta(days=5)
ANSWER_WINDOW = timedelta(days=365)
ANSWER_MIN_SAMPLE = 3

DECISIONS = {
    "shortlist": S.SHORTLISTED,
    "accept": S.ACCEPTED,
    "decline": S.DECLINED,
}


class ApplicationError(Exception):
    """A rule of the application workflow was broken; the message is safe to show."""


@dataclass
class Engagement:
    """What the member proposes: dates, hours per month, remote or on site."""

    available_from: date | None = None
    available_until: date | None = None
    hours_per_month: int | None = None
    work_mode: WorkMode | None = None


TEAM_MEMBER = "A team member"


# --------------------------------------------------------------------------- who may


def is_rep_of(user, institution_id: int) -> bool:
    """True when ``user`` is an active, signed-in representative of that institution."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return (
        db.session.scalar(
            sa.select(InstitutionRepresentative.id).where(
                InstitutionRepresentative.institution_id == institution_id,
                InstitutionRepresentative.user_id == user.id,
            )
        )
        is not None
    )


def is_applicant(user, application: Application) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and application.member_id is not None
        and application.member_id == user.id
    )


def side_of(user, application: Application) -> str | None:
    """``"member"``, ``"institution"`` or None: the part ``user`` plays in an application."""
    if is_applicant(user, application):
        return "member"
    if is_rep_of(user, application.project.institution_id):
        return "institution"
    return None


def get_application(user, application_id: int) -> Application:
    """The application if ``user`` is its member or a rep of its institution.

    Anyone else gets PermissionDenied, whether or not it exists (callers answer 404).
    """
    application = db.session.get(Application, application_id)
    if application is None or side_of(user, application) is None:
        raise PermissionDenied
    return application


def require_rep_of_project(user, project: Project) -> None:
    if not is_rep_of(user, project.institution_id):
        raise PermissionDenied


# --------------------------------------------------------------------------- the profile shared


def profile_of(member: User | None) -> Profile | None:
    if member is None:
        return None
    return db.session.scalar(sa.select(Profile).where(Profile.user_id == member.id))


def profile_preview(member: User) -> ProfileView | None:
    """Exactly what an institution will see of ``member`` once they apply to it."""
    profile = profile_of(member)
    return ProfileView.preview(profile, "institution_applied") if profile else None


def consent_snapshot(preview: ProfileView) -> dict:
    """The consent stored with an application: which profile groups were shared."""
    return {"display_name": True, "groups": sorted(preview.groups)}


def preview_for_institution(application: Application, viewer) -> ProfileView | None:
    """The applicant's profile as ``viewer`` sees it now (clearance 2 for the institution's
    reps); None once the member left or hid their profile."""
    profile = profile_of(application.member)
    if not may_see_member(profile, viewer):
        return None
    return ProfileView.for_viewer(profile, viewer)


def applicant_name(application: Application, viewer) -> str:
    return member_name(profile_of(application.member), viewer, "A member (profile not shared)")


def shared_labels(application: Application) -> list[str]:
    """The names of the profile groups the member agreed to share when applying."""
    groups = (application.shared_profile or {}).get("groups", [])
    return [GROUP_LABELS.get(group, group) for group in groups]


# --------------------------------------------------------------------------- applying


def open_count(member: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.member_id == member.id, Application.status.in_(WAITING)
        )
    )


def existing_application(member: User, project: Project) -> Application | None:
    return db.session.scalar(
        sa.select(Application).where(
            Application.member_id == member.id, Application.project_id == project.id
        )
    )


def check_can_apply(member: User, project: Project) -> None:
    """Raise why ``member`` may not apply to ``project`` now, if they may not."""
    if not getattr(member, "is_member", False) or not member.is_active:
        raise PermissionDenied
    if not member.is_confirmed:
        raise ApplicationError("Confirm your email address before applying.")
    if not project.is_open():
        raise ApplicationError("This project is not open to applications.")
    profile = profile_of(member)
    if profile is None:
        raise ApplicationError("Create your profile first: institutions see it when you apply.")
    if profile.hidden:
        raise ApplicationError("Your profile is hidden. Make it visible again to apply.")


def apply(
    member: User, project: Project, motivation: str, engagement: Engagement
) -> tuple[Application, bool]:
    """Apply to an open project; return the application and whether it is new.

    Applying records the member's consent: which profile groups the institution sees (the
    preview shown on the form) and when. A second attempt, even a simultaneous one, returns
    the first application instead of a second row or an error. The project's row is locked
    first, so an application never lands on a project that a concurrent close has closed.
    """
    project = lock_project(project)
    existing = existing_application(member, project)
    if existing is not None:
        return existing, False
    check_can_apply(member, project)
    motivation = (motivation or "").strip()
    if len(motivation) < MOTIVATION_MIN:
        raise ApplicationError(
            f"Tell the institution why you apply in at least {MOTIVATION_MIN} characters."
        )
    if len(motivation) > MOTIVATION_MAX:
        raise ApplicationError(f"Keep your message under {MOTIVATION_MAX} characters.")
    _check_engagement(engagement)
    if open_count(member) >= MAX_OPEN_APPLICATIONS:
        raise ApplicationError(
            f"You already have {MAX_OPEN_APPLICATIONS} applications waiting for an answer. "
            "Withdraw one or wait for a decision before applying again."
        )
    now = utcnow()
    application = Application(
        project_id=project.id,
        member_id=member.id,
        status=S.APPLIED,
        motivation=motivation,
        available_from=engagement.available_from,
        available_until=engagement.available_until,
        hours_per_month=engagement.hours_per_month,
        work_mode=engagement.work_mode,
        shared_profile=consent_snapshot(profile_preview(member)),
        consented_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        winner = existing_application(member, project)
        if winner is None:
            raise
        return winner, False
    notify_new_application(application)
    return application, True


def _check_engagement(engagement: Engagement) -> None:
    start, end = engagement.available_from, engagement.available_until
    if start and end and end < start:
        raise ApplicationError("The end of your availability comes before its start.")
    hours = engagement.hours_per_month
    if hours is not None and not 1 <= hours <= 200:
        raise ApplicationError("Hours per month must be between 1 and 200.")


def withdraw(member: User, application: Application) -> None:
    """The member takes back an application that is still waiting for a decision."""
    if not is_applicant(member, application):
        raise PermissionDenied
    lock_project(application.project)
    application = lock_application(application)
    if not application.is_waiting:
        raise ApplicationError("Only an application waiting for a decision can be withdrawn.")
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id, Application.status.in_(WAITING))
        .values(status=S.WITHDRAWN, withdrawn_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ApplicationError("Only an application waiting for a decision can be withdrawn.")
    db.session.refresh(application)
    notify_withdrawn(application)


# --------------------------------------------------------------------------- deciding


def decide(rep: User, application: Application, decision: str, message: str = "") -> None:
    """Shortlist, accept or decline as a representative of the project's institution.

    The project's row is locked before the application's (:func:`lock_project`), the order
    every writer uses, so concurrent decisions queue instead of deadlocking. Acceptance
    takes a place with one conditional UPDATE, so concurrent acceptances can never take the
    project over its places; the last place closes the project.
    """
    if not is_rep_of(rep, application.project.institution_id):
        raise PermissionDenied
    target = DECISIONS.get(decision)
    if target is None:
        raise ApplicationError("Choose shortlist, accept or decline.")
    message = (message or "").strip()
    if len(message) > DECISION_MESSAGE_MAX:
        raise ApplicationError(f"Keep the message under {DECISION_MESSAGE_MAX} characters.")
    project = lock_project(application.project)
    application = lock_application(application)
    allowed_from = (S.APPLIED,) if target == S.SHORTLISTED else WAITING
    if application.status not in allowed_from:
        raise ApplicationError(f"This application is already {application.status.label.lower()}.")
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id, Application.status.in_(allowed_from))
        .values(status=target, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ApplicationError("Someone else has just answered this application. Reload.")
    if target == S.ACCEPTED:
        _take_place(project)
    db.session.refresh(application)
    application.first_answered_at = application.first_answered_at or now
    application.decision_message = message
    if target != S.SHORTLISTED:
        application.decided_at = now
        application.decided_by_id = rep.id
    notify_decision(application)
    if target == S.ACCEPTED:
        db.session.refresh(project)
        if project.places_left == 0 and project.status == ProjectStatus.PUBLISHED:
            projects.transition(projects.SYSTEM_ACTOR, project, "close", "All places are filled.")


def _take_place(project: Project) -> None:
    taken = db.session.execute(
        sa.update(Project)
        .where(Project.id == project.id, Project.places_filled < Project.places)
        .values(places_filled=Project.places_filled + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ApplicationError("All places on this project are already filled.")


# --------------------------------------------------------------------------- the thread


def post_message(author: User, application: Application, body: str) -> ApplicationMessage:
    """Add a plain-text message to the thread; the other side is told."""
    side = side_of(author, application)
    if side is None:
        raise PermissionDenied
    body = (body or "").strip()
    if not body:
        raise ApplicationError("Write a message first.")
    if len(body) > MESSAGE_MAX:
        raise ApplicationError(f"Keep the message under {MESSAGE_MAX} characters.")
    if application.member_id is None:
        raise ApplicationError("This member has left the network.")
    message = ApplicationMessage(
        application=application,
        author_id=author.id,
        from_institution=side == "institution",
        body=body,
    )
    db.session.add(message)
    if side == "institution" and application.first_answered_at is None:
        application.first_answered_at = utcnow()
    notify_message(message)
    return message


# --------------------------------------------------------------------------- after the work


def complete(user: User, application: Application) -> None:
    """Either side marks an accepted engagement completed."""
    side = side_of(user, application)
    if side is None:
        raise PermissionDenied
    if application.status != S.ACCEPTED:
        raise ApplicationError("Only an accepted engagement can be marked completed.")
    application.status = S.COMPLETED
    application.completed_at = utcnow()
    notify_completed(application, by_institution=side == "institution")


def leave_feedback(
    user: User, application: Application, rating: int | None, comment: str
) -> EngagementFeedback:
    """Short feedback on a completed engagement, once per side."""
    side = side_of(user, application)
    if side is None:
        raise PermissionDenied
    if application.status != S.COMPLETED:
        raise ApplicationError("Feedback opens once the engagement is completed.")
    if rating is not None and not 1 <= rating <= 5:
        raise ApplicationError("A rating goes from 1 to 5.")
    comment = (comment or "").strip()
    if len(comment) > FEEDBACK_MAX:
        raise ApplicationError(f"Keep your feedback under {FEEDBACK_MAX} characters.")
    from_institution = side == "institution"
    if any(f.from_institution == from_institution for f in application.feedback):
        raise ApplicationError("Your side has already left feedback.")
    feedback = EngagementFeedback(
        application=application,
        author_id=user.id,
        from_institution=from_institution,
        rating=rating,
        comment=comment,
    )
    db.session.add(feedback)
    return feedback


# --------------------------------------------------------------------------- records


def completed_for_institution(institution_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Application.id))
        .join(Project, Project.id == Application.project_id)
        .where(Project.institution_id == institution_id, Application.status == S.COMPLETED)
    )


def completed_for_member(member_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.member_id == member_id, Application.status == S.COMPLETED
        )
    )


def median_answer_time(institution_id: int, now: datetime | None = None) -> timedelta | None:
    """Median time to a first answer over the last 12 months; None below 3 answers."""
    since = (now or utcnow()) - ANSWER_WINDOW
    rows = db.session.execute(
        sa.select(Application.created_at, Application.first_answered_at)
        .join(Project, Project.id == Application.project_id)
        .where(
            Project.institution_id == institution_id,
            Application.first_answered_at.is_not(None),
            Application.created_at >= since,
        )
    ).all()
    if len(rows) < ANSWER_MIN_SAMPLE:
        return None
    return statistics.median(answered - created for created, answered in rows)


def answer_time_phrase(institution_id: int) -> str | None:
    """``"usually answers within 3 days"``, or None when there is too little to say."""
    median = median_answer_time(institution_id)
    if median is None:
        return None
    days = max(1, math.ceil(median / timedelta(days=1)))
    return "usually answers within a day" if days == 1 else f"usually answers within {days} days"


def team(project: Project, viewer) -> list[str] | None:
    """The names of the project's team as ``viewer`` may see them.

    A name shows only to a viewer who may see that member's profile page
    (:func:`privacy.member_name`). Team members and the institution's reps see every other
    member as "A team member"; anyone else sees only the names they may see, and None means
    there is nothing to show them.
    """
    members = db.session.scalars(
        sa.select(User)
        .join(Application, Application.member_id == User.id)
        .where(Application.project_id == project.id, Application.status.in_(TEAM))
        .order_by(Application.decided_at, Application.id)
    ).all()
    viewer_id = getattr(viewer, "id", None) if getattr(viewer, "is_authenticated", False) else None
    insider = viewer_id in {m.id for m in members} or is_rep_of(viewer, project.institution_id)
    names = []
    for member in members:
        profile = profile_of(member)
        if may_see_member(profile, viewer):
            names.append(profile.display_name)
        elif insider:
            names.append(TEAM_MEMBER)
    return names or None


def applied_institution_ids(member_id: int) -> set[int]:
    """The institutions ``member_id`` applied to (their reps get clearance 2)."""
    return set(
        db.session.scalars(
            sa.select(Project.institution_id)
            .join(Application, Application.project_id == Project.id)
            .where(Application.member_id == member_id, Application.status != S.WITHDRAWN)
        )
    )


# --------------------------------------------------------------------------- lists


def applications_of(member: User) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.member_id == member.id)
            .order_by(Application.created_at.desc())
        )
    )


def applicants_of(rep: User, project: Project) -> list[Application]:
    require_rep_of_project(rep, project)
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.project_id == project.id, Application.status != S.WITHDRAWN)
            .order_by(Application.created_at)
        )
    )


def inbox_of(rep: User) -> list[Application]:
    """Applications waiting on every project of the institutions ``rep`` represents."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .join(Project, Project.id == Application.project_id)
            .join(
                InstitutionRepresentative,
                InstitutionRepresentative.institution_id == Project.institution_id,
            )
            .where(InstitutionRepresentative.user_id == rep.id, Application.status.in_(WAITING))
            .order_by(Application.created_at)
        )
    )


def updates_for(user: User, limit: int = 20) -> list[tuple[ApplicationUpdate, str]]:
    """The latest dashboard updates of ``user`` with their text."""
    updates = db.session.scalars(
        sa.select(ApplicationUpdate)
        .where(ApplicationUpdate.recipient_id == user.id)
        .order_by(ApplicationUpdate.created_at.desc(), ApplicationUpdate.id.desc())
        .limit(limit)
    ).all()
    return [(u, UPDATE_TEXT[u.kind].format(title=u.application.project.title)) for u in updates]


def mark_updates_read(user: User) -> None:
    db.session.execute(
        sa.update(ApplicationUpdate)
        .where(ApplicationUpdate.recipient_id == user.id, ApplicationUpdate.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# --------------------------------------------------------------------------- reminders


def send_reminders(now: datetime | None = None) -> int:
    """Remind reps of applications unanswered for more than 5 days, at most every 5 days."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Application)
        .join(Project, Project.id == Application.project_id)
        .where(
            Application.status == S.APPLIED,
            Application.first_answered_at.is_(None),
            Application.created_at <= now - REMIND_AFTER,
            sa.or_(
                Application.reminded_at.is_(None), Application.reminded_at <= now - REMIND_AFTER
            ),
        )
        .order_by(Application.id)
    ).all()
    for application in due:
        application.reminded_at = now
        notify_reminder(application)
    return len(due)


# --------------------------------------------------------------------------- account deletion


def forget_user(user: User) -> None:
    """Prepare the deletion of an account (called by the account deletion service).

    The member's undecided applications are deleted. Decided ones stay, anonymised: the
    member link, the motivation, the consent snapshot and the member's messages and
    feedback go; the status and dates stay as the institution's record. References to a
    deleted representative are cleared; their dashboard updates go.
    """
    for application in applications_of(user):
        if application.decided_at is None:
            db.session.execute(
                sa.delete(ApplicationUpdate).where(
                    ApplicationUpdate.application_id == application.id
                )
            )
            db.session.delete(application)
            continue
        for message in list(application.messages):
            if not message.from_institution:
                application.messages.remove(message)
        for feedback in list(application.feedback):
            if not feedback.from_institution:
                application.feedback.remove(feedback)
        application.member_id = None
        application.motivation = ""
        application.shared_profile = {}
    db.session.flush()
    for model, column in (
        (Application, Application.decided_by_id),
        (ApplicationMessage, ApplicationMessage.author_id),
        (EngagementFeedback, EngagementFeedback.author_id),
    ):
        db.session.execute(
            sa.update(model)
            .where(column == user.id)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        sa.delete(ApplicationUpdate).where(ApplicationUpdate.recipient_id == user.id)
    )
    db.session.flush()


def project_panel(viewer, project: Project) -> dict:
    """What the project page shows about applying: the viewer's own application or whether
    they may apply, the team as they may see it, how the institution answers, and for its
    reps how many applications wait."""
    mine = None
    if getattr(viewer, "is_authenticated", False) and getattr(viewer, "is_member", False):
        mine = existing_application(viewer, project)
    rep = is_rep_of(viewer, project.institution_id)
    waiting = None
    if rep:
        waiting = db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(
                Application.project_id == project.id, Application.status.in_(WAITING)
            )
        )
    return {
        "mine": mine,
        "may_apply": mine is None
        and project.is_open()
        and not getattr(viewer, "is_institution_rep", False)
        and not getattr(viewer, "is_coordinator", False),
        "is_rep": rep,
        "waiting": waiting,
        "team": team(project, viewer),
        "record": institution_record(project.institution),
    }


def institution_record(institution: Institution) -> dict:
    """What an institution's public page and projects show of how it treats applicants."""
    return {
        "answers": answer_time_phrase(institution.id),
        "completed": completed_for_institution(institution.id),
    }
