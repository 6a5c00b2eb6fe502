"""The invitation form of the recommended experts page."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from diaspora.forms import BaseForm
from diaspora.services.invitations import MESSAGE_MAX


class InviteForm(BaseForm):
    message = TextAreaField(
        _l("A short message (optional)"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=_l(
            "Up to %(num)d characters. The member reads it on the site.", num=MESSAGE_MAX
        ),
    )
