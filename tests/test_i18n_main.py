"""The public pages, the notification pages, the event lines and the digest in every language
the site speaks: translated text, the page's language and direction, plural forms, and mail
and notifications written in the recipient's language whoever's page the action came from.

These read the catalogs under ``diaspora/translations`` (French, Spanish, Arabic and
Portuguese for the home, about, privacy and terms pages, the notification pages, the events
and the digest)."""

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from diaspora.models import Frequency, Notification, OutboxMessage, ProjectStatus, Role
from diaspora.services import events, notifications
from diaspora.services.notifications import notify
from tests.conftest import login
from tests.factories import make_institution, make_project, read_in

TUESDAY = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)

PAGES = {
    "/": {
        "fr": "Votre expertise, là d'où vous venez",
        "es": "Su experiencia, al servicio de su lugar de origen",
        "ar": "خبرتك في خدمة بلدك الأصلي",
        "pt": "A sua especialização, ao serviço da sua terra de origem",
    },
    "/about": {
        "fr": "Recrutement équitable",
        "es": "Contratación justa",
        "ar": "التوظيف العادل",
        "pt": "Recrutamento justo",
    },
    "/privacy": {
        "fr": "Aucune page ne charge de polices, de scripts ou de traceurs depuis d'autres sites.",
        "es": "Ninguna página carga fuentes, scripts ni rastreadores de otros sitios.",
        "ar": "لا تحمّل أي صفحة خطوطًا أو نصوصًا برمجية أو أدوات تتبّع من مواقع أخرى.",
        "pt": "Nenhuma página carrega tipos de letra, scripts ou rastreadores de outros sites.",
    },
    "/terms": {
        "fr": "Conditions d'utilisation",
        "es": "Condiciones de uso",
        "ar": "شروط الاستخدام",
        "pt": "Termos de utilização",
    },
}
ENGLISH = {
    "/": "Your expertise, where you come from",
    "/about": "Fair recruitment",
    "/privacy": "No page loads fonts, scripts or trackers from other sites.",
    "/terms": "Terms of use",
}


def page(client, path: str, language: str) -> str:
    read_in(client, language)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text(html: str) -> str:
    """The page as one line, with the apostrophes Jinja escapes put back."""
    return " ".join(html.replace("&#39;", "'").split())


@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("language", ["fr", "es", "ar", "pt"])
def test_public_pages_speak_the_chosen_language(client, path, language):
    html = page(client, path, language)
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert PAGES[path][language] in text(html)
    assert ENGLISH[path] not in text(html)


def test_public_pages_stay_english_by_default(client):
    for path, sentence in ENGLISH.items():
        html = client.get(path).get_data(as_text=True)
        assert '<html lang="en" dir="ltr">' in html and sentence in text(html)


def test_legal_pages_are_translated_in_full(client):
    privacy = text(page(client, "/privacy", "fr"))
    assert "Avis de confidentialité" in privacy
    assert "Un nouveau profil n'est ni public ni trouvable par la recherche" in privacy
    assert "supprimer votre compte" in privacy and "l'index de recherche" in privacy
    terms = text(page(client, "/terms", "ar"))
    assert "يُسمح للأعضاء باستخدام أسماء مستعارة." in terms
    assert "ويُسجَّل كل قرار من هذا القبيل مع سببه." in terms
    about = text(page(client, "/about", "es"))
    assert "Nadie debería pagar nunca por ser contratado." in about
    home = text(page(client, "/", "pt"))
    assert "Registar uma instituição" in home and "Apenas instituições verificadas" in home


def test_notification_settings_labels_are_translated(client, db, make_user):
    member = make_user(email="awa@example.org")
    member.language = "fr"
    db.session.commit()
    login(client, member.email)
    html = text(client.get("/notifications/settings").get_data(as_text=True))
    assert '<html lang="fr" dir="ltr">' in html
    assert "<h1>Paramètres de notification</h1>" in html
    assert "Décisions et changements concernant mes candidatures" in html
    assert "Nouveaux projets correspondant à mon profil" in html
    assert "Immédiatement" in html and "Récapitulatif quotidien" in html
    assert "Désactivé" in html and "Enregistrer" in html
    assert "Right away" not in html and "Daily digest" not in html


def test_notification_list_in_arabic(client, db, make_user):
    member = make_user(email="layla@example.org")
    member.language = "ar"
    db.session.commit()
    login(client, member.email)
    html = text(client.get("/notifications/").get_data(as_text=True))
    assert '<html lang="ar" dir="rtl">' in html
    assert "اختر رسائل البريد الإلكتروني التي تتلقاها ومدى تكرارها" in html
    assert "لا شيء بعد." in html


def test_unsubscribe_pages_are_translated(client, db, make_user):
    user = make_user()
    read_in(client, "fr")
    token = notifications.unsubscribe_token(user, "digest-daily")
    assert "Arrêter le récapitulatif quotidien ?" in text(
        client.get(f"/notifications/unsubscribe/{token}").get_data(as_text=True)
    )
    done = text(client.post(f"/notifications/unsubscribe/{token}").get_data(as_text=True))
    assert "Nous n'enverrons plus le récapitulatif quotidien." in done
    token = notifications.unsubscribe_token(user, "message")
    read_in(client, "es")
    assert "¿Dejar de recibir correos sobre: nuevos mensajes sobre una candidatura?" in text(
        client.get(f"/notifications/unsubscribe/{token}").get_data(as_text=True)
    )


def test_an_event_is_told_in_the_recipients_language_from_an_english_page(app, db, make_user):
    rep = make_user(role=Role.INSTITUTION, email="rep@example.org")
    rep.language = "fr"
    project = make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, title="Water GIS")
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        note = events.tell(rep, "new_application", "/applications/", project=project)
        db.session.commit()
    assert note.message == "Nouvelle candidature pour Water GIS"
    stored = db.session.scalar(sa.select(Notification.message).where(Notification.id == note.id))
    assert stored == "Nouvelle candidature pour Water GIS"
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == "rep@example.org")
    ).one()
    assert mail.subject == "Nouvelle candidature pour Water GIS"
    assert project.title == "Water GIS"  # user content is never translated


def test_a_member_reads_the_event_and_its_email_in_french(app, db, make_user):
    member = make_user(email="awa@example.org")
    member.language = "fr"
    institution = make_institution(make_user(role=Role.INSTITUTION))
    project = make_project(
        institution, status=ProjectStatus.PUBLISHED, title="Water GIS", deadline=date(2026, 12, 9)
    )
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        note = events.tell(
            member, "saved_project_deadline", "/projects/1", project=project, when="dans 2 jours"
        )
        db.session.commit()
    line = "Les candidatures pour Water GIS se clôturent dans 2 jours (9 déc. 2026)."
    assert db.session.get(Notification, note.id).message == line
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == "awa@example.org")
    ).one()
    assert mail.subject == line and line in mail.body_text
    assert "Applications for" not in mail.subject + mail.body_text


def test_event_dates_and_counts_follow_the_recipients_language(app, db, make_user):
    member = make_user()
    member.language = "fr"
    reader = make_user()
    reader.language = "ar"
    institution = make_institution(make_user(role=Role.INSTITUTION))
    project = make_project(institution, status=ProjectStatus.PUBLISHED, title="GIS")
    db.session.commit()
    with app.test_request_context("/"):
        stale = events.tell(member, "profile_stale", "/profile", since=date(2026, 3, 5))
        assert "pour la dernière fois le 5 mars 2026." in stale.message
        three = events.tell(reader, "follow_up", "/f", project=project, months=3)
        twelve = events.tell(reader, "follow_up", "/f", project=project, months=12)
        english = make_user()
        one = events.tell(english, "follow_up", "/f", project=project, months=1)
    assert three.message == "بعد 3 أشهر من «GIS»: أربعة أسئلة قصيرة"
    assert twelve.message == "بعد 12 شهرًا من «GIS»: أربعة أسئلة قصيرة"
    assert one.message == "1 month after GIS: four short questions"


def digest_subject(db, user, count: int) -> str:
    notifications.set_preference(user, "message", Frequency.DAILY)
    for n in range(count):
        notify(user, "message", f"Line {n}", "/notifications/")
    db.session.commit()
    assert notifications.send_digests(now=TUESDAY) >= 1
    return db.session.scalars(
        sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == user.email)
    ).one()


@pytest.mark.parametrize(
    ("language", "count", "subject"),
    [
        ("fr", 1, "Votre récapitulatif quotidien : 1 mise à jour"),
        ("fr", 3, "Votre récapitulatif quotidien : 3 mises à jour"),
        ("ar", 2, "ملخصك اليومي: تحديثان"),
        ("ar", 3, "ملخصك اليومي: 3 تحديثات"),
        ("ar", 11, "ملخصك اليومي: 11 تحديثًا"),
        ("es", 1, "Su resumen diario: 1 novedad"),
        ("pt", 2, "O seu resumo diário: 2 atualizações"),
        ("en", 1, "Your daily digest: 1 update"),
        ("en", 3, "Your daily digest: 3 updates"),
    ],
)
def test_digest_subject_has_real_plural_forms(app, db, make_user, language, count, subject):
    user = make_user()
    user.language = language
    db.session.commit()
    assert digest_subject(db, user, count) == subject


def test_digest_body_is_in_the_recipients_language(app, db, make_user):
    user = make_user()
    user.language = "pt"
    db.session.commit()
    digest_subject(db, user, 2)
    body = db.session.scalars(
        sa.select(OutboxMessage.body_text).where(OutboxMessage.recipient == user.email)
    ).one()
    assert "O seu resumo diário" in body
    assert "Novas mensagens sobre uma candidatura" in body
    assert re.search(r"Line 0.*Line 1", body, re.S)


def test_the_switcher_comes_back_to_the_same_page_in_the_chosen_language(client):
    html = client.get("/about?q=water&_scheme=javascript").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/about?q=water">' in html
    assert "javascript" not in html
    response = client.post("/language", data={"language": "ar", "next": "/about?q=water"})
    assert response.status_code == 302 and response.headers["Location"] == "/about?q=water"
    assert '<html lang="ar" dir="rtl">' in client.get("/about").get_data(as_text=True)
    assert client.post("/language", data={"language": "xx"}).status_code == 400
