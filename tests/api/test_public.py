"""The public API: what each endpoint answers, that it answers what the site's pages show
and nothing more, and that every error is a problem details document."""

import pytest

from diaspora.api.problems import PROBLEM_JSON
from diaspora.extensions import db
from diaspora.search import SearchUnavailable
from diaspora.services import discovery
from diaspora.validation import INT_MAX

pytestmark = pytest.mark.search_index


def get(client, path, **params):
    response = client.get(path, query_string=params)
    assert "text/html" not in response.content_type
    assert "Set-Cookie" not in response.headers
    return response


def assert_problem(response, status):
    assert response.status_code == status
    assert response.content_type == PROBLEM_JSON
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["instance"] == response.request.path
    return body


def test_projects_lists_published_projects_only(client, network):
    body = get(client, "/api/v1/projects").get_json()
    ids = {item["id"] for item in body["items"]}
    assert ids == {network.nursing.id, network.software.id}
    assert body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
    assert body["per_page"] == 20
    assert body["links"]["next"] is None and body["links"]["prev"] is None
    assert body["links"]["self"].startswith("http://")
    item = next(i for i in body["items"] if i["id"] == network.software.id)
    assert item["institution"]["name"] == "Université de Dakar"
    assert item["url"].endswith(f"/projects/{network.software.id}")
    assert item["work_mode"] == "remote" and item["country"] == "SN"
    text = str(body)
    assert "Draft marker" not in text and "Unverified marker" not in text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "software"},
        {"country": "sn"},
        {"sector": "health"},
        {"work_mode": "remote"},
        {"compensation": "stipend"},
        {"engagement_mode": "teaching"},
        {"within": 7},
        {"sort": "deadline"},
    ],
)
def test_projects_filters_as_the_search_page(client, network, params):
    body = get(client, "/api/v1/projects", **params).get_json()
    expected = discovery.search_projects(discovery.ProjectSearch.from_args(params_multi(params)))
    assert [i["id"] for i in body["items"]] == [p.id for p, _t, _s in expected.items]
    assert body["total"] == expected.results.total


def params_multi(params):
    from werkzeug.datastructures import MultiDict

    return MultiDict({k: str(v) for k, v in params.items()})


def test_projects_filter_by_repeated_skills(client, network):
    skill = network.software.skills[0].name
    body = get(client, "/api/v1/projects", skills=[skill, "No such skill"]).get_json()
    assert [i["id"] for i in body["items"]] == [network.software.id]


def test_projects_pages_link_to_each_other(client, network):
    first = get(client, "/api/v1/projects", per_page=1, sort="newest").get_json()
    assert first["pages"] == 2 and len(first["items"]) == 1
    assert "page=2" in first["links"]["next"] and "per_page=1" in first["links"]["next"]
    second = client.get(first["links"]["next"]).get_json()
    assert second["links"]["prev"] and second["links"]["next"] is None
    assert second["items"][0]["id"] != first["items"][0]["id"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": 10**20},
        {"per_page": 51},
        {"per_page": 0},
        {"work_mode": "underwater"},
        {"sort": "random"},
        {"within": 3},
        {"q": "x" * 1000},
        {"country": "Ghana"},
    ],
)
def test_projects_refuses_bad_parameters_with_the_field(client, network, params):
    response = get(client, "/api/v1/projects", **params)
    body = assert_problem(response, 422)
    assert set(body["errors"]["query"]) == set(params)


def test_an_address_too_long_is_a_problem(client, network):
    assert_problem(get(client, "/api/v1/projects", q="x" * 10_000), 414)


def test_projects_read_nul_bytes_and_ignore_unknown_parameters(client, network):
    response = get(client, "/api/v1/projects", q="soft\x00ware", colour="blue")
    assert response.status_code == 200
    assert [i["id"] for i in response.get_json()["items"]] == [network.software.id]


def test_projects_search_unavailable_is_503_with_retry_after(client, network, monkeypatch):
    def broken(*args, **kwargs):
        raise SearchUnavailable("index missing")

    monkeypatch.setattr(discovery, "search_projects", broken)
    response = get(client, "/api/v1/projects")
    body = assert_problem(response, 503)
    assert response.headers["Retry-After"].isdigit()
    assert "index missing" not in body.get("detail", "")


def test_project_shows_what_its_page_shows(client, network):
    project = network.software
    body = get(client, f"/api/v1/projects/{project.id}").get_json()
    assert set(body) == {
        "id", "url", "title", "summary", "description", "institution", "country", "region",
        "sector", "engagement_mode", "work_mode", "compensation", "skills", "languages",
        "written_in", "places", "places_left", "start_date", "duration_weeks", "deadline",
        "published_at", "contact", "info_url",
    }  # fmt: skip
    assert body["skills"] == [s.name for s in project.skills]
    assert body["languages"] == ["fr"] and body["written_in"] == "fr"
    assert body["places"] == 2 and body["places_left"] == 2 and body["duration_weeks"] == 12
    assert body["info_url"] == "https://univ.example/call"
    assert body["deadline"] == project.deadline.isoformat()
    assert body["institution"] == {
        "id": network.university.id,
        "name": "Université de Dakar",
        "url": f"http://diaspora.test/institutions/{network.university.id}",
    }
    # The project's page names its contact to every visitor, and so does the API.
    page = client.get(f"/projects/{network.nursing.id}").get_data(as_text=True)
    nursing = get(client, f"/api/v1/projects/{network.nursing.id}").get_json()
    assert nursing["contact"] == {"name": "Dr Ama Owusu", "role": "Head nurse"}
    assert "Dr Ama Owusu" in page and "Head nurse" in page


def test_project_not_listed_is_the_same_404(client, network):
    answers = [
        get(client, f"/api/v1/projects/{pid}")
        for pid in (network.draft.id, network.hidden.id, 999_999, INT_MAX, INT_MAX + 1, 10**30)
    ]
    bodies = [assert_problem(response, 404) for response in answers]
    assert len({body["detail"] for body in bodies}) == 1


def test_institutions_lists_verified_ones(client, network):
    body = get(client, "/api/v1/institutions").get_json()
    names = [i["name"] for i in body["items"]]
    assert names == ["Korle Bu Teaching Hospital", "Université de Dakar"]
    senegal = get(client, "/api/v1/institutions", country="sn").get_json()
    assert [i["id"] for i in senegal["items"]] == [network.university.id]
    assert_problem(get(client, "/api/v1/institutions", country="x\x00"), 422)


def test_institution_shows_what_its_page_shows(client, network):
    body = get(client, f"/api/v1/institutions/{network.hospital.id}").get_json()
    assert body["name"] == "Korle Bu Teaching Hospital"
    assert body["kind"] == "hospital" and body["city"] == "Accra" and body["country"] == "GH"
    assert [p["id"] for p in body["projects"]] == [network.nursing.id]
    assert body["record"] == {"answers": None, "completed": 0}
    assert "Ama Mensah" not in str(body)  # its representatives are not on its page
    assert_problem(get(client, f"/api/v1/institutions/{network.unverified.id}"), 404)


def test_skills_lists_the_taxonomy_with_names_in_every_language(client, network):
    body = get(client, "/api/v1/skills", per_page=50).get_json()
    assert body["total"] >= 50 and len(body["items"]) == 50
    item = body["items"][0]
    assert set(item) == {"name", "sector", "labels", "names"}
    assert set(item["names"]) == {"en", "fr", "es", "ar", "pt"}
    assert item["names"]["en"] == item["name"]


def test_skills_filters_by_prefix(client, network):
    name = network.software.skills[0].name
    body = get(client, "/api/v1/skills", q=name[:4].upper()).get_json()
    assert name in [i["name"] for i in body["items"]]
    assert all(
        i["name"].casefold().startswith(name[:4].casefold())
        or any(label.casefold().startswith(name[:4].casefold()) for label in i["labels"])
        for i in body["items"]
    )
    assert get(client, "/api/v1/skills", q="%_\x00").get_json()["total"] == 0


def test_impact_gives_the_public_figures(client, network):
    body = get(client, "/api/v1/impact").get_json()
    assert set(body["tables"]) == {"public_totals", "public_countries"}
    assert body["licence"] == "CC BY 4.0"


def test_impact_before_the_first_refresh_says_so(client, app):
    body = get(client, "/api/v1/impact").get_json()
    assert body["generated_at"] is None and body["period"] is None and body["tables"] == {}


def test_wrong_method_is_405_with_allow(client, network):
    response = client.post("/api/v1/projects")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_unknown_address_is_a_problem(client, app):
    assert_problem(get(client, "/api/v1/nothing-here"), 404)


def test_nothing_of_members_in_any_answer(client, network):
    db.session.refresh(network.rep)
    for path in (
        "/api/v1/projects",
        "/api/v1/institutions",
        f"/api/v1/projects/{network.nursing.id}",
    ):
        text = get(client, path).get_data(as_text=True)
        assert network.rep.email not in text and "Ama Mensah" not in text
