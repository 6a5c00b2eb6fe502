"""The follow-up form: three questions with fixed answers and one free text. Every answer's
label says what it answers, so each radio button has a name of its own."""

from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from diaspora.forms import BaseForm
from diaspora.models import FollowOn, Transferred
from diaspora.models.follow_up import WHAT_CHANGED_MAX


class FollowUpForm(BaseForm):
    in_contact = RadioField(
        "Are you still in contact with each other?",
        choices=[
            SelectChoice("yes", "Yes, we are still in contact"),
            SelectChoice("no", "No, we are no longer in contact"),
        ],
        validators=[InputRequired("Say whether you are still in contact.")],
    )
    transferred = RadioField(
        "Were knowledge or skills transferred?",
        choices=[
            SelectChoice(Transferred.YES.value, "Yes, knowledge or skills were transferred"),
            SelectChoice(Transferred.PARTLY.value, "Partly transferred"),
            SelectChoice(Transferred.NO.value, "No, nothing was transferred"),
        ],
        validators=[InputRequired("Say whether knowledge or skills were transferred.")],
    )
    follow_on = RadioField(
        "Is there a follow-on project?",
        choices=[
            SelectChoice(FollowOn.YES.value, "Yes, there is a follow-on project"),
            SelectChoice(FollowOn.PLANNED.value, "A follow-on project is planned"),
            SelectChoice(FollowOn.NO.value, "No follow-on project"),
        ],
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
