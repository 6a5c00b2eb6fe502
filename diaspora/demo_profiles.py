"""Demonstration profiles and institutions, loaded by ``flask demo load``. Safe to load again."""

from datetime import timedelta

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import profiles

S, A, P = 3, 2, 4  # signed-in users, institutions applied to, public

PROFILES = {
    "amina.yusuf@demo.diaspora.example": {
        "fields": {
            "headline": "Consultant obstetrician, NHS, 14 years",
            "bio": "I trained in Ibadan and work in Manchester.\n\nI would like to help "
            "teaching hospitals in Nigeria reduce maternal mortality.",
            "origin_country": "NG",
            "residence_country": "GB",
            "city": "Manchester",
            "sectors": ["health", "education"],
            "years_experience": 14,
            "engagement_modes": ["remote_advice", "teaching", "short_mission"],
            "availability_hours": 12,
            "orcid": "0000-0002-1825-0097",
        },
        "languages": [("en", "native"), ("yo", "native"), ("ha", "conversational")],
        "skills": ["Obstetrics", "Gynaecology"],
        "develop": ["Medical education"],
        "education": [("MBBS", "Medicine", "University of Ibadan", 2008)],
        "travel": ("NG", 40, 55),
        "privacy": ({"headline": P, "bio": S, "skills": P, "languages": S}, True, True),
    },
    "tesfaye.bekele@demo.diaspora.example": {
        "fields": {
            "headline": "Hydrologist, groundwater modelling",
            "bio": "Research hydrologist in Colorado; I grew up near Bahir Dar.",
            "origin_country": "ET",
            "residence_country": "US",
            "sectors": ["water_sanitation", "research"],
            "years_experience": 9,
            "engagement_modes": ["research", "remote_advice"],
            "availability_hours": 8,
        },
        "languages": [("am", "native"), ("en", "professional")],
        "skills": ["Hydrology"],
        "develop": [],
        "education": [("PhD", "Hydrology", "Colorado State University", 2016)],
        "travel": None,
        "privacy": ({"headline": S, "skills": S, "education": S}, True, False),
    },
    "nour.haddad@demo.diaspora.example": {
        "fields": {
            "headline": "مهندسة مدنية، هياكل مقاومة للزلازل",
            "bio": "Civil engineer in Lyon, specialised in seismic retrofitting.",
            "origin_country": "LB",
            "residence_country": "FR",
            "city": "Lyon",
            "sectors": ["engineering"],
            "years_experience": 11,
            "engagement_modes": ["short_mission", "mentoring"],
            "availability_hours": 6,
        },
        "languages": [("ar", "native"), ("fr", "professional"), ("en", "professional")],
        "skills": ["Structural engineering"],
        "develop": [],
        "education": [("MEng", "Civil engineering", "Université Saint-Joseph", 2012)],
        "travel": ("LB", 20, 34),
        "privacy": ({}, False, False),
    },
    "carlos.mendoza@demo.diaspora.example": {
        "fields": {
            "headline": "Agronomist, coffee and cocoa value chains",
            "bio": "I advise cooperatives on soil health from Valencia.",
            "origin_country": "CO",
            "residence_country": "ES",
            "sectors": ["agriculture"],
            "years_experience": 17,
            "engagement_modes": ["remote_advice", "investment"],
            "availability_hours": 10,
        },
        "languages": [("es", "native"), ("en", "professional")],
        "skills": ["Agronomy", "Soil science"],
        "develop": [],
        "education": [("MSc", "Agronomy", "Universidad Nacional de Colombia", 2006)],
        "travel": None,
        "privacy": ({"headline": P, "skills": P, "bio": P}, True, True),
    },
    "lan.nguyen@demo.diaspora.example": {
        "fields": {
            "headline": "Data scientist, public health analytics",
            "bio": "Data scientist in Berlin; I build dashboards for disease surveillance.",
            "origin_country": "VN",
            "residence_country": "DE",
            "city": "Berlin",
            "sectors": ["ict", "health"],
            "years_experience": 7,
            "engagement_modes": ["remote_advice", "mentoring", "teaching"],
            "availability_hours": 15,
        },
        "languages": [("vi", "native"), ("de", "professional"), ("en", "professional")],
        "skills": ["Data science", "Machine learning"],
        "develop": ["Epidemiology"],
        "education": [("MSc", "Statistics", "Humboldt-Universität zu Berlin", 2017)],
        "travel": ("VN", 60, 80),
        "privacy": ({"headline": S, "skills": S, "engagement": S}, True, False),
    },
    "fatou.diop@demo.diaspora.example": {
        "fields": {
            "headline": "Teacher trainer, francophone primary education",
            "bio": "I train teachers in Brussels and run workshops in Dakar each summer.",
            "origin_country": "SN",
            "residence_country": "BE",
            "city": "Brussels",
            "sectors": ["education"],
            "years_experience": 20,
            "engagement_modes": ["teaching", "short_mission", "return"],
            "availability_hours": 20,
        },
        "languages": [("fr", "native"), ("wo", "native")],
        "skills": ["Teacher training"],
        "develop": [],
        "education": [("Master", "Education sciences", "Université libre de Bruxelles", 2004)],
        "travel": ("SN", 90, 120),
        "privacy": ({"headline": P, "bio": P, "skills": P, "engagement": P}, True, True),
    },
}

INSTITUTIONS = [
    (
        "kwame.mensah@demo.diaspora.example",
        "Korle Bu Teaching Hospital",
        InstitutionType.HOSPITAL,
        "GH",
        "Accra",
        "https://kbth.gov.gh",
        "kbth.gov.gh",
        "Ghana's largest teaching hospital, with specialist departments and training schools.",
        InstitutionStatus.VERIFIED,
    ),
    (
        "marie.uwimana@demo.diaspora.example",
        "University of Rwanda",
        InstitutionType.UNIVERSITY,
        "RW",
        "Kigali",
        "https://ur.ac.rw",
        "ur.ac.rw",
        "Rwanda's public university: medicine, engineering, agriculture, education.",
        InstitutionStatus.VERIFIED,
    ),
    (
        "marie.uwimana@demo.diaspora.example",
        "Kigali Water Research Centre",
        InstitutionType.RESEARCH,
        "RW",
        "Kigali",
        "",
        "",
        "A new research centre on urban water supply, waiting for verification.",
        InstitutionStatus.PENDING,
    ),
]


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def load_profiles() -> int:
    """Fill the demo members' profiles once; an existing profile is left as it is."""
    created = 0
    today = utcnow().date()
    for email, spec in PROFILES.items():
        user = _user(email)
        if user is None or profiles.profile_of(user) is not None:
            continue
        profiles.update_profile(user, {"display_name": user.name, **spec["fields"]})
        for code, level in spec["languages"]:
            profiles.add_language(user, code, level)
        for name in spec["skills"]:
            profiles.add_skill(user, name, "have")
        for name in spec["develop"]:
            profiles.add_skill(user, name, "develop")
        for degree, field, school, year in spec["education"]:
            profiles.add_education(user, degree, field, school, year)
        if spec["travel"]:
            country, start, end = spec["travel"]
            profiles.add_travel_window(
                user, country, today + timedelta(days=start), today + timedelta(days=end)
            )
        audiences, listed, public = spec["privacy"]
        profiles.set_privacy(user, audiences, listed, public)
        profiles.confirm_up_to_date(user)
        created += 1
    return created


def load_institutions() -> int:
    created = 0
    for email, name, kind, country, city, website, domain, text, status in INSTITUTIONS:
        rep = _user(email)
        exists = db.session.scalar(sa.select(Institution.id).where(Institution.name == name))
        if rep is None or exists is not None:
            continue
        institution = Institution(
            name=name,
            kind=kind,
            country=country,
            city=city,
            website=website,
            email_domain=domain,
            description=text,
            status=status,
            created_by_id=rep.id,
            decided_at=utcnow() if status == InstitutionStatus.VERIFIED else None,
        )
        institution.representatives.append(InstitutionRepresentative(user_id=rep.id))
        db.session.add(institution)
        created += 1
    return created
