"""Forms of moderation: review decisions, unpublishing, resolving reports, audit filters."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from diaspora.forms import BaseForm


class DecisionForm(BaseForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve and publish")),
            SelectChoice("request_changes", _l("Request changes")),
            SelectChoice("reject", _l("Reject")),
        ],
        validators=[DataRequired(_l("Choose a decision."))],
    )
    reason = TextAreaField(
        _l("Reason or comments for the institution"),
        validators=[Length(max=2000)],
        description=_l("Required to reject or request changes; sent to the institution."),
    )


class UnpublishForm(BaseForm):
    reason = TextAreaField(
        _l("Reason (sent to the institution)"), validators=[DataRequired(), Length(max=2000)]
    )


class ResolveReportForm(BaseForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice("dismiss", _l("Dismiss")), SelectChoice("act", _l("Act on it"))],
        validators=[DataRequired(_l("Choose an outcome."))],
    )
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=2000)])
    unpublish = BooleanField(_l("Also unpublish the project (the note is sent as the reason)"))


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=120)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
