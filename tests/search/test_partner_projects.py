"""Projects of followed networks in this site's project search: indexed from the rows the feed
reader writes, shown apart from the local results, marked with their network and linking there
to apply; never in this site's digests, lists or feeds."""

import re
import shutil
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import ProjectStatus, RemoteProject, Role, SavedSearch, SearchChange
from diaspora.models.base import utcnow
from diaspora.services import discovery
from diaspora.services.discovery import ProjectSearch
from diaspora.services.indexing import indexer
from diaspora.services.notifications import Frequency
from tests.factories import (
    make_institution,
    make_network,
    make_project,
    make_remote_project,
    new_user,
)

pytestmark = pytest.mark.search_index

PARTNER_BLOCK = re.compile(r'<section class="partner-results".*?</section>', re.S)
CARD = re.compile(r'<article class="card result result-partner">.*?</article>', re.S)


def partner_block(html: str) -> str:
    match = PARTNER_BLOCK.search(html)
    return match.group(0) if match else ""


def cards(html: str) -> list[str]:
    return CARD.findall(html)


def shared_ids(text="") -> list[int]:
    """What the shared index holds for ``text``, without the page's database re-check."""
    indexer.catch_up(indexer.SHARED)
    return indexer.get_index(indexer.SHARED).search(text, per_page=100).ids


def partners(text="", **filters) -> list[int]:
    search = ProjectSearch(query=text, filters={k: list(v) for k, v in filters.items()})
    return [card.project.id for card in discovery.search_partner_projects(search).items]


@pytest.fixture
def network(db):
    return make_network()


@pytest.fixture
def local_project(db):
    institution = make_institution(new_user(Role.INSTITUTION), name="Makerere University")
    return make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        title="Midwifery curriculum review",
        country="UG",
    )


def test_a_committed_row_is_found_marked_and_links_to_its_network(client, network, local_project):
    remote = make_remote_project(network, url="https://horn.example/projects/7?lang=en")
    html = client.get("/search?q=midwifery").get_data(as_text=True)
    assert f'href="/projects/{local_project.id}"' in html  # local results stay as they are
    block = partner_block(html)
    assert "From partner networks" in block
    [card] = cards(block)
    assert "Midwifery teaching in Hargeisa" in unescape(re.sub(r"<[^>]+>", "", card))
    assert "Horn of Africa Diaspora" in card and "horn.example" in card
    assert "Shared by" in card
    assert "Somalia" in card and "Health" in card
    assert (
        '<a class="external" href="https://horn.example/projects/7?lang=en" '
        'rel="noopener noreferrer nofollow">Read and apply on horn.example</a>'
    ) in card
    assert "<form" not in card and 'href="/' not in card  # never this site's apply button
    assert "All 1 result from partner networks" in block
    assert "source=partners" in block
    assert remote.id in shared_ids("midwifery")


def test_networks_on_one_host_are_told_apart_by_their_ports(client, db):
    """Two networks on one machine: each card names its network and shows its host with the
    port, in "Shared by" and in "Read and apply on"."""
    for port, name in ((5061, "Dakar Diaspora"), (5062, "Kampala Diaspora")):
        network = make_network(name=name, feed_url=f"http://127.0.0.1:{port}/feeds/projects.json")
        make_remote_project(network, url=f"http://127.0.0.1:{port}/projects/1")
    block = partner_block(client.get("/search?q=midwifery").get_data(as_text=True))
    shown = sorted(" ".join(re.sub(r"<[^>]+>", " ", card).split()) for card in cards(block))
    assert len(shown) == 2
    for text, (port, name) in zip(shown, ((5061, "Dakar"), (5062, "Kampala")), strict=True):
        assert f"Shared by {name} Diaspora · 127.0.0.1:{port}" in text
        assert f"Read and apply on 127.0.0.1:{port}" in text


def test_an_update_reindexes_and_a_refresh_alone_writes_no_change(client, network):
    remote = make_remote_project(network)
    assert partners("midwifery") == [remote.id]
    remote.title = "Anaesthesia teaching in Berbera"
    db.session.commit()
    assert partners("anaesthesia") == [remote.id]
    assert partners("hargeisa midwifery") == [remote.id]  # the summary still says it
    assert partners("berbera") == [remote.id]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    remote.fetched_at = utcnow()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == before


def test_a_renamed_network_renames_its_cards_and_is_searchable(client, network):
    remote = make_remote_project(network)
    network.name = "Somaliland Professionals Abroad"
    db.session.commit()
    assert partners("professionals abroad") == [remote.id]
    assert "Somaliland Professionals Abroad" in client.get("/search?q=midwifery").text


def test_deleted_rows_and_a_removed_network_leave_the_index(client, network):
    kept, deleted = make_remote_project(network), make_remote_project(network)
    db.session.delete(deleted)
    db.session.commit()
    assert shared_ids("midwifery") == [kept.id]
    other = make_network(name="Sahel Network", feed_url="https://sahel.example/feed.json")
    theirs = make_remote_project(other, title="Midwifery in Niamey")
    # Removing a network, as the service does: its rows one by one, then the network.
    for row in list(network.projects):
        db.session.delete(row)
    db.session.delete(network)
    db.session.commit()
    assert shared_ids("midwifery") == [theirs.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RemoteProject)) == 1
    html = client.get("/search?q=midwifery").text
    assert "Horn of Africa" not in html and "Sahel Network" in html


def test_past_deadlines_are_not_shown_even_before_the_index_hears(client, network):
    today = utcnow().date()
    past = make_remote_project(network, title="Midwifery past", deadline=today - timedelta(1))
    current = make_remote_project(network, title="Midwifery current", deadline=today)
    open_ended = make_remote_project(network, title="Midwifery open", deadline=None)
    assert sorted(shared_ids("midwifery")) == sorted([current.id, open_ended.id])
    assert past.id not in partners("midwifery")
    assert indexer.expected_count(indexer.SHARED) == 2
    # The deadline moves into the past without the index hearing of it.
    db.session.execute(
        sa.update(RemoteProject)
        .where(RemoteProject.id == current.id)
        .values(deadline=today - timedelta(days=1))
    )
    db.session.commit()
    assert current.id in shared_ids("midwifery")
    assert partners("midwifery") == [open_ended.id]
    assert "Midwifery current" not in client.get("/search?q=midwifery").text


def test_hostile_text_is_shown_as_text_and_only_http_links_are_followed(client, network):
    make_remote_project(
        network,
        title='<script>alert(1)</script> Midwifery "><img src=x onerror=alert(2)>',
        institution_name="<b>Bold</b> hospital",
        url="javascript:alert(3)",
    )
    html = client.get("/search?q=midwifery").text
    [card] = cards(partner_block(html))
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bold" not in html
    assert "&lt;script&gt;" in card
    assert "javascript:" not in html and "Read and apply" not in card


def test_filters_and_facets_apply_to_partner_projects(client, network):
    somali = make_remote_project(network, country="SO", sector="health")
    ethiopian = make_remote_project(network, country="ET", sector="education", work_mode="remote")
    assert sorted(partners("midwifery")) == sorted([somali.id, ethiopian.id])
    assert partners("midwifery", country=["ET"]) == [ethiopian.id]
    assert partners("midwifery", sector=["health"], work_mode=["onsite"]) == [somali.id]
    assert partners("midwifery", country=["GH"]) == []
    html = client.get("/search?q=midwifery&country=ET").text
    assert len(cards(partner_block(html))) == 1 and "Ethiopia" in partner_block(html)
    assert "No open project matches this search." not in html  # the partner block instead
    listed = client.get("/search?q=midwifery&source=partners").text
    assert '<input type="hidden" name="source" value="partners">' in listed
    assert "2 projects from partner networks for" in listed
    facet_links = re.findall(r'href="(/search\?[^"]*country=ET[^"]*)"', listed)
    assert facet_links and all("source=partners" in link for link in facet_links)
    assert "Ethiopia" in listed and "Somalia" in listed
    filtered = client.get("/search?q=midwifery&source=partners&country=SO").text
    assert len(cards(filtered)) == 1 and "Somalia" in cards(filtered)[0]


def test_partner_results_are_paginated_apart(client, network):
    for n in range(discovery.PER_PAGE + 5):
        make_remote_project(network, title=f"Midwifery mentoring {n}")
    first = client.get("/search?q=midwifery").text
    block = partner_block(first)
    assert len(cards(block)) == discovery.PARTNER_PREVIEW
    assert f"All {discovery.PER_PAGE + 5} results from partner networks" in block
    listed = client.get("/search?q=midwifery&source=partners").text
    assert len(cards(listed)) == discovery.PER_PAGE
    assert "Page 1 of 2" in listed
    [following] = re.findall(r'<a href="([^"]+)">Next</a>', listed)
    assert "page=2" in following and "source=partners" in following
    second = client.get("/search?q=midwifery&source=partners&page=2").text
    assert len(cards(second)) == 5
    assert partner_block(second) == ""  # the list itself, not a preview of it
    beyond = client.get("/search?q=midwifery&source=partners&page=1000000000")
    assert beyond.status_code == 200 and len(cards(beyond.text)) == 5


def test_a_query_matching_nothing_anywhere_keeps_the_page(client, network, local_project):
    make_remote_project(network)
    html = client.get("/search?q=volcanology").text
    assert "No open project matches this search." in html
    assert "partner networks" not in html
    html = client.get("/search?q=volcanology&source=partners").text
    assert "No project from partner networks matches this search." in html


def test_a_broken_shared_index_leaves_local_search_working(app, client, network, local_project):
    make_remote_project(network)
    indexer.close_indexes(app)
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]) / indexer.SHARED)
    page = client.get("/search?q=midwifery")
    assert page.status_code == 200
    assert f'href="/projects/{local_project.id}"' in page.text
    assert "Projects from partner networks cannot be searched at the moment." in page.text
    listed = client.get("/search?q=midwifery&source=partners")
    assert listed.status_code == 503
    assert "Search is temporarily unavailable" in listed.text
    assert client.get("/healthz").json["search"] == {
        "projects": "ok",
        "experts": "ok",
        "shared": "missing",
    }


def test_without_a_followed_network_the_shared_index_is_not_read(app, client, local_project):
    indexer.close_indexes(app)
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]) / indexer.SHARED)
    html = client.get("/search?q=midwifery").text
    assert f'href="/projects/{local_project.id}"' in html
    assert "partner networks" not in html


def test_rebuild_status_and_apply_include_partner_projects(app, runner, network):
    rows = [make_remote_project(network, title=f"Midwifery {n}") for n in range(3)]
    make_remote_project(network, deadline=utcnow().date() - timedelta(days=3))
    indexer.close_indexes(app)
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]))
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "shared: 3 document(s) indexed" in result.output
    assert sorted(shared_ids("midwifery")) == sorted(r.id for r in rows)
    status = runner.invoke(args=["search", "status"]).output
    assert "shared: 3 document(s) in the index, 3 in the database" in status
    result = runner.invoke(args=["search", "rebuild", "--index", "shared"])
    assert result.exit_code == 0 and "shared: 3 document(s) indexed" in result.output
    assert runner.invoke(args=["search", "apply"]).exit_code == 0


def test_partner_projects_stay_out_of_local_lists_and_digests(client, network, local_project):
    make_remote_project(network, title="Midwifery from afar", published_at=utcnow())
    member = new_user(Role.MEMBER)
    db.session.add(SavedSearch(user_id=member.id, query="midwifery", filters={}))
    db.session.commit()
    since = utcnow() - timedelta(days=1)
    lines = discovery.digest_lines(member, Frequency.WEEKLY, since)
    assert [line[1] for line in lines] == [
        "New project matching “midwifery”: Midwifery curriculum review"
    ]
    local = discovery.search_projects(ProjectSearch(query="midwifery")).items
    assert [project.id for project, _, _ in local] == [local_project.id]
    assert "Midwifery from afar" not in client.get("/projects").text
    assert "Midwifery from afar" not in client.get("/").text
