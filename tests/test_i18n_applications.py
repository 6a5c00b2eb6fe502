"""The application pages and emails in the reader's language: a member's applications and an
application in French and Arabic, plural forms, and an email written in its recipient's
language whoever acted."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from diaspora import i18n
from diaspora.models import Application, ApplicationMessage, MessageKind, OutboxMessage, Role
from diaspora.models.base import utcnow
from diaspora.models.project import ProjectStatus
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from tests.factories import MOTIVATION, make_institution, make_project, speaking, with_profile

TRANSLATIONS = Path(i18n.__file__).parent / "translations"


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, email="rep@aau.example", name="Kofi Mensah")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, places=3)


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


@pytest.fixture
def application(db, member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    db.session.commit()
    return application


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_member_pages_in_french(client, auth, db, member, application):
    speaking(member, "fr")
    auth.login(member)
    mine = page(client, "/applications")
    assert '<html lang="fr"' in mine
    assert "<h1>Mes candidatures</h1>" in mine
    assert "Candidature envoyée, en attente de réponse" in mine
    shown = page(client, f"/applications/{application.id}")
    assert "Votre candidature est reçue : la suite" in shown
    assert "Votre proposition" in shown
    assert "Retirer ma candidature" in shown
    assert "Messages et historique" in shown
    assert "Your proposal" not in shown


def test_member_pages_in_arabic(client, auth, db, member, application):
    speaking(member, "ar")
    auth.login(member)
    mine = page(client, "/applications")
    assert 'dir="rtl"' in mine
    assert "طلباتي" in mine
    assert "تم التقديم، بانتظار الرد" in mine
    shown = page(client, f"/applications/{application.id}")
    assert "اقتراحك" in shown
    assert "سحب طلبي" in shown


def test_application_page_for_the_institution_in_french(client, auth, db, rep, application):
    speaking(rep, "fr")
    auth.login(rep)
    shown = page(client, f"/applications/{application.id}")
    assert "Le candidat" in shown
    assert "Envoyer la réponse" in shown
    assert "Présélectionner" in shown  # a choice of the decision form
    assert "3 places restantes." in shown


def test_apply_form_in_arabic(client, auth, db, make_user, project):
    other = with_profile(make_user(email="amina@example.org"))
    speaking(other, "ar")
    auth.login(other)
    form = page(client, f"/projects/{project.id}/apply")
    assert "ما ستراه المؤسسة من ملفك الشخصي" in form
    assert "إرسال طلبي" in form
    assert "دون تفضيل" in form  # the ways of working, chosen when the form is made


@pytest.mark.parametrize(
    ("places", "expected"),
    [(1, "0 place pourvue sur 1."), (3, "0 places pourvues sur 3.")],
)
def test_places_plural_in_french(client, auth, db, rep, project, places, expected):
    project.places = places
    speaking(rep, "fr")
    auth.login(rep)
    assert expected in page(client, f"/projects/{project.id}/applicants")


@pytest.mark.parametrize(
    ("places", "expected"),
    [(2, "شُغل 0 من أصل مكانين."), (11, "شُغل 0 من أصل 11 مكانًا.")],
)
def test_places_plural_in_arabic(client, auth, db, rep, project, places, expected):
    project.places = places
    speaking(rep, "ar")
    auth.login(rep)
    assert expected in page(client, f"/projects/{project.id}/applicants")


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        ("fr", 1, "En attente depuis 1 jour"),
        ("fr", 3, "En attente depuis 3 jours"),
        ("ar", 2, "بالانتظار منذ يومين"),
        ("ar", 11, "بالانتظار منذ 11 يومًا"),
    ],
)
def test_waiting_days_plural_in_the_inbox(
    client, auth, db, rep, application, language, days, expected
):
    application.created_at = utcnow() - timedelta(days=days, hours=1)
    speaking(rep, language)
    auth.login(rep)
    assert expected in page(client, "/applications/inbox")


def test_accepted_email_is_in_the_members_language(client, auth, db, rep, member, application):
    """The representative browses in English; the member reads Spanish."""
    speaking(member, "es")
    auth.login(rep)
    response = client.post(
        f"/applications/{application.id}/decide",
        data={"decision": "accept"},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Your answer is recorded" in response.get_data(as_text=True)
    mail = db.session.scalar(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient == member.email)
        .where(OutboxMessage.template == "applications/accepted")
    )
    assert mail is not None
    assert "Hola, Hiwot Tesfaye:" in mail.body_text
    assert "Buenas noticias: ha sido aceptado en «Training nurses in neonatal care»" in (
        mail.body_text
    )
    assert "Abrir la candidatura" in mail.body_html
    assert "Good news" not in mail.body_text
    assert db.session.get(Application, application.id).status.label == "Accepted"


def test_history_written_in_english_is_shown_in_the_readers_language(
    client, auth, db, member, application
):
    db.session.add(
        ApplicationMessage(
            application_id=application.id,
            author_id=member.id,
            kind=MessageKind.MESSAGE,
            body="Completion disputed: the report is missing",
        )
    )
    db.session.commit()
    speaking(member, "fr")
    auth.login(member)
    shown = page(client, f"/applications/{application.id}")
    assert "Achèvement contesté : the report is missing" in shown


def test_interview_times_follow_the_language(app):
    """A time shown in its zone names its day and month in the reader's language, and a time
    the history keeps in English is shown in it too."""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from diaspora.models import InterviewProposal, InterviewSlot
    from diaspora.models.application import history_text

    slot = InterviewSlot(starts_at=datetime(2027, 3, 2, 7, 0, tzinfo=UTC))
    InterviewProposal(timezone="Africa/Addis_Ababa", duration_minutes=60, slots=[slot])
    stored = "Tue 02 Mar 2027, 10:00-11:00 (Africa/Addis_Ababa, UTC+03:00)"
    with app.test_request_context():
        with force_locale("en"):
            assert slot.local_text == stored
        with force_locale("fr"):
            assert slot.local_text == "mar. 2 mars 2027, 10:00-11:00 (Addis-Abeba, UTC+03:00)"
            assert str(slot.when) == slot.local_text
            assert history_text(MessageKind.INTERVIEW_AGREED, stored) == slot.local_text
            proposed = f"Times proposed:\n- {stored}\nPlace: Room 4\n\nBring your CV"
            assert history_text(MessageKind.INTERVIEW_PROPOSED, proposed) == (
                f"Créneaux proposés :\n- {slot.local_text}\nLieu : Room 4\n\nBring your CV"
            )
