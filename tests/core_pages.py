"""The pages of the core loop, each with the person who opens it, over realistic data: a full
profile with many skills, a project with a long description and many applicants' worth of
records, a search page of results, coordinators' queues with several rows.

Shared by the page checks that need no browser (labels, ids, destructive buttons, page
weight) and by the browser checks (axe, phone layout)."""

from dataclasses import dataclass
from datetime import timedelta

from diaspora.extensions import db
from diaspora.models import InstitutionStatus, ProjectStatus, Role, User
from diaspora.models.base import utcnow
from diaspora.services import (
    applications,
    discovery,
    impact,
    interviews,
    invitations,
    moderation,
    profiles,
    saved_projects,
)
from diaspora.services.applications import Engagement
from diaspora.services.discovery import ProjectSearch
from diaspora.services.indexing import indexer
from diaspora.services.notifications import Frequency
from tests.factories import (
    MOTIVATION,
    filled_profile,
    make_institution,
    make_network,
    make_project,
    make_remote_project,
    new_user,
)

SKILLS = [
    "Python",
    "Epidemiology",
    "Neonatal care",
    "Laboratory quality",
    "Project management",
    "Hydrology",
    "Solar energy",
    "Grid design",
    "Teaching",
    "Statistics",
    "Public health",
    "Curriculum design",
]
LONG_DESCRIPTION = "\n\n".join(
    f"Part {n}. Our neonatal unit admits about forty babies a week and the nurses ask for "
    "hands-on teaching in resuscitation, thermal care, feeding plans and infection control. "
    "You would work beside our senior nurses on the ward and in the skills room."
    for n in range(1, 13)
)


@dataclass
class World:
    """The people (users, detached from the session with what signing in needs loaded) and
    the ids of the records the pages show."""

    coordinator: User
    rep: User
    member: User
    applicant: User
    institution: int
    unverified: int
    project: int
    pending_project: int
    application: int
    engagement: int


def build() -> World:
    """Everyone and everything the core pages show, with every search index rebuilt (tests
    that use it are marked ``search_index``)."""
    coordinator = new_user(Role.COORDINATOR, name="Selam Coordinator", email="coord@example.org")
    rep = new_user(Role.INSTITUTION, name="Ama Owusu", email="rep@kbth.example")
    member = new_user(name="Hiwot Tesfaye", email="hiwot@example.org")
    applicant = new_user(name="Yonas Bekele", email="yonas@example.org")
    institution = make_institution(rep)
    pending_rep = new_user(Role.INSTITUTION, name="Kofi Mensah", email="kofi@uhas.example")
    pending_institution = make_institution(
        pending_rep, status=InstitutionStatus.PENDING, name="University of Health Sciences"
    )
    profiles.load_skills_taxonomy()
    today = utcnow().date()
    project = make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        description=LONG_DESCRIPTION,
        places=3,
        start_date=today + timedelta(days=60),
        skills=[profiles.find_or_create_skill(name) for name in SKILLS[:6]],
    )
    others = [
        make_project(
            institution,
            status=ProjectStatus.PUBLISHED,
            title=f"Neonatal nurse mentoring, cohort {n}",
            summary="Monthly calls with nurses who lead the neonatal unit's training.",
        )
        for n in range(1, 9)
    ]
    pending_project = make_project(
        institution, status=ProjectStatus.PENDING, title="Laboratory accreditation support"
    )

    filled_profile(member, listed=True, public=True)
    for n, name in enumerate(SKILLS):
        profiles.add_skill(member, name, "have" if n % 3 else "develop")
    profiles.add_language(member, "am", "native")
    profiles.add_language(member, "fr", "professional")
    profiles.add_education(member, "MSc", "Epidemiology", "Addis Ababa University", 2012)
    filled_profile(applicant, listed=True)
    db.session.commit()

    application, _ = applications.apply(member, project, MOTIVATION, Engagement())
    declined, _ = applications.apply(member, others[0], MOTIVATION, Engagement())
    db.session.commit()
    applications.decide(rep, declined, "decline", "We chose someone nearer to Accra.")
    # The member's application is shortlisted with interview times proposed; the applicant is
    # engaged, since last week, on another project; the member is invited to a third.
    applications.decide(rep, application, "shortlist", "We would like to talk with you.")
    soon = (utcnow() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    interviews.propose(
        rep,
        application,
        [soon.replace(tzinfo=None), (soon + timedelta(days=1)).replace(tzinfo=None)],
        "Africa/Accra",
        45,
        "Korle Bu Teaching Hospital, training room 2",
    )
    invitations.invite(rep, others[4], member.id, "Your teaching would help our nurses.")
    engagement, _ = applications.apply(
        applicant, others[5], MOTIVATION, Engagement(available_from=today - timedelta(days=7))
    )
    db.session.commit()
    applications.decide(rep, engagement, "accept", "Welcome to the team.")
    saved_projects.save(member, others[1])
    discovery.save_search(member, ProjectSearch(query="neonatal"), Frequency.WEEKLY)
    moderation.report_project(member, others[2], "misleading", "The dates do not add up.")
    moderation.report_project(applicant, others[3], "fees", "They ask for a fee.")
    db.session.commit()
    impact.refresh()  # the impact pages show their figures, not "not computed yet"
    db.session.commit()
    # A followed network with more matching projects than the search page shows of them.
    network = make_network(name="East African Diaspora Health Network")
    for n in range(1, 8):
        make_remote_project(
            network,
            title=f"Neonatal resuscitation teaching at a district hospital, group {n}",
            summary="Teach newborn resuscitation and thermal care to the midwives and nurses.",
            institution_name="Mbarara Regional Referral Hospital",
            country="UG",
        )
    for name in indexer.INDEXES:
        indexer.rebuild(name)
    world = World(
        coordinator,
        rep,
        member,
        applicant,
        institution.id,
        pending_institution.id,
        project.id,
        pending_project.id,
        application.id,
        engagement.id,
    )
    for user in (coordinator, rep, member, applicant):
        db.session.refresh(user)
    db.session.expunge_all()
    return world


REVIEW = "/coordination/projects"

# (name, who opens it, path from the world). Who: None for a visitor, else a World attribute.
PAGES = [
    ("home", None, lambda w: "/"),
    ("search", None, lambda w: "/search?q=neonatal"),
    ("partner search", None, lambda w: "/search?q=neonatal&source=partners"),
    ("signup", None, lambda w: "/signup"),
    ("login", None, lambda w: "/login"),
    ("project as visitor", None, lambda w: f"/projects/{w.project}"),
    ("institution page", None, lambda w: f"/institutions/{w.institution}"),
    ("project as member", "applicant", lambda w: f"/projects/{w.project}"),
    ("invitations", "member", lambda w: "/invitations"),
    ("completion", "applicant", lambda w: f"/applications/{w.engagement}/complete"),
    ("apply form", "applicant", lambda w: f"/projects/{w.project}/apply"),
    ("applications dashboard", "member", lambda w: "/applications"),
    ("application, member side", "member", lambda w: f"/applications/{w.application}"),
    ("profile edit", "member", lambda w: "/profile"),
    ("profile languages", "member", lambda w: "/profile/languages"),
    ("profile skills", "member", lambda w: "/profile/skills"),
    ("privacy settings", "member", lambda w: "/profile/privacy"),
    ("travel windows", "member", lambda w: "/profile/travel"),
    ("account", "member", lambda w: "/account"),
    ("delete account", "member", lambda w: "/account/delete"),
    ("notifications", "member", lambda w: "/notifications/"),
    ("saved projects", "member", lambda w: "/projects/saved"),
    ("saved searches", "member", lambda w: "/search/saved"),
    ("project as representative", "rep", lambda w: f"/projects/{w.project}"),
    ("experts search", "rep", lambda w: "/experts?q=epidemiology"),
    ("recommended experts", "rep", lambda w: f"/projects/{w.project}/experts"),
    ("inbox", "rep", lambda w: "/applications/inbox"),
    ("application, institution side", "rep", lambda w: f"/applications/{w.application}"),
    ("coordinator queue", "coordinator", lambda w: "/coordination/queue"),
    ("institutions to verify", "coordinator", lambda w: "/institutions/pending"),
    ("accounts", "coordinator", lambda w: "/coordination/users"),
    ("network freshness", "coordinator", lambda w: "/coordination/freshness"),
    ("project review", "coordinator", lambda w: f"{REVIEW}/{w.pending_project}/review"),
    ("published project review", "coordinator", lambda w: f"{REVIEW}/{w.project}/review"),
    ("institution review", "coordinator", lambda w: f"/institutions/{w.unverified}/review"),
    ("impact dashboard", "coordinator", lambda w: "/coordination/impact"),
    ("public impact", None, lambda w: "/impact"),
    ("open data and API", None, lambda w: "/developers"),
    ("API keys", "rep", lambda w: "/account/api-keys"),
    ("partner networks", "coordinator", lambda w: "/coordination/networks"),
]
