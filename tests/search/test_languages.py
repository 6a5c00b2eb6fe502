"""Content in several languages: each project and profile is analysed with the stemmer of the
language it is written in, and a query is read in the languages the searcher reads."""

import pickle

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from whoosh import query as wq

from diaspora.search import PUBLIC, Clearance, ExpertIndex, ProjectIndex, SearchUnavailable
from diaspora.search import schemas as schema_module
from diaspora.search.analysis import FoldingAnalyzer, language_field, text_analyzer
from diaspora.search.query import parse
from diaspora.search.schemas import EXPERT_GROUPS

from .factories import TODAY, expert, project

EN, FR, ES, PT, AR = ("en",), ("fr", "en"), ("es", "en"), ("pt", "en"), ("ar", "en")

FRENCH = project(
    1,
    written_in="fr",
    title="Formation des infirmières en soins néonatals",
    summary="Des ateliers pour les infirmières du service de néonatologie à Dakar.",
    description="Nous cherchons une infirmière de la diaspora pour la formation continue.",
    country="SN",
    sector="health",
)
SPANISH = project(
    2,
    written_in="es",
    title="Capacitación de enfermeras en cuidados intensivos",
    summary="Talleres para las enfermeras del hospital.",
    description="Buscamos una enfermera de la diáspora.",
    country="BO",
    sector="health",
)
PORTUGUESE = project(
    3,
    written_in="pt",
    title="Formação de enfermeiros em saúde materna",
    summary="Cursos para os enfermeiros da província.",
    description="Procuramos um enfermeiro da diáspora.",
    country="MZ",
    sector="health",
)
ARABIC = project(
    4,
    written_in="ar",
    title="تدريب الممرضات على رعاية المولود الجديد",
    summary="دورات تدريبية لفائدة ممرضات قسم الولادة",
    description="نبحث عن ممرضة من مغاربة العالم",
    country="MA",
    sector="health",
)
ENGLISH = project(
    5,
    title="Animal health surveillance in Dakar",
    summary="Medical and veterinary teams share their nursing records.",
    description="A national programme on animal health.",
    country="SN",
    sector="agriculture",
)
CORPUS = [FRENCH, SPANISH, PORTUGUESE, ARABIC, ENGLISH]


@pytest.fixture
def index(tmp_path):
    index = ProjectIndex(tmp_path / "projects", procs=1)
    index.rebuild(CORPUS)
    yield index
    index.close()


def ids(index, text, languages=None, **kwargs) -> list[int]:
    return index.search(text, languages=languages, today=TODAY, **kwargs).ids


def test_each_document_fills_the_field_of_its_language():
    french = schema_module.project_document(FRENCH)
    assert french["lang"] == "fr" and "content_fr" in french and "content" not in french
    english = schema_module.project_document(ENGLISH)
    assert english["lang"] == "en" and "content" in english
    # An unknown or missing language is read as English.
    assert schema_module.project_document(project(9, written_in="xx"))["lang"] == "en"
    schema = schema_module.project_schema()
    for language in ("fr", "es", "pt", "ar"):
        assert schema[language_field("content", language)].analyzer == text_analyzer(language)


def test_french_reader_finds_french_word_forms(index):
    assert ids(index, "infirmière", FR) == [1]
    assert ids(index, "formations", FR) == [1]
    assert ids(index, "formations infirmière", FR) == [1]
    # Stop words of French ("des", "en") ask nothing of French texts.
    assert ids(index, '"formation des infirmières"', FR) == [1]


@pytest.mark.parametrize(
    ("words", "languages", "expected"),
    [
        (("enfermeras", "enfermera"), ES, 2),
        (("enfermeiros", "enfermeiro"), PT, 3),
        # ISRI: "الممرضات" (the nurses) and "ممرضة" (a nurse) share the root مرض, "تدريب"
        # (training) and "التدريب" (the training) the root درب.
        (("ممرضة", "الممرضات", "التدريب", "تدريب"), AR, 4),
    ],
)
def test_spanish_portuguese_and_arabic_word_forms(index, words, languages, expected):
    for word in words:
        assert ids(index, word, languages) == [expected], word


def test_highlights_mark_the_matched_words_in_their_language(index):
    hit = index.search("infirmière", languages=FR, today=TODAY).hits[0]
    assert hit.title == "Formation des <mark>infirmières</mark> en soins néonatals"
    assert "<mark>infirmières</mark>" in hit.snippet
    arabic = index.search("ممرضة", languages=AR, today=TODAY).hits[0]
    assert "<mark>الممرضات</mark>" in arabic.title


def test_an_english_reader_never_gets_french_stemming_on_english_text(index):
    """French stems "animaux" and "animal" alike; Porter does not, and the English text is
    only ever read in English, whoever searches."""
    for languages in (EN, FR, None):
        assert ids(index, "animaux", languages, correct=False) == []
        assert ids(index, "animal", languages) == [5]
    # The French reading of the words is only applied to French texts.
    parsed = parse("animaux", "content", None, FR)
    assert {leaf.fieldname for leaf in parsed.query.leaves()} == {"content", "content_fr"}
    assert wq.Term("content", "animaux") in list(parsed.query.leaves())


def test_languages_read_decide_which_texts_are_searched(index):
    # "dakar" is in the French and the English project.
    assert sorted(ids(index, "dakar", FR)) == [1, 5]
    assert ids(index, "dakar", EN) == [5]
    assert sorted(ids(index, "dakar")) == [1, 5]  # no languages given: every language
    # A word found in none of the reader's languages is read in every language instead.
    results = index.search("enfermeras", languages=EN, today=TODAY)
    assert results.ids == [2] and results.other_languages
    assert not index.search("animal", languages=EN, today=TODAY).other_languages
    # Browsing and filters alone list every language.
    assert len(ids(index, "", EN)) == 5
    assert sorted(ids(index, "", EN, filters={"sector": ["health"]})) == [1, 2, 3, 4]


def test_facets_count_across_languages(index):
    everyone = ("en", "fr", "es", "pt", "ar")
    results = index.search("", languages=EN, today=TODAY)
    assert results.facets["country"] == {"SN": 2, "BO": 1, "MZ": 1, "MA": 1}
    assert results.facets["sector"] == {"health": 4, "agriculture": 1}
    results = index.search("dakar", languages=everyone, today=TODAY)
    assert results.facets["sector"] == {"health": 1, "agriculture": 1}
    assert results.facets["country"] == {"SN": 2}
    results = index.search("dakar", filters={"sector": ["health"]}, languages=everyone, today=TODAY)
    assert results.ids == [1]
    assert results.facets["sector"] == {"health": 1, "agriculture": 1}
    assert results.facets["country"] == {"SN": 1}
    nurses = index.search("infirmières OR enfermeras OR enfermeiros", languages=everyone)
    assert sorted(nurses.ids) == [1, 2, 3]
    assert nurses.facets["country"] == {"SN": 1, "BO": 1, "MZ": 1}


def test_did_you_mean_corrects_a_misspelt_french_word(index):
    results = index.search("infirmeires", languages=FR, today=TODAY, correct=False)
    assert results.total == 0 and results.suggestion == "infirmieres"
    shown = index.search("infirmeires", languages=FR, today=TODAY)
    assert shown.ids == [1] and shown.shown_for == "infirmieres"


def test_prefixes_use_each_language_stems(index):
    assert ids(index, "infirm*", FR) == [1]
    assert ids(index, "enferm*", ES) == [2]


def test_experts_bios_are_read_in_their_language(tmp_path):
    public = dict.fromkeys(EXPERT_GROUPS, PUBLIC)
    index = ExpertIndex(tmp_path / "experts", procs=1)
    index.rebuild(
        [
            expert(
                1,
                public,
                written_in="fr",
                headline="Infirmière en néonatologie",
                bio="Formatrice des infirmières à Lyon.",
            ),
            expert(2, public, headline="Nurse educator", bio="Trains nurses in Leeds."),
        ]
    )
    member = Clearance.member()
    assert index.search(member, "infirmières", languages=FR).ids == [1]
    assert index.search(member, "nurses", languages=FR).ids == [2]
    # Names and skills are English fields, searched for every reader.
    assert index.search(member, "skillmarker", languages=("fr",)).total == 2
    hit = index.search(member, "infirmiere", languages=FR).hits[0]
    assert hit.snippets["headline"] == "<mark>Infirmière</mark> en néonatologie"
    assert hit.fields["bio"] == "Formatrice des infirmières à Lyon."
    index.close()


def test_an_index_built_before_languages_rebuilds_to_read_them(tmp_path, monkeypatch):
    """An on-disk index of the English-only schema says it needs a rebuild (``flask search
    rebuild``); the rebuild reads French texts with the French stemmer."""
    current = schema_module.project_schema

    def english_only():
        schema = current()
        for language in ("fr", "es", "pt", "ar"):
            schema.remove(language_field("content", language))
        return schema

    monkeypatch.setattr(ProjectIndex, "schema_factory", staticmethod(english_only))
    index = ProjectIndex(tmp_path / "projects", procs=1)
    index.rebuild([ENGLISH])
    assert index.search("animal").ids == [5]
    index.close()
    monkeypatch.setattr(ProjectIndex, "schema_factory", staticmethod(current))
    index = ProjectIndex(tmp_path / "projects", procs=1)
    assert index.problem() == "schema outdated"
    with pytest.raises(SearchUnavailable, match="rebuild"):
        index.search("animal")
    index.rebuild(CORPUS)
    assert index.problem() is None
    assert index.search("formations", languages=FR).ids == [1]
    index.close()


def test_analyzers_pickled_before_languages_read_english():
    old = FoldingAnalyzer.__new__(FoldingAnalyzer)
    old.__setstate__({"stemming": True, "expression": r"\w+", "minsize": 2})
    assert old.language == "en" and old == FoldingAnalyzer(expression=r"\w+")
    french = pickle.loads(pickle.dumps(text_analyzer("fr")))  # noqa: S301
    assert french == text_analyzer("fr") != text_analyzer()
    assert [t.text for t in french("les infirmières")] == ["infirmier"]


# --------------------------------------------------------------------------- in the app


@pytest.mark.search_index
def test_reader_languages_rule(app, db, make_user):
    from diaspora.models import Proficiency, Profile, ProfileLanguage
    from diaspora.services.indexing.languages import reader_languages
    from tests.factories import with_profile

    assert reader_languages(None, "fr") == ("en", "fr")
    assert reader_languages(None, "en") == ("en",)
    member = with_profile(make_user())
    member.language = "ar"
    profile = db.session.scalar(sa.select(Profile).where(Profile.user_id == member.id))
    for code in ("es", "de", "pt"):
        db.session.add(
            ProfileLanguage(profile_id=profile.id, code=code, proficiency=Proficiency.NATIVE)
        )
    db.session.commit()
    # Profile languages that content can be in, plus the interface language; German is not.
    assert reader_languages(member, "fr") == ("es", "pt", "ar")
    # An account without profile languages reads its interface language and English.
    coordinator = make_user()
    coordinator.language = "fr"
    assert reader_languages(coordinator) == ("en", "fr")


@pytest.mark.search_index
def test_the_search_page_reads_words_in_the_visitors_language(app, client):
    from diaspora.models import ProjectStatus, Role
    from tests.factories import make_institution, make_project, new_user

    institution = make_institution(new_user(Role.INSTITUTION), name="Hôpital de Fann")
    make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        written_in="fr",
        title="Formation des infirmières",
        summary="Ateliers pour les infirmières.",
        description="Une formation continue.",
    )
    client.set_cookie("language", "fr", domain="diaspora.test")
    html = client.get("/search?q=formations").get_data(as_text=True)
    assert "Formation des <mark>infirmières</mark>" in html or "<mark>Formation</mark>" in html
    client.set_cookie("language", "en", domain="diaspora.test")
    html = client.get("/search?q=infirmiere").get_data(as_text=True)
    # Not in the languages an English page reads: found by reading the word in every language.
    assert "<mark>infirmières</mark>" in html
    assert "these projects are written in other languages" in html
    client.set_cookie("language", "fr", domain="diaspora.test")
    html = client.get("/search?q=infirmiere").get_data(as_text=True)
    assert "<mark>infirmières</mark>" in html  # in a language the reader reads: no notice
    with app.test_request_context(), force_locale("fr"):
        notice = gettext(
            "Nothing written in the languages you read matches; these projects are written "
            "in other languages."
        )
    assert notice not in html.replace("&#39;", "'")


@pytest.mark.search_index
def test_country_and_sector_are_indexed_in_every_language_whoever_publishes(app, client):
    """The document does not depend on the page that indexed it, and a country or sector
    named in any of the site's languages finds the project."""
    from diaspora.models import ProjectStatus, Role
    from diaspora.services.indexing.documents import project_document
    from tests.factories import make_institution, make_project, new_user

    institution = make_institution(new_user(Role.INSTITUTION), name="Hôpital de Fann")
    project = make_project(
        institution, status=ProjectStatus.PUBLISHED, country="SN", title="Neonatal nursing"
    )
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        in_arabic = project_document(project)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert project_document(project) == in_arabic
    assert "Sénégal" in in_arabic["country_name"] and "Santé" in in_arabic["sector_name"]
    for query in ("Sénégal", "Senegal", "santé", "salud"):
        html = client.get(f"/search?q={query}").get_data(as_text=True)
        assert "Neonatal nursing" in html, query
