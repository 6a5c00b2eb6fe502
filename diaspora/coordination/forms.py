"""Forms of the coordinators' area."""

import calendar
from datetime import date

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from diaspora import catalog
from diaspora.forms import BaseForm, select_choices
from diaspora.geo import country_choices
from diaspora.services.errors import Invalid
from diaspora.services.impact import Filters, Period


class SuspendForm(BaseForm):
    reason = TextAreaField(
        "Reason (recorded in the audit log)", validators=[DataRequired(), Length(max=500)]
    )


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField("Name or email", validators=[Length(max=100)])


MONTH_CHOICES = select_choices((f"{n:02d}", calendar.month_name[n]) for n in range(1, 13))
FIRST_YEAR = 2000


class ImpactFilterForm(BaseForm):
    """The impact dashboard's period (whole months) and what it is narrowed to. A GET form:
    the same values drive the page, each table's CSV and the JSON report."""

    class Meta:
        csrf = False

    from_month = SelectField("From month", choices=MONTH_CHOICES)
    from_year = SelectField("From year")
    to_month = SelectField("To month", choices=MONTH_CHOICES)
    to_year = SelectField("To year")
    country = SelectField("Country served")
    sector = SelectField("Sector")
    institution = SelectField("Institution")

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
        years = [(str(y), str(y)) for y in range(today.year, FIRST_YEAR - 1, -1)]
        self.from_year.choices = self.to_year.choices = select_choices(years)
        known = [(code, name) for code, name in country_choices() if code in countries]
        self.country.choices = select_choices([("", "All countries"), *known])
        self.sector.choices = select_choices([("", "All sectors"), *catalog.sectors().items()])
        self.institution.choices = select_choices(
            [("", "All institutions"), *((str(i), name) for i, name in institutions)]
        )
        self.chosen_period: Period | None = None

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            self.chosen_period = Period.of(
                date(int(self.from_year.data), int(self.from_month.data), 1),
                date(int(self.to_year.data), int(self.to_month.data), 1),
            )
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
