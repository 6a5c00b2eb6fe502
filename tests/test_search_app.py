"""Search in the app: relevance and facets through /search, privacy of expert search, the
change log keeping the indexes in step, faults, hostile queries, saved searches."""

import re
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import url_for

from diaspora.extensions import db
from diaspora.main.limits import MAX_URL_LENGTH
from diaspora.models import (
    Application,
    ApplicationStatus,
    InstitutionStatus,
    Project,
    ProjectStatus,
    Role,
    SavedSearch,
    SearchChange,
    Skill,
)
from diaspora.models.base import utcnow
from diaspora.services import discovery, profiles
from diaspora.services.deletion import delete_account
from diaspora.services.discovery import ExpertSearch, ProjectSearch
from diaspora.services.errors import NotAllowed
from diaspora.services.indexing import changelog, indexer
from diaspora.services.notifications import Frequency, frequency_for
from tests.conftest import PASSWORD, PG_URL
from tests.factories import filled_profile, make_institution, make_project, new_user, sign_in

pytestmark = pytest.mark.search_index

ONLY_ME, COORDINATORS, APPLIED, SIGNED_IN, PUBLIC = range(5)


def found(text="", **filters) -> list[int]:
    search = ProjectSearch(query=text, filters={k: list(v) for k, v in filters.items()})
    return [p.id for p, _, _ in discovery.search_projects(search, per_page=100).items]


def in_index(text) -> list[int]:
    """Ids the projects index returns, without the page's catch-up or database re-check."""
    return indexer.get_index(indexer.PROJECTS).search(text, per_page=100).ids


def experts(user, text="", **filters) -> list[int]:
    search = ExpertSearch(query=text, filters={k: list(v) for k, v in filters.items()})
    return [p.user_id for p, _ in discovery.search_experts(user, search).items]


@pytest.fixture
def institution(db):
    rep = new_user(Role.INSTITUTION)
    return make_institution(rep, name="Makerere University")


def published(institution, **fields):
    return make_project(institution, status=ProjectStatus.PUBLISHED, **fields)


# --------------------------------------------------------------------------- relevance


def test_title_or_skill_match_ranks_above_description_only(client, institution):
    by_description = published(
        institution,
        title="Water board support",
        description="Our team would value advice on hydrology for the river basin.",
    )
    by_title = published(institution, title="Hydrology field survey")
    by_skill = published(
        institution,
        title="Flood planning",
        skills=[Skill(name="Hydrology modelling", key="hydrology modelling")],
    )
    ids = found("hydrology")
    assert set(ids) == {by_description.id, by_title.id, by_skill.id}
    assert ids[-1] == by_description.id
    page = client.get("/search?q=hydrology")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("field survey") < html.index("Water board support")
    assert "<mark>Hydrology</mark>" in html


def test_accents_fold_and_words_stem(client, institution):
    sante = published(institution, title="Santé publique à Dakar", country="SN")
    training = published(institution, title="Training rural teachers", sector="education")
    assert found("sante") == [sante.id]
    assert found("santé") == [sante.id]
    assert found("teacher trained") == [training.id]
    assert client.get("/search?q=SANTE").get_data(as_text=True).count("Dakar") >= 1


def test_facet_counts_and_combined_filters(client, institution):
    published(institution, title="Clinic solar power", country="GH", sector="energy")
    published(institution, title="Solar water pumps", country="KE", sector="energy")
    published(institution, title="Solar school lessons", country="KE", sector="education")
    results = discovery.search_projects(ProjectSearch(query="solar")).results
    assert results.facets["country"] == {"KE": 2, "GH": 1}
    assert results.facets["sector"] == {"energy": 2, "education": 1}
    assert len(found("solar", country=["KE"], sector=["energy"])) == 1
    assert len(found("solar", country=["KE", "GH"])) == 3
    html = client.get("/search?q=solar&country=KE&sector=energy").get_data(as_text=True)
    assert "water pumps" in html and "Clinic solar power" not in html
    assert "1 project for" in html


def test_facet_blocks_show_labels_counts_checked_values_and_toggling_links(client, institution):
    published(institution, title="Clinic solar power", country="GH", sector="energy")
    published(institution, title="Solar water pumps", country="KE", sector="energy")
    published(institution, title="Solar school lessons", country="KE", sector="education")
    html = client.get("/search?q=solar&country=KE").get_data(as_text=True)
    kenya = re.search(
        r'<input type="checkbox" id="facet-country-\d+" name="country" value="KE"( checked)?>\s*'
        r'<label class="visually-hidden" for="facet-country-\d+">Choose Kenya, \d+ projects?'
        r"</label>\s*"
        r'<a href="([^"]+)" dir="auto">(?:<span class="visually-hidden">Remove the filter </span>)?'
        r'Kenya</a> <span class="muted">\((\d+)\)</span>',
        html,
    )
    ghana = re.search(
        r'<input type="checkbox" id="facet-country-\d+" name="country" value="GH"( checked)?>\s*'
        r'<label class="visually-hidden" for="facet-country-\d+">Choose Ghana, \d+ projects?'
        r"</label>\s*"
        r'<a href="([^"]+)" dir="auto">(?:<span class="visually-hidden">Remove the filter </span>)?'
        r'Ghana</a> <span class="muted">\((\d+)\)</span>',
        html,
    )
    assert kenya and ghana
    # The chosen value is checked and its link removes it; another value's link adds it.
    assert kenya.groups() == (" checked", "/search?q=solar", "2")
    assert ghana.groups() == (None, "/search?q=solar&amp;country=KE&amp;country=GH", "1")
    assert "<legend>Sector</legend>" in html and "<legend>Country</legend>" in html
    # A facet without values (no project here has skills) is left out, and so are all of
    # them when nothing matches.
    assert "<legend>Skills</legend>" not in html
    assert client.get("/search?q=zzzqqq").get_data(as_text=True).count("<legend>") == 0


def test_did_you_mean_pagination_and_empty_state(client, institution):
    for number in range(25):
        published(institution, title=f"Hydrology station {number}")
    html = client.get("/search?q=hydrolgy").get_data(as_text=True)
    assert 'Showing results for <strong dir="auto">hydrology</strong>' in html
    assert "search instead for" in html and "as_typed=1" in html
    assert "25 projects for" in html and "Page 1 of 2" in html
    typed = client.get("/search?q=hydrolgy&as_typed=1").get_data(as_text=True)
    assert "Did you mean" in typed and "q=hydrology" in typed
    assert "0 projects for" in typed and "Showing results for" not in typed
    first = client.get("/search?q=hydrology").get_data(as_text=True)
    assert "Page 1 of 2" in first and "page=2" in first
    assert "Page 2 of 2" in client.get("/search?q=hydrology&page=2").get_data(as_text=True)
    empty = client.get("/search?q=zzzqqq").get_data(as_text=True)
    assert "No open project matches this search" in empty
    some = client.get("/search?q=hydrology+glaciers").get_data(as_text=True)
    assert "No project has all of these words; these have some of them." in some
    assert "25 projects for" in some


def test_only_open_projects_even_before_the_index_hears_of_a_change(institution):
    project = published(institution, title="Geothermal drilling advice")
    draft = make_project(institution, status=ProjectStatus.DRAFT, title="Geothermal draft")
    assert found("geothermal") == [project.id]
    assert draft.id not in in_index("geothermal")
    db.session.execute(
        sa.update(type(project)).where(type(project).id == project.id).values(places_filled=2)
    )
    db.session.commit()
    assert in_index("geothermal") == [project.id]
    assert found("geothermal") == []


# --------------------------------------------------------------------------- privacy


@pytest.fixture
def people(db):
    """A member, a rep of a verified institution they applied to, another rep, a coordinator,
    and an ordinary member."""
    member = new_user(Role.MEMBER, name="Amina Diallo")
    rep_applied = new_user(Role.INSTITUTION)
    rep_other = new_user(Role.INSTITUTION)
    applied_to = make_institution(rep_applied, name="Applied Hospital")
    make_institution(rep_other, name="Other Hospital")
    project = published(applied_to, title="Neonatal ward")
    db.session.add(
        Application(project_id=project.id, member_id=member.id, status=ApplicationStatus.APPLIED)
    )
    db.session.commit()
    return {
        "member": member,
        "applied": rep_applied,
        "other": rep_other,
        "coordinator": new_user(Role.COORDINATOR),
        "plain": new_user(Role.MEMBER),
    }


def _listed(member, skills_level):
    audiences = {"skills": skills_level, "headline": PUBLIC, "location": SIGNED_IN}
    return filled_profile(member, audiences=audiences, listed=True)


@pytest.mark.parametrize(
    ("level", "applied", "other", "coordinator"),
    [
        (ONLY_ME, False, False, False),
        (COORDINATORS, False, False, False),
        (APPLIED, True, False, True),
        (SIGNED_IN, True, True, True),
        (PUBLIC, True, True, True),
    ],
)
def test_a_skill_is_findable_only_by_its_audience(people, level, applied, other, coordinator):
    member = people["member"]
    _listed(member, level)
    expected = {"applied": applied, "other": other, "coordinator": coordinator}
    for who, visible in expected.items():
        viewer = people[who]
        assert (member.id in experts(viewer, "Skillmarker")) is visible, who
        assert (member.id in experts(viewer, skills=["Skillmarker-W2"])) is visible, who
        page = discovery.search_experts(viewer, ExpertSearch(query="Diallo"))
        assert [p.user_id for p, _ in page.items] == [member.id]
        shown = page.items[0][1]
        assert ("skills" in shown.fields) is visible, who
        assert "Bio-marker" not in str(shown.snippets) or who != "other"


def test_expert_search_is_refused_to_members_and_unverified_reps(client, people):
    with pytest.raises(NotAllowed):
        experts(people["plain"], "x")
    pending_rep = new_user(Role.INSTITUTION)
    make_institution(pending_rep, status=InstitutionStatus.PENDING, name="Pending")
    with pytest.raises(NotAllowed):
        experts(pending_rep, "x")
    sign_in(client, people["plain"])
    assert client.get("/experts?q=x").status_code == 403
    sign_in(client, people["applied"])
    assert client.get("/experts?q=x").status_code == 200


def test_coordinators_never_see_coordinator_only_groups_in_search(client, people):
    member = people["member"]
    filled_profile(member, audiences={"location": COORDINATORS, "skills": PUBLIC}, listed=True)
    page = discovery.search_experts(people["coordinator"], ExpertSearch(query="Skillmarker"))
    hit = page.items[0][1]
    assert "origin_country" not in hit.fields
    assert experts(people["coordinator"], origin_country=["KG"]) == []
    sign_in(client, people["coordinator"])
    html = client.get("/experts?q=Skillmarker").get_data(as_text=True)
    assert "Amina Diallo" in html and "From Kyrgyzstan" not in html


def test_travel_window_search(people):
    member = people["member"]
    filled_profile(member, audiences={"travel": SIGNED_IN}, listed=True)
    month = (utcnow().date() + timedelta(days=15)).strftime("%Y-%m")
    search = ExpertSearch(travel_country="TV", travel_month=month)
    page = discovery.search_experts(people["other"], search)
    assert [p.user_id for p, _ in page.items] == [member.id]
    search = ExpertSearch(travel_country="FR", travel_month=month)
    assert discovery.search_experts(people["other"], search).items == []


def test_an_expert_card_links_to_the_member_page_and_writes_dates_as_the_site_does(client, people):
    member = people["member"]
    filled_profile(member, audiences={"travel": SIGNED_IN, "skills": SIGNED_IN}, listed=True)
    start = utcnow().date() + timedelta(days=10)
    end = utcnow().date() + timedelta(days=20)
    sign_in(client, people["other"])
    html = client.get("/experts?q=Skillmarker").get_data(as_text=True)
    link = f'href="/members/{member.id}"'
    assert link in html
    assert f"{start:%d %b %Y} to {end:%d %b %Y}" in html
    assert start.isoformat() not in html
    assert client.get(f"/members/{member.id}").status_code == 200


# --------------------------------------------------------------------------- sync


def test_project_lifecycle_is_reflected_at_once(client, institution):
    project = make_project(institution, status=ProjectStatus.DRAFT, title="Irrigation canal design")
    assert in_index("irrigation") == []
    project.status = ProjectStatus.PUBLISHED
    project.published_at = utcnow()
    db.session.commit()
    indexer.apply_pending()
    assert in_index("irrigation") == [project.id]
    project.title = "Drainage canal design"
    db.session.commit()
    indexer.apply_pending()
    assert in_index("irrigation") == [] and in_index("drainage") == [project.id]
    project.status = ProjectStatus.CLOSED
    db.session.commit()
    indexer.apply_pending()
    assert in_index("drainage") == []
    project.status = ProjectStatus.PUBLISHED
    db.session.commit()
    indexer.apply_pending()
    assert in_index("drainage") == [project.id]
    db.session.delete(project)
    db.session.commit()
    indexer.apply_pending()
    assert in_index("drainage") == []


def test_institution_and_skill_renames_reach_their_projects(institution):
    skill = Skill(name="Borehole siting", key="borehole siting")
    project = published(institution, title="Village water", skills=[skill])
    indexer.apply_pending()
    institution.name = "Gulu Water Institute"
    skill.name = "Aquifer mapping"
    db.session.commit()
    indexer.apply_pending()
    assert in_index("gulu") == [project.id]
    assert in_index("aquifer") == [project.id]
    assert in_index("borehole") == []


def test_requests_apply_their_changes_after_commit(client, people):
    """The after-request hook: a member hiding through the page disappears at once."""
    member, rep = people["member"], people["other"]
    _listed(member, PUBLIC)
    indexer.apply_pending()
    index = indexer.get_index(indexer.EXPERTS)
    clearance = discovery.expert_clearance(rep)
    assert index.search(clearance, "Skillmarker").ids == [member.id]
    sign_in(client, member)
    client.post("/profile/hide", data={"hidden": "1"})
    assert index.search(clearance, "Skillmarker").ids == []
    client.post("/profile/hide", data={"hidden": "0"})
    assert index.search(clearance, "Skillmarker").ids == [member.id]


def test_profile_edit_unlist_and_deletion_are_reflected(people):
    member, rep = people["member"], people["other"]
    _listed(member, PUBLIC)
    assert experts(rep, "Skillmarker") == [member.id]
    profiles.add_skill(member, "Ultrasound imaging", "have")
    db.session.commit()
    assert experts(rep, "ultrasound") == [member.id]
    profiles.set_privacy(member, {"skills": PUBLIC}, listed=False, public=False)
    db.session.commit()
    assert experts(rep, "ultrasound") == []
    profiles.set_privacy(member, {"skills": PUBLIC}, listed=True, public=False)
    db.session.commit()
    assert experts(rep, "ultrasound") == [member.id]
    delete_account(member, PASSWORD)
    db.session.commit()
    assert db.session.scalar(
        sa.select(SearchChange.id).where(
            SearchChange.index == "experts", SearchChange.doc_id == member.id
        )
    )
    indexer.apply_pending()
    index = indexer.get_index(indexer.EXPERTS)
    assert index.search(discovery.expert_clearance(rep), "ultrasound").ids == []


def _index_bytes(name: str) -> bytes:
    """Every byte of every file of an index directory (all generations), lowercased."""
    root = Path(indexer.get_index(name).path)
    return b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file()).lower()


@pytest.mark.parametrize("leaves", ["deleted", "hidden"])
def test_a_deleted_or_hidden_member_leaves_no_bytes_in_the_index(client, people, leaves):
    rep = people["other"]
    member = new_user(Role.MEMBER, name="Nadia Qorvathsdottir", email="nadia.qorv@example.org")
    _listed(people["member"], PUBLIC)
    _listed(member, PUBLIC)
    profiles.add_skill(member, "Quetzalmancy", "have")
    db.session.commit()
    indexer.rebuild(indexer.EXPERTS)
    profiles.add_skill(member, "Zanzibarist mapping", "develop")
    db.session.commit()
    indexer.apply_pending()
    markers = (b"qorvathsdottir", b"quetzalmancy", b"zanzibarist")
    assert all(marker in _index_bytes(indexer.EXPERTS) for marker in markers)

    if leaves == "deleted":
        delete_account(member, PASSWORD)
        db.session.commit()
        indexer.apply_pending()
    else:
        sign_in(client, member)
        assert client.post("/profile/hide", data={"hidden": "1"}).status_code == 302

    data = _index_bytes(indexer.EXPERTS)
    assert [m for m in (*markers, b"nadia.qorv@example.org") if m in data] == []
    assert experts(rep, "Skillmarker") == [people["member"].id]


def test_rolled_back_change_is_not_indexed_and_autoflushed_one_is(institution):
    project = published(institution, title="Beekeeping cooperative")
    indexer.apply_pending()
    project.title = "Rolled back title"
    db.session.flush()
    db.session.rollback()
    indexer.apply_pending()
    assert in_index("rolled") == [] and in_index("beekeeping") == [project.id]
    project.title = "Autoflushed poultry title"
    db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))  # autoflush
    db.session.commit()
    indexer.apply_pending()
    assert in_index("poultry") == [project.id]


def commits_of(name: str) -> list[str]:
    """The Whoosh commits (table-of-contents files) of an index's live generation."""
    live = indexer.get_index(name)._store.current()
    return sorted(path.name for path in live.glob("_MAIN_*.toc"))


def test_each_change_is_applied_once_and_only_to_the_index_it_concerns(institution):
    project = published(institution, title="Cassava processing")
    indexer.apply_pending()
    experts_before = commits_of(indexer.EXPERTS)
    experts_mark = indexer.get_index(indexer.EXPERTS).last_change_id()
    project.title = "Sorghum processing"
    db.session.commit()
    assert indexer.apply_pending() == 1
    assert in_index("sorghum") == [project.id]
    assert indexer.apply_pending() == 0
    project.title = "Millet processing"
    db.session.commit()
    assert indexer.apply_pending() == 1  # the earlier change is not applied again
    assert in_index("millet") == [project.id]
    assert commits_of(indexer.EXPERTS) == experts_before
    assert indexer.get_index(indexer.EXPERTS).last_change_id() == experts_mark
    assert indexer.applied_through(indexer.EXPERTS) == indexer.last_change_id()


def test_a_rebuild_after_a_bulk_change_applies_nothing_again(institution):
    for number in range(30):
        published(institution, title=f"Bulk project {number}")
    assert indexer.rebuild(indexer.PROJECTS) == 30
    assert indexer.apply_pending([indexer.PROJECTS]) == 0
    assert len(in_index("bulk")) == 30


def test_an_index_left_idle_moves_its_mark_after_a_while(institution, monkeypatch):
    monkeypatch.setattr(indexer, "IDLE_LAG", 3)
    project = published(institution, title="Idle check")
    indexer.apply_pending()
    start = indexer.get_index(indexer.EXPERTS).last_change_id() or 0
    for number in range(5):
        project.title = f"Idle check {number}"
        db.session.commit()
        indexer.apply_pending()
    moved = indexer.get_index(indexer.EXPERTS).last_change_id()
    assert start < moved <= indexer.last_change_id()
    assert indexer.applied_through(indexer.EXPERTS) == indexer.last_change_id()


@pytest.mark.skipif(not PG_URL, reason="the change-log lock is taken on PostgreSQL")
def test_change_ids_follow_commit_order_on_postgresql(app, institution):
    """A transaction writing change rows waits while another holds the change-log lock, so
    no id can become visible before a smaller one."""
    project = published(institution, title="Ordered changes")
    project_id = project.id
    holder = db.engine.connect()
    holder.begin()
    holder.execute(sa.select(sa.func.pg_advisory_xact_lock(changelog.CHANGE_LOG_LOCK)))
    done = threading.Event()

    def commit_a_change():
        with app.app_context():
            row = db.session.get(Project, project_id)
            row.title = "Ordered changes, edited"
            db.session.commit()
            done.set()

    worker = threading.Thread(target=commit_a_change)
    worker.start()
    try:
        assert not done.wait(0.5), "committed while another transaction held the lock"
    finally:
        holder.rollback()
        holder.close()
    worker.join(timeout=30)
    assert done.is_set()
    indexer.apply_pending()
    assert in_index("edited") == [project_id]


# --------------------------------------------------------------------------- faults


def test_changes_while_the_index_is_missing_stay_queued_with_one_warning(app, caplog):
    """Before the first rebuild (or after the index was removed) a change is kept for later
    and said in one line, not as an error with a traceback."""
    indexer.close_indexes(app)
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]))
    institution = make_institution(new_user(Role.INSTITUTION), name="Queue University")
    published(institution, title="Queued project")
    queued = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    assert queued > 0
    caplog.clear()
    indexer.apply_after_commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == queued
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert any("stay queued" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_broken_index_shows_a_message_and_rebuild_restores(app, client, runner, damage, people):
    institution = make_institution(new_user(Role.INSTITUTION), name="Fault University")
    project = published(institution, title="Telemedicine network")
    _listed(people["member"], PUBLIC)
    assert found("telemedicine") == [project.id]
    indexer.close_indexes(app)
    root = Path(app.config["SEARCH_INDEX_DIR"])
    if damage == "delete":
        shutil.rmtree(root)
    else:
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in {".seg", ".trm", ".pst", ".toc"}:
                path.write_bytes(b"")
    page = client.get("/search?q=telemedicine")
    assert page.status_code == 503
    assert "Search is temporarily unavailable" in page.get_data(as_text=True)
    sign_in(client, people["coordinator"])
    assert "Reason (shown to coordinators)" in client.get("/search?q=x").get_data(as_text=True)
    assert client.get("/experts?q=Skillmarker").status_code == 503
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "projects: 2 document(s) indexed" in result.output
    assert found("telemedicine") == [project.id]
    assert experts(people["other"], "Skillmarker") == [people["member"].id]
    status = runner.invoke(args=["search", "status"])
    assert "projects: 2 document(s) in the index, 2 in the database" in status.output


def test_commands_apply_status_and_prune(app, runner, institution):
    project = published(institution, title="Mangrove restoration")
    result = runner.invoke(args=["search", "status"])
    assert "pending changes: " in result.output
    assert runner.invoke(args=["search", "apply"]).exit_code == 0
    assert in_index("mangrove") == [project.id]
    db.session.execute(sa.update(SearchChange).values(created_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    result = runner.invoke(args=["search", "prune", "--days", "30"])
    assert result.exit_code == 0 and "Pruned" in result.output
    # Every node has applied them all: all but the newest go.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == 1


def test_a_failing_index_never_fails_the_request(app, client, people, monkeypatch):
    def broken(*args, **kwargs):
        raise indexer.SearchUnavailable("the search index is busy")

    monkeypatch.setattr(indexer, "apply_pending", broken)
    _listed(people["member"], PUBLIC)
    sign_in(client, people["member"])
    assert client.post("/profile/hide", data={"hidden": "1"}).status_code == 302
    monkeypatch.undo()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) > 0
    assert experts(people["other"], "Skillmarker") == []


HOSTILE = [
    "email:*",
    "visibility:hidden",
    "*a*",
    "?x*",
    "term~9",
    " OR ".join(f"w{i}" for i in range(500)),
    "((((",
    '"unbalanced',
    "x" * 10_000,
    "' OR 1=1--",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_answer_with_a_normal_page(client, institution, query):
    published(institution, title="Ordinary project")
    page = client.get("/search", query_string={"q": query, "page": "1000000000"})
    assert page.status_code == _expected_status(page)
    assert "<script>alert" not in page.get_data(as_text=True)


def test_a_page_past_the_end_shows_the_last_page_of_results(client, institution, people):
    published(institution, title="Ordinary project")
    page = client.get("/search", query_string={"page": "9223372036854775808"})
    assert page.status_code == 200 and "Ordinary project" in page.get_data(as_text=True)
    _listed(people["member"], PUBLIC)
    sign_in(client, people["coordinator"])
    page = client.get("/experts", query_string={"page": "1000000"})
    assert page.status_code == 200 and "Amina Diallo" in page.get_data(as_text=True)


def _expected_status(page) -> int:
    """200, or for an address too long for any page (the 10,000-character query) the site's
    own 414 page, which says so."""
    if len(page.request.full_path) <= MAX_URL_LENGTH:
        return 200
    assert "This address is too long" in page.get_data(as_text=True)
    return 414


def test_hostile_expert_queries(client, people):
    sign_in(client, people["coordinator"])
    for query in HOSTILE:
        page = client.get("/experts", query_string={"q": query, "travel_month": query[:7]})
        assert page.status_code == _expected_status(page)


# --------------------------------------------------------------------------- saved searches


def test_save_list_delete_saved_searches_idor_safe(client, institution):
    owner, other = new_user(Role.MEMBER), new_user(Role.MEMBER)
    sign_in(client, owner)
    response = client.post(
        "/search/saved",
        data={"q": "hydrology", "country": "UG", "frequency": "daily", "within": "30"},
    )
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(SavedSearch))
    assert saved.user_id == owner.id and saved.query == "hydrology"
    assert saved.filters == {"country": ["UG"], "within": ["30"]}
    assert frequency_for(owner, "saved_search") == Frequency.DAILY
    html = client.get("/search/saved").get_data(as_text=True)
    assert "“hydrology”" in html and "daily digest" in html
    sign_in(client, other)
    assert client.post(f"/search/saved/{saved.id}/delete").status_code == 404
    assert "hydrology" not in client.get("/search/saved").get_data(as_text=True)
    sign_in(client, owner)
    assert client.post(f"/search/saved/{saved.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(SavedSearch)) is None


def test_digest_lines_for_saved_searches(app, institution):
    member = new_user(Role.MEMBER)
    since = utcnow() - timedelta(days=1)
    published(institution, title="Old hydrology study", published_at=since - timedelta(days=3))
    new = published(institution, title="Hydrology of Lake Victoria")
    published(institution, title="Unrelated poultry farm")
    db.session.add(SavedSearch(user_id=member.id, query="hydrology", filters={}))
    db.session.commit()
    lines = discovery.digest_lines(member, Frequency.WEEKLY, since)
    assert lines == [
        (
            "saved_search",
            "New project matching “hydrology”: Hydrology of Lake Victoria",
            f"/projects/{new.id}",
        )
    ]
    assert discovery.digest_lines(new_user(Role.MEMBER), Frequency.WEEKLY, since) == []


def test_account_deletion_removes_saved_searches(people):
    member = people["member"]
    db.session.add(SavedSearch(user_id=member.id, query="x", filters={}))
    db.session.commit()
    delete_account(member, PASSWORD)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0


def test_expert_search_with_no_member_having_every_word_shows_those_with_some(client, people):
    member = people["member"]
    filled_profile(member, audiences={"skills": SIGNED_IN}, listed=True)
    search = ExpertSearch(query="Skillmarker zzqqunknown")
    page = discovery.search_experts(people["other"], search)
    assert [p.user_id for p, _ in page.items] == [member.id]
    assert page.results.some_words
    sign_in(client, people["other"])
    html = client.get("/experts?q=Skillmarker+zzqqunknown").get_data(as_text=True)
    assert "No member has all of these words; these have some of them." in html
    exact = discovery.search_experts(people["other"], ExpertSearch(query="Skillmarker"))
    assert not exact.results.some_words


def test_appliers_read_and_write_one_at_a_time(app, institution):
    """A change is read from the database under the index's writer lock, so an applier that
    read earlier has written before the next one reads: no older copy lands last."""
    project = published(institution, title="Serial apply")
    project_id = project.id
    indexer.apply_pending()
    index = indexer.get_index(indexer.PROJECTS)
    entered, release, other_done = threading.Event(), threading.Event(), threading.Event()

    def slow(applied):
        entered.set()
        release.wait(30)
        return iter(())

    holder = threading.Thread(target=index.apply_changes, args=(slow,))
    holder.start()
    assert entered.wait(30)

    def later_change():
        with app.app_context():
            db.session.get(Project, project_id).title = "Serial apply, later"
            db.session.commit()
            indexer.apply_pending()
            other_done.set()

    other = threading.Thread(target=later_change)
    other.start()
    try:
        assert not other_done.wait(0.5), "applied while another applier held the lock"
    finally:
        release.set()
    holder.join(timeout=30)
    other.join(timeout=60)
    assert other_done.is_set()
    assert in_index("later") == [project_id]


def test_facet_links_read_as_url_for_would_write_them(app):
    from diaspora.discovery.routes import SearchLinks

    cases = [
        {},
        {"q": "solar energy"},
        {"q": "C++ & M&E / ob-gyn?", "country": ["KE", "SN"], "within": 30},
        {"q": "santé «publique» 100%", "skills": ["Data analysis", "R&D"], "as_typed": "1"},
    ]
    with app.test_request_context():
        links = SearchLinks(url_for("discovery.projects"))
        for params in cases:
            assert links(params) == url_for("discovery.projects", **params)
