"""What fits between a member and a project, and why: the one place that decides it.

Both sides ask here. A member sees the projects that fit their profile (the weekly "projects
for you" digest, the site's recommended projects); an institution's representatives see the
members that fit one of its projects (recommended experts). The rule is the same, read from
the member's profile through the groups the viewer may see of it: the member sees their own
profile whole; a representative sees only what the member shows that institution
(:func:`diaspora.services.privacy.visible_groups`), so a reason never names, and a choice
never rests on, a field the member hides from them.

A project fits when it needs a skill the member has, or when it is in one of the member's
sectors and also in their country of origin, in a way of helping they offer, or in a country
they will visit while it runs. A project that requires languages the member does not speak
never fits (when their languages can be seen). Every other point in common is a reason more.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from diaspora import catalog, i18n, skill_names
from diaspora.extensions import db
from diaspora.models import (
    FIELD_GROUPS,
    Application,
    Frequency,
    Invitation,
    Profile,
    ProfileSkill,
    Project,
    ProjectStatus,
    Role,
    TravelWindow,
    User,
)
from diaspora.models.base import utcnow
from diaspora.models.profile import SkillKind
from diaspora.services import permissions, privacy, projects
from diaspora.services.profiles import profile_of

MAX_PER_DIGEST = 10
MAX_EXPERTS = 10
# How many possible fits a project's recommendations read at most, so that the page costs
# the same in a network of thousands (bench/recommendations.py measures it).
CANDIDATE_POOL = 300
MAX_ON_SITE = 10
# How far ahead a project without a start date is taken to run, for travel windows.
OPEN_ENDED_DAYS = 180


@dataclass
class Fit:
    """The points a member's profile (as one viewer sees it) has in common with a project."""

    skills: list[str] = field(default_factory=list)
    sector: str = ""
    at_home: bool = False
    mode: str = ""
    hours: int | None = None
    languages: list[str] = field(default_factory=list)
    travel: TravelWindow | None = None

    @property
    def fits(self) -> bool:
        return bool(self.skills) or bool(self.sector and (self.at_home or self.mode or self.travel))

    @property
    def score(self) -> int:
        """Shared skills count most; each other point in common adds one."""
        others = [self.sector, self.at_home, self.mode, self.languages, self.travel]
        return 3 * len(self.skills) + sum(1 for point in others if point)


def project_period(project: Project, today: date | None = None) -> tuple[date, date]:
    """When the project runs, as far as it says: from its start date for its duration (four
    weeks when it gives none); without a start date, from today for six months."""
    today = today or utcnow().date()
    if project.start_date is None:
        return today, today + timedelta(days=OPEN_ENDED_DAYS)
    weeks = project.duration_weeks or 4
    return project.start_date, project.start_date + timedelta(weeks=weeks)


def fit_of(
    profile: Profile, project: Project, groups: set[str], today: date | None = None
) -> Fit | None:
    """What ``profile`` has in common with ``project``, reading only the field ``groups``
    given; None when it does not fit."""
    # A member who lists no language has not said they lack the project's: only languages
    # they list, and show, can rule a project out.
    spoken = {lang.code for lang in profile.languages} if "languages" in groups else set()
    if project.languages and spoken and not spoken & set(project.languages):
        return None
    fit = Fit()
    fit.languages = [code for code in project.languages if code in spoken]
    if "skills" in groups:
        mine = {s.id for s in profile.skills_of(SkillKind.HAVE)}
        fit.skills = sorted((s.name for s in project.skills if s.id in mine), key=str.casefold)
        if project.sector in (profile.sectors or []):
            fit.sector = project.sector
    if "location" in groups:
        fit.at_home = bool(profile.origin_country) and project.country == profile.origin_country
    if "engagement" in groups:
        if project.engagement_mode.value in (profile.engagement_modes or []):
            fit.mode = project.engagement_mode.value
        fit.hours = profile.availability_hours or None
    if "travel" in groups:
        start, end = project_period(project, today)
        fit.travel = next(
            (
                w
                for w in profile.travel_windows
                if w.country == project.country and w.start <= end and w.end >= start
            ),
            None,
        )
    return fit if fit.fits else None


def _dates(window: TravelWindow) -> str:
    # Translators: a travel window in a recommendation's reason: "12 Mar to 30 Mar 2027".
    return _(
        "%(start)s to %(end)s",
        start=i18n.format_date(window.start, "%d %b"),
        end=i18n.format_date(window.end, "%d %b %Y"),
    )


def _listed(names) -> str:
    # Translators: separates the items of a list inside one reason ("GIS, hydrology").
    return _(", ").join(names)


def _skills(names) -> str:
    """Skill names listed in the current language."""
    return _listed(skill_names.skill_name(name) for name in names)


def member_reasons(fit: Fit, project: Project) -> list[str]:
    """The reasons, addressed to the member, in the current language (a page's, or a
    digest's recipient's)."""
    reasons = []
    if fit.skills:
        reasons.append(_("matches your skills: %(skills)s", skills=_skills(fit.skills)))
    if fit.sector:
        sector = catalog.sector_name(fit.sector)
        reasons.append(_("in your sector: %(sector)s", sector=sector))
    if fit.at_home:
        reasons.append(_("in your country of origin"))
    if fit.mode:
        mode = project.engagement_mode.label.lower()
        reasons.append(_("a way you offer to help: %(mode)s", mode=mode))
    if fit.travel:
        reasons.append(
            _(
                "you will be in %(country)s %(dates)s",
                country=catalog.country_name(fit.travel.country),
                dates=_dates(fit.travel),
            )
        )
    if fit.languages:
        reasons.append(_("in a language you speak"))
    return reasons


def institution_reasons(fit: Fit, project: Project) -> list[str]:
    """The reasons, addressed to the project's institution."""
    reasons = []
    if fit.skills:
        reasons.append(_("skills this project needs: %(skills)s", skills=_skills(fit.skills)))
    if fit.sector:
        reasons.append(_("works in %(sector)s", sector=catalog.sector_name(fit.sector)))
    if fit.at_home:
        reasons.append(_("from %(country)s", country=catalog.country_name(project.country)))
    if fit.mode:
        mode = project.engagement_mode.label.lower()
        if fit.hours:
            reasons.append(
                _("offers %(mode)s, %(hours)s hours a month", mode=mode, hours=fit.hours)
            )
        else:
            reasons.append(_("offers %(mode)s", mode=mode))
    if fit.travel:
        reasons.append(
            _(
                "in %(country)s %(dates)s",
                country=catalog.country_name(fit.travel.country),
                dates=_dates(fit.travel),
            )
        )
    if fit.languages:
        names = _listed(catalog.language_name(code) for code in fit.languages)
        reasons.append(_("speaks %(languages)s", languages=names))
    return reasons


# --------------------------------------------------------------------------- member side


def reasons_for(profile: Profile, project: Project, today: date | None = None) -> list[str]:
    """Why ``project`` fits the member (who sees their whole profile); empty when it does
    not fit."""
    fit = fit_of(profile, project, set(FIELD_GROUPS), today)
    return member_reasons(fit, project) if fit else []


def _best_projects(user: User, query: sa.Select, limit: int) -> list[tuple[Project, list[str]]]:
    profile = profile_of(user)
    if profile is None or not permissions.is_member(user):
        return []
    scored = []
    loaded = query.options(selectinload(Project.skills), selectinload(Project.institution))
    for project in db.session.scalars(loaded):
        fit = fit_of(profile, project, set(FIELD_GROUPS))
        if fit:
            scored.append((fit.score, project.published_at, project, member_reasons(fit, project)))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(project, reasons) for _, _, project, reasons in scored[:limit]]


def projects_for(user: User, since: datetime) -> list[tuple[Project, list[str]]]:
    """New, open projects published since ``since`` that fit the member, best first."""
    return _best_projects(
        user, projects.listed_query().where(Project.published_at >= since), MAX_PER_DIGEST
    )


def recommended_projects(
    user: User, limit: int = MAX_ON_SITE, *, without_invitations: bool = False
) -> list[tuple[Project, list[str]]]:
    """Open projects that fit the member and that they have not applied to, best first:
    the site's "projects that need your expertise". ``without_invitations`` leaves out the
    projects they were invited to (for a page that lists the invitations already)."""
    applied = sa.select(Application.project_id).where(Application.member_id == user.id)
    query = projects.listed_query().where(Project.id.not_in(applied))
    if without_invitations:
        invited = sa.select(Invitation.project_id).where(Invitation.member_id == user.id)
        query = query.where(Project.id.not_in(invited))
    return _best_projects(user, query, limit)


def digest_lines(user: User, frequency: Frequency, since: datetime) -> list[tuple[str, str, str]]:
    """Digest source for notifications: one line per fitting project."""
    return [
        (
            "projects_for_you",
            # Translators: a digest line: a project's title and why it fits the member.
            _(
                "%(title)s (%(reasons)s)",
                title=project.title,
                # Translators: separates the reasons a project fits ("in your sector: Health;
                # in your country of origin").
                reasons=_("; ").join(reasons),
            ),
            url_for("projects.show", project_id=project.id),
        )
        for project, reasons in projects_for(user, since)
    ]


# --------------------------------------------------------------------------- institution side


@dataclass
class Expert:
    """A member recommended to a representative: the view they have of the member, and the
    reasons, from that view only."""

    view: privacy.ProfileView
    reasons: list[str]
    score: int

    @property
    def user_id(self) -> int:
        return self.view.profile.user_id

    @property
    def name(self) -> str:
        return self.view.display_name

    @property
    def takes_invitations(self) -> bool:
        return self.view.profile.invitations_open


def institution_reasons_for(profile: Profile, project: Project, viewer) -> list[str]:
    """Why the member fits ``project``, from what they show ``viewer`` (a representative of
    the project's institution); empty when it does not fit from what they show."""
    view = privacy.ProfileView.for_viewer(profile, viewer)
    if not view.visible:
        return []
    fit = fit_of(profile, project, view.groups)
    return institution_reasons(fit, project) if fit else []


def _candidates(project: Project, rep: User) -> sa.Select:
    """Listed members with an active, confirmed account who have neither applied to nor been
    invited to ``project``, and are not ``rep``."""
    applied = sa.select(Application.member_id).where(
        Application.project_id == project.id, Application.member_id.is_not(None)
    )
    invited = sa.select(Invitation.member_id).where(Invitation.project_id == project.id)
    # Fitting needs a shared skill, or the project's sector and one more point in common
    # (:attr:`Fit.fits`): only such members are read. This narrows the list on fields the
    # representative may not see, never widens it; ``fit_of`` decides from what they see.
    needed = sa.and_(
        ProfileSkill.profile_id == Profile.id,
        ProfileSkill.kind == SkillKind.HAVE,
        ProfileSkill.skill_id.in_([skill.id for skill in project.skills]),
    )
    shares_skill = sa.exists().where(needed)
    in_sector = sa.cast(Profile.sectors, sa.Text).like(f'%"{project.sector}"%')
    offers_mode = sa.cast(Profile.engagement_modes, sa.Text).like(
        f'%"{project.engagement_mode.value}"%'
    )
    travels_there = sa.exists().where(
        TravelWindow.profile_id == Profile.id, TravelWindow.country == project.country
    )
    one_more = sa.or_(Profile.origin_country == project.country, offers_mode, travels_there)
    return (
        sa.select(Profile)
        .join(User, User.id == Profile.user_id)
        .where(
            privacy.listed_condition(),
            User.role == Role.MEMBER,
            User.is_active,
            User.email_confirmed_at.is_not(None),
            User.id != rep.id,
            User.id.not_in(applied),
            User.id.not_in(invited),
            sa.or_(shares_skill, sa.and_(in_sector, one_more)),
        )
        .options(
            selectinload(Profile.languages),
            selectinload(Profile.skill_links).selectinload(ProfileSkill.skill),
            selectinload(Profile.travel_windows),
        )
        # The pool is bounded by freshness alone: ranking it by fields the representative
        # may not see would let those fields decide who is left out.
        .order_by(Profile.updated_at.desc(), Profile.id)
        .limit(CANDIDATE_POOL)
    )


def experts_for(rep: User, project: Project, limit: int = MAX_EXPERTS) -> list[Expert]:
    """The members who fit ``project``, for one of its institution's active representatives,
    best first; nobody else gets any (an empty list), nor for a project not published."""
    if project.status != ProjectStatus.PUBLISHED or not permissions.represents(
        rep, project.institution_id
    ):
        return []
    today = utcnow().date()
    experts = []
    candidates = db.session.scalars(_candidates(project, rep)).all()
    for view in privacy.views_for(candidates, rep):
        profile = view.profile
        if not view.visible:
            continue
        fit = fit_of(profile, project, view.groups, today)
        if fit:
            experts.append(Expert(view, institution_reasons(fit, project), fit.score))
    experts.sort(key=lambda e: (-e.score, e.name.casefold(), e.user_id))
    return experts[:limit]
