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
- dates (and dates with a time) are typed in separate boxes, day, month and year (and a time
  on the 24-hour clock), never in the browser's date picker, whose order follows the
  device's locale (03/02/2027 reads two ways); see :class:`DateBoxes`;
- selects leave out the optional ``</option>`` end tags (:class:`CompactSelect`).
"""

import re
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime

from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from wtforms.utils import unset_value
from wtforms.validators import StopValidation
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
        raise ValueError(_("Line breaks are not allowed here."))
    return value


def _date_in_range(value):
    day = value.date() if hasattr(value, "date") and callable(value.date) else value
    if day is not None and not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise ValueError(
            _(
                "Enter a date between %(start)s and %(end)s.",
                start=DATE_RANGE[0].year,
                end=DATE_RANGE[1].year,
            )
        )
    return value


def _integer_in_range(value):
    if isinstance(value, int) and not -INT_MAX <= value <= INT_MAX:
        raise ValueError(_("Enter a smaller number."))
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
            boxed = date_boxes_class(unbound_field.field_class)
            if boxed is not None:
                unbound_field = copy(unbound_field)
                unbound_field.field_class = boxed
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


MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
BOX_LABELS = {"day": _l("Day"), "month": _l("Month"), "year": _l("Year"), "time": _l("Time")}
# What a date misses, said whole in each language (never built from pieces).
MISSING = {
    ("day",): _l("The date must include a day."),
    ("month",): _l("The date must include a month."),
    ("year",): _l("The date must include a year."),
    ("day", "month"): _l("The date must include a day and month."),
    ("day", "year"): _l("The date must include a day and year."),
    ("month", "year"): _l("The date must include a month and year."),
    ("day", "month", "year"): _l("The date must include a day, month and year."),
}
MISSING_WITH_TIME = _l("Fill in every box: day, month, year and time.")
_ISO = re.compile(r"(\d+)-(\d+)-(\d+)(?:[T ](\d+:\d+))?")
_TIME = re.compile(r"(\d{1,2})[:.hH ]?(\d{2})")


def month_number(text: str) -> int | None:
    """The month typed as a number (3, 03) or an English name or its start ("Mar", "sept."),
    or None."""
    if text.isdecimal():
        return int(text) if len(text) <= 2 else None
    name = text.lower().rstrip(".")
    if len(name) >= 3:
        for number, month in enumerate(MONTHS, 1):
            if month.startswith(name):
                return number
    return None


@dataclass(frozen=True)
class Box:
    """One box of a date as the form macro renders it."""

    part: str  # day, month, year or time
    id: str
    name: str
    label: str
    value: str
    invalid: bool


class DateBoxes:
    """What every date field (and date with a time) becomes, through ``BaseForm.Meta``: three
    boxes, ``<name>-day``, ``<name>-month`` (a number or an English month name) and
    ``<name>-year`` (four digits), and for a date with a time a fourth, ``<name>-time``
    (hours and minutes, 24-hour clock). Scripts may still send the one value
    ``<name>=YYYY-MM-DD`` (``YYYY-MM-DDTHH:MM`` with a time), read as before.

    All boxes empty is no date (``raw_data`` stays empty, so ``Optional`` lets it pass);
    otherwise every box must be filled and the date real. What was typed is shown back,
    and :attr:`wrong_boxes` says which boxes are wrong (all of them when the date as a
    whole is refused, by a validator for instance)."""

    parts: tuple[str, ...] = ("day", "month", "year")
    example = _l("For example, 27 3 2027")

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.typed: dict[str, str] | None = None
        self.wrong_boxes: tuple[str, ...] = ()
        if formdata is not None and self.name not in formdata:
            sent = {part: formdata.getlist(self.box_name(part)) for part in self.parts}
            if any(sent.values()):
                self.typed = {
                    part: clean_line(values[0]).strip() if values else ""
                    for part, values in sent.items()
                }
        super().process(formdata, data, extra_filters)
        if self.process_errors and not self.wrong_boxes and self.data is not None:
            self.wrong_boxes = ("year",)  # a real date, out of range

    def process_formdata(self, valuelist):
        if self.typed is None:
            super().process_formdata(valuelist)
            return
        self.data = None
        if not any(self.typed.values()):
            return
        self.raw_data = [" ".join(self.typed.values())]
        self.data = self.from_boxes(self.typed)

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.process_errors:  # say what is wrong with what was typed, not "required"
            raise StopValidation()

    def box_name(self, part: str) -> str:
        return f"{self.name}-{part}"

    def box_id(self, part: str) -> str:
        return f"{self.id}-{part}"

    def _refuse(self, parts, message):
        self.wrong_boxes = tuple(parts)
        raise ValueError(message)

    def from_boxes(self, typed: dict[str, str]):
        missing = [part for part in self.parts if not typed[part]]
        if missing:
            message = MISSING.get(tuple(missing), MISSING_WITH_TIME)
            self._refuse(missing, str(message))
        day, month = typed["day"], month_number(typed["month"])
        unreal = [] if day.isdecimal() and len(day) <= 2 else ["day"]
        if month is None or not 1 <= month <= 12:
            unreal.append("month")
        if unreal:
            self._refuse(unreal, _("The date must be a real date."))
        year = typed["year"]
        if not (year.isdecimal() and len(year) == 4):
            self._refuse(["year"], _("Enter the year as four digits, for example 2027."))
        try:
            day = date(int(year), month, int(day))
        except ValueError:
            self._refuse(["day"], _("The date must be a real date."))
        return day

    def error_target(self) -> str:
        """The id of the first box in error, where the error summary leads."""
        first = next((p for p in self.parts if p in self.wrong_boxes), self.parts[0])
        return self.box_id(first)

    def box_values(self) -> dict[str, str]:
        if self.typed is not None:
            return self.typed
        if self.raw_data:  # one value sent by a script
            found = _ISO.fullmatch(self.raw_data[0].strip())
            if found is None:
                return {}
            return dict(zip(("year", "month", "day", "time"), found.groups(""), strict=True))
        value = self.data
        if not isinstance(value, date):
            return {}
        shown = {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
        if isinstance(value, datetime):
            shown["time"] = f"{value:%H:%M}"
        return shown

    def boxes(self) -> list[Box]:
        values = self.box_values()
        wrong = set(self.wrong_boxes or self.parts) if self.errors else set()
        return [
            Box(
                part,
                self.box_id(part),
                self.box_name(part),
                str(BOX_LABELS[part]),
                values.get(part, ""),
                part in wrong,
            )
            for part in self.parts
        ]


class DateTimeBoxes(DateBoxes):
    """A date and a time: the three boxes of :class:`DateBoxes` and hours:minutes."""

    parts = ("day", "month", "year", "time")
    example = _l("For example, 27 3 2027 and 14:30 (24-hour clock)")

    def from_boxes(self, typed):
        if [part for part in self.parts if not typed[part]] == ["time"]:
            self._refuse(["time"], _("Enter the time, for example 14:30."))
        day = super().from_boxes(typed)
        found = _TIME.fullmatch(typed["time"])
        hour, minute = (int(found[1]), int(found[2])) if found else (-1, -1)
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            self._refuse(["time"], _("Enter the time on the 24-hour clock, for example 14:30."))
        return datetime(day.year, day.month, day.day, hour, minute)


_BOXED = {}


def date_boxes_class(field_class):
    """The boxed form of a date field class (see :class:`DateBoxes`), or None for other
    fields."""
    if not issubclass(field_class, DateTimeField) or issubclass(field_class, DateBoxes):
        return None
    if field_class not in _BOXED:
        mixin = DateBoxes if issubclass(field_class, DateField) else DateTimeBoxes
        _BOXED[field_class] = type(field_class.__name__, (mixin, field_class), {})
    return _BOXED[field_class]


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
    if isinstance(field, DateBoxes):
        return field.error_target()
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
