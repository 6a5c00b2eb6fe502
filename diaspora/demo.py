"""Demonstration data: a small, realistic network to click through. Safe to load again."""

from collections.abc import Iterator

from diaspora.demo_profiles import load_institutions, load_profiles
from diaspora.extensions import db
from diaspora.models import Role
from diaspora.services import accounts
from diaspora.services.profiles import load_skills_taxonomy

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
    db.session.flush()
    skills, _ = load_skills_taxonomy()
    new_profiles = load_profiles()
    institutions = load_institutions()
    db.session.commit()
    yield f"Demo data ready ({created} new account(s)). Log in at /login with:"
    for email, name, role in ACCOUNTS:
        yield f"  {role.label:<28} {email:<42} {name}"
    yield f"  password for every demo account: {DEMO_PASSWORD}"
    yield (f"Skills: {skills} new; profiles: {new_profiles} new; institutions: {institutions} new.")
