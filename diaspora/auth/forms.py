"""Forms of the account pages."""

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from diaspora.forms import BaseForm


class EmailAddress(EmailField):
    """An email field that checks the address's form (line breaks are refused by the
    base form, like in every single-line field)."""

    def __init__(self, label="Email address", **kwargs):
        kwargs.setdefault(
            "validators",
            [
                DataRequired(),
                Length(max=254),
                Email(check_deliverability=False, message="Enter a valid email address."),
            ],
        )
        super().__init__(label, **kwargs)


class SignupForm(BaseForm):
    name = StringField(
        "Your name",
        validators=[DataRequired(), Length(max=120)],
        description="A pseudonym is fine; you decide later who sees it.",
    )
    email = EmailAddress()
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=128)],
        description="At least 8 characters; a long phrase is best.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )
    role = RadioField(
        "I am joining as",
        choices=[
            SelectChoice("member", "A diaspora professional offering my expertise"),
            SelectChoice(
                "institution", "A representative of an institution in a country of origin"
            ),
        ],
        default="member",
        validators=[DataRequired()],
    )
    accept_terms = BooleanField(
        "I accept the terms of use and the privacy notice",
        validators=[DataRequired("You must accept the terms to join.")],
    )


class LoginForm(BaseForm):
    email = EmailAddress()
    password = PasswordField("Password", validators=[DataRequired(), Length(max=128)])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class EmailOnlyForm(BaseForm):
    email = EmailAddress()


class ResetPasswordForm(BaseForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField("New password", validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )


class ChangeEmailForm(BaseForm):
    # Its own id: the account page shows this form beside the password form.
    current_password = PasswordField(
        "Current password", id="email-current-password", validators=[DataRequired()]
    )
    email = EmailAddress("New email address")
