"""Forms of the notification pages."""

from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from diaspora.forms import BaseForm
from diaspora.services.notifications import kinds_for


def preferences_form(user, current: dict):
    """A form with one radio group per kind of notification the person can receive; kinds
    gathered only into digests offer no "right away"."""

    class PreferencesForm(BaseForm):
        pass

    for kind in kinds_for(user):
        choices = [SelectChoice(f.value, f.label) for f in kind.choices]
        setattr(
            PreferencesForm,
            kind.key,
            RadioField(str(kind.label), choices=choices, default=current[kind.key].value),
        )
    return PreferencesForm()
