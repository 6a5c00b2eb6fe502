"""Builders of the plain dicts the app hands to the search layer."""

from datetime import UTC, date, datetime, timedelta

BASE_TIME = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
TODAY = date(2025, 1, 1)


def project(pid: int, **overrides) -> dict:
    """Return a neutral project dict; tests override what they look at."""
    data = {
        "id": pid,
        "title": f"Project number {pid}",
        "summary": "A short summary of the mission.",
        "description": "The institution describes the mission and the team in plain words.",
        "skills": ["Teamwork"],
        "institution": "Generic Institute",
        "institution_id": 1,
        "country": "KE",
        "country_name": "Kenya",
        "region": "Nairobi",
        "sector": "education",
        "sector_name": "Education",
        "engagement_mode": "mentoring",
        "work_mode": "remote",
        "compensation": "volunteer",
        "languages": ["en"],
        "published_at": BASE_TIME + timedelta(hours=pid),
        "deadline": None,
    }
    data.update(overrides)
    return data


def expert(user_id: int, audience: dict, **overrides) -> dict:
    """Return an expert dict whose every group carries a recognizable marker word."""
    data = {
        "user_id": user_id,
        "display_name": f"Member {user_id}",
        "email": f"member{user_id}@example.org",
        "headline": "Headlinemarker engineer",
        "bio": "Biomarker story of a career.",
        "skills": ["Skillmarker"],
        "skills_wanted": ["Wantedmarker"],
        "sectors": ["health"],
        "languages": ["fr"],
        "origin_country": "SN",
        "residence_country": "FR",
        "engagement_modes": ["mentoring"],
        "travel": [("SN", date(2025, 3, 10), date(2025, 4, 5))],
        "applied_institution_ids": [],
        "audience": audience,
    }
    data.update(overrides)
    return data
