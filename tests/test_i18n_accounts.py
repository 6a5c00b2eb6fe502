"""The account pages, their mail and the language settings in the reader's language: a new
account keeps the language it signed up in, the account page changes it, the switcher
remembers it, and every refusal of a bad value is a clear answer, never an error."""

import html
import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from flask import g, render_template
from flask_babel import force_locale

from diaspora.extensions import db
from diaspora.mail.outbox import OutageNotice
from diaspora.models import User
from tests.conftest import text_of
from tests.factories import new_user, read_in, sign_in

PASSWORD = "a long enough phrase"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _forget_locale():
    g.pop("_flask_babel", None)


@pytest.fixture
def client(app):
    """The test client, each of whose requests picks its language afresh: Flask-Babel keeps
    the request's language on ``g``, which the tests' one app context shares between
    requests (a real server starts each request with a new one)."""
    funcs = app.before_request_funcs.setdefault(None, [])
    if _forget_locale not in funcs:
        funcs.insert(0, _forget_locale)
    return app.test_client()


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def signup(client, email: str, **extra):
    return client.post(
        "/signup",
        data={
            "name": "Awa Diallo",
            "email": email,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "role": "member",
            "accept_terms": "y",
            **extra,
        },
    )


def user_by_email(email: str) -> User:
    db.session.expire_all()
    return db.session.query(User).filter_by(email=email).one()


def test_signup_in_french_keeps_french_and_the_confirmation_mail_is_french(
    mail_config, smtp_server, app, client
):
    read_in(client, "fr")
    response = signup(client, "awa@example.org")
    assert response.status_code == 200
    assert "Consultez votre boîte de réception" in page(response)
    assert user_by_email("awa@example.org").language == "fr"
    (message,) = smtp_server.wait_for("awa@example.org")
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    text = text_of(message)
    assert "Bonjour Awa Diallo," in text
    assert "Veuillez confirmer votre adresse e-mail en ouvrant ce lien :" in text
    assert "/confirm/" in text
    body = message.get_body(preferencelist=("html",)).get_content()
    assert 'lang="fr"' in body and "Confirmer mon adresse" in body


def test_signup_in_arabic_mails_in_arabic_right_to_left(mail_config, smtp_server, app, client):
    read_in(client, "ar")
    signup(client, "layla@example.org")
    assert user_by_email("layla@example.org").language == "ar"
    (message,) = smtp_server.wait_for("layla@example.org")
    assert message["Subject"] == "أكّد عنوان بريدك الإلكتروني"
    body = message.get_body(preferencelist=("html",)).get_content()
    assert 'lang="ar" dir="rtl"' in body and "تأكيد عنواني" in body


def test_a_signup_page_in_english_keeps_english(app, client):
    signup(client, "plain@example.org")
    assert user_by_email("plain@example.org").language == "en"


def test_mail_to_an_existing_account_is_in_that_accounts_language(
    mail_config, smtp_server, app, client
):
    owner = new_user(email="taken@example.org")
    owner.language = "es"
    db.session.commit()
    read_in(client, "fr")  # whoever tries, the owner reads it in their own language
    signup(client, "taken@example.org")
    (message,) = smtp_server.wait_for("taken@example.org")
    assert message["Subject"] == "Alguien intentó registrarse con su dirección"
    assert "Hola, " in text_of(message)


def test_reset_request_for_an_unknown_address_follows_the_page(
    mail_config, smtp_server, app, client
):
    read_in(client, "pt")
    client.post("/forgot", data={"email": "nobody@example.org"})
    (message,) = smtp_server.wait_for("nobody@example.org")
    assert message["Subject"] == "Pedido de redefinição da palavra-passe"
    assert "nenhuma conta ativa o usa" in text_of(message)


def test_login_page_and_its_refusal_in_french(app, client):
    read_in(client, "fr")
    login_page = page(client.get("/login"))
    assert '<html lang="fr" dir="ltr">' in login_page
    assert "Se connecter" in login_page and "Créer un compte" in login_page
    refused = page(client.post("/login", data={"email": "x@example.org", "password": "nope"}))
    assert "L'adresse e-mail ou le mot de passe est incorrect." in refused
    assert "Il y a un problème" in refused


def test_signup_form_errors_in_arabic(app, client):
    read_in(client, "ar")
    response = client.post("/signup", data={"email": "not an address", "role": "member"})
    text = page(response)
    assert 'dir="rtl"' in text
    assert "أدخل عنوان بريد إلكتروني صالحًا." in text
    assert "يجب أن توافق على الشروط للانضمام." in text


def test_error_pages_in_the_page_language(app, client):
    read_in(client, "fr")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Introuvable" in page(response) and "Retour à l'accueil" in page(response)
    read_in(client, "es")
    assert "No encontrado" in page(client.get("/no-such-page"))


@pytest.fixture
def member_client(app, client):
    member = new_user(email="member@example.org", name="Kofi Mensah")
    sign_in(client, member)
    return client, member


def test_account_page_changes_the_language_and_says_so_in_the_new_one(member_client):
    client, member = member_client
    account = page(client.get("/account"))
    assert '<option lang="fr"' in account or 'lang="fr" value="fr"' in account
    assert re.search(
        r'<option[^>]*selected[^>]*value="en"|<option[^>]*value="en"[^>]*selected', account
    )
    response = client.post("/account/language", data={"language": "fr"}, follow_redirects=True)
    assert response.status_code == 200
    text = page(response)
    assert "le site et vos e-mails sont désormais en français" in text
    assert '<html lang="fr"' in text and "Votre compte" in text
    db.session.expire_all()
    assert db.session.get(User, member.id).language == "fr"
    assert "Votre compte" in page(client.get("/account"))


def test_account_page_in_arabic(member_client):
    client, member = member_client
    client.post("/account/language", data={"language": "ar"})
    text = page(client.get("/account"))
    assert '<html lang="ar" dir="rtl">' in text
    assert "حسابك" in text and "تغيير كلمة المرور" in text
    assert "تم الحفظ: أصبح الموقع ورسائلك الإلكترونية باللغة العربية." in text


@pytest.mark.parametrize("value", ["xx", "", "fr\x00", "f" * 5000, "FR", "fr-FR", "en "])
def test_an_invalid_language_is_refused_and_changes_nothing(member_client, value):
    client, member = member_client
    response = client.post("/account/language", data={"language": value})
    assert response.status_code == 400
    assert "Choose one of the languages." in page(response)
    db.session.expire_all()
    assert db.session.get(User, member.id).language is None


@pytest.mark.parametrize("value", ["xx", "", "fr\x00", "f" * 5000])
def test_the_switcher_refuses_an_invalid_language(app, client, value):
    response = client.post("/language", data={"language": value, "next": "/login"})
    assert response.status_code == 400
    assert "language=" not in response.headers.get("Set-Cookie", "")


def test_the_switcher_remembers_a_visitors_choice_in_a_cookie(app, client):
    response = client.post("/language", data={"language": "es", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "language=es" in response.headers["Set-Cookie"]
    text = page(client.get("/login"))
    assert '<html lang="es"' in text and "Iniciar sesión" in text


def test_the_switcher_saves_a_members_choice_in_the_account_with_csrf(app, member_client):
    client, member = member_client
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/language", data={"language": "pt", "next": "/account"})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).language is None

    token = TOKEN.search(client.get("/account").get_data(as_text=True)).group(1)
    done = client.post(
        "/language", data={"language": "pt", "next": "/account", "csrf_token": token}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).language == "pt"
    assert "A sua conta" in page(client.get("/account"))


def test_the_account_language_form_needs_its_csrf_token(app, member_client):
    client, member = member_client
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/account/language", data={"language": "fr"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).language is None


def notice(waiting: int) -> str:
    since = datetime(2026, 12, 7, 14, 5)
    return OutageNotice(waiting=waiting, since=since, last_error="timeout").text


def test_the_mail_outage_notice_has_real_plural_forms(app):
    with app.test_request_context():
        assert notice(1).startswith("Mail is not going out: 1 message waiting since")
        with force_locale("fr"):
            assert notice(1).startswith("Le courrier ne part pas : 1 message en attente")
            assert notice(3).startswith("Le courrier ne part pas : 3 messages en attente")
            assert notice(3).endswith("dernière erreur : délai dépassé")
        with force_locale("ar"):
            assert "رسالتان في الانتظار" in notice(2)
            assert "11 رسالة في الانتظار" in notice(11)
            assert "3 رسائل في الانتظار" in notice(3)


def follow_up_mail(months: int) -> str:
    return render_template(
        "email/follow_up.txt",
        user=SimpleNamespace(name="Awa"),
        project=SimpleNamespace(title="Clinic"),
        months=months,
        answer_url="https://diaspora.test/a",
    )


def test_emails_render_plurals_in_french_and_arabic(app):
    with app.test_request_context():
        with force_locale("fr"):
            text = follow_up_mail(3)
            assert "Bonjour Awa," in text
            assert "Il y a 3 mois, l'engagement sur « Clinic » s'est achevé." in text
        with force_locale("ar"):
            assert "منذ شهرين" in follow_up_mail(2)
            assert "منذ 11 شهرًا" in follow_up_mail(11)


def test_date_boxes_speak_the_page_language(app):
    from diaspora.forms import BOX_LABELS, MISSING

    with app.test_request_context(), force_locale("fr"):
        assert str(BOX_LABELS["month"]) == "Mois"
        assert str(MISSING[("day", "month")]) == "La date doit comporter un jour et un mois."
