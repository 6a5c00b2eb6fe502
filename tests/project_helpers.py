"""Builders for institutions and projects in tests (no institutions UI needed)."""

from datetime import timedelta

from diaspora.extensions import db
from diaspora.models import (
    Compensation,
    EngagementMode,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    Project,
    ProjectStatus,
    WorkMode,
)
from diaspora.models.base import utcnow


def make_institution(
    rep=None, status=InstitutionStatus.VERIFIED, name="Korle Bu Teaching Hospital"
):
    institution = Institution(
        name=name, kind=InstitutionType.HOSPITAL, country="GH", city="Accra", status=status
    )
    db.session.add(institution)
    db.session.flush()
    if rep is not None:
        db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=rep.id))
    db.session.commit()
    return institution


def make_project(institution, status=ProjectStatus.DRAFT, **fields):
    values = {
        "title": "Training nurses in neonatal care",
        "summary": "Two weeks of hands-on teaching in the neonatal unit.",
        "description": "We are looking for an experienced neonatal nurse to teach our staff.",
        "country": "GH",
        "region": "Accra",
        "sector": "health",
        "engagement_mode": EngagementMode.TEACHING,
        "work_mode": WorkMode.ONSITE,
        "compensation": Compensation.EXPENSES,
        "deadline": utcnow().date() + timedelta(days=30),
        "places": 2,
        "languages": ["en"],
        "contact_name": "Dr Ama Owusu",
    }
    values.update(fields)
    project = Project(institution=institution, status=status, **values)
    if status in (ProjectStatus.PUBLISHED, ProjectStatus.CLOSED):
        project.published_at = project.published_at or utcnow()
    if status != ProjectStatus.DRAFT:
        project.submitted_at = utcnow()
    db.session.add(project)
    db.session.commit()
    return project


def form_data(**overrides):
    """A complete, valid project form as a browser would post it."""
    data = {
        "title": "Solar power for rural health centres",
        "summary": "Advise our engineers on sizing solar systems for twelve clinics.",
        "description": "Remote advice over three months.\n\nWe provide all technical drawings.",
        "country": "RW",
        "region": "Huye",
        "sector": "energy",
        "skills-0": "Solar energy",
        "skills-1": "Project management, Grid design",
        "engagement_mode": "remote_advice",
        "work_mode": "remote",
        "start_date": (utcnow().date() + timedelta(days=60)).isoformat(),
        "duration_weeks": "12",
        "deadline": (utcnow().date() + timedelta(days=30)).isoformat(),
        "places": "2",
        "compensation": "volunteer",
        "languages": ["en", "fr"],
        "contact_name": "Jean Habimana",
        "contact_role": "Head of engineering",
        "info_url": "https://ur.ac.rw/solar",
    }
    data.update(overrides)
    return data
