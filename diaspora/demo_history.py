"""A year of network history, generated: members, institutions, projects and applications
with their dates spread over the twelve months before ``now``.

One generator serves the demo (a few hundred members) and ``bench/impact.py`` (100,000
members and a million applications). Rows go in with SQLAlchemy Core inserts, in chunks, and
follow the app's rules as its services would have left them: statuses match their dates, a
member applies once per project and has at most ``MAX_OPEN_APPLICATIONS`` waiting, places
filled match acceptances, a project whose last place is taken closes then and the
applications still waiting on it are closed, decisions are recorded in each application's
history. The same seed gives the same network (apart from the accounts' session tokens and
the password hash, which are secrets).

Generated people are plainly fictional: their addresses end in ``.example`` and their
accounts share one password hash of a random secret, so nobody can sign in with them.
"""

import bisect
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Audience,
    Compensation,
    Education,
    EngagementFeedback,
    EngagementMode,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    MemberActivity,
    MessageKind,
    Profile,
    ProfileLanguage,
    ProfileSkill,
    Project,
    ProjectStatus,
    Role,
    SearchChange,
    Skill,
    User,
    WorkMode,
)
from diaspora.models.activity import month_of
from diaspora.models.application import DISPUTE_PERIOD, START_AFTER_ACCEPTANCE
from diaspora.models.profile import DEFAULT_AUDIENCES, FIELD_GROUPS
from diaspora.models.project import project_skills
from diaspora.models.user import new_session_token
from diaspora.security import password_hasher
from diaspora.services.application_closing import PLACES_FILLED
from diaspora.services.applications import MAX_OPEN_APPLICATIONS
from diaspora.services.indexing.documents import EXPERTS, PROJECTS
from diaspora.services.profiles import load_skills_taxonomy
from diaspora.services.projects import SCREENED
from diaspora.services.screening import screen, summarize

S = ApplicationStatus
CHUNK = 5000
YEAR = timedelta(days=365)
# Where generated accounts' addresses end: reserved for examples, never delivered.
EMAIL_DOMAIN = "history.diaspora.example"
DEADLINE_PASSED = "The application deadline passed."

# Origin country -> (weight, languages spoken, cities, given names, family names).
COUNTRIES = {
    "NG": (
        14,
        ["en", "yo", "ig", "ha"],
        ["Lagos", "Ibadan", "Enugu", "Kano"],
        ["Adaeze", "Chinedu", "Funmilayo", "Ibrahim", "Ngozi", "Tunde"],
        ["Okeke", "Adeyemi", "Bello", "Eze", "Nwosu", "Balogun"],
    ),
    "ET": (
        10,
        ["am", "om", "en"],
        ["Addis Ababa", "Bahir Dar", "Hawassa"],
        ["Abebe", "Hana", "Selam", "Dawit", "Meron", "Yonas"],
        ["Tadesse", "Girma", "Haile", "Alemu", "Kebede", "Wolde"],
    ),
    "GH": (
        9,
        ["en", "ak"],
        ["Accra", "Kumasi", "Tamale"],
        ["Kofi", "Ama", "Yaw", "Akosua", "Kwabena", "Efua"],
        ["Owusu", "Boateng", "Asante", "Mensah", "Appiah", "Ofori"],
    ),
    "RW": (
        7,
        ["rw", "fr", "en"],
        ["Kigali", "Huye", "Musanze"],
        ["Aline", "Eric", "Claudine", "Patrick", "Diane", "Olivier"],
        ["Mugisha", "Uwase", "Habimana", "Niyonzima", "Ingabire", "Nshuti"],
    ),
    "LB": (
        7,
        ["ar", "fr", "en"],
        ["Beirut", "Tripoli", "Sidon"],
        ["Rami", "Maya", "Karim", "Lina", "Ziad", "Rana"],
        ["Khoury", "Saad", "Nassar", "Haddad", "Frem", "Aoun"],
    ),
    "SY": (
        9,
        ["ar", "ku", "en"],
        ["Aleppo", "Homs", "Damascus"],
        ["Omar", "Layla", "Hassan", "Rasha", "Yousef", "Dima"],
        ["Al-Masri", "Darwish", "Hamdan", "Kassab", "Sabbagh", "Jaber"],
    ),
    "AF": (
        6,
        ["fa", "ps", "en"],
        ["Kabul", "Herat", "Mazar-i-Sharif"],
        ["Farid", "Mariam", "Ahmad", "Zahra", "Nasir", "Soraya"],
        ["Rahimi", "Karimi", "Popal", "Noori", "Sadat", "Hakimi"],
    ),
    "UA": (
        8,
        ["uk", "ru", "en"],
        ["Kharkiv", "Lviv", "Odesa"],
        ["Olena", "Andrii", "Iryna", "Taras", "Oksana", "Dmytro"],
        ["Kovalenko", "Shevchuk", "Bondar", "Melnyk", "Tkachenko", "Lysenko"],
    ),
    "VN": (
        5,
        ["vi", "en"],
        ["Hanoi", "Da Nang", "Can Tho"],
        ["Linh", "Minh", "Thao", "Quang", "Huong", "Tuan"],
        ["Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu"],
    ),
    "CO": (
        5,
        ["es", "en"],
        ["Bogotá", "Medellín", "Cali"],
        ["Camila", "Andrés", "Valentina", "Santiago", "Daniela", "Felipe"],
        ["Gómez", "Rodríguez", "Martínez", "Vargas", "Castro", "Ramírez"],
    ),
    "SN": (
        5,
        ["fr", "wo", "en"],
        ["Dakar", "Thiès", "Saint-Louis"],
        ["Awa", "Moussa", "Aminata", "Cheikh", "Fatou", "Ousmane"],
        ["Ndiaye", "Sow", "Fall", "Ba", "Sarr", "Faye"],
    ),
    "SO": (
        4,
        ["so", "ar", "en"],
        ["Mogadishu", "Hargeisa", "Kismayo"],
        ["Hodan", "Abdi", "Ifrah", "Mahad", "Sahra", "Ayaan"],
        ["Warsame", "Farah", "Jama", "Hussein", "Aden", "Ali"],
    ),
}
# Where members live now, and a city there.
RESIDENCES = {
    "GB": ["London", "Manchester", "Leeds"],
    "FR": ["Paris", "Lyon", "Marseille"],
    "DE": ["Berlin", "Hamburg", "Munich"],
    "US": ["Chicago", "Houston", "Boston"],
    "CA": ["Toronto", "Montréal", "Calgary"],
    "SE": ["Stockholm", "Malmö"],
    "NL": ["Amsterdam", "Rotterdam"],
    "BE": ["Brussels", "Liège"],
    "AE": ["Dubai", "Abu Dhabi"],
    "AU": ["Melbourne", "Sydney"],
}
SECTOR_WEIGHTS = {
    "health": 18,
    "engineering": 12,
    "water_sanitation": 8,
    "energy": 7,
    "agriculture": 9,
    "ict": 12,
    "education": 12,
    "research": 6,
    "finance": 5,
    "law_governance": 4,
    "humanitarian": 4,
    "business": 5,
}
HEADLINES = {
    "health": "Physician and clinical teacher",
    "engineering": "Civil and structural engineer",
    "water_sanitation": "Water and sanitation engineer",
    "energy": "Renewable energy engineer",
    "agriculture": "Agronomist",
    "ict": "Software engineer",
    "education": "Teacher trainer",
    "research": "Research scientist",
    "finance": "Financial analyst",
    "law_governance": "Lawyer, public law",
    "humanitarian": "Humanitarian programme manager",
    "business": "Management consultant",
}
DEGREES = [("MSc", "University of Manchester"), ("PhD", "Sorbonne Université"), ("MBA", "HEC")]
INSTITUTION_KINDS = {
    "health": InstitutionType.HOSPITAL,
    "education": InstitutionType.UNIVERSITY,
    "research": InstitutionType.RESEARCH,
    "law_governance": InstitutionType.MINISTRY,
    "humanitarian": InstitutionType.NGO,
    "business": InstitutionType.COMPANY,
    "finance": InstitutionType.COMPANY,
}
# Kind -> how institutions of that kind are named in a city: an institution's name is the
# first of these not taken in its city, then each again with a part of the city (see
# :func:`institution_names`), so names are plausible and unique, never numbered.
NAME_PATTERNS = {
    InstitutionType.HOSPITAL: (
        "{city} Teaching Hospital",
        "{city} Regional Hospital",
        "{city} Children's Hospital",
        "{city} General Hospital",
        "{city} Maternity Hospital",
        "{city} Eye Hospital",
        "{city} District Health Centre",
    ),
    InstitutionType.UNIVERSITY: (
        "University of {city}",
        "{city} Polytechnic",
        "{city} University of Science and Technology",
        "{city} College of Education",
        "{city} Institute of Technology",
        "{city} Technical College",
        "{city} School of Engineering",
        "{city} College of Agriculture",
    ),
    InstitutionType.RESEARCH: (
        "{city} Institute for Health Research",
        "{city} Agricultural Research Centre",
        "{city} Centre for Policy Studies",
        "{city} Water Research Institute",
        "{city} Institute of Statistics",
    ),
    InstitutionType.MINISTRY: (
        "{city} Regional Health Directorate",
        "{city} City Council",
        "{city} Regional Water Authority",
        "{city} Department of Education",
        "{city} Public Works Office",
    ),
    InstitutionType.NGO: (
        "{city} Community Health Trust",
        "{city} Refugee Support Network",
        "{city} Women's Cooperative",
        "{city} Youth Foundation",
        "{city} Relief Association",
    ),
    InstitutionType.COMPANY: (
        "{city} Enterprise Hub",
        "{city} Savings and Credit Cooperative",
        "{city} Business Incubator",
        "{city} Chamber of Commerce",
        "{city} Microfinance Bank",
    ),
    InstitutionType.INTERNATIONAL: (
        "{city} Regional Office",
        "{city} Liaison Office",
    ),
}
# Parts of a city, for a second institution of the same name there.
CITY_PARTS = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Riverside",
    "Hillside",
    "Old Town",
    "New Town",
    "Lakeside",
    "Airport Road",
    "Market Street",
)


def institution_names(kind: InstitutionType, city: str):
    """Every name an institution of ``kind`` in ``city`` may take, in the order they are
    given: the kind's names, then each with one part of the city, then with two."""
    patterns = [pattern.format(city=city) for pattern in NAME_PATTERNS[kind]]
    yield from patterns
    for part in CITY_PARTS:
        for name in patterns:
            yield f"{name}, {part}"
    for first in CITY_PARTS:
        for second in CITY_PARTS:
            if first != second:
                for name in patterns:
                    yield f"{name}, {first} and {second}"


# Sector -> (title, what the project does, engagement mode, work mode).
PROJECT_TEMPLATES = {
    "health": [
        (
            "Mentoring junior doctors in {city}",
            "monthly case reviews with our residents",
            EngagementMode.MENTORING,
            WorkMode.HYBRID,
        ),
        (
            "Clinical audit of maternal care",
            "an audit of our maternity ward's records",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
    ],
    "engineering": [
        (
            "Structural assessment of school buildings",
            "inspections of ten school buildings",
            EngagementMode.SHORT_MISSION,
            WorkMode.ONSITE,
        ),
        (
            "Road maintenance planning",
            "a maintenance plan for the district's roads",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
    ],
    "water_sanitation": [
        (
            "Hydrology course for {city} students",
            "a short field course in river hydrology",
            EngagementMode.TEACHING,
            WorkMode.ONSITE,
        ),
        (
            "Water network leak reduction",
            "advice on finding and fixing network leaks",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
    ],
    "energy": [
        (
            "Solar power for rural clinics",
            "sizing solar systems for six clinics",
            EngagementMode.SHORT_MISSION,
            WorkMode.HYBRID,
        ),
        (
            "Grid planning workshop",
            "a workshop on mini-grid planning for our engineers",
            EngagementMode.TEACHING,
            WorkMode.REMOTE,
        ),
    ],
    "agriculture": [
        (
            "Irrigation advice for smallholders",
            "advice to a farmers' cooperative on irrigation",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
        (
            "Post-harvest storage study",
            "a study of grain storage losses",
            EngagementMode.RESEARCH,
            WorkMode.HYBRID,
        ),
    ],
    "ict": [
        (
            "Hospital records system review",
            "a review of our patient records software",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
        (
            "Coding bootcamp mentors",
            "mentoring students of our coding bootcamp",
            EngagementMode.MENTORING,
            WorkMode.REMOTE,
        ),
    ],
    "education": [
        (
            "Science curriculum review",
            "a review of our science teacher curriculum",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
        (
            "Guest lectures in {city}",
            "a series of guest lectures for our students",
            EngagementMode.TEACHING,
            WorkMode.HYBRID,
        ),
    ],
    "research": [
        (
            "Co-supervising master's theses",
            "co-supervision of three master's theses",
            EngagementMode.RESEARCH,
            WorkMode.REMOTE,
        ),
        (
            "Laboratory methods training",
            "training our technicians in laboratory methods",
            EngagementMode.TEACHING,
            WorkMode.ONSITE,
        ),
    ],
    "finance": [
        (
            "Microfinance risk review",
            "a review of a microfinance portfolio's risks",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
    ],
    "law_governance": [
        (
            "Procurement rules review",
            "advice on revising public procurement rules",
            EngagementMode.REMOTE_ADVICE,
            WorkMode.REMOTE,
        ),
    ],
    "humanitarian": [
        (
            "Shelter programme evaluation",
            "an evaluation of a shelter programme",
            EngagementMode.SHORT_MISSION,
            WorkMode.ONSITE,
        ),
    ],
    "business": [
        (
            "Mentoring young entrepreneurs",
            "mentoring the founders of five start-ups",
            EngagementMode.MENTORING,
            WorkMode.REMOTE,
        ),
    ],
}
# What screening holds for review: recruitment that charges the candidates.
FLAGGED_SENTENCE = "Selected candidates pay a registration fee of $200 to confirm their place."


def listing_text(title: str, does: str, city: str, flagged: bool = False) -> dict[str, str]:
    """A generated listing's title, summary and description; ``flagged`` adds a sentence
    that screening holds for review."""
    description = (
        f"We are looking for a member of the diaspora for {does}, with our team in "
        f"{city}. We share our data and plans beforehand and agree the schedule together."
    )
    if flagged:
        description += " " + FLAGGED_SENTENCE
    return {
        "title": title.format(city=city),
        "summary": f"{does[0].upper()}{does[1:]}, with our team in {city}.",
        "description": description,
    }


@dataclass
class Generated:
    """What :func:`generate` inserted (row counts), and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        return ", ".join(f"{name}: {count}" for name, count in self.counts.items())


def generate(
    *,
    members: int,
    institutions: int,
    projects: int,
    applications: int,
    seed: int,
    now: datetime,
) -> Generated:
    """Insert a year of generated history before ``now`` (aware, UTC); flush, never commit.

    Roughly ``applications`` applications are made: a project that fills or passes its
    deadline takes no more, so a few fewer may remain.
    """
    started = datetime.now(now.tzinfo)
    return _Generator(seed, now).run(members, institutions, projects, applications, started)


def _chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(table, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(table), chunk)


def _insert_ids(table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` with the next free ids, in the rows' order, and return the ids.

    Ids are given, not returned by the database, so plain ``executemany`` inserts serve;
    PostgreSQL's sequence is then moved past them. Only for a loader that writes alone.
    """
    first = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    _insert(table, rows)
    if rows and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(table.name, "id"), ids[-1]))
        )
    return ids


@dataclass
class _App:
    """One application as the simulation goes."""

    member: int
    created: datetime
    status: ApplicationStatus = S.APPLIED
    shortlisted: datetime | None = None
    first_answered: datetime | None = None
    decided: datetime | None = None
    withdrawn: datetime | None = None
    updated: datetime | None = None
    events: list = field(default_factory=list)


class _Generator:
    def __init__(self, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - YEAR
        self.counts: dict[str, int] = {}
        self.active: set[tuple[int, object]] = set()  # (user id, month)

    # ------------------------------------------------------------------ helpers

    def when(self, low: datetime, high: datetime) -> datetime:
        """A moment between ``low`` and ``high``, to the second."""
        span = max((high - low).total_seconds(), 0)
        return low + timedelta(seconds=int(self.rng.random() * span))

    def weighted(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def run(self, members, institutions, projects, applications, started) -> Generated:
        self.password_hash = password_hasher().hash(secrets.token_urlsafe(32))
        self.skills = self._skills_by_sector()
        self._members(members)
        self._institutions(institutions)
        self._projects(projects)
        self._applications(applications)
        self._activity()
        self._queue_indexing()
        db.session.flush()
        seconds = (datetime.now(started.tzinfo) - started).total_seconds()
        return Generated(self.counts, seconds)

    def _skills_by_sector(self) -> dict[str, list[int]]:
        if db.session.scalar(sa.select(Skill.id).where(Skill.curated).limit(1)) is None:
            load_skills_taxonomy()
        by_sector = defaultdict(list)
        rows = db.session.execute(
            sa.select(Skill.id, Skill.sector).where(Skill.curated).order_by(Skill.id)
        )
        for skill_id, sector in rows:
            by_sector[sector].append(skill_id)
        return by_sector

    def _users(self, rows: list[dict]) -> list[int]:
        for row in rows:
            row.setdefault("password_hash", self.password_hash)
            row["session_token"] = new_session_token()
            row["password_changed_at"] = row["created_at"]
            row["terms_accepted_at"] = row["created_at"]
            row["email_confirmed_at"] = row["created_at"] + timedelta(minutes=7)
        ids = _insert_ids(User.__table__, rows)
        for user_id, row in zip(ids, rows, strict=True):
            self._active_between(user_id, row["created_at"], row["last_login_at"])
        return ids

    def _active_between(self, user_id: int, first: datetime, last: datetime) -> None:
        """Signed in when they registered and at their last sign-in, and in about half the
        months between."""
        self.active.add((user_id, month_of(first)))
        self.active.add((user_id, month_of(last)))
        month = month_of(first)
        while month < month_of(last):
            if self.rng.random() < 0.5:
                self.active.add((user_id, month))
            month = (month + timedelta(days=32)).replace(day=1)

    def _activity(self) -> None:
        """The months each person was active in (``member_activity``), as the app records
        them: signing in, applying, writing in a thread."""
        rows = [{"user_id": user_id, "month": month} for user_id, month in sorted(self.active)]
        _insert(MemberActivity.__table__, rows)
        self.counts["member_activity"] = len(rows)

    # ------------------------------------------------------------------ members

    def _members(self, count: int) -> None:
        rng = self.rng
        weights = {code: spec[0] for code, spec in COUNTRIES.items()}
        created = sorted(self.when(self.start, self.now - timedelta(hours=1)) for _ in range(count))
        people = []
        for number, at in enumerate(created, 1):
            origin = self.weighted(weights)
            _, _, _, given, family = COUNTRIES[origin]
            name = f"{rng.choice(given)} {rng.choice(family)}"
            people.append((number, at, origin, name))
        users = [
            {
                "email": f"member{number}@{EMAIL_DOMAIN}",
                "name": name,
                "role": Role.MEMBER,
                "created_at": at,
                "last_login_at": self._last_login(at),
            }
            for number, at, _, name in people
        ]
        ids = self._users(users)
        self.member_ids = ids
        self.member_created = created
        self.member_country = {}
        self.member_sectors = {}
        self.members_of_country = defaultdict(list)
        self.member_audiences = {}
        profiles = []
        for user_id, (_number, at, origin, name) in zip(ids, people, strict=True):
            profiles.append(self._profile(user_id, at, origin, name))
            self.member_country[user_id] = origin
            self.members_of_country[origin].append(user_id)
        profile_ids = _insert_ids(Profile.__table__, profiles)
        self.listed_ids = [row["user_id"] for row in profiles if row["listed"]]
        self.profile_of = dict(zip(ids, profile_ids, strict=True))
        languages, skills, education = [], [], []
        for profile_id, row in zip(profile_ids, profiles, strict=True):
            complete = self.rng.random() < 0.8
            codes = COUNTRIES[row["origin_country"]][1]
            spoken = [codes[0]] + rng.sample(codes[1:], k=rng.randint(0, len(codes) - 1))
            for code in dict.fromkeys([*spoken, "en"] if complete else spoken):
                level = (
                    "native"
                    if code == codes[0]
                    else rng.choice(["professional", "conversational", "professional"])
                )
                languages.append({"profile_id": profile_id, "code": code, "proficiency": level})
            have = set()
            for sector in row["sectors"]:
                pool = self.skills.get(sector, [])
                have.update(rng.sample(pool, k=min(len(pool), rng.randint(1, 3))))
            for skill_id in sorted(have):
                skills.append({"profile_id": profile_id, "skill_id": skill_id, "kind": "have"})
            pool = [s for s in self.skills.get(row["sectors"][0], []) if s not in have]
            if pool and rng.random() < 0.4:
                skills.append(
                    {"profile_id": profile_id, "skill_id": rng.choice(pool), "kind": "develop"}
                )
            if complete:
                degree, school = rng.choice(DEGREES)
                education.append(
                    {
                        "profile_id": profile_id,
                        "degree": degree,
                        "field": HEADLINES[row["sectors"][0]].split(",")[0],
                        "institution": school,
                        "year": rng.randint(1995, 2020),
                    }
                )
        _insert(ProfileLanguage.__table__, languages)
        _insert(ProfileSkill.__table__, skills)
        _insert(Education.__table__, education)
        self.counts.update(members=len(ids), profile_skills=len(skills))

    def _last_login(self, created: datetime) -> datetime:
        if self.rng.random() < 0.3:  # signed up and never came back
            return created + timedelta(minutes=9)
        return self.when(created, self.now)

    def _profile(self, user_id: int, at: datetime, origin: str, name: str) -> dict:
        rng = self.rng
        sectors = list(
            dict.fromkeys(rng.choices(list(SECTOR_WEIGHTS), SECTOR_WEIGHTS.values(), k=2))
        )
        sectors = sectors[: rng.choice([1, 1, 2])]
        residence = rng.choice(list(RESIDENCES))
        audiences = {group: int(level) for group, level in DEFAULT_AUDIENCES.items()}
        if rng.random() < 0.3:
            audiences.update(headline=int(Audience.SIGNED_IN), skills=int(Audience.SIGNED_IN))
        self.member_audiences[user_id] = audiences
        self.member_sectors[user_id] = sectors
        # Most confirm their profile now and then; a quarter have not for months.
        if rng.random() < 0.25 or at > self.now - timedelta(days=60):
            confirmed = at
        else:
            confirmed = self.when(max(at, self.now - timedelta(days=90)), self.now)
        incomplete = rng.random() < 0.1
        return {
            "user_id": user_id,
            "display_name": name,
            "headline": HEADLINES[sectors[0]],
            "bio": "" if incomplete else f"Fictional member of the generated history ({origin}).",
            "origin_country": origin,
            "residence_country": residence,
            "city": rng.choice(RESIDENCES[residence]),
            "sectors": sectors,
            "years_experience": rng.randint(2, 30),
            "engagement_modes": rng.sample([m.value for m in EngagementMode][:5], k=2),
            "availability_hours": rng.choice([4, 8, 8, 12, 16, 20]),
            "website": "",
            "orcid": "",
            "professional_url": "",
            "audiences": audiences,
            "listed": rng.random() < 0.6,
            "public": False,
            "hidden": False,
            "invitations_open": rng.random() < 0.8,
            "confirmed_at": confirmed,
            "created_at": at,
            "updated_at": confirmed,
        }

    # ------------------------------------------------------------------ institutions

    def _institutions(self, count: int) -> None:
        rng = self.rng
        weights = {code: spec[0] for code, spec in COUNTRIES.items()}
        specs, names = [], {}
        for number in range(1, count + 1):
            country = self.weighted(weights)
            sector = self.weighted(SECTOR_WEIGHTS)
            kind = INSTITUTION_KINDS.get(sector, InstitutionType.UNIVERSITY)
            city = rng.choice(COUNTRIES[country][2])
            # One generator per kind and city: the next name it gives is never taken.
            name = next(names.setdefault((kind, city), institution_names(kind, city)))
            # The first institutions joined early; one was turned down, a few still wait.
            at = self.when(
                self.start, self.start + (self.now - self.start) * min(1, number / count * 1.3)
            )
            status = InstitutionStatus.VERIFIED
            if number == count and count > 2:
                status = InstitutionStatus.REJECTED
            elif rng.random() < 0.08 and number > 2:
                status = InstitutionStatus.PENDING
            specs.append((number, name, kind, country, city, sector, at, status))
        reps = [
            {
                "email": f"rep{number}@{EMAIL_DOMAIN}",
                "name": f"{rng.choice(COUNTRIES[country][3])} {rng.choice(COUNTRIES[country][4])}",
                "role": Role.INSTITUTION,
                "created_at": at - timedelta(hours=1),
                "last_login_at": self.when(at, self.now),
            }
            for number, _, _, country, _, _, at, _ in specs
        ]
        rep_ids = self._users(reps)
        rows = []
        for rep_id, (number, name, kind, country, city, _sector, at, status) in zip(
            rep_ids, specs, strict=True
        ):
            decided = (
                None
                if status == InstitutionStatus.PENDING
                else at + timedelta(days=rng.randint(1, 6))
            )
            rows.append(
                {
                    "name": name,
                    "kind": kind,
                    "country": country,
                    "city": city,
                    "website": "",
                    "email_domain": "",
                    "description": f"A fictional institution of the generated history ({number}).",
                    "status": status,
                    "status_reason": "Not an institution of the country it names."
                    if status == InstitutionStatus.REJECTED
                    else "",
                    "decided_at": decided,
                    "created_by_id": rep_id,
                    "created_at": at,
                    "updated_at": decided or at,
                }
            )
        ids = _insert_ids(Institution.__table__, rows)
        _insert(
            InstitutionRepresentative.__table__,
            [
                {"institution_id": i, "user_id": rep, "added_at": row["created_at"]}
                for i, rep, row in zip(ids, rep_ids, rows, strict=True)
            ],
        )
        self.institutions = [
            (i, rep, spec[3], spec[5], row["decided_at"])
            for i, rep, spec, row in zip(ids, rep_ids, specs, rows, strict=True)
            if spec[7] == InstitutionStatus.VERIFIED
        ]
        self.rep_of = {i: rep for i, rep, *_ in self.institutions}
        self.city_of = {i: spec[4] for i, spec in zip(ids, specs, strict=True)}
        self.counts["institutions"] = len(ids)

    # ------------------------------------------------------------------ projects

    def _projects(self, count: int) -> None:
        rng = self.rng
        self.projects = []
        if not self.institutions:
            return
        # Some institutions post several times more than others (never most of the network).
        popularity = [min(rng.paretovariate(1.5), 8) for _ in self.institutions]
        screened: dict[tuple, list] = {}
        for _ in range(count):
            institution, rep, country, home_sector, verified_at = rng.choices(
                self.institutions, weights=popularity
            )[0]
            sector = home_sector if rng.random() < 0.6 else self.weighted(SECTOR_WEIGHTS)
            title, does, mode, work = rng.choice(PROJECT_TEMPLATES[sector])
            city = self.city_of[institution]  # a listing names its institution's own city
            created = self.when(verified_at, self.now - timedelta(days=1))
            plan = rng.random()
            flagged_text = 0.03 <= plan < 0.06 or 0.1 <= plan < 0.12
            fields = listing_text(title, does, city, flagged_text)
            # The templates screen clean (a test checks it): only the sentence is screened for.
            screening = []
            if flagged_text:
                key = (*fields.values(), country)
                if key not in screened:
                    screened[key] = summarize(screen({k: fields[k] for k in SCREENED}, country))
                screening = screened[key]
            languages = ["en"]
            local = COUNTRIES[country][1][0]
            if local in ("fr", "es", "ar"):
                languages.insert(0, local)
            row = {
                **fields,
                "institution_id": institution,
                "country": country,
                "region": city,
                "sector": sector,
                "engagement_mode": mode,
                "work_mode": work,
                "start_date": None,
                "duration_weeks": rng.choice([2, 4, 4, 8, 8, 12, 26]),
                "deadline": None,
                "places": rng.choice([1, 1, 2, 2, 3, 4]),
                "places_filled": 0,
                "compensation": rng.choice(list(Compensation)),
                "languages": languages,
                "contact_name": f"{rng.choice(COUNTRIES[country][3])} "
                f"{rng.choice(COUNTRIES[country][4])}",
                "contact_role": "Project lead",
                "info_url": "",
                "status": ProjectStatus.DRAFT,
                "status_reason": "",
                "screening": screening,
                "flagged": bool(screening),
                "created_by_id": rep,
                "created_at": created,
                "updated_at": created,
                "submitted_at": None,
                "published_at": None,
                "closed_at": None,
                "confirmed_current_at": None,
                "reminder_sent_at": None,
            }
            self._project_life(row, plan)
            self.projects.append(row)

    def _project_life(self, row: dict, plan: float) -> None:
        """Set the project's status and dates up to publication; the applications decide
        whether and when a published project closes."""
        rng = self.rng
        created = row["created_at"]
        if plan < 0.03:
            return  # a draft
        submitted = created + timedelta(hours=rng.randint(1, 72))
        if submitted >= self.now:
            return
        row["submitted_at"] = row["updated_at"] = submitted
        row["deadline"] = submitted.date() + timedelta(days=rng.randint(30, 90))
        if plan < 0.08:
            row["status"] = ProjectStatus.PENDING
            return
        decided = submitted + timedelta(hours=rng.randint(4, 120))
        if decided >= self.now:
            row["status"] = ProjectStatus.PENDING
            return
        row["updated_at"] = decided
        if plan < 0.10:
            row["status"] = ProjectStatus.CHANGES_REQUESTED
            row["status_reason"] = "Say what the stipend covers and who supervises the work."
            return
        if plan < 0.13:
            row["status"] = ProjectStatus.REJECTED
            row["status_reason"] = "Candidates may not be charged to take part."
            return
        row["status"] = ProjectStatus.PUBLISHED
        row["published_at"] = decided
        row["deadline"] = decided.date() + timedelta(days=rng.randint(21, 90))
        # The close the deadline brings (the nightly job, early the next day).
        deadline_end = datetime.combine(
            row["deadline"] + timedelta(days=1), datetime.min.time(), tzinfo=self.now.tzinfo
        ) + timedelta(hours=2)
        row["_closes"] = deadline_end if deadline_end <= self.now else None
        if row["_closes"] is None and decided < self.now - timedelta(days=45):
            # Long published: some reps confirmed it is current, some were reminded.
            if rng.random() < 0.6:
                row["confirmed_current_at"] = self.when(decided + timedelta(days=30), self.now)
            elif rng.random() < 0.5:
                row["reminder_sent_at"] = self.when(decided + timedelta(days=60), self.now)

    # ------------------------------------------------------------------ applications

    def _pick_member(self, at: datetime, country: str, taken: set) -> int | None:
        """A member registered before ``at``, often one from the project's country."""
        rng = self.rng
        for _ in range(6):
            if rng.random() < 0.6 and self.country_created.get(country):
                created = self.country_created[country]
                pool = self.members_of_country[country]
            else:
                created, pool = self.member_created, self.member_ids
            k = bisect.bisect_right(created, at)
            if k == 0:
                continue
            member = pool[int(rng.random() * k)]
            if member not in taken:
                return member
        return None

    def _plan(self, app: _App, accept: float) -> None:
        """What will happen to an application if nothing else intervenes; ``accept`` is the
        chance that an answer is an acceptance."""
        rng = self.rng
        c = app.created
        if rng.random() < 0.07:
            app.events.append((c + timedelta(hours=rng.randint(2, 480)), "withdraw"))
        if rng.random() < 0.12:
            return  # never answered
        roll = rng.random()
        if roll < 0.5:
            delay = timedelta(hours=rng.uniform(2, 72))
        elif roll < 0.8:
            delay = timedelta(days=rng.uniform(3, 14))
        else:
            delay = timedelta(days=rng.uniform(15, 45))
        answer = c + delay
        if rng.random() < 0.3:
            app.events.append((answer, "shortlist"))
            later = answer + timedelta(days=rng.uniform(2, 25))
            roll = rng.random()
            if roll < min(0.9, 3 * accept):
                app.events.append((later, "accept"))
            elif roll < 0.9:
                app.events.append((later, "decline"))
        else:
            app.events.append((answer, "accept" if rng.random() < accept else "decline"))

    def _simulate(self, project: dict, quota: int) -> list[_App]:
        """The project's applications as of ``now``; fills its places and closing."""
        opened = project["published_at"]
        closes = project.pop("_closes", None)
        window_end = closes or self.now
        times = sorted(self.when(opened, window_end) for _ in range(quota))
        taken: set[int] = set()
        apps = []
        # Institutions accept about as many as they have places, however many apply.
        accept = min(0.4, project["places"] / max(1.0, quota * 0.7))
        for at in times:
            member = self._pick_member(at, project["country"], taken)
            if member is None:
                continue
            taken.add(member)
            app = _App(member, at)
            self._plan(app, accept)
            apps.append(app)
        # Everything that happens on the project, in time order (creations included).
        timeline = sorted(
            [(app.created, 0, i, "create") for i, app in enumerate(apps)]
            + [(t, 1, i, action) for i, app in enumerate(apps) for t, action in app.events]
        )
        filled, places, kept = 0, project["places"], []
        closed_by = DEADLINE_PASSED if closes else ""
        for at, _, i, action in timeline:
            if at >= self.now or (closes is not None and at >= closes):
                break
            app = apps[i]
            if action == "create":
                kept.append(app)
                app.updated = at
                continue
            if app.status not in (S.APPLIED, S.SHORTLISTED):
                continue
            if action == "withdraw":
                app.status, app.withdrawn = S.WITHDRAWN, at
            elif action == "shortlist" and app.status == S.APPLIED:
                app.status, app.shortlisted = S.SHORTLISTED, at
            elif action in ("accept", "decline"):
                accept = action == "accept" and filled < places
                app.status = S.ACCEPTED if accept else S.DECLINED
                app.decided = at
                filled += accept
            else:
                continue
            if action != "withdraw":
                app.first_answered = app.first_answered or at
            app.updated = at
            if filled == places:
                closes, closed_by = at, PLACES_FILLED
        if closes is not None and closes < self.now:
            for app in kept:
                if app.status in (S.APPLIED, S.SHORTLISTED):
                    app.status, app.updated = S.CLOSED, closes
            project.update(
                status=ProjectStatus.CLOSED,
                closed_at=closes,
                status_reason=closed_by,
                updated_at=closes,
                confirmed_current_at=None,
                reminder_sent_at=None,
            )
        project["places_filled"] = filled
        return kept

    def _applications(self, count: int) -> None:
        rng = self.rng
        created_of = dict(zip(self.member_ids, self.member_created, strict=True))
        self.country_created = {
            country: [created_of[m] for m in ids]
            for country, ids in self.members_of_country.items()
        }
        open_projects = [p for p in self.projects if p["published_at"] is not None]
        # Some projects draw many more applicants than others, within reason.
        weights = [min(rng.paretovariate(1.5), 20) for _ in open_projects]
        total = sum(weights) or 1
        simulated, carry = [], 0.0
        for project, weight in zip(open_projects, weights, strict=True):
            want = count * weight / total + carry
            quota = int(want)
            apps = self._simulate(project, quota)
            carry = min(want - len(apps), count * weight / total)
            simulated.append((project, apps))
        self._cap_open(simulated)
        project_ids = _insert_ids(Project.__table__, self.projects)
        for project_id, project in zip(project_ids, self.projects, strict=True):
            project["id"] = project_id
        links = []
        for project in self.projects:
            pool = self.skills.get(project["sector"], [])
            for skill_id in rng.sample(pool, k=min(len(pool), rng.randint(1, 3))):
                links.append({"project_id": project["id"], "skill_id": skill_id})
        _insert(project_skills, links)
        self.counts["projects"] = len(project_ids)
        self._insert_applications(simulated)

    def _cap_open(self, simulated) -> None:
        """No member has more than ``MAX_OPEN_APPLICATIONS`` waiting: the oldest extra ones
        were withdrawn (as the app would have refused a new one)."""
        waiting = defaultdict(list)
        for _, apps in simulated:
            for app in apps:
                if app.status in (S.APPLIED, S.SHORTLISTED):
                    waiting[app.member].append(app)
        for apps in waiting.values():
            apps.sort(key=lambda a: a.created)
            for app in apps[: max(len(apps) - MAX_OPEN_APPLICATIONS, 0)]:
                since = app.shortlisted or app.created
                app.status = S.WITHDRAWN
                app.withdrawn = app.updated = min(since + timedelta(days=1), self.now)

    def _insert_applications(self, simulated) -> None:
        """Insert the applications with their history and feedback, a chunk at a time."""
        self.counts.update(applications=0, application_messages=0, feedback=0)
        batch = []
        for project, apps in simulated:
            for app in apps:
                batch.append(self._application_row(project, app))
                if len(batch) == CHUNK:
                    self._write_applications(batch)
                    batch = []
        self._write_applications(batch)

    def _write_applications(self, batch: list[tuple[dict, tuple]]) -> None:
        rng = self.rng
        rows = [row for row, _ in batch]
        afters = [after for _, after in batch]
        ids = _insert_ids(Application.__table__, rows)
        messages, feedback = [], []
        for app_id, row, (project, app, extra) in zip(ids, rows, afters, strict=True):
            rep = self.rep_of[project["institution_id"]]
            if rng.random() < 0.15 and app.created + timedelta(hours=2) < self.now:
                messages.append(
                    self._message(
                        app_id,
                        app.member,
                        False,
                        MessageKind.MESSAGE,
                        "I can start with a video call whenever suits you.",
                        app.created + timedelta(hours=1),
                    )
                )
            if app.shortlisted:
                messages.append(
                    self._message(app_id, rep, True, MessageKind.SHORTLISTED, "", app.shortlisted)
                )
            if app.decided:
                kind = (
                    MessageKind.ACCEPTED
                    if row["decided_by_id"] and app.status in (S.ACCEPTED, S.COMPLETED)
                    else MessageKind.DECLINED
                )
                body = "Welcome to the team." if kind == MessageKind.ACCEPTED else ""
                messages.append(self._message(app_id, rep, True, kind, body, app.decided))
            disputed = extra.get("disputed")
            if disputed:
                by_institution, at = disputed
                messages.append(
                    self._message(
                        app_id,
                        rep if by_institution else app.member,
                        by_institution,
                        MessageKind.MESSAGE,
                        "Completion disputed: the final report is not finished yet.",
                        at,
                    )
                )
            for from_institution, rating, at in extra.get("feedback", ()):
                feedback.append(
                    {
                        "application_id": app_id,
                        "author_id": rep if from_institution else app.member,
                        "from_institution": from_institution,
                        "rating": rating,
                        "comment": "",
                        "created_at": at,
                    }
                )
        _insert(ApplicationMessage.__table__, messages)
        _insert(EngagementFeedback.__table__, feedback)
        self.counts["applications"] += len(ids)
        self.counts["application_messages"] += len(messages)
        self.counts["feedback"] += len(feedback)

    def _message(self, app_id, author, from_institution, kind, body, at) -> dict:
        self.active.add((author, month_of(at)))
        return {
            "application_id": app_id,
            "author_id": author,
            "from_institution": from_institution,
            "kind": kind,
            "body": body,
            "created_at": at,
        }

    def _application_row(self, project: dict, app: _App) -> tuple[dict, tuple]:
        rng = self.rng
        audiences = self.member_audiences[app.member]
        shared = sorted(g for g in FIELD_GROUPS if audiences[g] >= int(Audience.APPLIED))
        accepted = app.status == S.ACCEPTED
        work_mode = project["work_mode"]
        if work_mode == WorkMode.HYBRID and rng.random() < 0.5:
            work_mode = rng.choice([WorkMode.REMOTE, WorkMode.ONSITE])
        available_from = None
        if rng.random() < 0.6:
            available_from = app.created.date() + timedelta(days=rng.randint(7, 40))
        row = {
            "project_id": project["id"],
            "member_id": app.member,
            "status": app.status,
            "motivation": "I have done similar work before and would like to help.",
            "available_from": available_from,
            "available_until": None,
            "hours_per_month": rng.choice([4, 6, 8, 10, 12, 16, 20, 30, 40])
            if accepted or rng.random() < 0.6
            else None,
            "work_mode": work_mode if accepted or rng.random() < 0.7 else None,
            "shared_profile": {"display_name": True, "groups": shared},
            "consented_at": app.created,
            "created_at": app.created,
            "updated_at": app.updated or app.created,
            "first_answered_at": app.first_answered,
            "decided_at": app.decided,
            "decided_by_id": self.rep_of[project["institution_id"]] if app.decided else None,
            "withdrawn_at": app.withdrawn,
            "completed_at": None,
            "member_completed_at": None,
            "institution_completed_at": None,
            "completion_disputed_at": None,
            "reminded_at": None,
        }
        self.active.add((app.member, month_of(app.created)))
        if app.withdrawn:
            self.active.add((app.member, month_of(app.withdrawn)))
        extra: dict = {}
        if accepted:
            self._engagement(row, project, app, extra)
        app.status = row["status"]
        return row, (project, app, extra)

    def _engagement(self, row: dict, project: dict, app: _App, extra: dict) -> None:
        """How an accepted engagement went: completed by one side, confirmed by the other or
        by the dispute period passing, or disputed back to accepted."""
        rng = self.rng
        decided = app.decided
        if row["available_from"] is not None:
            starts = max(row["available_from"], decided.date())
        else:
            starts = (decided + START_AFTER_ACCEPTANCE).date()
        start = datetime.combine(starts, datetime.min.time(), tzinfo=self.now.tzinfo)
        ends = start + timedelta(weeks=project["duration_weeks"] or 12)
        marked = ends + timedelta(hours=rng.randint(9, 240))
        if marked >= self.now or rng.random() < 0.2:
            return
        by_institution = rng.random() < 0.5
        first, second = (
            ("institution_completed_at", "member_completed_at")
            if by_institution
            else ("member_completed_at", "institution_completed_at")
        )
        disputed = marked + timedelta(hours=rng.randint(12, 300))
        if rng.random() < 0.07 and disputed < self.now:
            row.update(completion_disputed_at=disputed, updated_at=disputed)
            extra["disputed"] = (not by_institution, disputed)
            return
        row.update(status=S.COMPLETED, completed_at=marked, updated_at=marked)
        row[first] = marked
        confirmed = marked + timedelta(hours=rng.randint(1, 240))
        if rng.random() < 0.6 and confirmed < self.now:
            row[second] = row["updated_at"] = confirmed
        else:
            confirmed = marked + DISPUTE_PERIOD
        if confirmed < self.now:
            extra["feedback"] = [
                (side, rng.choice([3, 4, 4, 5, 5]), confirmed + timedelta(hours=rng.randint(1, 48)))
                for side in (False, True)
                if rng.random() < 0.4 and confirmed + timedelta(hours=49) < self.now
            ]

    # ------------------------------------------------------------------ search

    def _queue_indexing(self) -> None:
        """Queue what the app would index, as its change log would have: published projects
        and listed members (``flask search apply`` or the next search picks them up)."""
        changes = [
            {"index": PROJECTS, "doc_id": p["id"]}
            for p in self.projects
            if p["status"] == ProjectStatus.PUBLISHED
        ]
        changes += [{"index": EXPERTS, "doc_id": user_id} for user_id in self.listed_ids]
        _insert(SearchChange.__table__, changes)
