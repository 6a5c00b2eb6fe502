"""The API reference page: made from the app's OpenAPI document, readable without
JavaScript on a phone, in the reader's language around the document's English."""

import re

import pytest
from flask_smorest import Blueprint
from markupsafe import escape

from diaspora import create_app
from diaspora.api import KEY_NEEDED
from diaspora.api.reference import limit_in_words
from tests.factories import read_in


def test_reference_lists_every_operation_of_the_document(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    html = client.get("/developers/api").get_data(as_text=True)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert f"{method.upper()} {path}" in html
            assert str(escape(operation["summary"])) in html
    assert 'href="/api/v1/openapi.json"' in html
    assert "Authorization: Bearer" in html
    assert "With a key: 600 requests a minute per key." in html
    assert "Without a key: 120 requests a minute per address." in html
    assert "application/problem+json" in html
    # Parameters with their place, type and limits; response fields with their types.
    assert "per_page" in html and "query: integer" in html and "at most 50" in html
    assert "places_left" in html and "Retry-After" in html


def test_reference_page_is_plain_and_fits_a_phone(client, app):
    response = client.get("/developers/api")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script" not in html
    assert not re.search(
        r'(src|href)="(https?:)?//',
        html.split("<main", 1)[1].split("</main>")[0].replace('href="http://diaspora.test', ""),
    )
    css = client.get("/static/style.css").get_data(as_text=True)
    assert ".api-path" in css and "overflow-wrap: anywhere" in css


def test_reference_in_another_language_keeps_the_document_english(client, app):
    read_in(client, "ar")
    html = client.get("/developers/api").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    # The document's own words stay English, marked so, and paths read left to right.
    assert '<span lang="en" dir="ltr">Search published projects</span>' in html
    assert '<code class="api-path" dir="ltr">GET /api/v1/projects</code>' in html


@pytest.fixture
def app_with_keyed_operation(app_config):
    """An app with one more operation, needing a key, as another module would add it."""
    app = create_app(app_config)
    extra = Blueprint("api_extra", __name__, url_prefix="/api/v1")

    @extra.route("/extra-things", methods=["POST"])
    @extra.doc(security=KEY_NEEDED, summary="Make an extra thing")
    @extra.response(204)
    def extra_things():
        return None

    app.extensions["diaspora.api"].register_blueprint(extra)
    return app


def test_operations_added_later_appear_with_their_key(app_with_keyed_operation):
    with app_with_keyed_operation.app_context():
        html = app_with_keyed_operation.test_client().get("/developers/api").get_data(as_text=True)
    assert "POST /api/v1/extra-things" in html and "Make an extra thing" in html
    assert "Needs a key with the scope “write”." in html


def test_the_contents_at_the_top_link_every_group_and_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    html = client.get("/developers/api").get_data(as_text=True)
    contents = html.split('id="contents-heading"', 1)[1].split("</nav>", 1)[0]
    assert html.index('id="contents-heading"') < html.index('id="keys"')
    for anchor in ("keys", "rate-limits", "errors", "group-api_public", "group-api_manage"):
        assert f'href="#{anchor}"' in contents and f'id="{anchor}' in html
    for anchor in re.findall(r'<section class="api-operation" id="([^"]+)"', html):
        assert f'href="#{anchor}"' in contents
    operations = sum(1 for item in spec["paths"].values() for m in item if m != "parameters")
    assert contents.count("api-path") == operations
    assert "Public data" in contents


def test_paths_and_code_read_left_to_right_in_arabic(client):
    read_in(client, "ar")
    html = client.get("/developers/api").get_data(as_text=True)
    assert '<a href="/api/v1/openapi.json"><code dir="ltr">/api/v1/openapi.json</code></a>' in html
    assert '<code dir="ltr">application/problem+json</code>' in html
    assert '<code class="api-name" dir="ltr">per_page</code>' in html
    assert "600 per minute" not in html


@pytest.mark.parametrize(
    ("configured", "said"),
    [
        ("600 per minute", "600 requests a minute"),
        ("1/second", "1 request a second"),
        ("100 per hour", "100 requests an hour"),
        ("5/second;1000/day", "5 requests a second; 1000 requests a day"),
        ("10 per 2 hours", '<code dir="ltr">10 per 2 hours</code>'),
        ("<b>nonsense</b>", '<code dir="ltr">&lt;b&gt;nonsense&lt;/b&gt;</code>'),
    ],
)
def test_rate_limits_are_said_in_words(app, configured, said):
    with app.test_request_context():
        assert str(limit_in_words(configured)) == said


def test_rate_limits_are_said_in_the_readers_language(client):
    read_in(client, "fr")
    html = client.get("/developers/api").get_data(as_text=True)
    assert "600 per minute" not in html and "requests a minute" not in html
