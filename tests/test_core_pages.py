"""Checks on the rendered pages of the core loop that need no browser: destructive buttons look
destructive, every label points at a control and no id repeats."""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models import User
from tests.core_pages import PAGES, build
from tests.factories import read_in, sign_in

pytestmark = pytest.mark.search_index

DESTRUCTIVE = ("reject", "refuse", "delete", "hide me", "unpublish", "decline", "suspend")
DESTRUCTIVE += ("remove", "withdraw", "stop following")


class Page(HTMLParser):
    """The buttons, labels and ids of one page."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []
        self.buttons: list[dict] = []
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_targets.append(attrs["for"])
        if tag == "button" or (tag == "a" and "button" in (attrs.get("class") or "")):
            self._button = {"tag": tag, "class": (attrs.get("class") or "").split(), "text": ""}
            self.buttons.append(self._button)

    def handle_endtag(self, tag):
        if tag in ("button", "a"):
            self._button = None

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data


@pytest.fixture
def pages(app):
    """Every core page as its person sees it, with a CSRF token in every form as in
    production: name -> parsed page."""
    app.config["WTF_CSRF_ENABLED"] = True
    world = build()
    parsed = {}
    for name, who, path in PAGES:
        client = app.test_client()
        if who:
            sign_in(client, getattr(world, who))
        response = client.get(path(world))
        assert response.status_code == 200, (name, response.status_code)
        page = Page()
        page.feed(response.get_data(as_text=True))
        parsed[name] = page
    return parsed


def test_destructive_buttons_carry_the_danger_class(pages):
    wrong, seen = [], set()
    for name, page in pages.items():
        for button in page.buttons:
            text = " ".join(button["text"].split())
            if text.lower().startswith(DESTRUCTIVE):
                seen.add(text.split()[0].lower())
                if "button-danger" not in button["class"]:
                    wrong.append(f"{name}: {text!r} has classes {button['class']}")
    assert not wrong, "\n".join(wrong)
    assert {
        "reject",
        "delete",
        "hide",
        "unpublish",
        "suspend",
        "remove",
        "withdraw",
        "stop",
    } <= seen


def test_every_label_points_at_an_existing_id_and_no_id_repeats(pages):
    problems = []
    for name, page in pages.items():
        ids = set(page.ids)
        problems += [
            f"{name}: <label for={t!r}> has no control" for t in page.label_targets if t not in ids
        ]
        problems += [f"{name}: id {i!r} repeats" for i in ids if page.ids.count(i) > 1]
    assert not problems, "\n".join(sorted(problems))


BUDGET = 60 * 1024
# The coordinators' impact dashboard is a report (16 tables, a year month by month, their
# charts) read at a desk more than on the move: it has a budget of its own.
REPORT_BUDGET = 100 * 1024
BUDGETS = {"impact dashboard": REPORT_BUDGET}


def test_every_core_page_with_its_css_stays_under_60_kb_in_every_language(app):
    """HTML plus the site's own stylesheets, uncompressed, with realistic data: the curated
    skills loaded, and a CSRF token in every form as in production; in each language the site
    speaks (a translation is often longer than the English)."""
    app.config["WTF_CSRF_ENABLED"] = True
    world = build()
    sizes = {}
    for code in i18n.LANGUAGES:
        db.session.execute(sa.update(User).values(language=code))
        db.session.commit()
        for name, who, path in PAGES + [
            ("public profile", None, lambda w: f"/members/{w.member.id}")
        ]:
            client = app.test_client()
            read_in(client, code)
            if who:
                sign_in(client, getattr(world, who))
            html = client.get(path(world)).get_data()
            assert f'lang="{code}"'.encode() in html[:200], (name, code)
            sheets = re.findall(rb'<link rel="stylesheet" href="(/static/[^"?]+)', html)
            assert sheets, name
            sizes[name, code] = len(html) + sum(
                len(client.get(href.decode()).get_data()) for href in sheets
            )
    for (name, code), size in sorted(sizes.items(), key=lambda item: item[1]):
        print(f"{size:>7} {code} {name}")
    over = {key: size for key, size in sizes.items() if size >= BUDGETS.get(key[0], BUDGET)}
    assert over == {}
