"""Weekly "projects for you": new published projects that fit a member's profile, each with
the reason it was chosen."""

from datetime import datetime

from flask import url_for

from diaspora import catalog
from diaspora.extensions import db
from diaspora.models import Frequency, Profile, Project, User
from diaspora.models.profile import SkillKind
from diaspora.services import permissions, projects
from diaspora.services.profiles import profile_of

MAX_PER_DIGEST = 10


def reasons_for(profile: Profile, project: Project, sector_names: dict[str, str]) -> list[str]:
    """Why ``project`` fits ``profile``; empty when it does not fit well enough.

    A project fits when it needs a skill the member has, or when it is in one of the member's
    sectors and in their country of origin. A project that requires languages the member
    does not speak never fits.
    """
    spoken = {lang.code for lang in profile.languages}
    if project.languages and not spoken & set(project.languages):
        return []
    mine = {s.id: s.name for s in profile.skills_of(SkillKind.HAVE)}
    shared = [s.name for s in project.skills if s.id in mine]
    in_sector = project.sector in (profile.sectors or [])
    at_home = bool(profile.origin_country) and project.country == profile.origin_country
    reasons = []
    if shared:
        reasons.append("matches your skills: " + ", ".join(sorted(shared, key=str.casefold)))
    if in_sector and (at_home or shared):
        reasons.append(f"in your sector: {sector_names.get(project.sector, project.sector)}")
    if at_home and (shared or in_sector):
        reasons.append("in your country of origin")
    if not shared and not (in_sector and at_home):
        return []
    if project.languages:
        reasons.append("in a language you speak")
    return reasons


def projects_for(user: User, since: datetime) -> list[tuple[Project, list[str]]]:
    """New, open projects published since ``since`` that fit the member, best first."""
    profile = profile_of(user)
    if profile is None or not permissions.is_member(user):
        return []
    candidates = db.session.scalars(
        projects.listed_query().where(Project.published_at >= since)
    ).all()
    sector_names = catalog.sectors()
    scored = []
    for project in candidates:
        reasons = reasons_for(profile, project, sector_names)
        if reasons:
            scored.append((len(reasons), project.published_at, project, reasons))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(project, reasons) for _, _, project, reasons in scored[:MAX_PER_DIGEST]]


def digest_lines(user: User, frequency: Frequency, since: datetime) -> list[tuple[str, str, str]]:
    """Digest source for notifications: one line per fitting project."""
    return [
        (
            "projects_for_you",
            f"{project.title} ({'; '.join(reasons)})",
            url_for("projects.show", project_id=project.id),
        )
        for project, reasons in projects_for(user, since)
    ]
