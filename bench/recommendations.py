"""Benchmark recommendations: a representative's "recommended experts" for a project and a
member's "projects that need your expertise", on a generated network.

Builds a migrated SQLite database in a temporary directory (or uses ``--database-url``,
e.g. a throwaway PostgreSQL), with N listed members (skills from a pool of 40, one or two
sectors, origin countries, languages, travel windows, most groups shown to signed-in people) and P
published projects of 20 verified institutions, then times ``experts_for`` and
``recommended_projects`` as the pages call them. The last lines are ``name: value`` pairs
(milliseconds: p50 and p95).

    python bench/recommendations.py --members 5000 --projects 500
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.models import (  # noqa: E402
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    Profile,
    ProfileLanguage,
    ProfileSkill,
    Project,
    ProjectStatus,
    Role,
    Skill,
    TravelWindow,
    User,
)
from diaspora.models.base import utcnow  # noqa: E402
from diaspora.models.profile import DEFAULT_AUDIENCES, Audience, Proficiency, SkillKind  # noqa: E402
from diaspora.models.project import Compensation, EngagementMode, WorkMode  # noqa: E402
from diaspora.services import recommendations  # noqa: E402

SECTORS = ["health", "education", "water_sanitation", "energy", "agriculture", "ict"]
COUNTRIES = ["ET", "GH", "SN", "NG", "KE", "RW", "MA", "CO", "BR", "VN"]
LANGUAGES = ["en", "fr", "am", "ar", "pt", "es", "sw"]
MODES = [mode.value for mode in EngagementMode]
AUDIENCES = (Audience.APPLIED, Audience.SIGNED_IN, Audience.SIGNED_IN, Audience.PUBLIC)
NO_LOGIN = "-"  # a hash no password matches: nobody logs in as a generated person


def populate(members: int, projects: int, seed: int) -> tuple[list[int], list[int]]:
    """Insert the network; return (project ids, member ids)."""
    rng = random.Random(seed)
    now = utcnow()
    today = now.date()
    skills = [Skill(name=f"Skill {n}", key=f"skill {n}", curated=True) for n in range(40)]
    db.session.add_all(skills)
    institutions, reps = [], []
    for n in range(20):
        institution = Institution(
            name=f"Institution {n}",
            kind=InstitutionType.HOSPITAL,
            country=COUNTRIES[n % len(COUNTRIES)],
            city="Capital",
            status=InstitutionStatus.VERIFIED,
        )
        rep = User(
            name=f"Rep {n}",
            email=f"rep{n}@bench.example",
            role=Role.INSTITUTION,
            password_hash=NO_LOGIN,
            email_confirmed_at=now,
        )
        institutions.append(institution)
        reps.append(rep)
    db.session.add_all(institutions + reps)
    db.session.flush()
    db.session.add_all(
        InstitutionRepresentative(institution_id=i.id, user_id=r.id)
        for i, r in zip(institutions, reps, strict=True)
    )
    project_rows = []
    for n in range(projects):
        institution = institutions[n % len(institutions)]
        project = Project(
            institution_id=institution.id,
            title=f"Project {n}",
            summary="A generated project.",
            description="A generated project for the benchmark.",
            country=institution.country,
            region="Capital",
            sector=rng.choice(SECTORS),
            engagement_mode=EngagementMode(rng.choice(MODES)),
            work_mode=WorkMode.HYBRID,
            languages=rng.sample(LANGUAGES, 1),
            start_date=today + timedelta(days=rng.randrange(20, 120)),
            duration_weeks=4,
            deadline=today + timedelta(days=rng.randrange(5, 60)),
            places=3,
            compensation=Compensation.EXPENSES,
            contact_name="Dr Ama Owusu",
            status=ProjectStatus.PUBLISHED,
            submitted_at=now,
            published_at=now - timedelta(days=rng.randrange(0, 30)),
        )
        project.skills = rng.sample(skills, 3)
        project_rows.append(project)
    db.session.add_all(project_rows)
    db.session.flush()
    member_ids = []
    for start in range(0, members, 1000):
        batch = []
        for uid in range(start, min(start + 1000, members)):
            user = User(
                name=f"Member {uid}",
                email=f"m{uid}@bench.example",
                role=Role.MEMBER,
                password_hash=NO_LOGIN,
                email_confirmed_at=now,
            )
            profile = Profile(
                user=user,
                display_name=f"Member {uid}",
                headline="Generated member",
                origin_country=rng.choice(COUNTRIES),
                residence_country="FR",
                sectors=rng.sample(SECTORS, rng.choice((1, 2))),
                engagement_modes=rng.sample(MODES, 2),
                availability_hours=rng.choice((None, 5, 10, 20)),
                # Listed members mostly show their groups to signed-in people; some keep a
                # group for the institutions they applied to.
                audiences={group: rng.choice(AUDIENCES) for group in DEFAULT_AUDIENCES},
                listed=True,
            )
            profile.skill_links = [
                ProfileSkill(skill=skill, kind=SkillKind.HAVE) for skill in rng.sample(skills, 4)
            ]
            profile.languages = [
                ProfileLanguage(code=code, proficiency=Proficiency.PROFESSIONAL)
                for code in rng.sample(LANGUAGES, 2)
            ]
            if rng.random() < 0.3:
                begin = today + timedelta(days=rng.randrange(10, 90))
                profile.travel_windows = [
                    TravelWindow(
                        country=rng.choice(COUNTRIES), start=begin, end=begin + timedelta(days=20)
                    )
                ]
            batch += [user, profile]
        db.session.add_all(batch)
        db.session.flush()
        member_ids += [row.id for row in batch if isinstance(row, User)]
    db.session.commit()
    return [p.id for p in project_rows], member_ids


def timed(action, rounds: int) -> tuple[float, float, int]:
    """(p50 ms, p95 ms, result size of the last call)."""
    times, size = [], 0
    for i in range(rounds):
        db.session.expire_all()
        started = time.perf_counter()
        size = len(action(i))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="diaspora-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "SEARCH_INDEX_DIR": str(Path(tmp) / "search"),
                "MAIL_FILE_DIR": str(Path(tmp) / "mail"),
                "SERVER_NAME": "bench.example",
                "MAIL_SERVER": "",
            }
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            project_ids, member_ids = populate(args.members, args.projects, args.seed)
            print(
                f"generated {args.members} members, {args.projects} projects in "
                f"{time.perf_counter() - started:.1f} s on {db.engine.dialect.name}"
            )
            rep_of = dict(
                db.session.execute(
                    sa.select(
                        InstitutionRepresentative.institution_id, InstitutionRepresentative.user_id
                    )
                ).all()
            )

            def experts(i):
                project = db.session.get(Project, project_ids[i % len(project_ids)])
                rep = db.session.get(User, rep_of[project.institution_id])
                return recommendations.experts_for(rep, project)

            def projects_for_member(i):
                return recommendations.recommended_projects(
                    db.session.get(User, member_ids[(i * 97) % len(member_ids)])
                )

            figures = {}
            for name, action in (("experts_for", experts), ("projects_for", projects_for_member)):
                p50, p95, size = timed(action, args.rounds)
                figures[f"{name}_p50_ms"] = round(p50, 1)
                figures[f"{name}_p95_ms"] = round(p95, 1)
                figures[f"{name}_last_count"] = size
            db.session.remove()
            db.engine.dispose()
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
