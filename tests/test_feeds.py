"""The open-data feeds of published projects: /feeds/projects.atom and /feeds/projects.json."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from diaspora.extensions import db
from diaspora.models import InstitutionStatus, ProjectStatus, Role, Skill
from diaspora.models.base import utcnow
from diaspora.services import applications, feeds
from diaspora.services.applications import Engagement
from tests.factories import (
    MOTIVATION,
    filled_profile,
    make_institution,
    make_project,
    new_user,
    sign_in,
    speaking,
)

ATOM = "/feeds/projects.atom"
JSON = "/feeds/projects.json"
NS = {"a": "http://www.w3.org/2005/Atom"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
BASE = "http://diaspora.test"


def published(institution=None, **fields):
    """A listed project (published, open, places left); ``published_ago`` orders them."""
    institution = institution or make_institution()
    ago = fields.pop("published_ago", timedelta(0))
    skills = fields.pop("skills", [])
    project = make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        published_at=utcnow() - ago,
        **fields,
    )
    for name in skills:
        skill = Skill(name=name, key=Skill.key_for(name))
        db.session.add(skill)
        project.skills.append(skill)
    db.session.commit()
    return project


def parse(body):
    """The Atom document the app wrote (our own output, with the standard library's parser,
    as a reader would)."""
    return ET.fromstring(body)  # noqa: S314


def json_feed(client, query="", **headers):
    response = client.get(f"{JSON}{query}", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/feed+json"
    return json.loads(response.get_data(as_text=True))


def atom_feed(client, query="", **headers):
    response = client.get(f"{ATOM}{query}", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/atom+xml"
    return parse(response.get_data())


def entries(root):
    return root.findall("a:entry", NS)


def text(element, path):
    found = element.find(path, NS)
    assert found is not None, path
    return found.text or ""


def ids(client, query=""):
    return [item["id"] for item in json_feed(client, query)["items"]]


def test_json_feed_has_every_field_of_the_format(app, client):
    institution = make_institution(name="Korle Bu Teaching Hospital")
    project = published(
        institution,
        title="Neonatal nursing",
        summary="Teach resuscitation.",
        description="Two weeks on the ward.\n\nAll costs covered.",
        country="GH",
        region="Accra",
        sector="health",
        languages=["en", "fr"],
        places=3,
        places_filled=1,
        skills=["Neonatal care", "Teaching"],
    )
    document = json_feed(client)

    url = f"{BASE}/projects/{project.id}"
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "Diaspora: projects"
    assert document["home_page_url"] == f"{BASE}/search"
    assert document["feed_url"] == f"{BASE}{JSON}"
    assert document["description"]
    assert document["language"] == "en"
    assert "next_url" not in document
    assert document["_diaspora"] == {
        "version": 1,
        "network": "Diaspora",
        "home_page_url": f"{BASE}/",
    }
    (item,) = document["items"]
    assert set(item) == {
        "id",
        "url",
        "title",
        "summary",
        "content_text",
        "date_published",
        "date_modified",
        "authors",
        "tags",
        "language",
        "_diaspora",
    }
    assert item["id"] == item["url"] == url
    assert item["title"] == "Neonatal nursing"
    assert item["summary"] == "Teach resuscitation."
    assert item["content_text"] == "Two weeks on the ward.\n\nAll costs covered."
    assert RFC3339.match(item["date_published"]) and RFC3339.match(item["date_modified"])
    assert item["date_published"] <= item["date_modified"]
    assert item["authors"] == [{"name": "Korle Bu Teaching Hospital"}]
    assert item["tags"] == ["Neonatal care", "Teaching"]
    assert item["language"] == "en"
    assert item["_diaspora"] == {
        "country": "GH",
        "region": "Accra",
        "sector": "health",
        "engagement_mode": "teaching",
        "work_mode": "onsite",
        "compensation": "expenses",
        "skills": ["Neonatal care", "Teaching"],
        "languages": ["en", "fr"],
        "deadline": project.deadline.isoformat(),
        "places_left": 2,
        "institution": "Korle Bu Teaching Hospital",
    }


def test_a_project_without_deadline_says_null(app, client):
    published(deadline=None)
    (item,) = json_feed(client)["items"]
    assert item["_diaspora"]["deadline"] is None


def test_atom_feed_has_every_field_of_the_format(app, client):
    institution = make_institution(name="University of Ghana")
    project = published(
        institution,
        title="Solar clinics",
        summary="Size solar systems.",
        description="Remote advice.",
        sector="energy",
        skills=["Solar energy"],
    )
    root = atom_feed(client, "?country=gh&sector=energy")

    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert text(root, "a:id") == f"{BASE}{ATOM}?country=GH&sector=energy"
    assert text(root, "a:title") == "Diaspora: projects"
    assert RFC3339.match(text(root, "a:updated"))
    links = {
        link.get("rel") + ":" + link.get("type"): link.get("href")
        for link in root.findall("a:link", NS)
    }
    assert links["self:application/atom+xml"] == f"{BASE}{ATOM}?country=GH&sector=energy"
    assert links["alternate:text/html"] == f"{BASE}/search?country=GH&sector=energy"
    assert not [link for link in root.findall("a:link", NS) if link.get("rel") == "next"]
    (entry,) = entries(root)
    url = f"{BASE}/projects/{project.id}"
    assert text(entry, "a:id") == url
    assert text(entry, "a:title") == "Solar clinics"
    (alternate,) = entry.findall("a:link", NS)
    assert (alternate.get("rel"), alternate.get("href")) == ("alternate", url)
    assert RFC3339.match(text(entry, "a:published")) and RFC3339.match(text(entry, "a:updated"))
    assert text(entry, "a:author/a:name") == "University of Ghana"
    assert entry.find("a:summary", NS).get("type") == "text"
    assert text(entry, "a:summary") == "Size solar systems."
    assert entry.find("a:content", NS).get("type") == "text"
    assert text(entry, "a:content") == "Remote advice."
    assert [c.get("term") for c in entry.findall("a:category", NS)] == ["energy", "Solar energy"]


def test_ids_are_the_same_across_formats_requests_and_edits(app, client):
    first = published(title="First", published_ago=timedelta(hours=2))
    second = published(title="Second", published_ago=timedelta(hours=1))
    from_json = ids(client)
    from_atom = [text(entry, "a:id") for entry in entries(atom_feed(client))]
    assert (
        from_json
        == from_atom
        == [
            f"{BASE}/projects/{second.id}",
            f"{BASE}/projects/{first.id}",
        ]
    )
    assert ids(client) == from_json

    before = json_feed(client)["items"][1]
    first.title = "First, renamed"
    first.updated_at = utcnow() + timedelta(seconds=2)
    db.session.commit()
    after = json_feed(client)["items"][1]
    assert after["id"] == before["id"]
    assert after["title"] == "First, renamed"
    assert after["date_modified"] > before["date_modified"]
    assert after["date_published"] == before["date_published"]


def test_only_listed_projects_appear(app, client):
    institution = make_institution()
    listed = published(institution, title="Listed")
    today = utcnow().date()
    hidden = [
        make_project(institution, status=status, title=f"Hidden {status.value}")
        for status in ProjectStatus
        if status != ProjectStatus.PUBLISHED
    ]
    hidden.append(published(institution, title="Hidden past", deadline=today - timedelta(days=1)))
    hidden.append(published(institution, title="Hidden full", places=2, places_filled=2))

    for query in ("", "?country=GH", "?sector=health", "?country=GH&sector=health"):
        assert ids(client, query) == [f"{BASE}/projects/{listed.id}"]
        atom = atom_feed(client, query)
        assert [text(entry, "a:id") for entry in entries(atom)] == [f"{BASE}/projects/{listed.id}"]
    body = client.get(ATOM).get_data(as_text=True) + client.get(JSON).get_data(as_text=True)
    assert "Hidden" not in body
    assert published(institution, title="Due today", deadline=today)  # still open today
    assert len(ids(client)) == 2


def test_filters_by_several_countries_and_sectors(app, client):
    ghana = published(country="GH", sector="health", published_ago=timedelta(hours=3))
    senegal = published(country="SN", sector="energy", published_ago=timedelta(hours=2))
    kenya = published(country="KE", sector="health", published_ago=timedelta(hours=1))

    def projects(query):
        return [int(url.rsplit("/", 1)[1]) for url in ids(client, query)]

    assert projects("") == [kenya.id, senegal.id, ghana.id]
    assert projects("?country=GH") == [ghana.id]
    assert projects("?country=gh&country=SN") == [senegal.id, ghana.id]
    assert projects("?sector=health") == [kenya.id, ghana.id]
    assert projects("?sector=HEALTH&sector=energy") == [kenya.id, senegal.id, ghana.id]
    assert projects("?country=KE&country=SN&sector=energy") == [senegal.id]
    assert projects("?country=ZZ") == []
    assert projects("?sector=nonsense") == []
    assert projects("?country=ZZ&country=GH") == [ghana.id]
    assert projects("?country=") == [kenya.id, senegal.id, ghana.id]
    document = json_feed(client, "?sector=health&country=KE&country=GH&country=GH")
    assert document["feed_url"] == f"{BASE}{JSON}?country=GH&country=KE&sector=health"
    assert document["home_page_url"] == f"{BASE}/search?country=GH&country=KE&sector=health"


def test_pages_of_the_feed_link_to_the_next(app, client, monkeypatch):
    monkeypatch.setattr(feeds, "PER_PAGE", 2)
    made = [published(published_ago=timedelta(hours=10 - n)) for n in range(5)]
    newest_first = [f"{BASE}/projects/{p.id}" for p in reversed(made)]

    first = json_feed(client, "?sector=health")
    assert [item["id"] for item in first["items"]] == newest_first[:2]
    assert first["next_url"] == f"{BASE}{JSON}?sector=health&page=2"
    second = json_feed(client, "?sector=health&page=2")
    assert [item["id"] for item in second["items"]] == newest_first[2:4]
    assert second["feed_url"] == f"{BASE}{JSON}?sector=health&page=2"
    last = json_feed(client, "?sector=health&page=3")
    assert [item["id"] for item in last["items"]] == newest_first[4:]
    assert "next_url" not in last

    root = atom_feed(client, "?sector=health&page=2")
    assert text(root, "a:id") == f"{BASE}{ATOM}?sector=health"
    nexts = [link.get("href") for link in root.findall("a:link", NS) if link.get("rel") == "next"]
    assert nexts == [f"{BASE}{ATOM}?sector=health&page=3"]
    last_atom = atom_feed(client, "?sector=health&page=3")
    assert not [link for link in last_atom.findall("a:link", NS) if link.get("rel") == "next"]


def test_a_page_past_the_end_is_an_empty_feed(app, client):
    published()
    for page in ("2", "100000", "99999999999999"):
        assert json_feed(client, f"?page={page}")["items"] == []
        assert entries(atom_feed(client, f"?page={page}")) == []


def test_conditional_get_answers_304_until_the_feed_changes(app, client):
    project = published()
    for path in (ATOM, JSON):
        response = client.get(path)
        etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
        assert etag.startswith('W/"')
        assert response.headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
        assert "Accept-Language" in response.headers["Vary"]

        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.get_data() == b""
        assert again.headers["ETag"] == etag
        assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200

    etags = {path: client.get(path).headers["ETag"] for path in (ATOM, JSON)}
    modified = client.get(JSON).headers["Last-Modified"]
    project.summary = "A new summary."
    project.updated_at = utcnow() + timedelta(seconds=5)
    db.session.commit()
    for path in (ATOM, JSON):
        changed = client.get(path, headers={"If-None-Match": etags[path]})
        assert changed.status_code == 200
        assert changed.headers["ETag"] != etags[path]
        assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 200


def test_a_project_leaving_the_feed_changes_its_last_modified(app, client):
    older = published(published_ago=timedelta(days=2))
    newer = published(published_ago=timedelta(days=1))
    for project, days in ((older, 2), (newer, 1)):
        project.updated_at = project.institution.updated_at = utcnow() - timedelta(days=days)
    db.session.commit()
    response = client.get(JSON)
    modified = response.headers["Last-Modified"]

    newer.status = ProjectStatus.CLOSED
    newer.closed_at = utcnow()
    db.session.commit()
    gone = client.get(JSON, headers={"If-Modified-Since": modified})
    assert gone.status_code == 200
    assert [item["id"] for item in json.loads(gone.get_data())["items"]] == [
        f"{BASE}/projects/{older.id}"
    ]


def test_a_project_past_its_deadline_moves_last_modified_to_that_midnight(app, client):
    """Before the scheduled close marks it closed, a project past its deadline has already
    left the feed, with no change to its row: the feed counts as changed at that midnight."""
    today = utcnow().date()
    stays = published(published_ago=timedelta(days=5))
    published(published_ago=timedelta(days=4), deadline=today - timedelta(days=1))
    stays.updated_at = stays.institution.updated_at = utcnow() - timedelta(days=5)
    db.session.commit()
    response = client.get(JSON)
    assert response.last_modified.date() == today
    assert (response.last_modified.hour, response.last_modified.minute) == (0, 0)
    assert len(json.loads(response.get_data())["items"]) == 1


def test_an_empty_feed_keeps_its_validators(app, client):
    first, second = client.get(ATOM), client.get(ATOM)
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]
    assert client.get(ATOM, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_nothing_about_members_appears(app, client):
    rep = new_user(Role.INSTITUTION, name="Ama Repname", email="ama.rep@kbth.example")
    institution = make_institution(rep)
    project = published(institution, contact_name="Dr Contactname")
    applicant = new_user(name="Yonas Applicantname", email="yonas.secret@example.org")
    filled_profile(applicant, listed=True, public=True)
    applications.apply(applicant, project, MOTIVATION, Engagement())
    db.session.commit()

    for path in (ATOM, JSON):
        body = client.get(path).get_data(as_text=True)
        assert f"/projects/{project.id}" in body
        for private in (
            "Applicantname",
            "yonas.secret",
            "Repname",
            "ama.rep",
            "Contactname",
            MOTIVATION,
            "@example",
        ):
            assert private not in body, (path, private)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("?country=%00", 1),  # nothing left of the value: no filter
        ("?country=GH%00", 1),
        ("?sector=health%00%01", 1),
        ("?page=%00", 1),
        ("?page=99999999999999", 0),
        ("?page=-5", 1),
        ("?page=1e9", 1),
        ("?country=%27%20OR%201%3D1--", 0),
        ("?sector=%27%20OR%20%271%27%3D%271", 0),
        ("?country=" + "X" * 3000, 0),
        ("?" + "&".join(f"sector=s{n}" for n in range(200)), 0),
        ("?country=%E2%80%AE%D8%B9", 0),
        ("?country[]=ZZ&sector=%0D%0ALocation:%20x", 0),
    ],
)
def test_hostile_parameters_get_a_normal_answer(app, client, query, found):
    published(country="GH", sector="health")
    response = client.get(JSON + query)
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert len(json.loads(response.get_data())["items"]) == found
    response = client.get(ATOM + query)
    assert response.status_code == 200
    assert len(entries(parse(response.get_data()))) == found


def test_a_ten_thousand_character_value_is_refused_by_the_address_limit(app, client):
    for path in (ATOM, JSON):
        response = client.get(path + "?country=" + "A" * 10_000)
        assert response.status_code == 414


def test_a_signed_in_coordinator_gets_exactly_the_public_feed_and_no_cookie(app):
    published(title="Public project")
    coordinator = speaking(new_user(Role.COORDINATOR), "fr")
    visitor, signed_in = app.test_client(), app.test_client()
    sign_in(signed_in, coordinator)
    signed_in.set_cookie("diaspora_remember", "forged|value", domain="diaspora.test")
    signed_in.set_cookie("language", "ar", domain="diaspora.test")
    for path in (ATOM, JSON):
        public = visitor.get(path)
        private = signed_in.get(path)
        assert private.status_code == public.status_code == 200
        assert private.get_data() == public.get_data()
        assert private.headers["ETag"] == public.headers["ETag"]
        for response in (public, private):
            assert "Set-Cookie" not in response.headers
            assert "Cookie" not in response.headers.get("Vary", "")
            assert "no-store" not in response.headers["Cache-Control"]
    assert json.loads(signed_in.get(JSON).get_data())["language"] == "en"
    # The session still works on the site's pages afterwards.
    page = signed_in.get("/projects/mine")
    assert page.status_code == 200


def test_the_feed_speaks_the_readers_accept_language(app, client):
    published()
    document = json_feed(client, **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert document["language"] == "fr"
    root = atom_feed(client, **{"Accept-Language": "ar"})
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    english = client.get(JSON).headers["ETag"]
    assert client.get(JSON, headers={"Accept-Language": "fr"}).headers["ETag"] != english


def test_arabic_and_other_scripts_round_trip(app, client):
    institution = make_institution(name="جامعة الخرطوم")
    published(
        institution,
        title="تدريب الممرضات على رعاية حديثي الولادة",
        summary="ደብረ ብርሃን · 新生儿护理 · 🩺",
        description="السطر الأول\n\n第二段",
        region="الخرطوم",
        written_in="ar",
        skills=["رعاية حديثي الولادة", "护理"],
    )
    (item,) = json_feed(client)["items"]
    (entry,) = entries(atom_feed(client))
    assert item["title"] == text(entry, "a:title") == "تدريب الممرضات على رعاية حديثي الولادة"
    assert item["summary"] == text(entry, "a:summary") == "ደብረ ብርሃን · 新生儿护理 · 🩺"
    assert item["content_text"] == text(entry, "a:content") == "السطر الأول\n\n第二段"
    assert item["authors"][0]["name"] == text(entry, "a:author/a:name") == "جامعة الخرطوم"
    assert item["_diaspora"]["region"] == "الخرطوم"
    assert item["language"] == entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    terms = [c.get("term") for c in entry.findall("a:category", NS)][1:]
    assert sorted(item["tags"]) == sorted(terms) == sorted(["رعاية حديثي الولادة", "护理"])
    assert "تدريب".encode() in client.get(JSON).get_data()  # UTF-8, not \\u escapes


def test_markup_and_cdata_ends_are_escaped_in_atom(app, client):
    title = "<script>alert(1)</script> ]]> & \"quoted\" 'single'"
    published(
        title=title,
        summary="<![CDATA[ x ]]>",
        description="a\x0bb\x0cc\x1ed <img src=x onerror=alert(1)>",
        institution=make_institution(name="A & B <Hospital>"),
    )
    body = client.get(ATOM).get_data(as_text=True)
    assert "<script>" not in body and "]]>" not in body and "<img" not in body
    (entry,) = entries(parse(body))
    assert text(entry, "a:title") == title
    assert text(entry, "a:summary") == "<![CDATA[ x ]]>"
    assert text(entry, "a:content") == "abcd <img src=x onerror=alert(1)>"
    assert text(entry, "a:author/a:name") == "A & B <Hospital>"
    (item,) = json_feed(client)["items"]
    assert item["title"] == title


def test_projects_of_unverified_institutions_follow_the_listing_rule(app, client):
    """The feed lists exactly what the site lists: the same query, nothing of its own."""
    from diaspora.services import projects

    published(institution=make_institution(status=InstitutionStatus.VERIFIED))
    listed = [f"{BASE}/projects/{p.id}" for p in db.session.scalars(projects.listed_query())]
    assert ids(client) == listed


@pytest.mark.search_index
def test_home_and_search_pages_list_the_feeds(app, client):
    home = client.get("/").get_data(as_text=True)
    head = home.split("</head>")[0]
    assert '<link rel="alternate" type="application/atom+xml"' in head
    assert f'href="{ATOM}"' in head and f'href="{JSON}"' in head
    assert 'type="application/feed+json"' in head

    page = client.get("/search?country=GH&country=SN&sector=health").get_data(as_text=True)
    head, content = page.split("</head>")
    feed_query = "?country=GH&amp;country=SN&amp;sector=health"
    assert f'href="{ATOM}{feed_query}"' in head and f'href="{JSON}{feed_query}"' in head
    assert "Follow these results as a feed:" in content
    assert f'<a href="{ATOM}{feed_query}">Atom</a>' in content
    assert f'<a href="{JSON}{feed_query}">JSON Feed</a>' in content

    worded = client.get("/search?q=nurse&sector=health").get_data(as_text=True)
    assert "Follow every open project of these countries and sectors as a feed:" in worded
    assert f'href="{ATOM}?sector=health"' in worded
    everything = client.get("/search?q=nurse").get_data(as_text=True)
    assert "Follow every open project as a feed:" in everything
    assert f'<a href="{ATOM}">Atom</a>' in everything


def test_error_pages_under_feeds_need_no_session(app, client):
    """The site's own error pages render there too, with CSRF protection on as in production
    (a form's token would need the session the feeds do not have)."""
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.get(ATOM + "?country=" + "A" * 10_000).status_code == 414
    missing = client.get("/feeds/nothing.atom")
    assert missing.status_code == 404
    assert "Set-Cookie" not in missing.headers
