"""A visitor searches projects from the home page, narrows by a facet and opens a result."""

import pytest
from playwright.sync_api import expect

from diaspora.models import ProjectStatus, Role
from tests.factories import make_institution, make_network, make_project, make_remote_project

pytestmark = pytest.mark.search_index


def test_visitor_searches_filters_and_opens_a_result(app, page, live_server, make_user):
    institution = make_institution(rep=make_user(role=Role.INSTITUTION), name="Kigali Water")
    make_project(
        institution, status=ProjectStatus.PUBLISHED, title="Hydrology survey", country="RW"
    )
    make_project(
        institution, status=ProjectStatus.PUBLISHED, title="Hydrology teaching", country="KE"
    )
    page.goto(f"{live_server}/")
    page.get_by_label("Search projects").fill("hydrology")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="2 projects for “hydrology”")).to_be_visible()
    page.get_by_text("Filter results").click()
    page.get_by_role("link", name="Kenya").click()
    expect(page.get_by_role("heading", name="1 project for “hydrology”")).to_be_visible()
    assert "country=KE" in page.url
    page.get_by_role("link", name="Hydrology teaching").click()
    expect(page.get_by_role("heading", name="Hydrology teaching")).to_be_visible()


def test_visitor_finds_partner_projects_and_their_link_leads_to_their_network(
    app, page, live_server, make_user
):
    institution = make_institution(rep=make_user(role=Role.INSTITUTION), name="Kigali Water")
    make_project(institution, status=ProjectStatus.PUBLISHED, title="Hydrology survey")
    network = make_network()
    make_remote_project(network, title="Hydrology of the Nile basin", country="ET")
    make_remote_project(
        network, title="Hydrology teaching", country="SO", url="https://horn.example/p/2"
    )
    page.goto(f"{live_server}/search?q=hydrology")
    expect(page.get_by_role("heading", name="From partner networks")).to_be_visible()
    card = page.locator("article", has_text="Hydrology teaching")
    link = card.get_by_role("link", name="Read and apply on horn.example")
    assert link.get_attribute("href") == "https://horn.example/p/2"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    page.get_by_role("link", name="All 2 results from partner networks").click()
    heading = "2 projects from partner networks for “hydrology”"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_text("Filter results").click()
    page.get_by_role("link", name="Ethiopia").click()
    heading = "1 project from partner networks for “hydrology”"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert "source=partners" in page.url and "country=ET" in page.url
    expect(page.get_by_text("Hydrology of the Nile basin")).to_be_visible()
