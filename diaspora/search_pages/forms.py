"""The saved-search form (the search itself is a plain GET form)."""

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from diaspora.services.notifications import Frequency


class SaveSearchForm(FlaskForm):
    frequency = SelectField(
        "Email me new matches",
        choices=[
            SelectChoice(Frequency.WEEKLY.value, "Weekly"),
            SelectChoice(Frequency.DAILY.value, "Daily"),
        ],
        default=Frequency.WEEKLY.value,
    )
