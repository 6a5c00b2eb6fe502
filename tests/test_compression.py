"""Production compresses text responses for clients that accept it."""

import gzip

import pytest

from diaspora.config import Config, ProductionConfig

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def app_config(app_config):
    app_config["COMPRESS_RESPONSES"] = True
    return app_config


def test_production_turns_compression_on_and_other_settings_leave_it_off():
    assert ProductionConfig.COMPRESS_RESPONSES is True
    assert Config.COMPRESS_RESPONSES is False


def test_pages_and_the_stylesheet_are_gzipped_for_a_client_that_accepts_it(app_config, client):
    page = client.get("/", headers=GZIP)
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    html = gzip.decompress(page.data)
    assert html.startswith(b"<!doctype html>")
    assert len(page.data) < len(html) / 2

    css = client.get("/static/style.css", headers=GZIP)
    assert css.headers["Content-Encoding"] == "gzip"
    assert b".button-danger" in gzip.decompress(css.data)


def test_a_client_that_does_not_accept_gzip_gets_plain_text(app_config, client):
    page = client.get("/")
    assert "Content-Encoding" not in page.headers
    assert page.data.startswith(b"<!doctype html>")
