"""Forms of the institution pages."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from diaspora.auth.forms import EmailAddress
from diaspora.forms import BaseForm, select_choices
from diaspora.geo import country_choices
from diaspora.models import InstitutionType


class InstitutionForm(BaseForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        "Type",
        choices=select_choices((t.value, t.label) for t in InstitutionType),
        validators=[DataRequired()],
    )
    country = SelectField("Country", validators=[DataRequired()])
    city = StringField("City", validators=[Length(max=120)])
    website = StringField("Website", validators=[Length(max=300)], description="https://...")
    email_domain = StringField(
        "Official email domain",
        validators=[Length(max=253)],
        description="The domain of the institution's addresses, like university.example.",
    )
    description = TextAreaField("Description", validators=[Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = select_choices([("", "Choose a country"), *country_choices()])


class DecisionForm(BaseForm):
    reason = TextAreaField(
        "Reason (sent to the representatives, recorded in the audit log)",
        validators=[Length(max=2000)],
    )


class InviteForm(BaseForm):
    email = EmailAddress("Colleague's email address")
