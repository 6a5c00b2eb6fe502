"""Forms of the coordinators' area."""

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from diaspora.forms import BaseForm


class SuspendForm(BaseForm):
    reason = TextAreaField(
        "Reason (recorded in the audit log)", validators=[DataRequired(), Length(max=500)]
    )


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField("Name or email", validators=[Length(max=100)])
