"""Screening of listings written in French, Spanish, Portuguese and Arabic.

Every rule must catch the usual phrasings in each supported language (with or without
accents, and with the common Arabic spelling variants), and ordinary listings in those
languages must stay clean.
"""

from __future__ import annotations

import pytest

from diaspora.services import screening
from diaspora.services.screening import screen

LANGUAGES = ("fr", "es", "pt", "ar")
# The project's country used for each language's examples (Senegal, Peru, Angola, Egypt).
COUNTRY = {"fr": "SN", "es": "PE", "pt": "AO", "ar": "EG"}

# rule id -> language -> phrasings that must be flagged by that rule.
FLAGGED: dict[str, dict[str, list[str]]] = {
    "applicant-fees": {
        "fr": [
            "Frais de dossier à la charge du candidat : 50 000 FCFA.",
            "Les candidats retenus doivent payer des frais de formation de 200 euros.",
            "Une caution de 300 euros est exigée avant le départ.",
            "Payez 100 000 FCFA pour réserver votre place.",
            "FRAIS D'INSCRIPTION A REGLER PAR LE CANDIDAT",
            "Le billet d'avion et le visa sont à la charge du candidat.",
            "Le candidat doit verser 150 € avant l'entretien.",
        ],
        "es": [
            "El candidato debe pagar una cuota de inscripción de 50 dólares.",
            "Los gastos de gestión corren por cuenta del candidato.",
            "Pague 200 euros para asegurar su plaza.",
            "Se requiere un depósito de garantía de 300 dólares.",
            "El pasaje aéreo corre a cargo del trabajador.",
            "cuota de inscripcion: 40 dolares",
        ],
        "pt": [
            "Taxa de inscrição paga pelo candidato.",
            "O candidato deve pagar uma taxa de colocação de 500 reais.",
            "Pague 100 euros para garantir a sua vaga.",
            "Depósito caução de 200 euros obrigatório.",
            "As despesas de viagem ficam por conta do candidato.",
            "taxa de inscricao de 30 euros",
        ],
        "ar": [
            "رسوم التسجيل على المتقدم",
            "يجب على المتقدم دفع رسوم الملف قبل المقابلة",
            "ادفع 500 دولار لحجز مكانك",
            "تكاليف التأشيرة والتذكرة على نفقة المتقدم",
            "رسوم الاستقدام يتحملها العامل",
            "رُسُومُ التَّسْجِيل ١٠٠ دولار",
        ],
    },
    "document-retention": {
        "fr": [
            "Votre passeport sera conservé par l'employeur.",
            "Vous devrez remettre votre passeport à l'agence dès votre arrivée.",
            "L'employeur garde les passeports des travailleurs pendant le contrat.",
            "Confiscation des pièces d'identité à l'arrivée.",
            "Les passeports seront gardes par la direction.",
        ],
        "es": [
            "Retención del pasaporte durante el contrato.",
            "La empresa se queda con su pasaporte.",
            "Los pasaportes serán retenidos por el empleador.",
            "Deberá entregar su pasaporte a la agencia al llegar.",
            "Guardamos sus documentos de identidad hasta el final del contrato.",
        ],
        "pt": [
            "O passaporte fica retido pela empresa.",
            "Entrega do passaporte ao empregador na chegada.",
            "A agência retém o seu passaporte durante o contrato.",
            "Os passaportes serão guardados pelo empregador.",
            "Ficamos com os seus documentos de identidade.",
        ],
        "ar": [
            "سيتم الاحتفاظ بجواز السفر",
            "يحتفظ الكفيل بجوازات سفر العمال",
            "تسليم جواز السفر للشركة عند الوصول",
            "جواز السفر يبقى لدى الكفيل طوال مدة العقد",
            "سيتم الإحتفاظ بجواز سفرك",
        ],
    },
    "guaranteed-visa": {
        "fr": [
            "Visa garanti.",
            "Nous garantissons votre visa de travail.",
            "Permis de travail garanti à 100 %.",
            "Obtention garantie du visa en deux semaines.",
            "Titre de sejour assure pour tous.",
        ],
        "es": [
            "Visa garantizada.",
            "Garantizamos su visado de trabajo.",
            "Permiso de trabajo asegurado.",
            "Visa 100% garantizada para todos los seleccionados.",
        ],
        "pt": [
            "Visto garantido.",
            "Garantimos o seu visto de trabalho.",
            "Autorização de residência garantida.",
            "Visto 100% garantido.",
        ],
        "ar": [
            "تأشيرة مضمونة",
            "نضمن لك الحصول على التأشيرة",
            "فيزا مضمونة 100%",
            "ضمان الحصول على تصريح العمل",
            "تاشيره عمل مضمونه",
            "تأشـــيرة مضمـــونة",
        ],
    },
    "guaranteed-job-abroad": {
        "fr": [
            "Emploi garanti à l'étranger.",
            "Travail garanti en Europe pour tous les diplômés.",
            "Contrat garanti au Canada.",
            "Nous vous garantissons un emploi en France.",
        ],
        "es": [
            "Trabajo garantizado en el extranjero.",
            "Empleo garantizado en España.",
            "Puesto asegurado en Canadá.",
            "Le garantizamos un empleo en Europa.",
        ],
        "pt": [
            "Emprego garantido no exterior.",
            "Trabalho garantido na Europa.",
            "Vaga assegurada em Portugal.",
            "Garantimos emprego no estrangeiro.",
        ],
        "ar": [
            "وظيفة مضمونة في الخارج",
            "عمل مضمون في أوروبا",
            "وظائف في الخارج مضمونة",
            "نضمن لك وظيفة في الخارج",
            "فرصة عمل مضمونة في الخليج",
        ],
    },
    "money-transfer": {
        "fr": [
            "Envoyez les frais par Western Union.",
            "Paiement par Orange Money au 77 123 45 67.",
            "Versez l'acompte via MoneyGram.",
            "Transférez l'argent sur mon compte personnel.",
        ],
        "es": [
            "Envíe el dinero por MoneyGram.",
            "Pago mediante Western Union.",
            "Deposite la cuota en mi cuenta personal.",
            "Transfiera el importe en bitcoin.",
        ],
        "pt": [
            "Pague via Western Union.",
            "Envie o valor pelo M-Pesa.",
            "Transferência por Pix antes da entrevista.",
            "Deposite o valor na minha conta pessoal.",
        ],
        "ar": [
            "أرسل المبلغ عبر ويسترن يونيون",
            "حول الرسوم إلى الرقم 01001234567",
            "ادفع عبر فودافون كاش",
            "تحويل المبلغ عن طريق موني جرام",
            "أرسل الرسوم إلى حسابي الشخصي",
        ],
    },
    "private-messaging-contact": {
        "fr": [
            "Contactez-moi sur WhatsApp.",
            "Envoyez votre CV uniquement par WhatsApp.",
            "Écrivez-nous sur Telegram.",
            "Postulez par WhatsApp au +221 77 123 45 67.",
            "Candidatures par mail à recrutement.emploi@gmail.com.",
        ],
        "es": [
            "Escríbeme por WhatsApp.",
            "Solo por WhatsApp.",
            "Envíe su CV al WhatsApp +34 600 123 456.",
            "Contáctenos por Telegram.",
        ],
        "pt": [
            "Chama no zap.",
            "Fale comigo pelo WhatsApp.",
            "Envie o seu currículo pelo WhatsApp.",
            "Apenas pelo Telegram.",
            "Candidaturas para vagas.emprego@hotmail.com.",
        ],
        "ar": [
            "تواصل معي عبر الواتساب",
            "راسلنا على تيليجرام",
            "واتساب فقط",
            "أرسل سيرتك الذاتية على الواتس",
            "للتواصل واتساب: 0501234567",
        ],
    },
    "excessive-pay": {
        "fr": [
            "Salaire de 10.000 € par mois.",
            "Gagnez jusqu'à 3000 euros facilement.",
            "Salaires mirobolants pour tous.",
            "Argent facile et rapide.",
            "5 000 € par semaine.",
        ],
        "es": [
            "Gana hasta 3000 dólares fácilmente.",
            "Sueldos altísimos.",
            "Dinero fácil desde el primer mes.",
            "Salario de 12.000 euros al mes.",
            "Pagamos 5.000 dólares por semana.",
        ],
        "pt": [
            "Ganhe até 5 mil euros facilmente.",
            "Salários altíssimos.",
            "Dinheiro fácil.",
            "Salário de 15.000 euros por mês.",
        ],
        "ar": [
            "راتب خيالي",
            "ربح سريع",
            "رواتب ضخمة",
            "راتب 10000 دولار شهريا",
            "راتب ١٠٠٠٠ دولار شهرياً",
        ],
    },
    "third-country-recruitment": {
        "fr": [
            "Emplois au Canada pour infirmiers.",
            "Venez travailler en Allemagne.",
            "Recrutement pour les pays du Golfe.",
            "Postes à pourvoir à Dubaï.",
            "Offres d'emploi à l'étranger.",
        ],
        "es": [
            "Ofertas de trabajo en España.",
            "Venga a trabajar en Canadá.",
            "Empleos en el extranjero.",
            "Vacantes en Alemania para enfermeras.",
            "Oportunidades de empleo en Dubái.",
        ],
        "pt": [
            "Vagas em Portugal para enfermeiros.",
            "Trabalhar na Alemanha.",
            "Empregos no exterior.",
            "Oportunidades de trabalho no Canadá.",
        ],
        "ar": [
            "وظائف في دبي",
            "فرص عمل في الخليج",
            "وظائف بالخارج",
            "مطلوب ممرضات للعمل في السعودية",
            "وظائف في قطر",
        ],
    },
    "pressure-secrecy": {
        "fr": [
            "Ne dites rien à votre famille.",
            "N'en parlez à personne.",
            "Gardez le secret sur cette offre.",
            "Places limitées, payez aujourd'hui.",
            "Payez immédiatement pour ne pas perdre votre place.",
        ],
        "es": [
            "No le digas a nadie.",
            "No se lo cuente a su familia.",
            "Plazas limitadas, pague hoy mismo.",
            "Mantenga esta oferta en secreto.",
        ],
        "pt": [
            "Não conte a ninguém.",
            "Não diga nada à sua família.",
            "Vagas limitadas, pague hoje.",
            "Mantenha esta oferta em segredo.",
            "Pague hoje mesmo para garantir o lugar.",
        ],
        "ar": [
            "لا تخبر أحدا عن هذا العرض",
            "لا تخبري أهلك",
            "احتفظ بهذا العرض سراً",
            "الأماكن محدودة، ادفع اليوم",
        ],
    },
    "domestic-work-profiling": {
        "fr": [
            "Femmes de ménage, jeunes filles de préférence.",
            "Recherche nounou, femmes uniquement.",
            "Aide ménagère célibataire âgée de 20 à 30 ans.",
            "Employées de maison de moins de 30 ans.",
            "Jeunes filles recherchées comme domestiques.",
        ],
        "es": [
            "Empleadas domésticas, solo mujeres de 20 a 30 años.",
            "Niñera soltera menor de 30 años.",
            "Se buscan chicas jóvenes como empleadas del hogar.",
            "Trabajadoras del hogar solteras.",
        ],
        "pt": [
            "Empregadas domésticas, somente mulheres.",
            "Babá de 18 a 25 anos.",
            "Doméstica solteira com menos de 30 anos.",
            "Procuram-se moças para trabalhar como empregadas domésticas.",
        ],
        "ar": [
            "مطلوب خادمات إناث فقط",
            "عاملة منزلية عمر من 20 إلى 30",
            "مربية أطفال عزباء",
            "خادمة شابة للعمل لدى أسرة",
            "مطلوب فتيات للعمل كخادمات",
        ],
    },
}

# language -> ordinary listings that no rule may flag.
CLEAN: dict[str, list[str]] = {
    "fr": [
        "Les frais de déplacement sont pris en charge par l'institution.",
        "Aucun frais n'est demandé aux participants.",
        "L'hôpital prend en charge le billet d'avion, l'hébergement et les frais de visa.",
        "Une indemnité de 400 euros par mois est versée aux membres.",
        "Nous vous aidons à préparer la demande de visa ; le visa n'est pas garanti.",
        "Gardez une copie de votre passeport avec vous.",
        "Parlez-en à votre famille avant de décider.",
        "Postes à pourvoir à Dakar pour des experts de la diaspora.",
        "Formation sur les droits des travailleuses domestiques, ouverte à tous.",
        "Contactez le secrétariat à rh@chu-dakar.sn.",
        "Formation des jeunes femmes sur les droits des travailleuses domestiques.",
        "Les participants doivent régler les problèmes techniques avec l'équipe locale.",
        "Envoyez votre CV au numéro de référence indiqué sur la page du projet.",
    ],
    "es": [
        "La institución cubre los gastos.",
        "El hospital cubre el pasaje, el alojamiento y los gastos de visado.",
        "Sin gastos de inscripción para los participantes.",
        "No garantizamos el visado, pero enviamos una carta de invitación.",
        "Lleve siempre su pasaporte consigo.",
        "Puestos disponibles en Lima para expertos de la diáspora.",
        "Hable con su familia antes de decidir.",
        "Contacte a la coordinación en rrhh@hospital.gob.pe.",
        "Estipendio de 400 dólares al mes.",
        "Formación para empleadas domésticas jóvenes y adultas sobre sus derechos.",
        "Los participantes deben depositar sus datos en el repositorio del proyecto.",
        "La beca se transfiere a su cuenta bancaria cada mes.",
    ],
    "pt": [
        "A instituição paga a viagem.",
        "A universidade cobre as passagens e as taxas de visto.",
        "Não há taxas de inscrição.",
        "Não garantimos o visto, mas enviamos uma carta-convite.",
        "Vagas em Luanda para especialistas da diáspora.",
        "Converse com a sua família antes de decidir.",
        "Bolsa de 400 euros por mês.",
        "Guarde sempre o seu passaporte consigo.",
        "Os participantes devem transferir conhecimentos para a equipa local.",
        "A bolsa é depositada na conta bancária do membro.",
        "Mulheres jovens e homens formados como agentes de saúde comunitária.",
    ],
    "ar": [
        "المؤسسة تتحمل تكاليف السفر",
        "لا توجد رسوم تسجيل للمشاركين",
        "المستشفى يغطي تذاكر الطيران ورسوم التأشيرة",
        "وظائف في القاهرة لخبراء المهجر",
        "ناقش الفرصة مع عائلتك قبل اتخاذ القرار",
        "مكافأة شهرية قدرها 400 دولار",
        "احتفظ بجواز سفرك معك دائما",
        "نساعدك في إعداد طلب التأشيرة",
        "يتحمل المشارك مسؤولية إعداد التقرير النهائي",
        "ندوة حول حقوق العاملات المنزليات والشابات في سوق العمل",
        "أرسل سيرتك الذاتية إلى البريد الرسمي للمستشفى",
    ],
}


def _rule_ids(text: str, language: str) -> set[str]:
    return {match.rule_id for match in screen({"description": text}, COUNTRY[language])}


FLAGGED_CASES = [
    pytest.param(rule_id, language, text, id=f"{rule_id}-{language}-{index}")
    for rule_id, by_language in FLAGGED.items()
    for language, texts in by_language.items()
    for index, text in enumerate(texts)
]
CLEAN_CASES = [
    pytest.param(language, text, id=f"{language}-{index}")
    for language, texts in CLEAN.items()
    for index, text in enumerate(texts)
]


@pytest.mark.parametrize(("rule_id", "language", "text"), FLAGGED_CASES)
def test_phrasing_is_flagged(rule_id: str, language: str, text: str) -> None:
    assert rule_id in _rule_ids(text, language)


@pytest.mark.parametrize(("language", "text"), CLEAN_CASES)
def test_ordinary_listing_is_not_flagged(language: str, text: str) -> None:
    assert _rule_ids(text, language) == set()


def test_every_rule_has_phrasings_in_every_language() -> None:
    assert set(FLAGGED) == {rule.id for rule in screening.load_rules()}
    for rule_id, by_language in FLAGGED.items():
        for language in LANGUAGES:
            assert len(by_language.get(language, [])) >= 4, (rule_id, language)
    for language in LANGUAGES:
        assert len(CLEAN[language]) >= 3, language


def test_rule_texts_cover_every_bundled_rule() -> None:
    texts = {str(text) for text in screening.RULE_TEXTS}
    for rule in screening.load_rules():
        assert rule.title in texts and rule.explanation in texts, rule.id


def test_titles_and_explanations_stay_english_outside_a_request() -> None:
    (match,) = screen({"description": "Visa garanti."}, "SN")
    assert match.translated_title == match.title == "Guaranteed visa or work permit"
    assert match.translated_explanation == match.explanation
