"""The interface in English, French, Spanish, Arabic and Portuguese: complete catalogs in step
with the code, the page's language and direction, and no English left on the core pages."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from flask_babel import gettext as _

from diaspora import geo, i18n
from diaspora.extensions import db as _db
from diaspora.models import (
    InstitutionStatus,
    Notification,
    OutboxMessage,
    Role,
    User,
)
from diaspora.models.base import utcnow
from tests.conftest import text_of
from tests.core_pages import PAGES, build
from tests.factories import read_in, sign_in, speaking

ROOT = Path(__file__).parent.parent
TRANSLATIONS = ROOT / "diaspora" / "translations"
OTHERS = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
# Placeholders, markup and literal percent signs a translation must keep.
KEPT = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]|\{[a-z_.0-9]+(?::[^}]*)?\}|</?[a-z]+\b|%%")
SAME_ON_PURPOSE = "same in this language"


def catalog(code: str):
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source)


def forms(message) -> tuple:
    return message.string if isinstance(message.string, (list, tuple)) else (message.string,)


def english_of(message) -> tuple:
    return message.id if isinstance(message.id, (list, tuple)) else (message.id,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages the code and templates ask for today, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2",
         "-k", "NN_:1,2", "-k", "NP_:1c,2", "--no-location",
         "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as source:
        return {
            (m.id if isinstance(m.id, str) else m.id[0], m.context) for m in read_po(source) if m.id
        }


@pytest.mark.parametrize("code", OTHERS)
def test_every_message_is_translated_with_its_plural_forms_and_placeholders(code):
    messages = catalog(code)
    expected_plurals = get_plural(code).num_plurals  # CLDR's: Arabic 6; French 3 (millions)
    assert messages.num_plurals == expected_plurals
    problems = []
    for message in messages:
        if not message.id:
            continue
        where = f"{code}: {english_of(message)[0]!r}"
        strings = forms(message)
        if message.fuzzy:
            problems.append(f"fuzzy {where}")
        if message.pluralizable and len(strings) != expected_plurals:
            problems.append(f"{len(strings)} plural forms {where}")
        if not all(strings):
            problems.append(f"untranslated {where}")
            continue
        wanted = sorted(KEPT.findall(english_of(message)[-1]))
        for text in strings:
            kept = sorted(KEPT.findall(text))
            # A plural form may leave the number out ("one day", Arabic's dual).
            if kept != wanted and not (message.pluralizable and set(kept) <= set(wanted)):
                problems.append(f"placeholders {where}: {kept} instead of {wanted}")
        on_purpose = any(SAME_ON_PURPOSE in c for c in message.user_comments)
        english = english_of(message)
        if strings[0] == english[0] and strings[-1] == english[-1] and not on_purpose:
            words = KEPT.sub("", strings[0])
            if re.search(r"[A-Za-z]{3,}", words):
                problems.append(f"left in English {where}")
    assert not problems, "\n".join(problems[:80]) + f"\n({len(problems)} problems)"


@pytest.mark.parametrize("code", OTHERS)
def test_catalogs_hold_exactly_what_the_code_asks_for(code, extracted):
    held = {(english_of(m)[0], m.context) for m in catalog(code) if m.id}
    missing = sorted(str(k[0]) for k in extracted - held)
    stale = sorted(str(k[0]) for k in held - extracted)
    assert not missing, f"run `make messages` and translate: {missing[:20]}"
    assert not stale, f"run `make messages`: {stale[:20]}"


@pytest.mark.parametrize("code", list(i18n.LANGUAGES))
def test_the_page_says_its_language_and_direction(client, code):
    read_in(client, code)
    response = client.get("/")
    direction = "rtl" if code == "ar" else "ltr"
    assert f'<html lang="{code}" dir="{direction}">' in response.get_data(as_text=True)
    assert response.headers["Content-Language"] == code
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_first_visit_follows_the_browser_then_the_switcher_then_the_account(client, db, make_user):
    def lang(response) -> str:
        return re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)

    assert lang(client.get("/")) == "en"
    assert lang(client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})) == "pt"
    assert lang(client.get("/", headers={"Accept-Language": "de, ar;q=0.8"})) == "ar"
    assert lang(client.get("/", headers={"Accept-Language": "de"})) == "en"
    response = client.post("/language", data={"language": "es", "next": "/about"})
    assert response.status_code == 302 and response.headers["Location"] == "/about"
    assert lang(client.get("/", headers={"Accept-Language": "fr"})) == "es"
    user = make_user()
    user.language = "fr"
    db.session.commit()
    sign_in(client, user)
    assert lang(client.get("/")) == "fr", "the account's language wins over the cookie"


@pytest.mark.parametrize(
    "value", ["xx", "", "f\x00r", "fr" * 300, "EN", "en-US", "../fr"], ids=repr
)
def test_the_switcher_refuses_a_language_it_does_not_speak(client, value):
    response = client.post("/language", data={"language": value, "next": "/"})
    assert response.status_code == 400
    assert i18n.COOKIE not in response.headers.get("Set-Cookie", "")


def test_the_switcher_sends_only_to_this_site(client):
    response = client.post("/language", data={"language": "fr", "next": "//evil.example/x"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --------------------------------------------------------------------------- no English left


class Texts(HTMLParser):
    """What a person reads on a page: text and the attributes read out or shown."""

    READ = ("title", "aria-label", "placeholder", "alt", "aria-description")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attrs = dict(attrs)
        self.texts += [attrs[a] for a in self.READ if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def texts_of(html: str) -> set[str]:
    parser = Texts()
    parser.feed(html)
    return {" ".join(t.split()) for t in parser.texts}


def data_corpus() -> str:
    """Every text value stored in the database: people's and institutions' own words, names,
    skills, which stay as written whatever the page's language."""
    values = []
    for table in _db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
        if not columns:
            continue
        for row in _db.session.execute(sa.select(*columns)):
            values += [" ".join(str(v).split()) for v in row if v]
    return "\n".join(values)


NAMES_OF_THINGS = {"Diaspora", "UTC", "CSV", "JSON", "SVG", "CC BY 4.0", "PDF", "ORCID"}
NAMES_OF_THINGS |= {"Atom", "JSON Feed"}  # the feeds' formats


PIECES = re.compile(r" · |, |: | \(|\) ?")
NUMBERS = re.compile(r"%\([a-z_]+\)[sd]|\d(?:[\d,.\u202f\u00a0 ]*\d)?")


def shape(text: str) -> str:
    """A text with its numbers (or a message with its placeholders) as one mark, so "45
    minutes" is the message "%(num)d minutes"."""
    return NUMBERS.sub("#", text).strip()


def exempt(text: str, corpus: str, same: set[str], names: set[str]) -> bool:
    """True when a text the page shares with its English version is no interface English:
    people's own words (in the database), names, numbers, or a message translated on purpose
    by the same words. A text made of such pieces (a title and the site name, a list of
    skills, a degree and its school) is exempt too."""
    if shape(text) in same or text in names:
        return True
    for piece in PIECES.split(text):
        bare = piece.strip(" .,:;·—–-()[]…\"'“”«»")
        if not re.search(r"[A-Za-z]{3,}", bare):
            continue  # numbers, dates, punctuation, other scripts
        if bare in NAMES_OF_THINGS or bare in i18n.LANGUAGES.values():
            continue
        if shape(bare) in same or bare in names or piece.strip() in names:
            continue
        if "@" in bare or bare.startswith(("http", "/")):
            continue
        if bare in corpus or bare.rstrip("…") in corpus:
            continue
        return False
    return True


@pytest.mark.search_index
def test_no_english_interface_text_is_left_on_any_core_page_in_any_language(app):
    """Each core page in each language, against the same page in English: a text the two
    share must be the people's own words (stored data), a name, or a message whose
    translation is the English word on purpose (marked in the catalog)."""
    world = build()
    corpus = data_corpus()
    english = {}
    for name, who, path in PAGES:
        english[name] = texts_of(render(app, world, who, path, "en"))
    problems = []
    for code in OTHERS:
        same = {
            shape(text)
            for m in catalog(code)
            if m.id and forms(m)[0] == english_of(m)[0]
            for text in english_of(m)
        }
        names = _names_in(code)
        for name, who, path in PAGES:
            shared = texts_of(render(app, world, who, path, code)) & english[name]
            left = sorted(t for t in shared if not exempt(t, corpus, same, names))
            problems += [f"{code} · {name}: {t!r}" for t in left]
    assert not problems, "\n".join(problems[:150]) + f"\n({len(problems)} in all)"


def _names_in(code: str) -> set[str]:
    """Country and language names as the pages write them in ``code`` (some are the same
    word as in English: "Ghana")."""
    from flask_babel import force_locale

    from diaspora import create_app

    with create_app({"ENV_NAME": "testing"}).test_request_context(), force_locale(code):
        return {n for _, n in geo.country_choices()} | {n for _, n in geo.language_choices()}


def render(app, world, who, path, code: str) -> str:
    _db.session.execute(sa.update(User).values(language=code))
    _db.session.commit()
    client = app.test_client()
    read_in(client, code)
    if who:
        sign_in(client, getattr(world, who))
    response = client.get(path(world))
    assert response.status_code == 200, (path(world), code, response.status_code)
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- mail


def french(text: str, **values) -> str:
    """``text`` as the French catalog has it (the test fails if it is not translated)."""
    (message,) = [m for m in catalog("fr") if m.id == text]
    assert message.string and message.string != text
    return message.string.format(**values) if values else message.string


def test_mail_the_worker_sends_a_french_speaking_representative_is_in_french(
    mail_config, smtp_server, app, db, make_user, runner
):
    """A coordinator browsing in English verifies the institution; the representative reads
    French: the notification and the email the mail worker delivers are in French."""
    from diaspora.services import institutions
    from tests.factories import make_institution

    coordinator = make_user(Role.COORDINATOR)
    rep = make_user(Role.INSTITUTION, email="rep@hopital.example")
    rep.language = "fr"
    db.session.commit()
    institution = make_institution(rep, status=InstitutionStatus.PENDING, name="CHU de Thiès")
    smtp_server.stop()  # nothing leaves before the worker runs
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert i18n.current() == "en"
        institutions.verify(coordinator, institution)
        db.session.commit()
    smtp_server.start()
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "Delivered 1" in result.output, result.output
    (mail,) = smtp_server.to("rep@hopital.example")
    subject = french("Your institution is verified")
    assert mail["Subject"] == subject
    body = text_of(mail)
    assert "CHU de Thiès" in body and "A coordinator has verified" not in body
    note = db.session.scalars(sa.select(Notification).where(Notification.user_id == rep.id))
    assert [n.message for n in note] == [subject]


def test_a_digest_sent_by_the_scheduled_command_is_in_its_recipients_language(
    mail_config, smtp_server, app, db, make_user, runner
):
    from diaspora.services import notifications
    from diaspora.services.notifications import Frequency

    member = make_user(email="lectora@example.org")
    member.language = "es"
    notifications.set_preference(member, "application_update", Frequency.DAILY)
    db.session.commit()
    with app.test_request_context():
        notifications.notify(member, "application_update", "x", "/applications")
        db.session.commit()
    smtp_server.stop()
    result = runner.invoke(args=["notify", "digests"])
    assert result.exit_code == 0, result.output
    smtp_server.start()
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert "Delivered 1" in runner.invoke(args=["mail", "deliver"]).output
    (mail,) = smtp_server.to("lectora@example.org")
    with app.test_request_context(), i18n.recipient_locale(member):
        english = "Your daily digest"
        assert mail["Subject"].startswith(str(_(english))) and _(english) != english


# --------------------------------------------------------------------------- templates

TEMPLATES = ROOT / "templates"
READ_ATTRIBUTES = re.compile(
    r'\b(title|aria-label|placeholder|alt|aria-description|data-label)="([^"]*)"'
)
# Words that are the same in every language: the time zone, a standard's name.
UNTRANSLATED_WORDS = {"UTC", "ORCID"}


def words_outside_translation(source: str, html: bool) -> list[str]:
    """The text of a template that no translation call or block holds."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", " ", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", " ", source, flags=re.S)
    found = []
    if html:
        source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
        for match in READ_ATTRIBUTES.finditer(source):
            value = re.sub(r"\{%.*?%\}", " ", match.group(2))
            found += re.findall(r"[A-Za-z]{2,}", value)
        source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", " ", source, flags=re.S)
    source = re.sub(r"&[a-z]+;|&#\d+;", " ", source)
    found += re.findall(r"[A-Za-z]{2,}", source)
    return [word for word in found if word not in UNTRANSLATED_WORDS]


def test_every_template_word_goes_through_a_translation():
    """Pages and emails: every word people read is in a `_()`, `ngettext` or `{% trans %}`,
    so it is in the catalogs (the core pages are also checked rendered, above)."""
    left = {}
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix in (".html", ".txt"):
            words = words_outside_translation(path.read_text(), path.suffix == ".html")
            if words:
                left[str(path.relative_to(TEMPLATES))] = words[:10]
    assert left == {}


def test_the_template_check_finds_an_untranslated_word():
    html = '<p title="Close">{{ _("Save") }} now</p>{% trans %}Done{% endtrans %} {{ x }}'
    assert words_outside_translation(html, html=True) == ["Close", "now"]
    assert words_outside_translation("Hello {{ user.name }},\n", html=False) == ["Hello"]


# --------------------------------------------------------------------------- signing in and out


def test_signing_in_and_out_keeps_the_accounts_language(client, db, make_user):
    """The pages after signing in, and after signing out, are in the account's language;
    an account that never chose one takes the language of the page it signs in from."""
    from tests.conftest import login

    chosen = make_user(email="lectora@example.org")
    speaking(chosen, "es")
    read_in(client, "fr")
    response = login(client, "lectora@example.org")
    assert f"{i18n.COOKIE}=es" in response.headers["Set-Cookie"]
    assert '<html lang="es"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    after = client.get("/").get_data(as_text=True)
    assert '<html lang="es"' in after, "signed out, the visitor keeps reading Spanish"
    assert "Ha cerrado la sesión." in after

    older = make_user(email="older@example.org")
    assert older.language is None  # an account from before the site spoke other languages
    read_in(client, "pt")
    login(client, "older@example.org")
    db.session.expire_all()
    assert db.session.get(User, older.id).language == "pt"
    assert '<html lang="pt"' in client.get("/").get_data(as_text=True)


def test_a_long_subject_in_arabic_arrives_with_every_space(mail_config, smtp_server, app, db):
    from diaspora.mail import deliver_due, queue_email

    subject = "طلب جديد للتقدم إلى «تدريب الممرضات على رعاية صحة الأم والطفل» في الرباط"
    queue_email("nour@example.org", "notification", subject, message="-", link="/")
    db.session.commit()
    assert deliver_due() == 1
    (mail,) = smtp_server.to("nour@example.org")
    assert mail["Subject"] == subject
