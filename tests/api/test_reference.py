"""The API reference page: made from the app's OpenAPI document, readable without
JavaScript on a phone, in the reader's language around the document's English."""

import re

import pytest
from flask_smorest import Blueprint
from markupsafe import escape

from diaspora import create_app
from diaspora.api import KEY_NEEDED
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
    assert app.config["API_RATE_LIMIT_ANONYMOUS"] in html
    assert app.config["API_RATE_LIMIT_KEY"] in html
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
