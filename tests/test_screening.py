"""Unit tests for the screening of risky project listings (no Flask app needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diaspora.services import screening
from diaspora.services.screening import Match, highlight, normalize, screen, summarize

# (rule id, listing text, project country). Every rule has at least three examples,
# covering word forms and, where the rule has them, phrasings in other languages.
POSITIVE = [
    # fees charged to applicants
    ("applicant-fees", "A registration fee of 50 USD is required before the interview.", "GH"),
    ("applicant-fees", "Applicants must pay a placement fee of $300 to the agency.", "GH"),
    ("applicant-fees", "Processing fees are payable by the applicant on selection.", "GH"),
    ("applicant-fees", "Training fee payable by the candidate: 200 EUR.", "GH"),
    ("applicant-fees", "Candidates will pay the training fees before departure.", "KE"),
    ("applicant-fees", "A refundable deposit of 150 EUR is required.", "GH"),
    ("applicant-fees", "You must make a small deposit first.", "GH"),
    ("applicant-fees", "Pay 100 dollars today to secure your place in the programme.", "GH"),
    ("applicant-fees", "Frais d'inscription : 25 000 FCFA.", "SN"),
    ("applicant-fees", "Des frais de dossier de 50 euros sont demandés.", "CM"),
    ("applicant-fees", "Gastos de tramitación: 80 euros por candidato.", "PE"),
    ("applicant-fees", "Taxa de inscrição de 100 reais.", "AO"),
    ("applicant-fees", "رسوم التسجيل 100 دولار", "EG"),
    ("applicant-fees", "Pay 150,000 naira for the medical test and processing.", "NG"),
    # passport or identity document retention
    ("document-retention", "We keep your passport for the duration of the contract.", "GH"),
    ("document-retention", "Workers must hand over their passports on arrival.", "GH"),
    ("document-retention", "Surrender of travel documents to the employer is mandatory.", "GH"),
    ("document-retention", "Passports will be held by the agency for safekeeping.", "GH"),
    ("document-retention", "The sponsor retains all identity cards.", "GH"),
    ("document-retention", "Nous gardons votre passeport pendant toute la durée du contrat.", "SN"),
    ("document-retention", "Entrega del pasaporte al empleador al llegar.", "PE"),
    ("document-retention", "Ficamos com o seu passaporte durante o contrato.", "AO"),
    ("document-retention", "نحتفظ بجواز سفرك طوال مدة العقد", "EG"),
    # guaranteed visa or work permit
    ("guaranteed-visa", "Visa guaranteed!", "GH"),
    ("guaranteed-visa", "We guarantee your work permit within a month.", "GH"),
    ("guaranteed-visa", "Guaranteeing a residence permit for every recruit.", "GH"),
    ("guaranteed-visa", "100% visa approval, no visa rejection.", "GH"),
    ("guaranteed-visa", "Visa garanti en deux semaines.", "SN"),
    ("guaranteed-visa", "Visado garantizado para todos los seleccionados.", "PE"),
    ("guaranteed-visa", "Visto de trabalho garantido.", "AO"),
    ("guaranteed-visa", "تأشيرة عمل مضمونة", "EG"),
    # guaranteed job abroad
    ("guaranteed-job-abroad", "Guaranteed job abroad after the training.", "GH"),
    ("guaranteed-job-abroad", "We offer guaranteed employment overseas.", "GH"),
    ("guaranteed-job-abroad", "Guaranteed overseas employment for nurses.", "GH"),
    ("guaranteed-job-abroad", "We guarantee you a well-paid job in Europe.", "GH"),
    ("guaranteed-job-abroad", "Emploi garanti à l'étranger.", "SN"),
    ("guaranteed-job-abroad", "Trabajo garantizado en el extranjero.", "PE"),
    ("guaranteed-job-abroad", "وظيفة مضمونة في الخارج", "EG"),
    # payment by money transfer
    ("money-transfer", "Send the fee via Western Union.", "GH"),
    ("money-transfer", "Payment by MoneyGram only, MTCN to be shared.", "GH"),
    ("money-transfer", "Wire the money to our agent before Friday.", "GH"),
    ("money-transfer", "Mobile money to my number 0244 123 456.", "GH"),
    ("money-transfer", "Pay the deposit in Bitcoin or USDT.", "GH"),
    ("money-transfer", "Envoyez les frais par Western Union.", "SN"),
    ("money-transfer", "Envíe el dinero por MoneyGram.", "PE"),
    ("money-transfer", "Pague via Western Union.", "AO"),
    ("money-transfer", "أرسل المبلغ عبر ويسترن يونيون", "EG"),
    ("money-transfer", "The commitment fee is paid to our agent's personal account.", "GH"),
    # contact only through a personal channel
    ("private-messaging-contact", "Contact me on WhatsApp for details.", "GH"),
    ("private-messaging-contact", "Apply via Telegram only.", "GH"),
    ("private-messaging-contact", "WhatsApp: +971 50 123 4567", "GH"),
    ("private-messaging-contact", "Send your CV to recruit.jobs2024@gmail.com today.", "GH"),
    ("private-messaging-contact", "Contactez-moi sur WhatsApp.", "SN"),
    ("private-messaging-contact", "Escríbeme por WhatsApp.", "PE"),
    ("private-messaging-contact", "تواصل معي عبر الواتساب", "EG"),
    # pay far above the norm
    ("excessive-pay", "Salary: $5,000 per week.", "GH"),
    ("excessive-pay", "EUR 3000/week, paid in cash.", "GH"),
    ("excessive-pay", "We pay 10 000 USD a month.", "GH"),
    ("excessive-pay", "Earn up to $2000 easily!", "GH"),
    ("excessive-pay", "Huge salary and bonuses.", "GH"),
    ("excessive-pay", "£150 per hour for carers.", "GH"),
    ("excessive-pay", "Salaire de 10.000 € par mois.", "SN"),
    ("excessive-pay", "Earn 5k USD/week.", "GH"),
    # recruitment for a third country
    ("third-country-recruitment", "Placement in Dubai for qualified nurses.", "GH"),
    ("third-country-recruitment", "Work abroad in Canada with our programme.", "GH"),
    ("third-country-recruitment", "Jobs in Europe and the Gulf.", "GH"),
    ("third-country-recruitment", "Overseas placement available for welders.", "GH"),
    ("third-country-recruitment", "Recruiting nurses for Saudi Arabia.", "GH"),
    ("third-country-recruitment", "Jobs in Ghana for Nigerian engineers.", "NG"),
    ("third-country-recruitment", "Emplois au Canada pour infirmiers.", "SN"),
    ("third-country-recruitment", "Ofertas de trabajo en España.", "PE"),
    ("third-country-recruitment", "Vagas em Portugal para enfermeiros.", "AO"),
    ("third-country-recruitment", "وظائف في دبي", "EG"),
    ("third-country-recruitment", "Dubai hotel jobs, free visa and ticket.", "NG"),
    # urgency or secrecy pressure
    ("pressure-secrecy", "Don't tell your family about this offer.", "GH"),
    ("pressure-secrecy", "Limited slots, pay today!", "GH"),
    ("pressure-secrecy", "Slots are limited, pay today.", "NG"),
    ("pressure-secrecy", "Keep this offer secret.", "GH"),
    ("pressure-secrecy", "Send the money now to secure the slot or lose your place.", "GH"),
    ("pressure-secrecy", "Ne dites rien à votre famille.", "SN"),
    ("pressure-secrecy", "No le digas a nadie.", "PE"),
    ("pressure-secrecy", "لا تخبر أحدا عن هذا العرض", "EG"),
    # age or gender-only recruitment for domestic work
    ("domestic-work-profiling", "Housemaids wanted, females only, aged 18-25.", "GH"),
    ("domestic-work-profiling", "Young girls wanted as nannies for a family.", "GH"),
    ("domestic-work-profiling", "Domestic workers: single women under 30.", "GH"),
    ("domestic-work-profiling", "Femmes de ménage, jeunes filles de préférence.", "SN"),
    ("domestic-work-profiling", "Empleadas domésticas, solo mujeres de 20 a 30 años.", "PE"),
    ("domestic-work-profiling", "مطلوب خادمات إناث فقط", "EG"),
]

# Realistic, clean phrasings that must not trigger the given rule.
NEGATIVE = [
    ("applicant-fees", "The institution covers visa fees and flights.", "GH"),
    ("applicant-fees", "Register on this platform to apply.", "GH"),
    ("applicant-fees", "There is no registration fee; the hospital covers all costs.", "GH"),
    ("applicant-fees", "Members are never asked to pay any fee to take part.", "GH"),
    ("applicant-fees", "The conference registration fee is covered by the university.", "GH"),
    ("applicant-fees", "Stipend of 400 EUR per month.", "GH"),
    ("applicant-fees", "Survey of mineral deposits in the northern region.", "GH"),
    ("applicant-fees", "Data will be deposited in an open repository.", "GH"),
    ("applicant-fees", "Les frais de dossier sont pris en charge par l'institution.", "SN"),
    ("applicant-fees", "Sin gastos de inscripción para los participantes.", "PE"),
    ("applicant-fees", "Nous ne demandons jamais de frais d'inscription aux candidats.", "SN"),
    ("applicant-fees", "The hospital will pay the ticket and 300 USD for your visa.", "GH"),
    ("document-retention", "Passport required for travel.", "GH"),
    ("document-retention", "A valid passport and a copy of the passport details page.", "GH"),
    ("document-retention", "We help you hand in your passport at the embassy for the visa.", "GH"),
    ("document-retention", "Keep your passport with you at all times.", "GH"),
    ("document-retention", "We keep copies of your passport for the visa file.", "GH"),
    ("document-retention", "Document retention policy for hospital records.", "GH"),
    ("guaranteed-visa", "We help with the visa application.", "GH"),
    ("guaranteed-visa", "The institution covers visa fees and flights.", "GH"),
    ("guaranteed-visa", "We cannot guarantee the visa, but we provide an invitation letter.", "GH"),
    ("guaranteed-visa", "The visa is not guaranteed and depends on the embassy.", "GH"),
    ("guaranteed-visa", "Nous ne pouvons pas garantir le visa.", "SN"),
    ("guaranteed-job-abroad", "Diaspora experts working abroad are welcome.", "GH"),
    ("guaranteed-job-abroad", "We cannot guarantee employment abroad after the project.", "GH"),
    ("guaranteed-job-abroad", "The project guarantees access to the laboratory.", "GH"),
    ("money-transfer", "Stipends are paid by bank transfer to the member's account.", "GH"),
    ("money-transfer", "Design a mobile money platform for farmers' cooperatives.", "KE"),
    ("money-transfer", "We will never ask you to send money via Western Union.", "GH"),
    ("money-transfer", "M-Pesa processed 1 000 000 transactions last year.", "KE"),
    (
        "money-transfer",
        "We study what migrants pay when sending money through Western Union.",
        "GH",
    ),
    ("private-messaging-contact", "The team coordinates through a WhatsApp group.", "GH"),
    ("private-messaging-contact", "Apply through the platform.", "GH"),
    ("private-messaging-contact", "Contact the hospital at hr@korlebu.edu.gh.", "GH"),
    ("private-messaging-contact", "Signal processing skills are an asset.", "GH"),
    ("excessive-pay", "Stipend of 400 EUR per month.", "GH"),
    ("excessive-pay", "Honorarium of USD 300 per day.", "GH"),
    ("excessive-pay", "Salary: 1 200 000 NGN per month.", "NG"),
    ("excessive-pay", "The project budget is $50,000 for the year.", "GH"),
    ("excessive-pay", "EUR 2000/week for the full team.", "GH"),
    ("excessive-pay", "Rural electrification budget of USD 2 million per year.", "IN"),
    ("excessive-pay", "Exportations : 20 000 EUR par mois de mangues.", "SN"),
    ("third-country-recruitment", "Placement in Accra at Korle Bu Teaching Hospital.", "GH"),
    ("third-country-recruitment", "Jobs in Ghana's health sector need experienced staff.", "GH"),
    ("third-country-recruitment", "Members who work in the UK can contribute remotely.", "GH"),
    ("third-country-recruitment", "A study of irregular migration to Europe.", "SN"),
    ("third-country-recruitment", "Recruiting volunteers for the Kumasi clinic.", "GH"),
    ("third-country-recruitment", "Experts with UK placements experience are welcome.", "GH"),
    ("third-country-recruitment", "Modernise the Ghana jobs portal for public vacancies.", "GH"),
    ("pressure-secrecy", "Please discuss this opportunity with your family.", "GH"),
    ("pressure-secrecy", "Applications close on 30 June.", "GH"),
    ("pressure-secrecy", "Limited places are available; apply through the platform.", "GH"),
    ("pressure-secrecy", "Keep patient data confidential.", "GH"),
    (
        "domestic-work-profiling",
        "Training on the rights of domestic workers, open to women and men.",
        "GH",
    ),
    ("domestic-work-profiling", "Nannies and caregivers of any age over 18 are welcome.", "GH"),
    ("domestic-work-profiling", "Women aged 18-35 for a leadership programme.", "GH"),
    (
        "domestic-work-profiling",
        "Legal aid for domestic workers, women aged 20-45, in Beirut.",
        "LB",
    ),
]

CLEAN_LISTING = """\
Strengthening neonatal care at Korle Bu Teaching Hospital, Accra

The Department of Child Health at Korle Bu Teaching Hospital invites diaspora paediatricians,
neonatal nurses and biomedical engineers to join a twelve-month project to improve outcomes
in the neonatal intensive care unit. Members will review clinical protocols with local
staff, run hands-on training in resuscitation and kangaroo mother care, help maintain
incubators and CPAP machines, and set up monitoring with DHIS2 so that the hospital can
follow mortality and infection rates.

Most of the work can be done remotely through weekly video calls; we also welcome two
on-site visits of two weeks each. The hospital covers flights, accommodation in Accra and a
stipend of 400 EUR per month during visits, and helps with the visa application and the
temporary medical licence from the Medical and Dental Council. A valid passport is required
for travel.

We are looking for people with at least five years of clinical or engineering experience,
good English, and patience for teaching. Members who work in the UK, Germany or the United
States are welcome to contribute from where they live. Please register on this platform and
apply through the project page; the coordinator and the head of department will answer
questions before you decide. Take the time you need and talk it over with your family.
"""


def _rule_ids(text: str, country: str | None) -> set[str]:
    return {match.rule_id for match in screen({"description": text}, country)}


@pytest.mark.parametrize(("rule_id", "text", "country"), POSITIVE)
def test_positive_examples_are_flagged(rule_id: str, text: str, country: str) -> None:
    assert rule_id in _rule_ids(text, country)


@pytest.mark.parametrize(("rule_id", "text", "country"), NEGATIVE)
def test_clean_phrasings_are_not_flagged(rule_id: str, text: str, country: str) -> None:
    assert rule_id not in _rule_ids(text, country)


def test_every_rule_has_enough_examples() -> None:
    rule_ids = {rule.id for rule in screening.load_rules()}
    for table in (POSITIVE, NEGATIVE):
        counts = {rule_id: sum(1 for r, *_ in table if r == rule_id) for rule_id in rule_ids}
        assert min(counts.values()) >= 3, counts


def test_clean_listing_matches_nothing() -> None:
    assert len(CLEAN_LISTING.split()) >= 200
    assert screen({"title": "Neonatal care in Accra", "description": CLEAN_LISTING}, "GH") == []


def test_match_reports_span_on_original_text() -> None:
    text = "Our office: Hauptstraße 5. Note: registration fee required."
    (match,) = screen({"description": text}, "DE")
    assert match.rule_id == "applicant-fees"
    assert match.field == "description"
    assert text[match.start : match.end] == match.text == "registration fee"


def test_full_width_and_ligature_text_is_matched_and_reported_verbatim() -> None:
    text = "ＶＩＳＡ ＧＵＡＲＡＮＴＥＥＤ. ﬁnal call"
    (match,) = screen({"title": text})
    assert match.rule_id == "guaranteed-visa"
    assert match.text == "ＶＩＳＡ ＧＵＡＲＡＮＴＥＥＤ"


def test_arabic_with_diacritics_and_tatweel_is_matched() -> None:
    text = "نَحْتَفِظُ بِجَوَازِ سَـفَرِكَ"
    (match,) = screen({"description": text}, "EG")
    assert match.rule_id == "document-retention"
    assert match.start == 0
    assert text[match.start : match.end] == match.text


def test_normalize_maps_expanded_and_removed_characters() -> None:
    result = normalize("Straße É\u0301!")
    assert result.text == "strasse e!"
    assert result.original_span(4, 6) == (4, 5)  # "ss" comes from "ß"
    assert result.original_span(8, 9) == (7, 9)  # "e" from "É" plus its combining accent


def test_third_country_ignores_own_country_but_flags_others() -> None:
    text = "Placement in Accra, then placement in Doha."
    matches = screen({"description": text}, "GH")
    assert [match.text for match in matches] == ["placement in Doha"]
    assert _rule_ids("Jobs available in Ghana", "GHA") == set()


def test_third_country_without_project_country_flags_every_place() -> None:
    assert "third-country-recruitment" in _rule_ids("Placement in Accra.", None)


def test_unknown_project_country_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown country code"):
        screen({"description": "text"}, "XX")


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("EUR 3000/week", True),
        ("EUR 2000/week", False),
        ("USD 9,000.00 per month", True),
        ("USD 7.500 per month", False),
        ("$120 an hour", True),
        ("$80 an hour", False),
        ("R$ 10.000 por mês", False),
        ("150 000 USD per year", True),
    ],
)
def test_pay_thresholds(text: str, flagged: bool) -> None:
    assert ("excessive-pay" in _rule_ids(text, "GH")) is flagged


def test_highlight_escapes_everything_and_marks_matches() -> None:
    text = "<script>alert('x')</script>\nA registration fee & more"
    html = highlight(text, screen({"description": text}, "GH"), "description")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\n" in html
    assert '<mark class="flag" title="Fees charged to applicants">registration fee</mark>' in html
    assert html.endswith(" &amp; more")


def test_highlight_merges_overlapping_spans() -> None:
    text = "Please pay the registration fee via Western Union now."
    matches = screen({"description": text}, "GH")
    assert {match.rule_id for match in matches} == {"applicant-fees", "money-transfer"}
    html = highlight(text, matches, "description")
    assert html.count("<mark") == 1
    assert (
        '<mark class="flag" title="Payment by money transfer; Fees charged to applicants">'
        "pay the registration fee via Western Union</mark>"
    ) in html


def test_highlight_escapes_titles_and_skips_other_fields_and_stale_matches() -> None:
    text = "abc def"
    matches = [
        Match("r", 'Bad "<title>"', "x", "high", "description", 0, 3, "abc"),
        Match("r", "Other field", "x", "high", "title", 4, 7, "def"),
        Match("r", "Stale", "x", "high", "description", 4, 7, "xyz"),
    ]
    html = highlight(text, matches, "description")
    assert html == '<mark class="flag" title="Bad &#34;&lt;title&gt;&#34;">abc</mark> def'


def test_summarize_groups_by_rule_high_severity_first() -> None:
    fields = {"title": "Contact me on WhatsApp", "description": "Visa guaranteed. Visa assured."}
    matches = screen(fields, "GH")
    summary = summarize(matches)
    assert [group["rule_id"] for group in summary] == [
        "guaranteed-visa",
        "private-messaging-contact",
    ]
    assert [item["text"] for item in summary[0]["matches"]] == ["Visa guaranteed", "Visa assured"]
    assert summary[1]["matches"][0]["field"] == "title"
    assert json.loads(json.dumps(summary)) == summary
    assert sorted(screening.matches_from_summary(summary), key=lambda m: m.field) == sorted(
        matches, key=lambda m: m.field
    )


def _write_rules(path: Path, rules: list[dict]) -> Path:
    path.write_text(json.dumps(rules), encoding="utf-8")
    return path


def _rule(**overrides: object) -> dict:
    rule = {
        "id": "test-rule",
        "title": "Test rule",
        "explanation": "Flags the word banana.",
        "severity": "medium",
        "patterns": [r"\bbananas?\b"],
    }
    rule.update(overrides)
    return rule


def test_custom_rules_path(tmp_path: Path) -> None:
    path = _write_rules(tmp_path / "rules.json", [_rule()])
    matches = screen({"description": "Bananas. Visa guaranteed."}, "GH", rules_path=path)
    assert [(match.rule_id, match.text) for match in matches] == [("test-rule", "Bananas")]
    assert screening.load_rules(path) is screening.load_rules(str(path))


def test_default_rules_are_cached() -> None:
    assert screening.load_rules() is screening.load_rules(screening.DEFAULT_RULES_PATH)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([_rule(patterns=["(unclosed"])], "screening rule test-rule: invalid regular expression"),
        ([_rule(exceptions=["[z-a]"])], "screening rule test-rule: invalid regular expression"),
        ([{k: v for k, v in _rule().items() if k != "title"}], "test-rule: missing key.*title"),
        ([_rule(severity="low")], "test-rule: severity"),
        ([_rule(), _rule()], "test-rule: duplicate id"),
        ([_rule(kind="magic")], "test-rule: unknown kind"),
        ([_rule(pattern=["x"])], "test-rule: unknown key.*pattern"),
        ([_rule(patterns=["x?"])], "test-rule: .*matches the empty string"),
        ([_rule(patterns=[])], "test-rule: 'patterns' must be a non-empty list"),
        ([_rule(id="Not A Slug")], "'id' must be a slug"),
        ([_rule(kind="pay", currencies={"$": 1})], "test-rule: missing key.*periods"),
        (
            [_rule(kind="pay", currencies={"$": 1}, periods={"week": ["/week"]}, thresholds={})],
            "test-rule: 'thresholds'",
        ),
        (
            [_rule(kind="third_country", triggers=["jobs in "], cities={"atlantis": "ZZ"})],
            "test-rule: place 'atlantis': unknown ISO 3166",
        ),
        ({"rules": []}, "must be a JSON list"),
    ],
)
def test_bad_rules_file_is_rejected(tmp_path: Path, rules: object, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        screening.load_rules(path)


def test_rules_file_that_is_not_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        screening.load_rules(path)


def test_clear_cache_reads_an_edited_file_again(tmp_path: Path) -> None:
    path = _write_rules(tmp_path / "rules.json", [_rule()])
    assert screen({"d": "cherry"}, rules_path=path) == []
    _write_rules(path, [_rule(patterns=[r"\bcherry\b"])])
    screening.clear_cache()
    assert [match.text for match in screen({"d": "cherry"}, rules_path=path)] == ["cherry"]


def test_bundled_rules_cite_fair_recruitment_principles() -> None:
    rules = {rule.id: rule for rule in screening.load_rules()}
    for rule_id in ("applicant-fees", "money-transfer"):
        assert "never pay recruitment fees or related costs" in rules[rule_id].explanation
    assert {rule.severity for rule in rules.values()} == {"high", "medium"}
