"""Forms of the coordinators' area."""

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from diaspora import catalog, i18n
from diaspora.forms import BaseForm, select_choices
from diaspora.geo import country_choices
from diaspora.services.errors import Invalid
from diaspora.services.impact import Filters, Period


class SuspendForm(BaseForm):
    reason = TextAreaField(
        _l("Reason (recorded in the audit log)"), validators=[DataRequired(), Length(max=500)]
    )


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Length(max=100)])


MONTH_VALUES = [f"{n:02d}" for n in range(1, 13)]
MONTH_REFUSAL = _l("Choose a month from January (1) to December (12).")


def month_choices() -> list:
    """The twelve months, named in the page's language."""
    return select_choices(
        (value, i18n.format_date(date(2000, int(value), 1), "%B")) for value in MONTH_VALUES
    )


# The years offered: the current one and those before it that a longest period can reach.
YEARS_OFFERED = Period.MAX_MONTHS // 12


def month_value(text: str) -> str:
    """A month as the form's choices have it: "1" and "01" are both January. Anything else
    is left as given, for the field to refuse."""
    if re.fullmatch(r"[0-9]{1,2}", text or "") and 1 <= int(text) <= 12:
        return f"{int(text):02d}"
    return text


class ImpactFilterForm(BaseForm):
    """The impact dashboard's period (whole months) and what it is narrowed to. A GET form:
    the same values drive the page, each table's CSV and the JSON report."""

    class Meta:
        csrf = False

    from_month = SelectField(
        _l("From month"),
        coerce=month_value,
        invalid_choice_message=MONTH_REFUSAL,
    )
    from_year = SelectField(_l("From year"))
    to_month = SelectField(_l("To month"), coerce=month_value, invalid_choice_message=MONTH_REFUSAL)
    to_year = SelectField(_l("To year"))
    country = SelectField(
        _l("Country served"),
        invalid_choice_message=_l("Choose a country from the list, or All countries."),
    )
    sector = SelectField(
        _l("Sector"), invalid_choice_message=_l("Choose a sector from the list, or All sectors.")
    )
    institution = SelectField(
        _l("Institution"),
        invalid_choice_message=_l(
            "Choose a verified institution from the list, or All institutions."
        ),
    )

    def __init__(self, formdata, today: date, institutions, countries, **kwargs):
        default = Period.last_twelve_months(today)
        super().__init__(
            formdata,
            from_month=f"{default.first.month:02d}",
            from_year=str(default.first.year),
            to_month=f"{default.last.month:02d}",
            to_year=str(default.last.year),
            country="",
            sector="",
            institution="",
            **kwargs,
        )
        self.from_month.choices = self.to_month.choices = month_choices()
        first_year = today.year - YEARS_OFFERED + 1
        years = [(str(y), str(y)) for y in range(today.year, first_year - 1, -1)]
        self.from_year.choices = self.to_year.choices = select_choices(years)
        year = _("Choose a year from %(first)s to %(last)s.", first=first_year, last=today.year)
        self.from_year.invalid_choice_message = self.to_year.invalid_choice_message = year
        known = [(code, name) for code, name in country_choices() if code in countries]
        self.country.choices = select_choices([("", _("All countries")), *known])
        self.sector.choices = select_choices([("", _("All sectors")), *catalog.sector_choices()])
        self.institution.choices = select_choices(
            [("", _("All institutions")), *((str(i), name) for i, name in institutions)]
        )
        self.chosen_period: Period | None = None

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        first = date(int(self.from_year.data), int(self.from_month.data), 1)
        last = date(int(self.to_year.data), int(self.to_month.data), 1)
        if last < first:
            self.to_month.errors = [
                *self.to_month.errors,
                _("The period ends before it starts: choose a last month on or after the first."),
            ]
            return False
        try:
            self.chosen_period = Period.of(first, last)
        except Invalid as exc:
            self.from_month.errors = [*self.from_month.errors, str(exc)]
            return False
        return True

    @property
    def filters(self) -> Filters:
        institution = self.institution.data
        return Filters(
            country=self.country.data or "",
            sector=self.sector.data or "",
            institution_id=int(institution) if institution else None,
        )

    def query(self) -> dict[str, str]:
        """The chosen values as URL parameters, for the download links."""
        return {name: field.data for name, field in self._fields.items() if field.data}


class FollowNetworkForm(BaseForm):
    """The address of another Diaspora network, or of its project feed."""

    url = StringField(
        _l("Feed address"),
        description=_l(
            "Paste the other network's address or its JSON Feed address, e.g. "
            "https://example.org or https://example.org/feeds/projects.json"
        ),
        validators=[DataRequired(), Length(max=500)],
    )
