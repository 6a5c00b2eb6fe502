"""Forms of the application pages: labels and messages are lazy strings, written in the
language of the page that shows them."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from diaspora.forms import BaseForm
from diaspora.models import WorkMode
from diaspora.services.applications import (
    DECISION_MESSAGE_MAX,
    FEEDBACK_MAX,
    MESSAGE_MAX,
    MOTIVATION_MAX,
    MOTIVATION_MIN,
    Engagement,
)
from diaspora.services.interviews import (
    DURATION_MAX,
    DURATION_MIN,
    MAX_TIMES,
    NOTE_MAX,
    PLACE_MAX,
    ZONE_MAX,
)


def _optional_int(value):
    return int(value) if value not in (None, "") else None


class ApplyForm(BaseForm):
    motivation = TextAreaField(
        _l("Why you, and what you would bring"),
        validators=[DataRequired(), Length(min=MOTIVATION_MIN, max=MOTIVATION_MAX)],
        description=_l(
            "Between %(min)d and %(max)d characters, plain text.",
            min=MOTIVATION_MIN,
            max=MOTIVATION_MAX,
        ),
    )
    available_from = DateField(_l("Available from"), validators=[Optional()])
    available_until = DateField(_l("Available until"), validators=[Optional()])
    hours_per_month = IntegerField(
        _l("Hours per month you can give"),
        validators=[Optional(), NumberRange(min=1, max=200)],
    )
    work_mode = SelectField(
        _l("How you would work"),
        choices=[SelectChoice("", _l("No preference"))]
        + [SelectChoice(m.value, m.value) for m in WorkMode],
        validators=[Optional()],
    )
    consent = BooleanField(
        _l("I agree to share the profile shown above with this institution"),
        validators=[DataRequired(_l("Agree to share your profile to apply."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The ways of working are named in the page's language.
        self.work_mode.choices = [SelectChoice("", _("No preference"))] + [
            SelectChoice(m.value, m.label) for m in WorkMode
        ]

    def validate_available_until(self, field):
        if field.data and self.available_from.data and field.data < self.available_from.data:
            raise ValidationError(_("The end comes before the start."))

    def engagement(self) -> Engagement:
        """What the member offers, as the service takes it."""
        return Engagement(
            available_from=self.available_from.data,
            available_until=self.available_until.data,
            hours_per_month=self.hours_per_month.data,
            work_mode=WorkMode(self.work_mode.data) if self.work_mode.data else None,
        )


class DecisionForm(BaseForm):
    decision = RadioField(
        _l("Your answer"),
        choices=[
            SelectChoice("shortlist", _l("Shortlist")),
            SelectChoice("accept", _l("Accept")),
            SelectChoice("decline", _l("Decline")),
        ],
        validators=[DataRequired(_l("Choose an answer."))],
    )
    message = TextAreaField(
        _l("Message to the applicant (optional)"),
        validators=[Optional(), Length(max=DECISION_MESSAGE_MAX)],
    )


class MessageForm(BaseForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Write a message.")), Length(max=MESSAGE_MAX)],
    )


class FeedbackForm(BaseForm):
    rating = SelectField(
        _l("Rating (optional)"),
        choices=[SelectChoice("", _l("No rating"))]
        + [SelectChoice(str(n), _l("%(num)d out of 5", num=n)) for n in range(5, 0, -1)],
        coerce=_optional_int,
        validators=[Optional()],
    )
    comment = TextAreaField(
        _l("A few words (optional)"), validators=[Optional(), Length(max=FEEDBACK_MAX)]
    )


class DisputeForm(BaseForm):
    dispute_note = TextAreaField(
        _l("What is not finished"),
        validators=[DataRequired(_l("Say what is not finished.")), Length(max=MESSAGE_MAX)],
        description=_l("Kept in the messages of this application; the other side reads it."),
    )


class InterviewProposalForm(BaseForm):
    """One to five times, in the zone named below; empty time boxes are ignored."""

    time_1 = DateTimeLocalField(
        _l("Time %(num)d", num=1), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    time_2 = DateTimeLocalField(
        _l("Time %(num)d (optional)", num=2), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    time_3 = DateTimeLocalField(
        _l("Time %(num)d (optional)", num=3), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    time_4 = DateTimeLocalField(
        _l("Time %(num)d (optional)", num=4), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    time_5 = DateTimeLocalField(
        _l("Time %(num)d (optional)", num=5), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    timezone = StringField(
        _l("Time zone of these times"),
        validators=[DataRequired(), Length(max=ZONE_MAX)],
        description=_l("Its name, such as Africa/Addis_Ababa, Europe/Berlin or UTC."),
    )
    duration = IntegerField(
        _l("Duration in minutes"),
        default=60,
        validators=[DataRequired(), NumberRange(min=DURATION_MIN, max=DURATION_MAX)],
    )
    place = StringField(
        _l("Place, or the link to join online"),
        validators=[DataRequired(), Length(max=PLACE_MAX)],
    )
    note = TextAreaField(
        _l("Note to the applicant (optional)"), validators=[Optional(), Length(max=NOTE_MAX)]
    )

    def times(self) -> list:
        return [getattr(self, f"time_{n}").data for n in range(1, MAX_TIMES + 1)]


class InterviewChoiceForm(BaseForm):
    slot = RadioField(
        _l("Pick a time"),
        coerce=int,
        validate_choice=False,
        validators=[DataRequired(_l("Pick a time."))],
    )


class InterviewOtherTimesForm(BaseForm):
    wishes = TextAreaField(
        _l("Which days or times would suit you?"),
        validators=[
            DataRequired(_l("Say which days or times would suit you.")),
            Length(max=NOTE_MAX),
        ],
    )
