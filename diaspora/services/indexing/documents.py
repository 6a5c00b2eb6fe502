"""What the search indexes hold, built from the database.

Which rows belong in each index (published, current projects; listed members whose account is
not suspended; projects of followed networks whose deadline has not passed) and the plain dict
the engine takes for each (see ``diaspora.search.schemas.project_document`` and
``expert_document``).
"""

from collections.abc import Callable, Iterator

import sqlalchemy as sa
from flask_babel import force_locale

from diaspora import catalog, i18n
from diaspora.extensions import db
from diaspora.models import (
    FollowedNetwork,
    Profile,
    ProfileSkill,
    Project,
    RemoteProject,
    Skill,
    SkillKind,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services import projects as project_service
from diaspora.services.privacy import is_listed, listed_condition, widest_audience

PROJECTS = "projects"
EXPERTS = "experts"
# Projects of the networks this one follows: the projects index's schema, an index of its own
# so that this site's lists, feeds and API never mix them with its own projects.
SHARED = "shared"
BATCH = 500

# The privacy module's field groups that the expert index knows; sectors share "skills".
EXPERT_AUDIENCE_GROUPS = {
    "headline": "headline",
    "bio": "bio",
    "skills": "skills",
    "sectors": "skills",
    "languages": "languages",
    "location": "location",
    "engagement": "engagement",
    "travel": "travel",
}


def in_every_language(name_of: Callable[[str], str], key: str | None) -> str:
    """A country's or sector's name in every language the site speaks ("Senegal, Sénégal"),
    so a document is the same whoever's page indexes it, and a name typed in any of them
    finds it."""
    if not key:
        return ""
    names = []
    for code in i18n.LANGUAGES:
        with force_locale(code):
            name = str(name_of(key))
        if name not in names:
            names.append(name)
    return ", ".join(names)


def project_document(project: Project) -> dict:
    """The engine's dict for a project (see ``diaspora.search.schemas.project_document``)."""
    return {
        "id": project.id,
        "title": project.title,
        "summary": project.summary,
        "description": project.description,
        "skills": [skill.name for skill in project.skills],
        "skill_labels": [label.label for skill in project.skills for label in skill.labels],
        "institution": project.institution.name,
        "institution_id": project.institution_id,
        "country": project.country,
        "country_name": in_every_language(catalog.country_name, project.country),
        "region": project.region,
        "sector": project.sector,
        "sector_name": in_every_language(catalog.sector_name, project.sector),
        "engagement_mode": project.engagement_mode.value,
        "work_mode": project.work_mode.value,
        "compensation": project.compensation.value,
        "languages": list(project.languages or []),
        "written_in": project.written_in,
        "published_at": project.published_at,
        "deadline": project.deadline,
    }


def remote_project_document(remote: RemoteProject) -> dict:
    """The engine's dict for a followed network's project, in the projects index's shape.

    The network's name stands beside the institution's, so a search for the network finds
    its projects. Skill labels are left out: the query's thesaurus already reads a label as
    its skill, and a remote row is not re-indexed when this site's labels change.
    """
    return {
        "id": remote.id,
        "title": remote.title,
        "summary": remote.summary,
        "description": remote.description,
        "skills": list(remote.skills or []),
        "institution": ", ".join(
            part for part in (remote.institution_name, remote.network.label) if part
        ),
        "country": remote.country,
        "country_name": in_every_language(catalog.country_name, remote.country),
        "region": remote.region,
        "sector": remote.sector,
        "sector_name": in_every_language(catalog.sector_name, remote.sector),
        "engagement_mode": remote.engagement_mode,
        "work_mode": remote.work_mode,
        "compensation": remote.compensation,
        "languages": list(remote.languages or []),
        "written_in": remote.written_in,
        "published_at": remote.published_at,
        "deadline": remote.deadline,
    }


def expert_document(profile: Profile, applied: set[int], today=None) -> dict:
    """The engine's dict for a listed member; each group carries its own audience."""
    today = today or utcnow().date()
    return {
        "user_id": profile.user_id,
        "display_name": profile.display_name,
        "headline": profile.headline,
        "bio": profile.bio,
        "written_in": profile.written_in,
        "skills": [s.name for s in profile.skills_of(SkillKind.HAVE)],
        "skills_wanted": [s.name for s in profile.skills_of(SkillKind.DEVELOP)],
        "skill_labels": [
            label.label for link in profile.skill_links for label in link.skill.labels
        ],
        "sectors": list(profile.sectors or []),
        "languages": [language.code for language in profile.languages],
        "origin_country": profile.origin_country,
        "residence_country": profile.residence_country,
        "engagement_modes": list(profile.engagement_modes or []),
        "travel": [(w.country, w.start, w.end) for w in profile.travel_windows if w.end >= today],
        "audience": {
            group: int(profile.audience_of(source))
            for group, source in EXPERT_AUDIENCE_GROUPS.items()
        },
        "applied_institution_ids": sorted(applied),
        "widest_audience": widest_audience(profile),
    }


def listed_projects_query():
    """Projects that belong in the index: published and current."""
    return (
        project_service.listed_query()
        .order_by(None)
        .order_by(Project.id)
        .options(
            sa.orm.selectinload(Project.skills).selectinload(Skill.labels),
            sa.orm.joinedload(Project.institution),
        )
    )


def listed_profiles_query():
    """Profiles that belong in the index: listed, not hidden, account not suspended."""
    return (
        sa.select(Profile)
        .join(User, User.id == Profile.user_id)
        .where(listed_condition(), User.is_active)
        .order_by(Profile.user_id)
        .options(
            sa.orm.selectinload(Profile.skill_links)
            .joinedload(ProfileSkill.skill)
            .selectinload(Skill.labels),
            sa.orm.selectinload(Profile.languages),
            sa.orm.selectinload(Profile.travel_windows),
        )
    )


def shared_condition(on=None):
    """Which projects of followed networks are current: deadline not passed on ``on``
    (today by default)."""
    on = on or project_service.today()
    return sa.or_(RemoteProject.deadline.is_(None), RemoteProject.deadline >= on)


def shared_projects_query(on=None):
    """Projects of followed networks that belong in the shared index, with their network."""
    return (
        sa.select(RemoteProject)
        .join(FollowedNetwork, FollowedNetwork.id == RemoteProject.network_id)
        .where(shared_condition(on))
        .order_by(RemoteProject.id)
        .options(sa.orm.contains_eager(RemoteProject.network))
    )


def _shared_documents(ids: list[int]) -> tuple[list[dict], set[int]]:
    query = shared_projects_query().where(RemoteProject.id.in_(ids))
    found = list(db.session.scalars(query.execution_options(populate_existing=True)))
    return [remote_project_document(r) for r in found], set(ids) - {r.id for r in found}


def _project_documents(ids: list[int]) -> tuple[list[dict], set[int]]:
    """Documents for the ids that should be indexed, and the ids that should not."""
    query = listed_projects_query().where(Project.id.in_(ids))
    found = {p.id: p for p in db.session.scalars(query.execution_options(populate_existing=True))}
    return [project_document(p) for p in found.values()], set(ids) - set(found)


def _expert_documents(ids: list[int]) -> tuple[list[dict], set[int]]:
    query = listed_profiles_query().where(Profile.user_id.in_(ids))
    fresh = query.execution_options(populate_existing=True)
    found = [p for p in db.session.scalars(fresh) if is_listed(p)]
    applied = permissions.applied_institution_ids_of([p.user_id for p in found])
    docs = [expert_document(p, applied.get(p.user_id, set())) for p in found]
    return docs, set(ids) - {p.user_id for p in found}


BUILDERS: dict[str, Callable[[list[int]], tuple[list[dict], set[int]]]] = {
    PROJECTS: _project_documents,
    EXPERTS: _expert_documents,
    SHARED: _shared_documents,
}


def all_documents(name: str) -> Iterator[dict]:
    """Every document of an index, from the database, in batches (for rebuilds)."""
    if name == PROJECTS:
        query, key, build = listed_projects_query(), Project.id, _projects_of
    elif name == SHARED:
        query, key, build = shared_projects_query(), RemoteProject.id, _shared_of
    else:
        query, key, build = listed_profiles_query(), Profile.user_id, _experts_of
    last = 0
    while True:
        batch = list(db.session.scalars(query.where(key > last).limit(BATCH)))
        if not batch:
            return
        yield from build(batch)
        last = getattr(batch[-1], key.key)


def _projects_of(batch: list[Project]) -> Iterator[dict]:
    return (project_document(p) for p in batch)


def _shared_of(batch: list[RemoteProject]) -> Iterator[dict]:
    return (remote_project_document(r) for r in batch)


def _experts_of(batch: list[Profile]) -> Iterator[dict]:
    applied = permissions.applied_institution_ids_of([p.user_id for p in batch])
    return (expert_document(p, applied.get(p.user_id, set())) for p in batch)


def expected_count(name: str) -> int:
    """How many rows of the database should be in the index."""
    if name == PROJECTS:
        query = project_service.listed_query().order_by(None)
    elif name == SHARED:
        query = (
            sa.select(RemoteProject.id)
            .join(FollowedNetwork, FollowedNetwork.id == RemoteProject.network_id)
            .where(shared_condition())
        )
    else:
        query = (
            sa.select(Profile.id)
            .join(User, User.id == Profile.user_id)
            .where(listed_condition(), User.is_active)
        )
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
