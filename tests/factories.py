"""Test data built directly on the models: institutions with a representative, projects."""

from datetime import timedelta

from diaspora.extensions import db
from diaspora.models import (
    Compensation,
    EngagementMode,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    Profile,
    Project,
    ProjectStatus,
    WorkMode,
)
from diaspora.models.base import utcnow

MOTIVATION = "I have run two hospital laboratories and would like to help set this one up."


def make_institution(rep, name="Addis Ababa University") -> Institution:
    """A verified institution represented by ``rep``."""
    institution = Institution(
        name=name,
        kind=InstitutionType.UNIVERSITY,
        country="ET",
        status=InstitutionStatus.VERIFIED,
    )
    db.session.add(institution)
    db.session.flush()
    db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=rep.id))
    db.session.commit()
    return institution


def make_project(institution, title="Laboratory quality training", places=2, **fields) -> Project:
    """A published project open to applications."""
    values = {
        "title": title,
        "summary": "Train laboratory staff in quality management.",
        "description": "Two weeks of training, remote preparation.",
        "country": "ET",
        "sector": "health",
        "engagement_mode": EngagementMode.TEACHING,
        "work_mode": WorkMode.HYBRID,
        "compensation": Compensation.EXPENSES,
        "places": places,
        "status": ProjectStatus.PUBLISHED,
        "published_at": utcnow(),
        "deadline": (utcnow() + timedelta(days=30)).date(),
    }
    values.update(fields)
    project = Project(institution_id=institution.id, **values)
    db.session.add(project)
    db.session.commit()
    return project


def with_profile(user, **fields):
    """Give ``user`` a member profile (defaults: private, not listed) and return the user."""
    profile = Profile(user_id=user.id, display_name=fields.pop("display_name", user.name))
    for name, value in fields.items():
        setattr(profile, name, value)
    db.session.add(profile)
    db.session.commit()
    return user
