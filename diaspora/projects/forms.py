"""Forms for writing, reporting and acting on projects."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from diaspora import catalog, i18n
from diaspora.forms import BaseForm, select_choices
from diaspora.models import Compensation, EngagementMode, ReportReason, WorkMode
from diaspora.services.errors import Invalid
from diaspora.services.projects import ProjectData, check_link


def written_in_language(form, field):
    """The listing's language must be one the site speaks (a form error, never a crash)."""
    if not i18n.supported(field.data):
        raise ValidationError(_("Choose the language the listing is written in."))


def http_link(form, field):
    try:
        field.data = check_link(field.data or "")
    except Invalid as exc:
        raise ValidationError(str(exc)) from exc


class ProjectForm(BaseForm):
    """Every field a representative may set; status, places filled and dates of review are
    not fields here, so a request carrying them changes nothing."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(
        _l("Summary"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Two or three sentences shown in the list of projects."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[DataRequired(), Length(max=20000)],
        description=_l(
            "What the project is, what the expert will do, what the institution "
            "provides (travel, lodging, equipment). Blank lines separate paragraphs."
        ),
    )
    written_in = SelectField(
        _l("Listing written in"),
        default=i18n.current,
        validate_choice=False,
        validators=[written_in_language],
        description=_l(
            "The language of the title, summary and description, so that browsers, screen "
            "readers and search read them right."
        ),
    )
    country = SelectField(_l("Country"), validators=[DataRequired()])
    region = StringField(_l("City or region"), validators=[Length(max=120)])
    sector = SelectField(_l("Sector"), validators=[DataRequired()])
    skills = FieldList(
        StringField(_l("Skill"), validators=[Length(max=400)]), min_entries=5, max_entries=15
    )
    engagement_mode = SelectField(_l("Engagement"), validators=[DataRequired()])
    work_mode = RadioField(
        _l("Where the work happens"),
        default=WorkMode.REMOTE.value,
        validators=[DataRequired()],
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    duration_weeks = IntegerField(
        _l("Duration (weeks)"), validators=[Optional(), NumberRange(min=1, max=520)]
    )
    deadline = DateField(_l("Application deadline"), validators=[DataRequired()])
    places = IntegerField(
        _l("Number of places"),
        default=1,
        validators=[DataRequired(), NumberRange(min=1, max=500)],
    )
    compensation = SelectField(_l("Compensation"), validators=[DataRequired()])
    languages = SelectMultipleField(
        _l("Languages required"),
        description=_l("Hold Ctrl (or Cmd) to choose several."),
        validators=[Optional()],
    )
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=120)])
    contact_role = StringField(_l("Contact person's role"), validators=[Length(max=120)])
    info_url = StringField(
        _l("Web page with more information"),
        validators=[Length(max=300), http_link],
        description=_l("Optional; must start with https:// or http://."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are made here, in the language of the page (not once, at import).
        self.written_in.choices = select_choices(i18n.LANGUAGES.items())
        self.country.choices = select_choices([("", _l("Choose a country")), *catalog.countries()])
        self.sector.choices = select_choices(
            [("", _l("Choose a sector")), *catalog.sector_choices()]
        )
        self.engagement_mode.choices = select_choices((m.value, m.label) for m in EngagementMode)
        self.work_mode.choices = select_choices((m.value, m.label) for m in WorkMode)
        self.compensation.choices = select_choices((c.value, c.label) for c in Compensation)
        self.languages.choices = select_choices(catalog.languages())

    def to_data(self) -> ProjectData:
        return ProjectData(
            title=self.title.data,
            summary=self.summary.data,
            description=self.description.data,
            country=self.country.data,
            region=self.region.data or "",
            sector=self.sector.data,
            skills=[entry.data or "" for entry in self.skills],
            engagement_mode=self.engagement_mode.data,
            work_mode=self.work_mode.data,
            start_date=self.start_date.data,
            duration_weeks=self.duration_weeks.data,
            deadline=self.deadline.data,
            places=self.places.data,
            compensation=self.compensation.data,
            languages=list(self.languages.data or []),
            contact_name=self.contact_name.data or "",
            contact_role=self.contact_role.data or "",
            info_url=self.info_url.data or "",
            written_in=self.written_in.data or "",
        )


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class ReportForm(BaseForm):
    reason = RadioField(
        _l("What is wrong with this listing?"),
        validators=[DataRequired(_l("Choose a reason."))],
    )
    comment = TextAreaField(
        _l("Anything coordinators should know (optional)"), validators=[Length(max=2000)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = select_choices((r.value, r.label) for r in ReportReason)
