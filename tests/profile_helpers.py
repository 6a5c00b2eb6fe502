"""Factories for profile and institution tests: users, a filled profile, a quick sign-in."""

from datetime import timedelta

from diaspora.extensions import db
from diaspora.models import (
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    Role,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import profiles
from tests.conftest import PASSWORD

_HASHES: dict[str, str] = {}

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


def new_user(role=Role.MEMBER, email=None, name=None, confirmed=True) -> User:
    """A user whose password is PASSWORD, without paying for a fresh hash each time."""
    if PASSWORD not in _HASHES:
        probe = User()
        probe.set_password(PASSWORD)
        _HASHES[PASSWORD] = probe.password_hash
    count = db.session.query(User).count() + 1
    user = User(
        name=name or f"Person {count}",
        email=email or f"person{count}-{role.value}@example.org",
        role=role,
        password_hash=_HASHES[PASSWORD],
        email_confirmed_at=utcnow() if confirmed else None,
        terms_accepted_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user


def sign_in(client, user) -> None:
    """Put the user's session in the client's cookie, as a login would."""
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True
        session["login_at"] = utcnow().timestamp()


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


def institution_with_rep(rep, status=InstitutionStatus.VERIFIED, name="Korle Bu Teaching Hospital"):
    institution = Institution(
        name=name, kind=InstitutionType.HOSPITAL, country="GH", city="Accra", status=status
    )
    institution.representatives.append(InstitutionRepresentative(user_id=rep.id))
    db.session.add(institution)
    db.session.commit()
    return institution
