"""The saved-search form (the search itself is a plain GET form)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from diaspora.forms import BaseForm
from diaspora.services.notifications import Frequency


class SaveSearchForm(BaseForm):
    frequency = SelectField(
        _l("Email me new matches"),
        choices=[
            SelectChoice(Frequency.WEEKLY.value, _l("Weekly")),
            SelectChoice(Frequency.DAILY.value, _l("Daily")),
        ],
        default=Frequency.WEEKLY.value,
    )
