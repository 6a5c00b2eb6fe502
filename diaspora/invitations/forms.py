"""The invitation form of the recommended experts page."""

from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from diaspora.forms import BaseForm
from diaspora.services.invitations import MESSAGE_MAX


class InviteForm(BaseForm):
    message = TextAreaField(
        "A short message (optional)",
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=f"Up to {MESSAGE_MAX} characters. The member reads it on the site.",
    )
