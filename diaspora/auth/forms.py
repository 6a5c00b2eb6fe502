"""Forms of the account pages."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from diaspora import i18n
from diaspora.forms import BaseForm
from diaspora.models import ApiScope
from diaspora.services.api_keys import MAX_NAME, new_form_nonce


class EmailAddress(EmailField):
    """An email field that checks the address's form (line breaks are refused by the
    base form, like in every single-line field)."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault(
            "validators",
            [
                DataRequired(),
                Length(max=254),
                Email(check_deliverability=False, message=_l("Enter a valid email address.")),
            ],
        )
        super().__init__(label if label is not None else _l("Email address"), **kwargs)


class SignupForm(BaseForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("A pseudonym is fine; you decide later who sees it."),
    )
    email = EmailAddress()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=128)],
        description=_l("At least 8 characters; a long phrase is best."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )
    role = RadioField(
        _l("I am joining as"),
        choices=[
            SelectChoice("member", _l("A diaspora professional offering my expertise")),
            SelectChoice(
                "institution", _l("A representative of an institution in a country of origin")
            ),
        ],
        default="member",
        validators=[DataRequired()],
    )
    accept_terms = BooleanField(
        _l("I accept the terms of use and the privacy notice"),
        validators=[DataRequired(_l("You must accept the terms to join."))],
    )
    next = HiddenField()


class LoginForm(BaseForm):
    email = EmailAddress()
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class EmailOnlyForm(BaseForm):
    email = EmailAddress()


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


class ChangeEmailForm(BaseForm):
    # Its own id: the account page shows this form beside the password form.
    current_password = PasswordField(
        _l("Current password"), id="email-current-password", validators=[DataRequired()]
    )
    email = EmailAddress(_l("New email address"))


def language_choices() -> list[SelectChoice]:
    """The site's languages, each named in itself and marked with its own language, so a
    screen reader reads "Français" in French whatever the page's language."""
    return [
        SelectChoice(code, name, render_kw={"lang": code, "dir": i18n.direction(code)})
        for code, name in i18n.LANGUAGES.items()
    ]


class LanguageForm(BaseForm):
    language = SelectField(
        _l("Language of the site and of your emails"),
        choices=language_choices(),
        validators=[InputRequired(_l("Choose one of the languages."))],
        invalid_choice_message=_l("Choose one of the languages."),
    )


class ApiKeyForm(BaseForm):
    """A new API key: a name to recognise it by and what it may do. ``once`` is a value
    made when the form is shown: the same form sent twice creates one key."""

    once = HiddenField(default=new_form_nonce)

    name = StringField(
        _l("Name of the key"),
        validators=[DataRequired(), Length(max=MAX_NAME)],
        description=_l("What the key is for, for example \u201cOur recruitment system\u201d."),
    )
    scope = RadioField(
        _l("What the key may do"),
        choices=[
            SelectChoice(ApiScope.READ.value, _l("Read only: see your projects and applications")),
            SelectChoice(
                ApiScope.WRITE.value,
                _l("Read and write: also edit, submit and close projects and answer applications"),
            ),
        ],
        default=ApiScope.READ.value,
        validators=[DataRequired(_l("Choose what the key may do."))],
    )
