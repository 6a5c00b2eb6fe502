"""Forms for writing, reporting and acting on projects."""

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
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from diaspora import catalog
from diaspora.forms import BaseForm, select_choices
from diaspora.models import Compensation, EngagementMode, ReportReason, WorkMode
from diaspora.services.errors import Invalid
from diaspora.services.projects import ProjectData, check_link


def http_link(form, field):
    try:
        field.data = check_link(field.data or "")
    except Invalid as exc:
        raise ValidationError(str(exc)) from exc


class ProjectForm(BaseForm):
    """Every field a representative may set; status, places filled and dates of review are
    not fields here, so a request carrying them changes nothing."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(
        "Summary",
        validators=[DataRequired(), Length(max=500)],
        description="Two or three sentences shown in the list of projects.",
    )
    description = TextAreaField(
        "Description",
        validators=[DataRequired(), Length(max=20000)],
        description="What the project is, what the expert will do, what the institution "
        "provides (travel, lodging, equipment). Blank lines separate paragraphs.",
    )
    country = SelectField("Country", validators=[DataRequired()])
    region = StringField("City or region", validators=[Length(max=120)])
    sector = SelectField("Sector", validators=[DataRequired()])
    skills = FieldList(
        StringField("Skill", validators=[Length(max=400)]), min_entries=5, max_entries=15
    )
    engagement_mode = SelectField(
        "Engagement",
        choices=[SelectChoice(m.value, m.label) for m in EngagementMode],
        validators=[DataRequired()],
    )
    work_mode = RadioField(
        "Where the work happens",
        choices=[SelectChoice(m.value, m.label) for m in WorkMode],
        default=WorkMode.REMOTE.value,
        validators=[DataRequired()],
    )
    start_date = DateField("Start date", validators=[Optional()])
    duration_weeks = IntegerField(
        "Duration (weeks)", validators=[Optional(), NumberRange(min=1, max=520)]
    )
    deadline = DateField("Application deadline", validators=[DataRequired()])
    places = IntegerField(
        "Number of places", default=1, validators=[DataRequired(), NumberRange(min=1, max=500)]
    )
    compensation = SelectField(
        "Compensation",
        choices=[SelectChoice(c.value, c.label) for c in Compensation],
        validators=[DataRequired()],
    )
    languages = SelectMultipleField(
        "Languages required",
        description="Hold Ctrl (or Cmd) to choose several.",
        validators=[Optional()],
    )
    contact_name = StringField("Contact person", validators=[DataRequired(), Length(max=120)])
    contact_role = StringField("Contact person's role", validators=[Length(max=120)])
    info_url = StringField(
        "Web page with more information",
        validators=[Length(max=300), http_link],
        description="Optional; must start with https:// or http://.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = select_choices([("", "Choose a country"), *catalog.countries()])
        self.sector.choices = select_choices([("", "Choose a sector"), *catalog.sectors().items()])
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
        )


class ReasonForm(BaseForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])


class ReportForm(BaseForm):
    reason = RadioField(
        "What is wrong with this listing?",
        choices=[SelectChoice(r.value, r.label) for r in ReportReason],
        validators=[DataRequired("Choose a reason.")],
    )
    comment = TextAreaField(
        "Anything coordinators should know (optional)", validators=[Length(max=2000)]
    )
