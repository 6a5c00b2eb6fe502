"""Small helpers shared by the forms of every area."""

from wtforms.fields.choices import SelectChoice


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]
