"""Demonstration data: a small, realistic network to click through. Safe to load again."""

import random
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

from diaspora.demo_profiles import load_institutions, load_profiles
from diaspora.extensions import db
from diaspora.models import (
    Compensation,
    EngagementMode,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    Invitation,
    Project,
    ProjectStatus,
    Role,
    Skill,
    User,
    WorkMode,
)
from diaspora.models.base import utcnow
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
    ("aminata.sow@demo.diaspora.example", "Aminata Sow", Role.INSTITUTION),
    ("jorge.quispe@demo.diaspora.example", "Jorge Quispe Mamani", Role.INSTITUTION),
    ("celso.machava@demo.diaspora.example", "Celso Machava", Role.INSTITUTION),
    ("youssef.elamrani@demo.diaspora.example", "يوسف العمراني", Role.INSTITUTION),
]
# The interface language of the demo accounts that do not read the site in English.
ACCOUNT_LANGUAGES = {
    "aminata.sow@demo.diaspora.example": "fr",
    "jorge.quispe@demo.diaspora.example": "es",
    "celso.machava@demo.diaspora.example": "pt",
    "youssef.elamrani@demo.diaspora.example": "ar",
}


def load() -> Iterator[str]:
    """Create the demo accounts that do not exist yet, and describe the logins."""
    created = 0
    for email, name, role in ACCOUNTS:
        if accounts.find_by_email(email) is None:
            user = accounts.create_user(name, email, DEMO_PASSWORD, role)
            if email in ACCOUNT_LANGUAGES:
                user.language = ACCOUNT_LANGUAGES[email]
            created += 1
    db.session.flush()
    skills = load_skills_taxonomy().created
    new_profiles = load_profiles()
    institutions = load_institutions()
    db.session.commit()
    yield from load_projects()
    yield from load_projects_in_other_languages()
    yield from load_invitations()
    yield from load_history()
    yield from refresh_figures()
    yield f"Skills: {skills} new; profiles: {new_profiles} new; institutions: {institutions} new."
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
    "Centre hospitalier universitaire de Fann": (
        InstitutionType.HOSPITAL,
        "SN",
        "Dakar",
        "aminata.sow@demo.diaspora.example",
    ),
    "Universidad Mayor de San Andrés": (
        InstitutionType.UNIVERSITY,
        "BO",
        "La Paz",
        "jorge.quispe@demo.diaspora.example",
    ),
    "Universidade Eduardo Mondlane": (
        InstitutionType.UNIVERSITY,
        "MZ",
        "Maputo",
        "celso.machava@demo.diaspora.example",
    ),
    "المركز الاستشفائي الجامعي ابن سينا": (
        InstitutionType.HOSPITAL,
        "MA",
        "الرباط",
        "youssef.elamrani@demo.diaspora.example",
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
            "skills": ["Cardiology", "Paediatrics"],
        },
    ),
    (
        "Korle Bu Teaching Hospital",
        ProjectStatus.PUBLISHED,
        {
            "title": "Epidemiology support for the sickle cell registry",
            "summary": "Help our team clean, analyse and publish ten years of sickle cell "
            "registry data, remotely.",
            "description": "The hospital keeps a registry of more than 4,000 patients with "
            "sickle cell disease. We need an epidemiologist to advise on data cleaning, "
            "survival analysis and a first publication. Two video calls a month.",
            "region": "Accra",
            "sector": "health",
            "engagement_mode": EngagementMode.RESEARCH,
            "work_mode": WorkMode.REMOTE,
            "compensation": Compensation.VOLUNTEER,
            "duration_weeks": 24,
            "places": 1,
            "languages": ["en"],
            "contact_name": "Dr Kofi Boateng",
            "contact_role": "Research coordinator",
            "skills": ["Epidemiology"],
        },
    ),
    (
        "University of Rwanda",
        ProjectStatus.PUBLISHED,
        {
            "title": "Hydrology field course in the Nyabarongo basin",
            "summary": "Co-teach a two-week hydrology and GIS field course with our "
            "master's students.",
            "description": "Students measure river flow and map catchments around the "
            "Nyabarongo. We are looking for a hydrologist to prepare the course remotely and "
            "join us in the field for two weeks. Travel and lodging are covered, plus a stipend.",
            "region": "Kigali",
            "sector": "water_sanitation",
            "engagement_mode": EngagementMode.SHORT_MISSION,
            "work_mode": WorkMode.ONSITE,
            "compensation": Compensation.STIPEND,
            "duration_weeks": 2,
            "places": 2,
            "languages": ["en", "fr"],
            "contact_name": "Dr Claudine Uwera",
            "contact_role": "Programme lead, water engineering",
            "skills": ["Hydrology", "GIS for water networks"],
        },
    ),
    (
        "University of Rwanda",
        ProjectStatus.PUBLISHED,
        {
            "title": "Curriculum review for secondary teacher training",
            "summary": "Review our teacher-training curriculum for science subjects and "
            "mentor two lecturers.",
            "description": "The College of Education is revising its science teacher "
            "curriculum. An experienced teacher trainer would review the modules, suggest "
            "practical activities and mentor two lecturers over video.",
            "region": "Rukara",
            "sector": "education",
            "engagement_mode": EngagementMode.REMOTE_ADVICE,
            "work_mode": WorkMode.REMOTE,
            "compensation": Compensation.VOLUNTEER,
            "duration_weeks": 12,
            "places": 1,
            "languages": ["fr", "en"],
            "contact_name": "Prof. Jeanne Mukamurenzi",
            "contact_role": "Head of curriculum",
            "skills": ["Curriculum development", "Teacher training"],
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


# Published listings written in French, Spanish, Portuguese and Arabic (``written_in``): search
# reads each in its own language ("infirmière" finds "infirmières" for a French reader).
DEMO_PROJECTS_IN_OTHER_LANGUAGES = [
    (
        "Centre hospitalier universitaire de Fann",
        ProjectStatus.PUBLISHED,
        {
            "written_in": "fr",
            "title": "Formation des infirmières en soins néonatals",
            "summary": "Des ateliers en ligne et une semaine de formation pratique à Dakar pour "
            "les infirmières de notre service de néonatologie.",
            "description": "Notre service de néonatologie accueille plus de 2 000 nouveau-nés "
            "par an. Nous cherchons une infirmière ou un infirmier de la diaspora sénégalaise, "
            "spécialisé en soins néonatals, pour animer un atelier mensuel en ligne pendant "
            "six mois : réanimation du nouveau-né, méthode kangourou, prévention des "
            "infections.\n\nSi vous pouvez venir une semaine à Dakar, l'hôpital prend en "
            "charge le logement et les repas.",
            "region": "Dakar",
            "sector": "health",
            "engagement_mode": EngagementMode.TEACHING,
            "work_mode": WorkMode.HYBRID,
            "compensation": Compensation.EXPENSES,
            "duration_weeks": 26,
            "places": 2,
            "languages": ["fr"],
            "contact_name": "Aminata Sow",
            "contact_role": "Cadre supérieure de santé",
            "skills": ["Nursing", "Neonatal care"],
        },
    ),
    (
        "Universidad Mayor de San Andrés",
        ProjectStatus.PUBLISHED,
        {
            "written_in": "es",
            "title": "Sistemas solares para escuelas rurales del altiplano",
            "summary": "Asesoría a distancia para diseñar instalaciones fotovoltaicas en diez "
            "escuelas rurales cerca del lago Titicaca.",
            "description": "Nuestra Facultad de Ingeniería acompaña a diez escuelas rurales "
            "del altiplano que no tienen conexión a la red eléctrica. Buscamos una ingeniera "
            "o un ingeniero de la diáspora boliviana con experiencia en energía solar para "
            "revisar los diseños de nuestros estudiantes y formar a los técnicos locales en "
            "el mantenimiento de las baterías.\n\nDos videollamadas al mes durante un "
            "semestre.",
            "region": "La Paz",
            "sector": "energy",
            "engagement_mode": EngagementMode.REMOTE_ADVICE,
            "work_mode": WorkMode.REMOTE,
            "compensation": Compensation.VOLUNTEER,
            "duration_weeks": 20,
            "places": 1,
            "languages": ["es"],
            "contact_name": "Ing. Jorge Quispe Mamani",
            "contact_role": "Coordinador de proyectos de extensión",
            "skills": ["Solar photovoltaic design", "Off-grid and mini-grid systems"],
        },
    ),
    (
        "Universidade Eduardo Mondlane",
        ProjectStatus.PUBLISHED,
        {
            "written_in": "pt",
            "title": "Formação de professores de matemática do ensino secundário",
            "summary": "Um curso intensivo de duas semanas em Maputo para professores de "
            "matemática das escolas secundárias da província.",
            "description": "A Faculdade de Educação organiza todos os anos um curso de "
            "actualização para sessenta professores de matemática. Procuramos docentes da "
            "diáspora moçambicana para preparar e dar módulos sobre o ensino da álgebra e da "
            "estatística, com materiais que os professores possam usar nas suas aulas.\n\n"
            "A universidade cobre a viagem e o alojamento durante as duas semanas.",
            "region": "Maputo",
            "sector": "education",
            "engagement_mode": EngagementMode.TEACHING,
            "work_mode": WorkMode.ONSITE,
            "compensation": Compensation.EXPENSES,
            "duration_weeks": 2,
            "places": 3,
            "languages": ["pt"],
            "contact_name": "Prof. Celso Machava",
            "contact_role": "Director do Departamento de Matemática",
            "skills": ["Teacher training", "Mathematics teaching"],
        },
    ),
    (
        "المركز الاستشفائي الجامعي ابن سينا",
        ProjectStatus.PUBLISHED,
        {
            "written_in": "ar",
            "title": "تدريب الممرضات على رعاية صحة الأم والطفل",
            "summary": "دورات تدريبية عن بعد وأسبوع من التدريب الميداني في الرباط لفائدة "
            "ممرضات قسم الولادة.",
            "description": "يستقبل قسم الولادة في مستشفانا آلاف النساء كل سنة. نبحث عن "
            "ممرضة أو قابلة من مغاربة العالم لتقديم دورة تدريبية شهرية عبر الإنترنت لمدة "
            "ستة أشهر حول متابعة الحمل والرضاعة الطبيعية ورعاية المولود الجديد.\n\n"
            "يتكفل المستشفى بالإقامة خلال أسبوع التدريب في الرباط.",
            "region": "الرباط",
            "sector": "health",
            "engagement_mode": EngagementMode.TEACHING,
            "work_mode": WorkMode.HYBRID,
            "compensation": Compensation.EXPENSES,
            "duration_weeks": 26,
            "places": 2,
            "languages": ["ar", "fr"],
            "contact_name": "يوسف العمراني",
            "contact_role": "رئيس مصلحة العلاجات التمريضية",
            "skills": ["Nursing", "Midwifery", "Maternal and child health"],
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
    yield f"Demo projects ready ({_create_projects(DEMO_PROJECTS)} new project(s))."


def load_projects_in_other_languages() -> Iterator[str]:
    """Published demo projects written in French, Spanish, Portuguese and Arabic."""
    created = _create_projects(DEMO_PROJECTS_IN_OTHER_LANGUAGES)
    yield f"Demo projects in other languages ready ({created} new)."


def _create_projects(listings) -> int:
    from diaspora.services.projects import screen_project

    created = 0
    for institution_name, status, fields in listings:
        institution = _demo_institution(institution_name)
        exists = db.session.scalar(
            sa.select(Project.id).where(
                Project.institution_id == institution.id, Project.title == fields["title"]
            )
        )
        if exists is not None:
            continue
        now = utcnow()
        fields = dict(fields)
        skill_names = fields.pop("skills", [])
        project = Project(
            institution=institution,
            country=institution.country,
            status=status,
            deadline=now.date() + timedelta(days=45),
            **fields,
        )
        project.skills = list(
            db.session.scalars(sa.select(Skill).where(Skill.name.in_(skill_names)))
        )
        if status != ProjectStatus.DRAFT:
            project.submitted_at = now
            screen_project(project)
        if status == ProjectStatus.PUBLISHED:
            project.published_at = now
        db.session.add(project)
        created += 1
    db.session.commit()
    return created


def load_invitations() -> Iterator[str]:
    """One invitation, from a demo institution to the member who best fits one of its
    published projects (from what that member shows it), when there is none yet."""
    from diaspora.services import invitations, permissions, recommendations

    if db.session.scalar(sa.select(Invitation.id).limit(1)) is not None:
        yield "Demo invitation ready (already there)."
        return
    published = db.session.scalars(
        sa.select(Project).where(Project.status == ProjectStatus.PUBLISHED).order_by(Project.id)
    )
    for project in published:
        for rep in permissions.representatives(project.institution_id):
            experts = [e for e in recommendations.experts_for(rep, project) if e.takes_invitations]
            if experts:
                invitations.invite(
                    rep, project, experts[0].user_id, "Your experience fits this project well."
                )
                db.session.commit()
                yield f"Demo invitation ready: {experts[0].name} is invited to {project.title}."
                return
    yield "No demo member fits a published project yet: no demo invitation."


def refresh_figures() -> Iterator[str]:
    """Compute the impact figures, so the dashboard and the public page show the demo data
    at once."""
    from diaspora.services import impact

    computed = impact.refresh()
    db.session.commit()
    yield f"Impact figures computed as of {computed:%Y-%m-%d %H:%M} UTC."


# The generated year of history: enough for every chart and table of the impact dashboard,
# and for the public page to show countries with five or more engagements.
HISTORY_SIZE = {"members": 220, "institutions": 25, "projects": 80, "applications": 900}
HISTORY_SEED = 2026


def load_history() -> Iterator[str]:
    """A year of generated network history, the first time only."""
    from diaspora.demo_history import EMAIL_DOMAIN, generate
    from diaspora.services.follow_ups import seed_demo_answers

    exists = db.session.scalar(
        sa.select(User.id).where(User.email.endswith("@" + EMAIL_DOMAIN)).limit(1)
    )
    if exists is not None:
        yield "Generated history ready (already there)."
        return
    now = utcnow()
    generated = generate(**HISTORY_SIZE, seed=HISTORY_SEED, now=now)
    follow_ups = seed_demo_answers(random.Random(HISTORY_SEED), now)
    db.session.commit()
    yield f"Generated a year of history in {generated.seconds:.1f} s ({generated})."
    yield (
        f"Follow-ups: {follow_ups.asked} asked, {follow_ups.answered} answered "
        f"({follow_ups.skipped} with nobody left to ask)."
    )
