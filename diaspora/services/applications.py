"""Applications: applying, withdrawing, deciding, the thread, completion and feedback.

Functions take plain values and model objects, never request objects, raise the kinds of
:mod:`diaspora.services.errors` (with a message safe to show), and leave the commit to the
caller. Each event reaches the person it concerns through ONE ``notify_*`` function of
:mod:`diaspora.services.application_notices`, which writes one notification (shown in the
notification list and on the applications dashboards) and queues the email (no private
content, a link to the site). Row locks come from
:mod:`diaspora.services.locks`, in the order every writer takes them.

Who may act on an application is asked of :mod:`diaspora.services.permissions`. Beside
this workflow: the profile an application shares (``application_profiles``), the lists
(``application_lists``), the public record (``application_stats``), the project page's panel
and team (``application_panels``), the reminder job (``application_reminders``), and what a
deleted account leaves behind (``deletion.forget_applications``).
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    EngagementFeedback,
    InterviewStatus,
    MessageKind,
    Project,
    ProjectStatus,
    User,
    WorkMode,
)
from diaspora.models.activity import record_activity
from diaspora.models.application import COMPLETION_DISPUTED, WAITING
from diaspora.models.base import utcnow
from diaspora.services import application_closing, invitations, permissions, profiles, projects
from diaspora.services.application_notices import (
    notify_completed,
    notify_completion_disputed,
    notify_completion_marked,
    notify_decision,
    notify_message,
    notify_new_application,
    notify_received,
    notify_withdrawn,
)
from diaspora.services.application_profiles import consent_snapshot, profile_preview
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.interview_calendar import call_off
from diaspora.services.locks import lock_application, lock_project

S = ApplicationStatus

MAX_OPEN_APPLICATIONS = 10
MOTIVATION_MIN = 30
MOTIVATION_MAX = 4000
MESSAGE_MAX = 4000
DECISION_MESSAGE_MAX = 2000
FEEDBACK_MAX = 1000

DECISIONS = {
    "shortlist": S.SHORTLISTED,
    "accept": S.ACCEPTED,
    "decline": S.DECLINED,
}


class ProfileNeeded(Conflict):
    """The member has no profile yet: institutions see it when someone applies."""


@dataclass
class Engagement:
    """What the member proposes: dates, hours per month, remote or on site."""

    available_from: date | None = None
    available_until: date | None = None
    hours_per_month: int | None = None
    work_mode: WorkMode | None = None


def get_application(user, application_id: int) -> Application:
    """The application if ``user`` is its member or a representative of its institution.

    Anyone else gets NotFound, whether or not it exists.
    """
    application = db.session.get(Application, application_id)
    if application is None or permissions.side_of(user, application) is None:
        raise NotFound
    return application


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
    if not permissions.is_member(member):
        raise NotAllowed
    if not member.is_confirmed:
        raise Conflict(_("Confirm your email address before applying."))
    if not project.is_open():
        raise Conflict(_("This project is not open to applications."))
    profile = profiles.profile_of(member)
    if profile is None:
        raise ProfileNeeded(_("Create your profile first: institutions see it when you apply."))
    if profile.hidden:
        raise Conflict(_("Your profile is hidden. Make it visible again to apply."))


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
        raise Invalid(
            _(
                "Tell the institution why you apply in at least %(num)d characters.",
                num=MOTIVATION_MIN,
            )
        )
    if len(motivation) > MOTIVATION_MAX:
        raise Invalid(_("Keep your message under %(num)d characters.", num=MOTIVATION_MAX))
    _check_engagement(engagement)
    if open_count(member) >= MAX_OPEN_APPLICATIONS:
        raise Conflict(
            ngettext(
                "You already have %(num)d application waiting for an answer. "
                "Withdraw it or wait for a decision before applying again.",
                "You already have %(num)d applications waiting for an answer. "
                "Withdraw one or wait for a decision before applying again.",
                MAX_OPEN_APPLICATIONS,
            )
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
    record_activity(member.id, now)
    invitations.mark_applied(member, project)
    notify_new_application(application)
    notify_received(application)
    return application, True


def _check_engagement(engagement: Engagement) -> None:
    start, end = engagement.available_from, engagement.available_until
    if start and end and end < start:
        raise Invalid(_("The end of your availability comes before its start."))
    if end and end < utcnow().date():
        raise Invalid(_("The end of your availability has already passed."))
    hours = engagement.hours_per_month
    if hours is not None and not 1 <= hours <= 200:
        raise Invalid(_("Hours per month must be between %(min)d and %(max)d.", min=1, max=200))


def withdraw(member: User, application: Application) -> None:
    """The member takes back an application that is still waiting for a decision."""
    if not permissions.is_applicant(member, application):
        raise NotAllowed
    application = lock_application(application)
    if not application.is_waiting:
        raise Conflict(_("Only an application waiting for a decision can be withdrawn."))
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id, Application.status.in_(WAITING))
        .values(status=S.WITHDRAWN, withdrawn_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("Only an application waiting for a decision can be withdrawn."))
    db.session.refresh(application)
    call_off(application, InterviewStatus.CANCELLED, now)
    notify_withdrawn(application)


# --------------------------------------------------------------------------- deciding


def decide(rep: User, application: Application, decision: str, message: str = "") -> int | None:
    """Shortlist, accept or decline as a representative of the project's institution.

    The project's row is locked before the application's (:func:`lock_project`), the order
    every writer uses, so concurrent decisions queue instead of deadlocking. Acceptance
    takes a place with one conditional UPDATE, so concurrent acceptances can never take the
    project over its places; the last place closes the project. Returns how many other
    applications that close ended (None when this decision closed nothing), as committed,
    so that whoever took the last place, and only they, is told.
    """
    if not permissions.represents(rep, application.project.institution_id):
        raise NotAllowed
    target = DECISIONS.get(decision)
    if target is None:
        raise Invalid(_("Choose shortlist, accept or decline."))
    message = (message or "").strip()
    if len(message) > DECISION_MESSAGE_MAX:
        raise Invalid(_("Keep the message under %(num)d characters.", num=DECISION_MESSAGE_MAX))
    application = lock_application(application)
    project = application.project
    allowed_from = (S.APPLIED,) if target == S.SHORTLISTED else WAITING
    if application.status not in allowed_from:
        raise Conflict(
            # Translators: "status" is the application's status, such as "accepted".
            _("This application is already %(status)s.", status=application.status.label.lower())
        )
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id, Application.status.in_(allowed_from))
        .values(status=target, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("Someone else has just answered this application. Reload."))
    if target == S.ACCEPTED:
        _take_place(project)
    db.session.refresh(application)
    application.first_answered_at = application.first_answered_at or now
    record_step(application, rep, MessageKind(target.value), message)
    if target != S.SHORTLISTED:
        application.decided_at = now
        application.decided_by_id = rep.id
    if target == S.DECLINED:
        call_off(application, InterviewStatus.CANCELLED, now)
    notify_decision(application)
    if target == S.ACCEPTED:
        db.session.refresh(project)
        if project.places_left == 0 and project.status == ProjectStatus.PUBLISHED:
            # The project's row is locked: no application arrives or leaves meanwhile.
            ended = db.session.scalar(
                sa.select(sa.func.count(Application.id)).where(
                    Application.project_id == project.id, Application.status.in_(WAITING)
                )
            )
            projects.transition(
                projects.SYSTEM_ACTOR, project, "close", application_closing.PLACES_FILLED
            )
            return ended
    return None


def _take_place(project: Project) -> None:
    taken = db.session.execute(
        sa.update(Project)
        .where(Project.id == project.id, Project.places_filled < Project.places)
        .values(places_filled=Project.places_filled + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise Conflict(_("All places on this project are already filled."))


# --------------------------------------------------------------------------- the thread


def record_step(
    application: Application, author: User, kind: MessageKind, body: str = ""
) -> ApplicationMessage:
    """Keep a decision or an interview step, with the message sent with it, in the
    application's history. The caller has checked who acts and tells the other side."""
    entry = ApplicationMessage(
        application=application,
        author_id=author.id,
        from_institution=permissions.side_of(author, application) == permissions.INSTITUTION_SIDE,
        kind=kind,
        body=body,
    )
    db.session.add(entry)
    return entry


def post_message(author: User, application: Application, body: str) -> ApplicationMessage:
    """Add a plain-text message to the thread; the other side is told."""
    side = permissions.side_of(author, application)
    if side is None:
        raise NotAllowed
    body = (body or "").strip()
    if not body:
        raise Invalid(_("Write a message first."))
    if len(body) > MESSAGE_MAX:
        raise Invalid(_("Keep the message under %(num)d characters.", num=MESSAGE_MAX))
    if application.member_id is None:
        raise Conflict(_("This member has left the network."))
    message = ApplicationMessage(
        application=application,
        author_id=author.id,
        from_institution=side == permissions.INSTITUTION_SIDE,
        body=body,
    )
    db.session.add(message)
    record_activity(author.id)
    if side == permissions.INSTITUTION_SIDE and application.first_answered_at is None:
        application.first_answered_at = utcnow()
    notify_message(message)
    return message


# --------------------------------------------------------------------------- after the work


def check_can_complete(user: User, application: Application, today: date | None = None) -> str:
    """Raise why ``user`` may not mark ``application`` completed now; else say what marking
    does: ``"mark"`` (the first side) or ``"confirm"`` (the second side agrees)."""
    side = permissions.side_of(user, application)
    if side is None:
        raise NotAllowed
    from_institution = side == permissions.INSTITUTION_SIDE
    if application.status == S.COMPLETED:
        mine, theirs = _completion_marks(application, from_institution)
        if mine is not None:
            raise Conflict(_("Your side has already marked this engagement completed."))
        if theirs is not None and not application.completion_confirmed():
            return "confirm"
        raise Conflict(_("This engagement is already completed."))
    if application.status != S.ACCEPTED:
        raise Conflict(_("Only an accepted engagement can be marked completed."))
    if not application.has_started(today):
        raise Conflict(
            _(
                "The engagement starts on %(date)s; it can be marked completed once it has "
                "started.",
                date=i18n.format_date(application.engagement_starts, "%d %b %Y"),
            )
        )
    return "mark"


def _completion_marks(application: Application, from_institution: bool):
    """(this side's mark, the other side's mark)."""
    member_mark, institution_mark = (
        application.member_completed_at,
        application.institution_completed_at,
    )
    return (institution_mark, member_mark) if from_institution else (member_mark, institution_mark)


def complete(user: User, application: Application) -> str:
    """Mark an accepted engagement completed, or confirm the other side's mark; return
    ``"mark"`` or ``"confirm"``.

    It needs both sides. The first side's mark makes the engagement completed, to be
    confirmed: the other side is told and may confirm it or dispute it within the dispute
    period (``DISPUTE_PERIOD``, 14 days); without a dispute it counts as confirmed when the
    period ends (:meth:`Application.completion_confirmed`, read from the dates, no job
    needed). Marking is possible only once the engagement has started
    (:attr:`Application.engagement_starts`).
    """
    application = lock_application(application)
    step = check_can_complete(user, application)
    from_institution = permissions.side_of(user, application) == permissions.INSTITUTION_SIDE
    now = utcnow()
    if from_institution:
        application.institution_completed_at = now
    else:
        application.member_completed_at = now
    if step == "mark":
        application.status = S.COMPLETED
        application.completed_at = now
        notify_completion_marked(application, by_institution=from_institution)
    else:
        notify_completed(application, by_institution=from_institution)
    return step


def dispute_completion(user: User, application: Application, note: str) -> ApplicationMessage:
    """The other side says the engagement is not completed, within the dispute period.

    The engagement goes back to accepted; the note is kept in the thread (the application's
    history) and the side that marked it is told.
    """
    side = permissions.side_of(user, application)
    if side is None:
        raise NotAllowed
    note = (note or "").strip()
    if not note:
        raise Invalid(_("Say what is not finished; the other side will read it."))
    if len(note) > MESSAGE_MAX:
        raise Invalid(_("Keep the note under %(num)d characters.", num=MESSAGE_MAX))
    application = lock_application(application)
    from_institution = side == permissions.INSTITUTION_SIDE
    mine, theirs = _completion_marks(application, from_institution)
    if application.status != S.COMPLETED or mine is not None or theirs is None:
        raise Conflict(_("Only a completion the other side marked can be disputed."))
    if application.completion_confirmed():
        raise Conflict(_("The time to dispute this completion has passed."))
    if application.member_id is None:
        raise Conflict(_("This member has left the network."))
    application.status = S.ACCEPTED
    application.completed_at = None
    application.member_completed_at = None
    application.institution_completed_at = None
    application.completion_disputed_at = utcnow()
    message = ApplicationMessage(
        application=application,
        author_id=user.id,
        from_institution=from_institution,
        # Stored in English; the page writes it in the reader's language.
        body=f"{COMPLETION_DISPUTED}{note}",
    )
    db.session.add(message)
    notify_completion_disputed(application, by_institution=from_institution)
    return message


def leave_feedback(
    user: User, application: Application, rating: int | None, comment: str
) -> EngagementFeedback:
    """Short feedback on a completed engagement, once per side.

    Feedback opens once the completion is confirmed (both sides, or the dispute period
    passed): an engagement that may still go back to accepted is not rated yet.
    """
    side = permissions.side_of(user, application)
    if side is None:
        raise NotAllowed
    if not application.completion_confirmed():
        raise Conflict(_("Feedback opens once both sides agree the engagement is completed."))
    if rating is not None and not 1 <= rating <= 5:
        raise Invalid(_("A rating goes from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > FEEDBACK_MAX:
        raise Invalid(_("Keep your feedback under %(num)d characters.", num=FEEDBACK_MAX))
    from_institution = side == permissions.INSTITUTION_SIDE
    if any(f.from_institution == from_institution for f in application.feedback):
        raise Conflict(_("Your side has already left feedback."))
    feedback = EngagementFeedback(
        application=application,
        author_id=user.id,
        from_institution=from_institution,
        rating=rating,
        comment=comment,
    )
    db.session.add(feedback)
    return feedback
