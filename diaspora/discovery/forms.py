"""The saved-search form (the search itself is a plain GET form)."""

from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from diaspora.forms import BaseForm
from diaspora.services.notifications import Frequency


class SaveSearchForm(BaseForm):
    frequency = SelectField(
        "Email me new matches",
        choices=[
            SelectChoice(Frequency.WEEKLY.value, "Weekly"),
            SelectChoice(Frequency.DAILY.value, "Daily"),
        ],
        default=Frequency.WEEKLY.value,
    )
