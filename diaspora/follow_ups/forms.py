"""The follow-up form: three questions with fixed answers and one free text. Every answer's
label says what it answers, so each radio button has a name of its own."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from diaspora.forms import BaseForm
from diaspora.models import FollowOn, Transferred
from diaspora.models.follow_up import WHAT_CHANGED_MAX


class FollowUpForm(BaseForm):
    in_contact = RadioField(
        _l("Are you still in contact with each other?"),
        choices=[
            SelectChoice("yes", _l("Yes, we are still in contact")),
            SelectChoice("no", _l("No, we are no longer in contact")),
        ],
        validators=[InputRequired(_l("Say whether you are still in contact."))],
    )
    transferred = RadioField(
        _l("Were knowledge or skills transferred?"),
        choices=[
            SelectChoice(Transferred.YES.value, _l("Yes, knowledge or skills were transferred")),
            SelectChoice(Transferred.PARTLY.value, _l("Partly transferred")),
            SelectChoice(Transferred.NO.value, _l("No, nothing was transferred")),
        ],
        validators=[InputRequired(_l("Say whether knowledge or skills were transferred."))],
    )
    follow_on = RadioField(
        _l("Is there a follow-on project?"),
        choices=[
            SelectChoice(FollowOn.YES.value, _l("Yes, there is a follow-on project")),
            SelectChoice(FollowOn.PLANNED.value, _l("A follow-on project is planned")),
            SelectChoice(FollowOn.NO.value, _l("No follow-on project")),
        ],
        validators=[InputRequired(_l("Say whether there is a follow-on project."))],
    )
    what_changed = TextAreaField(
        _l("What changed because of the engagement? (optional)"),
        description=_l(
            "A few sentences, at most %(num)d characters. Coordinators read them; they are "
            "never published with your name.",
            num=WHAT_CHANGED_MAX,
        ),
        validators=[
            Optional(),
            Length(
                max=WHAT_CHANGED_MAX,
                message=_l("Write at most %(num)d characters.", num=WHAT_CHANGED_MAX),
            ),
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
