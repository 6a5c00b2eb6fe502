"""Test data built directly on the models and services: users, institutions, projects,
profiles, a quick sign-in, and a valid project form."""

from datetime import timedelta

from diaspora.extensions import db
from diaspora.models import (
    Compensation,
    EngagementMode,
    FollowedNetwork,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    Profile,
    Project,
    ProjectStatus,
    RemoteProject,
    Role,
    User,
    WorkMode,
)
from diaspora.models.base import utcnow
from diaspora.services import profiles
from tests.conftest import PASSWORD

MOTIVATION = "I have run two hospital laboratories and would like to help set this one up."

# A distinctive value for each field group of a profile, to find it (or not) on a page.
MARKERS = {
    "headline": "Headline-marker-Q7",
    "bio": "Bio-marker-Z3",
    "location": "Citymarker-K9",
    "languages": "Bislama",
    "skills": "Skillmarker-W2",
    "education": "Edumarker-University",
    "experience": "37 years of experience",
    "engagement": "173 hours per month",
    "links": "https://linkmarker.example/",
    "travel": "Tuvalu",
}


def new_user(role=Role.MEMBER, email=None, name=None, confirmed=True, password=PASSWORD) -> User:
    """A user who signs in with ``password`` (PASSWORD unless told otherwise)."""
    count = db.session.query(User).count() + 1
    user = User(
        name=name or f"Person {count}",
        email=email or f"person{count}-{role.value}@example.org",
        role=role,
        email_confirmed_at=utcnow() if confirmed else None,
        terms_accepted_at=utcnow(),
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def read_in(client, language: str) -> None:
    """What the language switcher leaves a visitor: the cookie naming the page's language."""
    client.set_cookie("language", language, domain="diaspora.test")


def speaking(user, language: str):
    """``user`` reads the site and their mail in ``language`` (their account's setting)."""
    user.language = language
    db.session.commit()
    return user


def sign_in(client, user) -> None:
    """Put the user's session in the client's cookie, as a login would."""
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True
        session["login_at"] = utcnow().timestamp()


def make_institution(
    rep=None, status=InstitutionStatus.VERIFIED, name="Korle Bu Teaching Hospital"
) -> Institution:
    """An institution (verified unless told otherwise), represented by ``rep`` if given."""
    institution = Institution(
        name=name, kind=InstitutionType.HOSPITAL, country="GH", city="Accra", status=status
    )
    db.session.add(institution)
    db.session.flush()
    if rep is not None:
        db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=rep.id))
    db.session.commit()
    return institution


def make_project(institution, *, status: ProjectStatus, **fields) -> Project:
    """A project of ``institution`` in ``status``, with the dates that state implies."""
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


def make_network(
    name="Horn of Africa Diaspora", feed_url="https://horn.example/feeds/projects.atom"
):
    """A followed network, committed."""
    network = FollowedNetwork(name=name, feed_url=feed_url, home_url=feed_url.split("/feeds")[0])
    db.session.add(network)
    db.session.commit()
    return network


def make_remote_project(network, **fields) -> RemoteProject:
    """A project read from ``network``'s feed, committed (so its search change is recorded)."""
    count = len(network.projects) + 1
    values = {
        "remote_id": f"tag:{network.id}:{count}",
        "url": f"https://horn.example/projects/{count}",
        "title": "Midwifery teaching in Hargeisa",
        "summary": "Teach midwives at the regional hospital for two weeks.",
        "description": "The maternity ward asks for a midwife who teaches emergency care.",
        "institution_name": "Hargeisa Group Hospital",
        "country": "SO",
        "sector": "health",
        "engagement_mode": "teaching",
        "work_mode": "onsite",
        "compensation": "expenses",
        "skills": ["Midwifery"],
        "languages": ["en"],
        "deadline": utcnow().date() + timedelta(days=20),
        "published_at": utcnow(),
    }
    values.update(fields)
    remote = RemoteProject(network=network, **values)
    db.session.add(remote)
    db.session.commit()
    return remote


def with_profile(user, **fields):
    """Give ``user`` a member profile (defaults: private, not listed) and return the user."""
    profile = Profile(user_id=user.id, display_name=fields.pop("display_name", user.name))
    for name, value in fields.items():
        setattr(profile, name, value)
    db.session.add(profile)
    db.session.commit()
    return user


def filled_profile(user, **privacy):
    """A profile with a distinctive marker value in every field group."""
    profiles.update_profile(
        user,
        {
            "display_name": user.name,
            "headline": MARKERS["headline"],
            "bio": MARKERS["bio"] + "\n\nSecond paragraph.",
            "origin_country": "KG",
            "residence_country": "IS",
            "city": MARKERS["location"],
            "sectors": ["health"],
            "years_experience": 37,
            "engagement_modes": ["mentoring"],
            "availability_hours": 173,
            "website": MARKERS["links"],
            "orcid": "0000-0002-1825-0097",
        },
    )
    profiles.add_language(user, "bi", "native")
    profiles.add_skill(user, MARKERS["skills"], "have")
    profiles.add_education(user, "MD", "Medicine", MARKERS["education"], 2001)
    today = utcnow().date()
    profiles.add_travel_window(user, "TV", today + timedelta(days=10), today + timedelta(days=20))
    profile = profiles.set_privacy(
        user,
        privacy.get("audiences", {}),
        privacy.get("listed", False),
        privacy.get("public", False),
    )
    db.session.commit()
    return profile


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
