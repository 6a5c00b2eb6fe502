"""Demonstration data: a small, realistic network to click through. Safe to load again."""

from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

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
    Role,
    WorkMode,
)
from diaspora.models.base import utcnow
from diaspora.services import accounts

DEMO_PASSWORD = "diaspora-demo-2026"  # noqa: S105  (printed for local demonstrations only)

ACCOUNTS = [
    ("coordinator@demo.diaspora.example", "Leila Haddad", Role.COORDINATOR),
    ("admin@demo.diaspora.example", "Samuel Okafor", Role.ADMIN),
    ("kwame.mensah@demo.diaspora.example", "Kwame Mensah", Role.INSTITUTION),
    ("marie.uwimana@demo.diaspora.example", "Marie-Claire Uwimana", Role.INSTITUTION),
    ("amina.yusuf@demo.diaspora.example", "Amina Yusuf", Role.MEMBER),
    ("tesfaye.bekele@demo.diaspora.example", "Tesfaye Bekele", Role.MEMBER),
    ("nour.haddad@demo.diaspora.example", "نور الهدى حداد", Role.MEMBER),
    ("carlos.mendoza@demo.diaspora.example", "Carlos Mendoza", Role.MEMBER),
    ("lan.nguyen@demo.diaspora.example", "Nguyễn Thị Lan", Role.MEMBER),
    ("fatou.diop@demo.diaspora.example", "Fatou Diop", Role.MEMBER),
]


def load() -> Iterator[str]:
    """Create the demo accounts that do not exist yet, and describe the logins."""
    created = 0
    for email, name, role in ACCOUNTS:
        if accounts.find_by_email(email) is None:
            accounts.create_user(name, email, DEMO_PASSWORD, role)
            created += 1
    db.session.commit()
    yield from load_projects()
    yield f"Demo data ready ({created} new account(s)). Log in at /login with:"
    for email, name, role in ACCOUNTS:
        yield f"  {role.label:<28} {email:<42} {name}"
    yield f"  password for every demo account: {DEMO_PASSWORD}"


# Institution name -> (type, country, city, representative's email).
DEMO_INSTITUTIONS = {
    "Korle Bu Teaching Hospital": (
        InstitutionType.HOSPITAL,
        "GH",
        "Accra",
        "kwame.mensah@demo.diaspora.example",
    ),
    "University of Rwanda": (
        InstitutionType.UNIVERSITY,
        "RW",
        "Kigali",
        "marie.uwimana@demo.diaspora.example",
    ),
}

# (institution, status, fields): a published listing, a flagged one awaiting review, a draft.
DEMO_PROJECTS = [
    (
        "Korle Bu Teaching Hospital",
        ProjectStatus.PUBLISHED,
        {
            "title": "Mentoring paediatric cardiology residents",
            "summary": "Monthly case reviews by video with our four paediatric cardiology "
            "residents, and one week of teaching in Accra if you can travel.",
            "description": "Our paediatric cardiology unit trains four residents a year. "
            "We are looking for a paediatric cardiologist of the Ghanaian diaspora to run "
            "a monthly case review by video for six months.\n\nIf you can come for a week, "
            "the hospital covers the flight and lodging in the staff guest house.",
            "region": "Accra",
            "sector": "health",
            "engagement_mode": EngagementMode.MENTORING,
            "work_mode": WorkMode.HYBRID,
            "compensation": Compensation.EXPENSES,
            "duration_weeks": 26,
            "places": 2,
            "languages": ["en"],
            "contact_name": "Dr Efua Asante",
            "contact_role": "Head of paediatric cardiology",
        },
    ),
    (
        "University of Rwanda",
        ProjectStatus.PENDING,
        {
            "title": "Guest lecturers in water engineering",
            "summary": "Teach one module of our master's programme in water and "
            "environmental engineering, in Huye.",
            "description": "We invite engineers to teach a four-week module. Selected "
            "candidates pay a registration fee of $200 to confirm their place.",
            "region": "Huye",
            "sector": "water_sanitation",
            "engagement_mode": EngagementMode.TEACHING,
            "work_mode": WorkMode.ONSITE,
            "compensation": Compensation.STIPEND,
            "duration_weeks": 4,
            "places": 3,
            "languages": ["en", "fr"],
            "contact_name": "Prof. Jean-Baptiste Nkurunziza",
            "contact_role": "Dean of engineering",
        },
    ),
    (
        "University of Rwanda",
        ProjectStatus.DRAFT,
        {
            "title": "Data science summer school",
            "summary": "Help us design and teach a two-week summer school in data science.",
            "description": "A draft: the programme and dates are still being agreed.",
            "region": "Kigali",
            "sector": "ict",
            "engagement_mode": EngagementMode.TEACHING,
            "work_mode": WorkMode.REMOTE,
            "compensation": Compensation.VOLUNTEER,
            "places": 4,
            "languages": ["en"],
            "contact_name": "Dr Alice Mukamana",
        },
    ),
]


def _demo_institution(name: str) -> Institution:
    """The named demo institution, verified and with its representative; created if missing."""
    kind, country, city, rep_email = DEMO_INSTITUTIONS[name]
    institution = db.session.scalar(sa.select(Institution).where(Institution.name == name))
    if institution is None:
        institution = Institution(
            name=name,
            kind=kind,
            country=country,
            city=city,
            status=InstitutionStatus.VERIFIED,
            decided_at=utcnow(),
        )
        db.session.add(institution)
        db.session.flush()
    rep = accounts.find_by_email(rep_email)
    if rep is not None and not institution.has_representative(rep):
        institution.representatives.append(
            InstitutionRepresentative(institution_id=institution.id, user_id=rep.id)
        )
    return institution


def load_projects() -> Iterator[str]:
    """Demo projects for the demo institutions (each created once, found by title)."""
    from diaspora.services.projects import screen_project

    created = 0
    for institution_name, status, fields in DEMO_PROJECTS:
        institution = _demo_institution(institution_name)
        exists = db.session.scalar(
            sa.select(Project.id).where(
                Project.institution_id == institution.id, Project.title == fields["title"]
            )
        )
        if exists is not None:
            continue
        now = utcnow()
        project = Project(
            institution=institution,
            country=institution.country,
            status=status,
            deadline=now.date() + timedelta(days=45),
            **fields,
        )
        if status != ProjectStatus.DRAFT:
            project.submitted_at = now
            screen_project(project)
        if status == ProjectStatus.PUBLISHED:
            project.published_at = now
        db.session.add(project)
        created += 1
    db.session.commit()
    yield f"Demo projects ready ({created} new project(s))."
