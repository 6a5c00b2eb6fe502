"""Forms of the application pages."""

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
        "Why you, and what you would bring",
        validators=[DataRequired(), Length(min=MOTIVATION_MIN, max=MOTIVATION_MAX)],
        description=f"Between {MOTIVATION_MIN} and {MOTIVATION_MAX} characters, plain text.",
    )
    available_from = DateField("Available from", validators=[Optional()])
    available_until = DateField("Available until", validators=[Optional()])
    hours_per_month = IntegerField(
        "Hours per month you can give",
        validators=[Optional(), NumberRange(min=1, max=200)],
    )
    work_mode = SelectField(
        "How you would work",
        choices=[SelectChoice("", "No preference")]
        + [SelectChoice(m.value, m.label) for m in WorkMode],
        validators=[Optional()],
    )
    consent = BooleanField(
        "I agree to share the profile shown above with this institution",
        validators=[DataRequired("Agree to share your profile to apply.")],
    )

    def validate_available_until(self, field):
        if field.data and self.available_from.data and field.data < self.available_from.data:
            raise ValidationError("The end comes before the start.")

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
        "Your answer",
        choices=[
            SelectChoice("shortlist", "Shortlist"),
            SelectChoice("accept", "Accept"),
            SelectChoice("decline", "Decline"),
        ],
        validators=[DataRequired("Choose an answer.")],
    )
    message = TextAreaField(
        "Message to the applicant (optional)",
        validators=[Optional(), Length(max=DECISION_MESSAGE_MAX)],
    )


class MessageForm(BaseForm):
    body = TextAreaField(
        "Your message", validators=[DataRequired("Write a message."), Length(max=MESSAGE_MAX)]
    )


class FeedbackForm(BaseForm):
    rating = SelectField(
        "Rating (optional)",
        choices=[SelectChoice("", "No rating")]
        + [SelectChoice(str(n), f"{n} out of 5") for n in range(5, 0, -1)],
        coerce=_optional_int,
        validators=[Optional()],
    )
    comment = TextAreaField(
        "A few words (optional)", validators=[Optional(), Length(max=FEEDBACK_MAX)]
    )


class DisputeForm(BaseForm):
    dispute_note = TextAreaField(
        "What is not finished",
        validators=[DataRequired("Say what is not finished."), Length(max=MESSAGE_MAX)],
        description="Kept in the messages of this application; the other side reads it.",
    )


class InterviewProposalForm(BaseForm):
    """One to five times, in the zone named below; empty time boxes are ignored."""

    time_1 = DateTimeLocalField("Time 1", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    time_2 = DateTimeLocalField(
        "Time 2 (optional)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    time_3 = DateTimeLocalField(
        "Time 3 (optional)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    time_4 = DateTimeLocalField(
        "Time 4 (optional)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    time_5 = DateTimeLocalField(
        "Time 5 (optional)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    timezone = StringField(
        "Time zone of these times",
        validators=[DataRequired(), Length(max=ZONE_MAX)],
        description="Its name, such as Africa/Addis_Ababa, Europe/Berlin or UTC.",
    )
    duration = IntegerField(
        "Duration in minutes",
        default=60,
        validators=[DataRequired(), NumberRange(min=DURATION_MIN, max=DURATION_MAX)],
    )
    place = StringField(
        "Place, or the link to join online",
        validators=[DataRequired(), Length(max=PLACE_MAX)],
    )
    note = TextAreaField(
        "Note to the applicant (optional)", validators=[Optional(), Length(max=NOTE_MAX)]
    )

    def times(self) -> list:
        return [getattr(self, f"time_{n}").data for n in range(1, MAX_TIMES + 1)]


class InterviewChoiceForm(BaseForm):
    slot = RadioField(
        "Pick a time", coerce=int, validate_choice=False, validators=[DataRequired("Pick a time.")]
    )


class InterviewOtherTimesForm(BaseForm):
    wishes = TextAreaField(
        "Which days or times would suit you?",
        validators=[DataRequired("Say which days or times would suit you."), Length(max=NOTE_MAX)],
    )
