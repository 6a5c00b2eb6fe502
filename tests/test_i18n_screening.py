"""The screening's reasons on the coordinators' pages, in the coordinator's language."""

import pytest
from flask import g

from diaspora.extensions import db as _db
from diaspora.models import ProjectStatus, Role
from diaspora.services import projects
from tests.factories import make_institution, make_project

FEE_FR = "Les frais de dossier sont à la charge du candidat : 50 000 FCFA."
VISA_AR = "نقدم تأشيرة مضمونة لكل المشاركين."


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, email="awa@chu.example", name="Awa Diop")


def _coordinator(make_user, language):
    user = make_user(role=Role.COORDINATOR, email=f"coord-{language}@diaspora.example")
    user.language = language
    _db.session.commit()
    return user


def _page(client, url):
    """The page's text. Tests keep one app context (so one ``g``) across requests: forget
    the language an earlier request or the submission settled on, as a new request would."""
    g.pop("_flask_babel", None)
    return client.get(url).get_data(as_text=True)


def _submitted(rep, **fields):
    project = make_project(make_institution(rep=rep), status=ProjectStatus.DRAFT, **fields)
    projects.submit(rep, project)
    _db.session.commit()
    return project


def test_reasons_are_shown_in_french(client, auth, db, rep, make_user):
    project = _submitted(rep, description=FEE_FR, country="SN")
    assert project.screening[0]["title"] == "Fees charged to applicants"  # stored in English
    auth.login(_coordinator(make_user, "fr"))

    review = _page(client, f"/coordination/projects/{project.id}/review")
    assert "Frais demandés aux candidats" in review
    assert "les travailleurs ne paient jamais de frais de recrutement" in review
    assert '<mark class="flag" title="Frais demandés aux candidats">' in review
    assert "Fees charged to applicants" not in review
    assert 'badge-bad">élevée</span>' in review  # the rule's severity

    queue = _page(client, "/coordination/queue")
    assert "Frais demandés aux candidats" in queue


def test_reasons_are_shown_in_arabic(client, auth, db, rep, make_user):
    project = _submitted(rep, description=VISA_AR, country="EG")
    assert project.screening[0]["rule_id"] == "guaranteed-visa"
    auth.login(_coordinator(make_user, "ar"))

    review = _page(client, f"/coordination/projects/{project.id}/review")
    assert "تأشيرة أو تصريح عمل مضمون" in review
    assert "لا يمكن لأحد أن يضمن ذلك" in review
    assert "Guaranteed visa or work permit" not in review
    assert 'badge-bad">عالية</span>' in review


def test_reasons_stay_english_for_an_english_coordinator(client, auth, db, rep, make_user):
    project = _submitted(rep, description=FEE_FR, country="SN")
    auth.login(_coordinator(make_user, "en"))
    review = _page(client, f"/coordination/projects/{project.id}/review")
    assert "Fees charged to applicants" in review
    assert "ILO General Principles" in review
    assert 'badge-bad">high</span>' in review
