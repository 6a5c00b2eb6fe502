"""The API against its own OpenAPI document, with Schemathesis: every operation the
document lists (those added later included) is called with generated valid and invalid
input, and every answer must match what the document promises.

Checks: no server error; a status, content type, headers and body the document allows for
that operation; invalid input refused with a 4xx. Operations that need a key are called with
a write key of a verified institution's representative (``KEY_NEEDED`` in the document).
The examples are derandomized, so a run in CI tries the same cases each time."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from diaspora import create_app
from diaspora.api import SECURITY_SCHEME

pytestmark = pytest.mark.search_index

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _document() -> dict:
    """The document as the app serves it (an app of its own, with no data: the document
    depends on the code only). Read once when the tests are collected, so each operation is
    a test of its own; each test then calls the app of its own test, filled with data.
    (``schemathesis.pytest.from_fixture`` would do both in one, but fails under pytest 9.)"""
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "document"}
    )
    return app.test_client().get("/api/v1/openapi.json").get_json()


# Invalid input is refused with a 4xx; 414 too: an address longer than the site takes
# (diaspora.main.limits.MAX_URL_LENGTH) is refused before any parameter is read.
NEGATIVE_REFUSALS = [
    "400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429"
]  # fmt: skip
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": NEGATIVE_REFUSALS}}}
)
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


def needs_key(case) -> bool:
    security = case.operation.definition.raw.get("security", [])
    return any(SECURITY_SCHEME in rule for rule in security)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_its_document(case, app, key_headers):
    app.config["RATELIMIT_ENABLED"] = False
    headers = key_headers if needs_key(case) else {}
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
