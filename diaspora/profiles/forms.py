"""Forms of the member's profile pages."""

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
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from diaspora.forms import BaseForm, select_choices
from diaspora.geo import country_choices, language_choices
from diaspora.models import FIELD_GROUPS, Audience, EngagementMode, Proficiency, SkillKind
from diaspora.models.profile import GROUP_LABELS


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _countries(blank: str = "Choose a country"):
    return select_choices([("", blank), *country_choices()])


class ProfileForm(BaseForm):
    display_name = StringField(
        "Display name",
        validators=[DataRequired(), Length(max=120)],
        description="A pseudonym is fine. Anyone who may see your profile sees this name.",
    )
    headline = StringField(
        "Headline",
        validators=[Length(max=200)],
        description="e.g. Obstetrician, 12 years in the NHS",
    )
    bio = TextAreaField(
        "About me",
        validators=[Length(max=10000)],
        description="Plain text; blank lines start a paragraph.",
    )
    origin_country = SelectField("Country of origin", validators=[Optional()])
    residence_country = SelectField("Country of residence", validators=[Optional()])
    city = StringField("City (optional)", validators=[Length(max=120)])
    sectors = MultiCheckboxField("Sectors")
    years_experience = IntegerField(
        "Years of professional experience", validators=[Optional(), NumberRange(0, 80)]
    )
    engagement_modes = MultiCheckboxField(
        "How I would like to engage",
        choices=select_choices((m.value, m.label) for m in EngagementMode),
    )
    availability_hours = IntegerField(
        "Availability (hours per month)", validators=[Optional(), NumberRange(0, 744)]
    )
    website = StringField("Website", validators=[Length(max=300)], description="https://...")
    orcid = StringField(
        "ORCID iD", validators=[Length(max=40)], description="e.g. 0000-0002-1825-0097"
    )
    professional_url = StringField(
        "Professional profile", validators=[Length(max=300)], description="https://..."
    )

    def __init__(self, *args, sectors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.origin_country.choices = _countries()
        self.residence_country.choices = _countries()
        self.sectors.choices = select_choices((sectors or {}).items())


class LanguageForm(BaseForm):
    code = SelectField("Language", validators=[DataRequired()])
    proficiency = SelectField(
        "Level",
        choices=select_choices((p.value, p.label) for p in Proficiency),
        validators=[DataRequired()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code.choices = select_choices([("", "Choose a language"), *language_choices()])


SKILL_KIND_CHOICES = [
    SelectChoice(SkillKind.HAVE.value, "I have"),
    SelectChoice(SkillKind.DEVELOP.value, "I want to use or develop"),
]


class SkillForm(BaseForm):
    name = StringField(
        "Skill",
        validators=[DataRequired(), Length(max=120)],
        description="Pick from the list or type your own.",
    )
    kind = SelectField(
        "This is a skill",
        choices=SKILL_KIND_CHOICES,
        validators=[DataRequired()],
    )


class EducationForm(BaseForm):
    degree = StringField("Degree", validators=[DataRequired(), Length(max=120)])
    field = StringField("Field", validators=[Length(max=120)])
    institution = StringField("Institution", validators=[DataRequired(), Length(max=200)])
    year = IntegerField("Year", validators=[Optional(), NumberRange(1940, 2100)])


class TravelForm(BaseForm):
    country = SelectField("I will be in", validators=[DataRequired()])
    start = DateField("From", validators=[DataRequired()])
    end = DateField("To", validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = _countries()


AUDIENCE_CHOICES = select_choices((str(int(a)), a.label) for a in Audience)


class PrivacyForm(BaseForm):
    listed = BooleanField("List me in the expert search (for signed-in institutions and members)")
    public = BooleanField("Turn on my public profile page (visitors who are not signed in)")
    invitations_open = BooleanField(
        "Let institutions invite me to apply to their projects",
        description="Representatives who see you listed may send you an invitation to apply, "
        "by notification and email; they see nothing more of you than you show them. Turned "
        "off, nobody can invite you, and you still find and apply to projects yourself.",
    )

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
        SelectField(GROUP_LABELS[_group], choices=AUDIENCE_CHOICES, validators=[DataRequired()]),
    )


class RestrictedViewForm(BaseForm):
    reason = TextAreaField(
        "Why do you need to see this member's restricted fields?",
        validators=[DataRequired(), Length(max=500)],
        description="Recorded in the audit log; the member sees it.",
    )


class DeleteAccountForm(BaseForm):
    password = PasswordField("Your password", validators=[DataRequired()])
    confirm = BooleanField(
        "I understand that this deletes my account and profile for good",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class MergeSkillForm(BaseForm):
    free_id = SelectField("Free skill", coerce=int)
    curated_id = SelectField("Merge into the curated skill", coerce=int)


class SkillLabelForm(BaseForm):
    skill_id = SelectField("Skill", coerce=int)
    label = StringField(
        "Other name",
        validators=[
            DataRequired("Type the other name of the skill."),
            Length(max=80, message="Keep a label under 80 characters."),
        ],
        description="An abbreviation, a synonym or another spelling, such as GP or ob-gyn.",
    )
