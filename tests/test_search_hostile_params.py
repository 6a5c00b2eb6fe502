"""Every query parameter of the project and expert searches, one hostile value at a time.

The route-wide sweep in ``test_hostile_input.py`` sends one hostile query string per route;
this one sends each value in each parameter the search pages read, so a parameter parsed on
its own (a month, a page number, a sort key, a skill id) is covered too. Every answer is a
page (200, or 403 where the caller may not search members), never a server error, and a
plain search made afterwards still finds the project.
"""

import pytest

from diaspora.models import ProjectStatus, Role
from diaspora.services.discovery import EXPERT_FILTER_NAMES, PROJECT_FILTER_NAMES
from tests.factories import make_institution, make_project, new_user, sign_in

pytestmark = pytest.mark.search_index

HOSTILE = (
    "\x00",
    "a\x00b",
    "99999999999999999999999",
    "-9223372036854775809",
    "a\r\nb",
    "x" * 3000,
    "' OR 1=1 --",
    "<script>x</script>",
    "%",
    "*",
    "\\",
    "title:(",
    "AND OR NOT",
    "\u202e",
    "\U0001f642",
    "2027-13",
    "9999-99",
    "0",
)
# The filters each search reads from the service's own lists (a filter added there is
# covered here), and the single-valued parameters beside them.
PROJECT_PARAMS = ("q", "sort", "within", "page", "as_typed", *PROJECT_FILTER_NAMES)
EXPERT_PARAMS = ("q", "travel_country", "travel_month", "page", *EXPERT_FILTER_NAMES)


@pytest.fixture
def world(db):
    rep = new_user(Role.INSTITUTION)
    institution = make_institution(rep, name="Makerere University")
    make_project(institution, status=ProjectStatus.PUBLISHED, title="Solar engineer")
    return rep


def _failures(client, path, params, allowed):
    failures = []
    for name in params:
        for value in HOSTILE:
            response = client.get(path, query_string={name: value})
            if response.status_code not in allowed:
                failures.append((path, name, repr(value)[:30], response.status_code))
            elif response.status_code == 200:
                assert b"<form" in response.data, (path, name, repr(value)[:30])
    return failures


@pytest.mark.parametrize("who", [None, Role.MEMBER, Role.COORDINATOR])
def test_every_search_parameter_takes_hostile_values(client, world, who):
    if who is not None:
        sign_in(client, new_user(who))
    failures = _failures(client, "/search", PROJECT_PARAMS, (200,))
    if who is not None:
        failures += _failures(client, "/experts", EXPERT_PARAMS, (200, 403))
        for path in ("/search/saved/99999999999999999999999/delete", "/search/saved/0/delete"):
            status = client.post(path).status_code
            if status not in (400, 404):
                failures.append((path, status))
        assert client.get("/search/saved").status_code == 200
    status = client.get("/search?q=%ff%fe&country=%c0").status_code
    if status != 200:
        failures.append(("undecodable query string", status))
    assert not failures, failures

    after = client.get("/search", query_string={"q": "solar"})
    assert after.status_code == 200
    assert b"<mark>Solar</mark> engineer" in after.data
