"""A visitor searches projects from the home page, narrows by a facet and opens a result."""

import pytest
from playwright.sync_api import expect

from diaspora.models import ProjectStatus, Role
from tests.factories import make_institution, make_project

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
