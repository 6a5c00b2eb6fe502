"""The follow-up form: three questions with fixed answers and one free text."""

from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from diaspora.forms import BaseForm
from diaspora.models import FollowOn, Transferred
from diaspora.models.follow_up import WHAT_CHANGED_MAX


class FollowUpForm(BaseForm):
    in_contact = RadioField(
        "Are you still in contact with each other?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        validators=[InputRequired("Say whether you are still in contact.")],
    )
    transferred = RadioField(
        "Were knowledge or skills transferred?",
        choices=[SelectChoice(value.value, value.label) for value in Transferred],
        validators=[InputRequired("Say whether knowledge or skills were transferred.")],
    )
    follow_on = RadioField(
        "Is there a follow-on project?",
        choices=[SelectChoice(value.value, value.label) for value in FollowOn],
        validators=[InputRequired("Say whether there is a follow-on project.")],
    )
    what_changed = TextAreaField(
        "What changed because of the engagement? (optional)",
        description=f"A few sentences, at most {WHAT_CHANGED_MAX} characters. Coordinators "
        "read them; they are never published with your name.",
        validators=[
            Optional(),
            Length(max=WHAT_CHANGED_MAX, message=f"Write at most {WHAT_CHANGED_MAX} characters."),
        ],
    )

    @classmethod
    def of_answers(cls, follow_up) -> "FollowUpForm":
        """The form filled with the answers already given."""
        return cls(
            formdata=None,
            data={
                "in_contact": "yes" if follow_up.in_contact else "no",
                "transferred": follow_up.transferred.value,
                "follow_on": follow_up.follow_on.value,
                "what_changed": follow_up.what_changed,
            },
        )
