"""What the API tests share: a network with realistic public data (verified institutions
with published projects that need curated skills, refreshed impact figures) beside what
must never show (a draft, an unverified institution's project), and a write key of a
representative of a verified institution."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from diaspora.extensions import db
from diaspora.models import (
    Compensation,
    EngagementMode,
    InstitutionStatus,
    Project,
    ProjectStatus,
    Role,
    Skill,
    WorkMode,
)
from diaspora.models.base import utcnow
from diaspora.services import api_keys, profiles
from diaspora.services import impact as figures
from tests.factories import make_institution, make_project, new_user


@dataclass
class Network:
    rep: object
    token: str
    hospital: object
    university: object
    unverified: object
    nursing: Project
    software: Project
    draft: Project
    hidden: Project


def _skills(*names: str) -> list[Skill]:
    return [db.session.scalar(db.select(Skill).where(Skill.name == name)) for name in names]


@pytest.fixture
def network(app) -> Network:
    profiles.load_skills_taxonomy()
    db.session.commit()
    curated = list(db.session.scalars(db.select(Skill).where(Skill.curated).limit(3)))
    rep = new_user(Role.INSTITUTION, name="Ama Mensah")
    hospital = make_institution(rep)
    university = make_institution(name="Université de Dakar")
    university.country = "SN"
    unverified = make_institution(status=InstitutionStatus.PENDING, name="Pending Trust")
    nursing = make_project(hospital, status=ProjectStatus.PUBLISHED, contact_role="Head nurse")
    nursing.skills = curated[:2]
    software = make_project(
        university,
        status=ProjectStatus.PUBLISHED,
        title="Teaching software engineering",
        summary="A semester of remote lectures on software design.",
        description="Our computer science department needs a lecturer for one term.",
        country="SN",
        region="Dakar",
        sector="education",
        engagement_mode=EngagementMode.TEACHING,
        work_mode=WorkMode.REMOTE,
        compensation=Compensation.STIPEND,
        languages=["fr"],
        written_in="fr",
        deadline=utcnow().date() + timedelta(days=5),
        start_date=utcnow().date() + timedelta(days=40),
        duration_weeks=12,
        info_url="https://univ.example/call",
    )
    software.skills = curated[2:3]
    draft = make_project(hospital, status=ProjectStatus.DRAFT, title="Draft marker project")
    hidden = make_project(
        unverified, status=ProjectStatus.PENDING, title="Unverified marker project"
    )
    _key, token = api_keys.create_key(rep, "tests", "write")
    db.session.commit()
    figures.refresh()
    db.session.commit()
    return Network(rep, token, hospital, university, unverified, nursing, software, draft, hidden)


@pytest.fixture
def key_headers(network) -> dict:
    """The headers of a call with a write key of a verified institution's representative."""
    return {"Authorization": f"Bearer {network.token}"}
