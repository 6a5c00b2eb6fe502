"""The base form of every area and small helpers shared by the forms.

Every form inherits :class:`BaseForm`, whose ``Meta`` gives each field a filter for what
people (or scripts) may type into it, so the rules hold in one place for every form:

- control characters (NUL, the rest of C0 and C1, DEL) are removed from every text field;
  multi-line fields (``TextAreaField``) keep tabs and line breaks;
- single-line fields (every other ``StringField``: names, titles, subjects, links) refuse a
  line or paragraph separator with a form error, since such values end up in mail headers
  and one-line displays; hidden fields drop them silently (nobody could correct them);
- passwords are kept exactly as typed (they are never stored or shown);
- dates must lie in :data:`DATE_RANGE` and whole numbers in a database integer;
- selects leave out the optional ``</option>`` end tags (:class:`CompactSelect`).
"""

from datetime import date

from flask import g, has_request_context
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from diaspora.validation import INT_MAX, clean_line, has_line_break, strip_controls

DATE_RANGE = (date(1900, 1, 1), date(2199, 12, 31))


def _multi_line(value):
    return strip_controls(value) if isinstance(value, str) else value


def _hidden(value):
    return clean_line(value) if isinstance(value, str) else value


def _single_line(value):
    if not isinstance(value, str):
        return value
    value = strip_controls(value).replace("\t", " ")
    if has_line_break(value):
        raise ValueError("Line breaks are not allowed here.")
    return value


def _date_in_range(value):
    day = value.date() if hasattr(value, "date") and callable(value.date) else value
    if day is not None and not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise ValueError(f"Enter a date between {DATE_RANGE[0].year} and {DATE_RANGE[1].year}.")
    return value


def _integer_in_range(value):
    if isinstance(value, int) and not -INT_MAX <= value <= INT_MAX:
        raise ValueError("Enter a smaller number.")
    return value


def input_filter(field_class):
    """The filter every field of ``field_class`` gets, or None."""
    if issubclass(field_class, PasswordField):
        return None
    if issubclass(field_class, TextAreaField):
        return _multi_line
    if issubclass(field_class, HiddenField):
        return _hidden
    if issubclass(field_class, StringField):
        return _single_line
    if issubclass(field_class, (DateField, DateTimeField)):
        return _date_in_range
    if issubclass(field_class, IntegerField):
        return _integer_in_range
    return None


class BaseForm(FlaskForm):
    """The form every area's forms inherit: the input rules above, for every field.

    Each form made during a request is remembered (:func:`forms_of_request`), so that the
    layout can sum up what is wrong with the ones that failed, above the page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.meta.csrf:
            # A page holds many forms; their hidden tokens must not all claim one id.
            token = self[self.meta.csrf_field_name]
            token.render_kw = {**(token.render_kw or {}), "id": False}
        if has_request_context():
            g.setdefault("forms", []).append(self)

    class Meta:
        def bind_field(self, form, unbound_field, options):
            extra = input_filter(unbound_field.field_class)
            if extra is not None:
                filters = unbound_field.kwargs.get("filters") or ()
                options = {**options, "filters": [*filters, extra]}
            field = unbound_field.bind(form=form, **options)
            if type(field.widget) is Select:
                field.widget = CompactSelect(multiple=field.widget.multiple)
            return field


class CompactSelect(Select):
    """WTForms' select without the optional ``</option>`` end tags: a country list has 250
    options, and a profile page three such lists; the end tags alone weighed 7 KB there."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        return super().render_option(choice, **kwargs).removesuffix("</option>")  # stays Markup


def forms_of_request() -> list[BaseForm]:
    """The forms made during this request, in the order they were made."""
    return list(g.get("forms", ())) if has_request_context() else []


def forget_forms_of_request() -> None:
    """Forget this request's forms: an error page shows none of them."""
    if has_request_context():
        g.pop("forms", None)


def problems(form: FlaskForm) -> list[tuple[str | None, str]]:
    """What is wrong with ``form``, field by field in the form's order: pairs of the id of
    the control to go to (the first choice of a group of radio buttons or checkboxes, the
    first entry in error of a list of fields; None for a hidden field, which nobody can
    correct) and the message."""
    found: list[tuple[str | None, str]] = []
    for field in form:
        if field.type == "CSRFTokenField" or not field.errors:
            continue
        if field.type == "FieldList":
            found += _list_problems(field)
            continue
        target = None if field.type == "HiddenField" else _first_control(field)
        found += [(target, message) for message in field.errors]
    return found


def _first_control(field) -> str:
    if field.type == "RadioField" or getattr(field.widget, "html_tag", None) in ("ul", "ol"):
        first = next(iter(field), None)
        return first.id if first is not None else field.id
    return field.id


def _list_problems(field_list) -> list[tuple[str | None, str]]:
    found = []
    for entry in field_list.entries:
        found += [(entry.id, message) for message in entry.errors if isinstance(message, str)]
    first = field_list.entries[0].id if field_list.entries else field_list.id
    found += [(first, message) for message in field_list.errors if isinstance(message, str)]
    return found


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects WTForms expects."""
    return [SelectChoice(value, label) for value, label in pairs]


class EmptyForm(BaseForm):
    """A form with only the CSRF token, for buttons that change state."""
