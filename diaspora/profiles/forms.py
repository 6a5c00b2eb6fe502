"""Forms of the member's profile pages."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from diaspora import i18n
from diaspora.forms import BaseForm, select_choices
from diaspora.geo import country_choices, language_choices
from diaspora.models import FIELD_GROUPS, Audience, EngagementMode, Proficiency, SkillKind
from diaspora.models.profile import GROUP_LABELS


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _countries(blank: str | None = None):
    return select_choices([("", str(blank or _l("Choose a country"))), *country_choices()])


def _written_in_choices():
    """The site's languages, each by its own name (a reader finds their own language)."""
    return select_choices(i18n.LANGUAGES.items())


def _supported_language(form, field):
    if not i18n.supported(field.data):
        raise ValidationError(str(_l("Choose a language from the list.")))


class ProfileForm(BaseForm):
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("A pseudonym is fine. Anyone who may see your profile sees this name."),
    )
    headline = StringField(
        _l("Headline"),
        validators=[Length(max=200)],
        description=_l("e.g. Obstetrician, 12 years in the NHS"),
    )
    bio = TextAreaField(
        _l("About me"),
        validators=[Length(max=10000)],
        description=_l("Plain text; blank lines start a paragraph."),
    )
    written_in = SelectField(
        _l("Profile written in"),
        validators=[Optional(), _supported_language],
        validate_choice=False,
        description=_l(
            "The language of your headline and About me: browsers, screen readers and search "
            "read them in it."
        ),
    )
    origin_country = SelectField(_l("Country of origin"), validators=[Optional()])
    residence_country = SelectField(_l("Country of residence"), validators=[Optional()])
    city = StringField(_l("City (optional)"), validators=[Length(max=120)])
    sectors = MultiCheckboxField(_l("Sectors"))
    years_experience = IntegerField(
        _l("Years of professional experience"), validators=[Optional(), NumberRange(0, 80)]
    )
    engagement_modes = MultiCheckboxField(_l("How I would like to engage"))
    availability_hours = IntegerField(
        _l("Availability (hours per month)"), validators=[Optional(), NumberRange(0, 744)]
    )
    website = StringField(_l("Website"), validators=[Length(max=300)], description="https://...")
    orcid = StringField(
        _l("ORCID iD"),
        validators=[Length(max=40)],
        description=_l("e.g. %(example)s", example="0000-0002-1825-0097"),
    )
    professional_url = StringField(
        _l("Professional profile"), validators=[Length(max=300)], description="https://..."
    )

    def __init__(self, *args, sectors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.origin_country.choices = _countries()
        self.residence_country.choices = _countries()
        self.sectors.choices = select_choices((sectors or {}).items())
        self.engagement_modes.choices = select_choices((m.value, m.label) for m in EngagementMode)
        self.written_in.choices = _written_in_choices()


class LanguageForm(BaseForm):
    code = SelectField(_l("Language"), validators=[DataRequired()])
    proficiency = SelectField(_l("Level"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code.choices = select_choices(
            [("", str(_l("Choose a language"))), *language_choices()]
        )
        self.proficiency.choices = select_choices((p.value, p.label) for p in Proficiency)


SKILL_KIND_CHOICES = [
    # Translators: completes "This is a skill": I have / I want to use or develop.
    SelectChoice(SkillKind.HAVE.value, _l("I have")),
    SelectChoice(SkillKind.DEVELOP.value, _l("I want to use or develop")),
]


class SkillForm(BaseForm):
    name = StringField(
        _l("Skill"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("Pick from the list or type your own."),
    )
    kind = SelectField(
        _l("This is a skill"),
        choices=SKILL_KIND_CHOICES,
        validators=[DataRequired()],
    )


class EducationForm(BaseForm):
    degree = StringField(_l("Degree"), validators=[DataRequired(), Length(max=120)])
    # Translators: a field of study.
    field = StringField(_l("Field"), validators=[Length(max=120)])
    institution = StringField(_l("Institution"), validators=[DataRequired(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(1940, 2100)])


class TravelForm(BaseForm):
    country = SelectField(_l("I will be in"), validators=[DataRequired()])
    # Translators: the first and last days of a travel window.
    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("To"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = _countries()


def _audience_choices():
    return select_choices((str(int(a)), a.label) for a in Audience)


class PrivacyForm(BaseForm):
    listed = BooleanField(
        _l("List me in the expert search (for signed-in institutions and members)")
    )
    public = BooleanField(_l("Turn on my public profile page (visitors who are not signed in)"))
    invitations_open = BooleanField(
        _l("Let institutions invite me to apply to their projects"),
        description=_l(
            "Representatives who see you listed may send you an invitation to apply, "
            "by notification and email; they see nothing more of you than you show them. "
            "Turned off, nobody can invite you, and you still find and apply to projects "
            "yourself."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for group in FIELD_GROUPS:
            self[f"audience_{group}"].choices = _audience_choices()

    @classmethod
    def of(cls, profile) -> "PrivacyForm":
        """The form showing ``profile``'s choices (what a POST sends wins over them)."""
        audiences = {f"audience_{g}": str(int(profile.audience_of(g))) for g in FIELD_GROUPS}
        return cls(
            data={
                "listed": profile.listed,
                "public": profile.public,
                "invitations_open": profile.invitations_open,
                **audiences,
            }
        )

    def audiences(self) -> dict[str, str]:
        """The audience chosen for each field group."""
        return {g: self[f"audience_{g}"].data for g in FIELD_GROUPS}


for _group in FIELD_GROUPS:
    setattr(
        PrivacyForm,
        f"audience_{_group}",
        SelectField(GROUP_LABELS[_group], validators=[DataRequired()]),
    )


class RestrictedViewForm(BaseForm):
    reason = TextAreaField(
        _l("Why do you need to see this member's restricted fields?"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Recorded in the audit log; the member sees it."),
    )


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    confirm = BooleanField(
        _l("I understand that this deletes my account and profile for good"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class MergeSkillForm(BaseForm):
    free_id = SelectField(_l("Free skill"), coerce=int)
    curated_id = SelectField(_l("Merge into the curated skill"), coerce=int)


class SkillLabelForm(BaseForm):
    skill_id = SelectField(_l("Skill"), coerce=int)
    label = StringField(
        _l("Other name"),
        validators=[
            DataRequired(_l("Type the other name of the skill.")),
            Length(max=80, message=_l("Keep a label under %(max)d characters.", max=80)),
        ],
        description=_l("An abbreviation, a synonym or another spelling, such as GP or ob-gyn."),
    )
