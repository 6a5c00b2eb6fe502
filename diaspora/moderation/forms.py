"""Forms of moderation: review decisions, unpublishing, resolving reports, audit filters."""

from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from diaspora.forms import BaseForm


class DecisionForm(BaseForm):
    decision = RadioField(
        "Decision",
        choices=[
            SelectChoice("approve", "Approve and publish"),
            SelectChoice("request_changes", "Request changes"),
            SelectChoice("reject", "Reject"),
        ],
        validators=[DataRequired("Choose a decision.")],
    )
    reason = TextAreaField(
        "Reason or comments for the institution",
        validators=[Length(max=2000)],
        description="Required to reject or request changes; sent to the institution.",
    )


class UnpublishForm(BaseForm):
    reason = TextAreaField(
        "Reason (sent to the institution)", validators=[DataRequired(), Length(max=2000)]
    )


class ResolveReportForm(BaseForm):
    outcome = RadioField(
        "Outcome",
        choices=[SelectChoice("dismiss", "Dismiss"), SelectChoice("act", "Act on it")],
        validators=[DataRequired("Choose an outcome.")],
    )
    note = TextAreaField("Note", validators=[DataRequired(), Length(max=2000)])
    unpublish = BooleanField("Also unpublish the project (the note is sent as the reason)")


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    action = SelectField("Action", validators=[Optional()])
    actor = StringField("Actor", validators=[Optional(), Length(max=120)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
