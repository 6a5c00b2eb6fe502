"""Forms of the institution pages."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from diaspora.auth.forms import EmailAddress
from diaspora.forms import BaseForm, select_choices
from diaspora.geo import country_choices
from diaspora.models import InstitutionType


class InstitutionForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Type"), validators=[DataRequired()])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    city = StringField(_l("City"), validators=[Length(max=120)])
    website = StringField(_l("Website"), validators=[Length(max=300)], description="https://...")
    email_domain = StringField(
        _l("Official email domain"),
        validators=[Length(max=253)],
        description=_l("The domain of the institution's addresses, like university.example."),
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are made here, in the language of the page (not once, at import).
        self.kind.choices = select_choices((t.value, t.label) for t in InstitutionType)
        self.country.choices = select_choices([("", _l("Choose a country")), *country_choices()])


class DecisionForm(BaseForm):
    reason = TextAreaField(
        _l("Reason (sent to the representatives, recorded in the audit log)"),
        validators=[Length(max=2000)],
    )


class InviteForm(BaseForm):
    email = EmailAddress(_l("Colleague's email address"))
