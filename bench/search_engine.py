"""Benchmark of the search engine layer on a synthetic, seeded corpus of projects.

``generate_projects(n, seed)`` builds realistic project documents (the dicts the app feeds to
``diaspora.search``) from word lists; the app-level benchmark imports it. Run as a script to
measure rebuild throughput, query latency and change-to-searchable latency::

    python bench/search_engine.py --docs 100000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COUNTRIES = [
    ("SN", "Senegal", ["Dakar", "Thiès", "Saint-Louis", "Ziguinchor"]),
    ("ML", "Mali", ["Bamako", "Sikasso", "Mopti", "Kayes"]),
    ("CI", "Côte d'Ivoire", ["Abidjan", "Bouaké", "Yamoussoukro", "Korhogo"]),
    ("CM", "Cameroon", ["Yaoundé", "Douala", "Bamenda", "Garoua"]),
    ("CD", "Congo, The Democratic Republic of the", ["Kinshasa", "Lubumbashi", "Goma"]),
    ("NG", "Nigeria", ["Lagos", "Abuja", "Kano", "Ibadan", "Enugu"]),
    ("GH", "Ghana", ["Accra", "Kumasi", "Tamale", "Cape Coast"]),
    ("KE", "Kenya", ["Nairobi", "Mombasa", "Kisumu", "Eldoret"]),
    ("ET", "Ethiopia", ["Addis Ababa", "Mekelle", "Bahir Dar", "Hawassa"]),
    ("ER", "Eritrea", ["Asmara", "Keren", "Massawa"]),
    ("SO", "Somalia", ["Mogadishu", "Hargeisa", "Kismayo"]),
    ("SD", "Sudan", ["Khartoum", "Omdurman", "Port Sudan"]),
    ("UG", "Uganda", ["Kampala", "Gulu", "Mbarara"]),
    ("RW", "Rwanda", ["Kigali", "Huye", "Musanze"]),
    ("TZ", "Tanzania, United Republic of", ["Dar es Salaam", "Arusha", "Mwanza"]),
    ("MZ", "Mozambique", ["Maputo", "Beira", "Nampula"]),
    ("AO", "Angola", ["Luanda", "Huambo", "Benguela"]),
    ("ZW", "Zimbabwe", ["Harare", "Bulawayo", "Mutare"]),
    ("MA", "Morocco", ["Rabat", "Casablanca", "Fès", "Marrakech"]),
    ("DZ", "Algeria", ["Alger", "Oran", "Constantine"]),
    ("TN", "Tunisia", ["Tunis", "Sfax", "Sousse"]),
    ("EG", "Egypt", ["Cairo", "Alexandria", "Aswan"]),
    ("HT", "Haiti", ["Port-au-Prince", "Cap-Haïtien", "Les Cayes"]),
    ("JM", "Jamaica", ["Kingston", "Montego Bay"]),
    ("CO", "Colombia", ["Bogotá", "Medellín", "Cali"]),
    ("PE", "Peru", ["Lima", "Cusco", "Arequipa"]),
    ("BO", "Bolivia, Plurinational State of", ["La Paz", "Cochabamba", "Sucre"]),
    ("LB", "Lebanon", ["Beirut", "Tripoli", "Sidon"]),
    ("SY", "Syrian Arab Republic", ["Damascus", "Aleppo", "Homs"]),
    ("AF", "Afghanistan", ["Kabul", "Herat", "Mazar-i-Sharif"]),
    ("PK", "Pakistan", ["Lahore", "Karachi", "Peshawar"]),
    ("BD", "Bangladesh", ["Dhaka", "Chittagong", "Sylhet"]),
    ("NP", "Nepal", ["Kathmandu", "Pokhara"]),
    ("LK", "Sri Lanka", ["Colombo", "Kandy", "Jaffna"]),
    ("PH", "Philippines", ["Manila", "Cebu", "Davao"]),
    ("VN", "Viet Nam", ["Hanoi", "Ho Chi Minh City", "Da Nang"]),
    ("AM", "Armenia", ["Yerevan", "Gyumri"]),
    ("UA", "Ukraine", ["Kyiv", "Lviv", "Odesa"]),
    ("AL", "Albania", ["Tirana", "Durrës", "Shkodër"]),
    ("BA", "Bosnia and Herzegovina", ["Sarajevo", "Mostar", "Tuzla"]),
]

SECTORS = {
    "health": (
        "Health",
        [
            "Cardiology",
            "Pediatrics",
            "Public health",
            "Epidemiology",
            "Nursing education",
            "Medical imaging",
            "Hospital management",
            "Maternal health",
            "Pharmacy",
            "Telemedicine",
            "General surgery",
            "Mental health",
            "Laboratory diagnostics",
            "Anesthesiology",
        ],
        [
            "hospital",
            "clinic",
            "patients",
            "nurses",
            "doctors",
            "diagnosis",
            "treatment",
            "santé",
            "vaccination",
            "maternity ward",
            "emergency care",
            "medical equipment",
        ],
    ),
    "education": (
        "Education",
        [
            "Curriculum design",
            "Teacher training",
            "Mathematics teaching",
            "Physics teaching",
            "E-learning",
            "Educational leadership",
            "Early childhood education",
            "Vocational training",
            "Library science",
        ],
        [
            "students",
            "teachers",
            "classrooms",
            "curriculum",
            "school",
            "lectures",
            "éducation",
            "exams",
            "scholarships",
            "textbooks",
        ],
    ),
    "agriculture": (
        "Agriculture and food security",
        [
            "Agronomy",
            "Irrigation",
            "Soil science",
            "Veterinary medicine",
            "Food processing",
            "Agricultural economics",
            "Seed systems",
            "Post-harvest management",
        ],
        [
            "farmers",
            "cooperatives",
            "crops",
            "harvest",
            "livestock",
            "smallholder farms",
            "rural communities",
            "food security",
            "fertilizer",
        ],
    ),
    "water": (
        "Water and sanitation",
        [
            "Hydrology",
            "Water engineering",
            "Sanitation planning",
            "Water quality testing",
            "Hydraulic modelling",
        ],
        ["boreholes", "water supply", "sanitation", "latrines", "wells", "water utility"],
    ),
    "energy": (
        "Energy",
        [
            "Solar energy",
            "Electrical engineering",
            "Mini-grid design",
            "Energy efficiency",
            "Power systems",
        ],
        ["solar panels", "electricity", "mini-grids", "power plant", "off-grid villages"],
    ),
    "ict": (
        "Digital and ICT",
        [
            "Python",
            "Data analysis",
            "Cloud infrastructure",
            "Cybersecurity",
            "Mobile development",
            "GIS",
            "Machine learning",
            "Database administration",
            "Network engineering",
            "Web development",
            "Open-source software",
        ],
        [
            "software",
            "servers",
            "database",
            "mobile app",
            "network",
            "data platform",
            "digital services",
            "computer lab",
            "information system",
        ],
    ),
    "finance": (
        "Finance and microcredit",
        [
            "Accounting",
            "Microfinance",
            "Financial audit",
            "Risk management",
            "Mobile money",
            "Investment analysis",
        ],
        ["loans", "savings groups", "microcredit", "budget", "audit", "financial inclusion"],
    ),
    "governance": (
        "Governance and public administration",
        [
            "Public policy",
            "Project management",
            "Monitoring and evaluation",
            "Procurement",
            "Statistics",
            "Urban planning",
        ],
        [
            "ministry",
            "municipality",
            "public services",
            "civil servants",
            "policy reform",
            "local government",
        ],
    ),
    "research": (
        "Research and higher education",
        [
            "Research methods",
            "Grant writing",
            "Scientific publishing",
            "Biostatistics",
            "Laboratory management",
            "PhD supervision",
        ],
        [
            "researchers",
            "laboratory",
            "publications",
            "doctoral students",
            "research grants",
            "université",
        ],
    ),
    "entrepreneurship": (
        "Entrepreneurship and SMEs",
        [
            "Business planning",
            "Marketing",
            "Export development",
            "Supply chain management",
            "Startup mentoring",
            "Fundraising",
        ],
        [
            "entrepreneurs",
            "startups",
            "small businesses",
            "incubator",
            "market access",
            "young founders",
        ],
    ),
    "law": (
        "Law and justice",
        ["Human rights law", "Commercial law", "Legal drafting", "Mediation", "Land rights"],
        ["courts", "legal aid", "lawyers", "legislation", "land disputes", "justice"],
    ),
    "environment": (
        "Environment and climate",
        [
            "Climate adaptation",
            "Forestry",
            "Waste management",
            "Environmental impact assessment",
            "Biodiversity conservation",
        ],
        ["climate change", "forests", "recycling", "coastal erosion", "drought", "biodiversity"],
    ),
}

ENGAGEMENT_MODES = [
    "mentoring",
    "short_mission",
    "long_term",
    "remote_advice",
    "teaching",
    "research_collaboration",
]
WORK_MODES = ["remote", "onsite", "hybrid"]
COMPENSATIONS = ["volunteer", "expenses", "stipend", "paid"]
LANGUAGES = ["en", "fr", "ar", "pt", "es", "sw", "am", "ha", "yo", "so", "ti", "uk", "bn", "ne"]

INSTITUTION_PATTERNS = [
    "{city} University Teaching Hospital",
    "Université de {city}",
    "Ministry of {sector} of {country}",
    "{city} Polytechnic Institute",
    "Hôpital Régional de {city}",
    "Centre de Santé Communautaire de {city}",
    "{country} Agricultural Research Institute",
    "{city} Water and Sewerage Company",
    "{city} Chamber of Commerce",
    "{city} Women Entrepreneurs Network",
    "National Statistics Office of {country}",
    "{city} School of Engineering",
    "Association des Médecins de {city}",
    "{city} Community Radio",
    "{country} Renewable Energy Agency",
    "{city} Legal Aid Clinic",
]

ROLES = [
    "advisor",
    "mentor",
    "trainer",
    "visiting lecturer",
    "consultant",
    "coordinator",
    "volunteer expert",
    "technical lead",
    "reviewer",
    "coach",
]

TITLE_PATTERNS = [
    "{skill} {role} for {institution}",
    "{role_cap} in {skill_lower} at {institution}",
    "Support our {topic} programme in {city}",
    "{skill} expertise needed for {topic} project",
    "Volunteer {role} to strengthen {topic} in {region}",
    "{skill}: {short_mission} with {institution}",
    "Help {institution} with {skill_lower}",
    "Remote {role} for {topic} in {country}",
]

SHORT_MISSIONS = [
    "two-week mission",
    "three-month assignment",
    "weekend workshops",
    "online mentoring programme",
    "summer school",
    "pilot project",
]

GOALS = [
    "strengthen local capacity",
    "improve the quality of services",
    "train a new generation of professionals",
    "reduce costs and delays",
    "reach rural and underserved communities",
    "build sustainable partnerships",
    "modernise outdated practices",
    "share knowledge between the diaspora and local teams",
    "support young professionals",
    "scale up a successful pilot",
]

PROBLEMS = [
    "qualified staff are scarce",
    "demand has doubled in five years",
    "equipment is often idle for lack of trained operators",
    "many graduates leave the country after their studies",
    "budgets are tight and donors expect measurable results",
    "the population is young and growing fast",
    "access is difficult during the rainy season",
    "recent reforms created new responsibilities",
]

ACTIVITIES = [
    "run hands-on workshops",
    "review existing procedures",
    "co-design a training plan",
    "supervise junior staff",
    "write practical guidelines",
    "set up a monitoring system",
    "mentor a small team",
    "prepare a funding proposal",
    "evaluate the first results",
    "organise a conference",
]

FILLER = [
    "The team is motivated and welcomes diaspora professionals who know the local context.",
    "Previous volunteers described the experience as demanding but very rewarding.",
    "Accommodation and local transport can be arranged with partner organisations.",
    "Knowledge of the local language is an asset but not required.",
    "The project is part of a wider development strategy supported by local authorities.",
    "Regular video calls keep remote contributors close to the work on the ground.",
    "Results will be shared openly so that other institutions can reuse them.",
    "We value patience, humility and the ability to listen to colleagues.",
    "Le projet vise à renforcer les capacités des équipes locales et des jeunes diplômés.",
    "Les candidats de la diaspora francophone sont particulièrement bienvenus.",
    "This opportunity suits professionals who want to give back to their community.",
    "Our partners include regional hospitals, universities and non-governmental organisations.",
]

WORK_MODE_PHRASES = {
    "remote": "The work can be done entirely online, with flexible hours.",
    "onsite": "The mission takes place on site; travel costs are discussed with the institution.",
    "hybrid": "The work combines remote preparation with one or two visits on site.",
}


def _institution(rng: random.Random, country: tuple) -> str:
    """Return a plausible institution name in ``country``, stable for a given generator."""
    code, name, cities = country
    sector_name = SECTORS[rng.choice(list(SECTORS))][0]
    return rng.choice(INSTITUTION_PATTERNS).format(
        city=rng.choice(cities), country=name.split(",")[0], sector=sector_name.split(" and ")[0]
    )


def _project(rng: random.Random, pid: int, now: datetime, today: date) -> dict:
    country = rng.choice(COUNTRIES)
    code, country_name, cities = country
    city = rng.choice(cities)
    sector = rng.choice(list(SECTORS))
    sector_name, sector_skills, topics = SECTORS[sector]
    skills = rng.sample(sector_skills, rng.randint(1, min(4, len(sector_skills))))
    if rng.random() < 0.3:
        other = SECTORS[rng.choice(list(SECTORS))][1]
        skills.append(rng.choice(other))
    skills = list(dict.fromkeys(skills))
    institution_index = COUNTRIES.index(country) + len(COUNTRIES) * rng.randrange(100)
    institution = _institution(random.Random(institution_index), country)
    skill = skills[0]
    role = rng.choice(ROLES)
    topic = rng.choice(topics)
    title = rng.choice(TITLE_PATTERNS).format(
        skill=skill,
        skill_lower=skill.lower(),
        role=role,
        role_cap=role.capitalize(),
        institution=institution,
        topic=topic,
        city=city,
        region=city + " region",
        country=country_name.split(",")[0],
        short_mission=rng.choice(SHORT_MISSIONS),
    )
    summary = (
        f"{institution} seeks a diaspora {role} in {skill.lower()} to "
        f"{rng.choice(GOALS)} ({rng.choice(topics)}, {city})."
    )
    work_mode = rng.choice(WORK_MODES)
    sentences = [
        f"{institution} in {city}, {country_name.split(',')[0]}, is looking for a diaspora "
        f"professional with experience in {', '.join(s.lower() for s in skills)}.",
        f"The project aims to {rng.choice(GOALS)} in the {city} region, where "
        f"{rng.choice(PROBLEMS)}.",
    ]
    for _ in range(rng.randint(3, 9)):
        kind = rng.random()
        if kind < 0.35:
            sentences.append(
                f"You will {rng.choice(ACTIVITIES)} with our {rng.choice(topics)} team and "
                f"{rng.choice(ACTIVITIES)}."
            )
        elif kind < 0.6:
            sentences.append(
                f"Experience with {rng.choice(sector_skills).lower()} and "
                f"{rng.choice(topics)} is welcome; we also need help to {rng.choice(GOALS)}."
            )
        elif kind < 0.75:
            sentences.append(
                f"Locally, {rng.choice(PROBLEMS)}, so the development of {rng.choice(topics)} "
                f"matters for the whole community."
            )
        else:
            sentences.append(rng.choice(FILLER))
    sentences.append(WORK_MODE_PHRASES[work_mode])
    published = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    deadline = None
    if rng.random() < 0.8:
        deadline = today + timedelta(days=rng.randrange(1, 180))
    languages = ["en"] if rng.random() < 0.7 else []
    languages += rng.sample(LANGUAGES, rng.randint(1, 2))
    return {
        "id": pid,
        "title": title,
        "summary": summary,
        "description": " ".join(sentences),
        "skills": skills,
        "institution": institution,
        "institution_id": institution_index + 1,
        "country": code,
        "country_name": country_name,
        "region": city,
        "sector": sector,
        "sector_name": sector_name,
        "engagement_mode": rng.choice(ENGAGEMENT_MODES),
        "work_mode": work_mode,
        "compensation": rng.choices(COMPENSATIONS, weights=[5, 3, 2, 2])[0],
        "languages": list(dict.fromkeys(languages)),
        "published_at": published,
        "deadline": deadline,
    }


def generate_projects(
    n: int, seed: int = 42, today: date | None = None, start_id: int = 1
) -> Iterator[dict]:
    """Yield ``n`` realistic project documents, identical for the same seed and day.

    Dates are relative to ``today`` (default: the current date) so that deadlines stay in the
    future and the "deadline within N days" filter has something to find.
    """
    rng = random.Random(seed)
    today = today or date.today()
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    for pid in range(start_id, start_id + n):
        yield _project(rng, pid, now, today)


QUERY_MIX = [
    "cardiology",
    "hydrology",
    "python",
    "microfinance",
    "teacher",
    "solar",
    "irrigation",
    "mediation",
    "vaccination",
    "GIS",
    "solar energy",
    "public health",
    "data analysis",
    "water supply",
    "teacher training",
    "climate adaptation",
    "mobile money",
    "hospital management",
    '"public health"',
    '"solar panels"',
    '"teacher training"',
    '"food security"',
    '"legal aid"',
    '"diaspora professional"',
    "diaspora",
    "project",
    "development",
    "professional",
    "local team",
    "experience",
    "community development",
    "help",
    "volunt*",
    "educat*",
    "helth",
    "cardiolgy",
    "irigation",
    "santé",
    "nurses OR doctors",
    "health -nurses",
    "",
    "",
]
FILTER_PATTERNS = [
    {},
    {"country": ["KE"]},
    {"sector": ["health"]},
    {"country": ["SN", "ML"], "work_mode": ["remote"]},
    {"compensation": ["volunteer"], "sector": ["education"]},
]


def query_plan(size: int = 200) -> list[dict]:
    """Return a fixed list of search calls mixing words, phrases, filters and sorts."""
    plan = []
    for i in range(size):
        text = QUERY_MIX[i % len(QUERY_MIX)]
        call = {
            "text": text,
            "filters": FILTER_PATTERNS[(i // len(QUERY_MIX) + i) % 3],
            "sort": "relevance",
        }
        if i % 9 == 4:
            call["filters"] = FILTER_PATTERNS[3 + i % 2]
        if i % 5 == 3:
            call["sort"] = "newest"
        elif i % 7 == 5:
            call["sort"] = "deadline"
        if i % 6 == 2:
            call["deadline_within_days"] = 30
        plan.append(call)
    return plan


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _cpu_seconds() -> float:
    """CPU time used by this process and its finished children (the indexing workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _update_later(path: str, doc: dict, started) -> None:
    """Apply one update from another process, recording when it started."""
    from diaspora.search import ProjectIndex

    index = ProjectIndex(path)
    started.value = time.time()
    index.update([doc])
    index.close()


def _change_latency(index, path: str, doc: dict) -> float:
    """Seconds from the start of an update in another process until a search here sees it."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    started = context.Value("d", 0.0)
    process = context.Process(target=_update_later, args=(path, doc, started))
    process.start()
    deadline = time.time() + 60
    seen = None
    while time.time() < deadline:
        if started.value and index.search("zanzibarite").total:
            seen = time.time()
            break
        time.sleep(0.005)
    process.join()
    if seen is None:
        raise RuntimeError("the update never became searchable")
    return seen - started.value


def run(n: int, seed: int, base: Path, passes: int) -> dict[str, float]:
    """Rebuild an index of ``n`` projects and measure it; return the figures."""
    from diaspora.search import ProjectIndex

    docs = list(generate_projects(n, seed))
    path = base / f"projects-{n}"
    index = ProjectIndex(path)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    index.rebuild(iter(docs), total=n)
    rebuild_seconds = time.perf_counter() - started
    rebuild_cpu = _cpu_seconds() - cpu_before
    started = time.perf_counter()
    index.warm()
    warm_seconds = time.perf_counter() - started
    plan = query_plan()
    cold, warm, cpu = [], [], []
    for round_number in range(passes + 1):
        for call in plan:
            started, started_cpu = time.perf_counter(), time.process_time()
            index.search(**call)
            elapsed = (time.perf_counter() - started) * 1000
            (cold if round_number == 0 else warm).append(elapsed)
            if round_number:
                cpu.append((time.process_time() - started_cpu) * 1000)
    changed = dict(docs[n // 2], title="Zanzibarite survey of coastal clinics")
    latency = _change_latency(index, str(path), changed)
    index.close()
    return {
        "docs": n,
        "rebuild_docs_per_s": n / rebuild_seconds,
        "rebuild_cpu_ms_per_doc": rebuild_cpu / n * 1000,
        "warm_up_s": warm_seconds,
        "query_cold_p50_ms": _percentile(cold, 0.5),
        "query_cold_p95_ms": _percentile(cold, 0.95),
        "query_cold_max_ms": max(cold),
        "query_p50_ms": _percentile(warm, 0.5),
        "query_p95_ms": _percentile(warm, 0.95),
        "query_max_ms": max(warm),
        "query_cpu_p50_ms": _percentile(cpu, 0.5),
        "query_cpu_p95_ms": _percentile(cpu, 0.95),
        "change_to_searchable_ms": latency * 1000,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="corpus size to measure")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--passes", type=int, default=3, help="warm passes over the query mix")
    parser.add_argument("--dir", help="where to build the indexes (default: a temporary dir)")
    args = parser.parse_args(argv)
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="search-bench-"))
    sizes = sorted({min(10_000, args.docs), args.docs})
    print(f"# load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    try:
        for n in sizes:
            figures = run(n, args.seed, base, args.passes)
            print(f"# {n} documents, {len(query_plan())} queries per pass", flush=True)
            for name, value in figures.items():
                print(f"{name}: {value:.1f}" if isinstance(value, float) else f"{name}: {value}")
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
