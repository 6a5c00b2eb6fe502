"""Forms of the coordinators' area."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        "Reason (recorded in the audit log)", validators=[DataRequired(), Length(max=500)]
    )


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Name or email", validators=[Length(max=100)])
