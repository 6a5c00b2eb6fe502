"""Forms of the notification pages."""

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from diaspora.models import Frequency
from diaspora.services.notifications import kinds_for

CHOICES = [SelectChoice(f.value, f.label) for f in Frequency]


def preferences_form(user, current: dict):
    """A form with one radio group per kind of notification the person can receive."""

    class PreferencesForm(FlaskForm):
        pass

    for kind in kinds_for(user):
        setattr(
            PreferencesForm,
            kind.key,
            RadioField(kind.label, choices=CHOICES, default=current[kind.key].value),
        )
    return PreferencesForm()
