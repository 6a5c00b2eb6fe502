"""Member profiles: editing, skills taxonomy, languages, education, travel windows, privacy.

Functions take the acting user and plain values, check that the record belongs to them,
and leave the commit to the caller.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from diaspora import i18n, skill_names
from diaspora.extensions import db
from diaspora.geo import is_country, is_language
from diaspora.models import (
    FIELD_GROUPS,
    Audience,
    AuditEntry,
    Education,
    EngagementMode,
    Proficiency,
    Profile,
    ProfileLanguage,
    ProfileSkill,
    Skill,
    SkillKind,
    SkillLabel,
    TravelWindow,
    User,
    audit,
)
from diaspora.models.base import utcnow
from diaspora.models.project import project_skills
from diaspora.search.analysis import STOPLIST
from diaspora.search.synonyms import has_words, label_tokens
from diaspora.services import locks, permissions
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.events import tell
from diaspora.validation import (
    INT_MAX,
    clean_line,
    is_http_url,
    is_valid_orcid,
    normalize_orcid,
)

DATA = Path(__file__).resolve().parent.parent / "data"
RESTRICTED_VIEW = "profile.restricted_view"
RESTRICTED_FORM = "profile.restricted_form"
COORDINATOR_VIEW = "profile.coordinator_view"
ACCESS_LOG_LABELS = {
    COORDINATOR_VIEW: _l("Viewed your profile"),
    RESTRICTED_FORM: _l("Opened the restricted-view form"),
    RESTRICTED_VIEW: _l("Viewed the fields you share with coordinators only"),
}


@cache
def load_sectors() -> dict[str, str]:
    """Sector keys and names from ``diaspora/data/sectors.csv`` (read once; do not modify)."""
    with (DATA / "sectors.csv").open(newline="", encoding="utf-8") as handle:
        return {row["key"]: row["name"] for row in csv.DictReader(handle)}


def profile_of(user) -> Profile | None:
    """The member's profile; None without a user, or before the member's first save."""
    if user is None:
        return None
    return db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))


def get_or_create_profile(user) -> Profile:
    """The member's profile, created private and unlisted on first use. Members only."""
    if not permissions.is_member(user):
        raise NotAllowed
    profile = profile_of(user)
    if profile is None:
        profile = Profile(user_id=user.id, display_name=user.name, written_in=_page_language())
        db.session.add(profile)
        db.session.flush()
    return profile


def profile_or_draft(user) -> Profile:
    """The member's profile, or an unsaved one holding the defaults: showing the editor
    creates nothing (the first save does). Members only."""
    if not permissions.is_member(user):
        raise NotAllowed
    profile = profile_of(user)
    if profile is not None:
        return profile
    draft = Profile(user_id=user.id, display_name=user.name)
    for column in Profile.__table__.columns:
        default = column.default
        if default is not None and getattr(draft, column.key) is None:
            setattr(draft, column.key, default.arg(None) if default.is_callable else default.arg)
    draft.written_in = _page_language()
    return draft


def _page_language() -> str:
    """The language a new profile is taken to be written in: the member's interface one
    (the default language outside a request: a command, a job)."""
    if not has_request_context():
        return i18n.DEFAULT
    return i18n.supported(i18n.current()) or i18n.DEFAULT


def _text(value, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(_("Keep this under %(limit)d characters.", limit=limit))
    return value


def _link(value: str, label: str) -> str:
    value = (value or "").strip()
    if value and not is_http_url(value):
        raise Invalid(
            _(
                "%(field)s must be a web address starting with http:// or https://.",
                field=label,
            )
        )
    return value


def update_profile(user, data: dict) -> Profile:
    """Save the profile's own fields from a dict of plain values; other keys are ignored."""
    profile = get_or_create_profile(user)
    name = _text(data.get("display_name"), 120)
    if not name:
        raise Invalid(_("Give a display name (a pseudonym is fine)."))
    for key in ("origin_country", "residence_country"):
        if data.get(key) and not is_country(data[key]):
            raise Invalid(_("Choose a country from the list."))
    written_in = data.get("written_in") or profile.written_in or i18n.DEFAULT
    if not i18n.supported(written_in):
        raise Invalid(_("Choose a language from the list."))
    orcid = (data.get("orcid") or "").strip()
    if orcid and not is_valid_orcid(orcid):
        raise Invalid(_("This ORCID iD is not valid (check the digits)."))
    sectors = load_sectors()
    modes = {m.value for m in EngagementMode}
    profile.display_name = name
    profile.headline = _text(data.get("headline"), 200)
    profile.written_in = written_in
    profile.bio = _text(data.get("bio"), 10000)
    profile.origin_country = (data.get("origin_country") or "").upper()
    profile.residence_country = (data.get("residence_country") or "").upper()
    profile.city = _text(data.get("city"), 120)
    profile.sectors = [s for s in data.get("sectors") or [] if s in sectors]
    profile.engagement_modes = [m for m in data.get("engagement_modes") or [] if m in modes]
    profile.years_experience = _bounded(data.get("years_experience"), 0, 80)
    profile.availability_hours = _bounded(data.get("availability_hours"), 0, 744)
    profile.website = _link(data.get("website"), _("Website"))
    profile.professional_url = _link(data.get("professional_url"), _("Professional profile"))
    profile.orcid = normalize_orcid(orcid) if orcid else ""
    return profile


def _bounded(value, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    value = int(value)
    if not low <= value <= high:
        raise Invalid(_("Give a number from %(low)d to %(high)d.", low=low, high=high))
    return value


def confirm_up_to_date(user) -> None:
    get_or_create_profile(user).confirmed_at = utcnow()


def _filled(column) -> sa.ColumnElement[bool]:
    return sa.func.coalesce(column, "") != ""


def _has(model, *conditions) -> sa.ColumnElement[bool]:
    return sa.exists().where(model.profile_id == Profile.id, *conditions)


def _not_empty(json_list) -> sa.ColumnElement[bool]:
    return sa.func.coalesce(sa.func.json_array_length(json_list), 0) > 0


# What a complete profile has: (what the owner is told is missing, the check on a profile,
# the same check as a SQL condition on ``Profile``). The one list behind both
# :func:`completeness` and :func:`complete_condition`.
COMPLETENESS_CHECKS = (
    (_l("a headline"), lambda p: bool(p.headline), lambda: _filled(Profile.headline)),
    (_l("a short bio"), lambda p: bool(p.bio), lambda: _filled(Profile.bio)),
    (
        _l("your country of origin"),
        lambda p: bool(p.origin_country),
        lambda: _filled(Profile.origin_country),
    ),
    (
        _l("your country of residence"),
        lambda p: bool(p.residence_country),
        lambda: _filled(Profile.residence_country),
    ),
    (_l("at least one language"), lambda p: bool(p.languages), lambda: _has(ProfileLanguage)),
    (
        _l("skills you have"),
        lambda p: bool(p.skills_of(SkillKind.HAVE)),
        lambda: _has(ProfileSkill, ProfileSkill.kind == SkillKind.HAVE),
    ),
    (_l("at least one sector"), lambda p: bool(p.sectors), lambda: _not_empty(Profile.sectors)),
    (_l("your education"), lambda p: bool(p.education), lambda: _has(Education)),
    (
        _l("years of experience"),
        lambda p: p.years_experience is not None,
        lambda: Profile.years_experience.is_not(None),
    ),
    (
        _l("how you want to engage"),
        lambda p: bool(p.engagement_modes),
        lambda: _not_empty(Profile.engagement_modes),
    ),
    (
        _l("your availability"),
        lambda p: p.availability_hours is not None,
        lambda: Profile.availability_hours.is_not(None),
    ),
)
# Freshness. A profile others can find (listed in the expert search, or with its public page
# on) that its member neither confirmed nor changed for six months is *stale*: the member is
# asked, at most once per 60 days, to confirm it or put it right. One rule, as SQL conditions,
# serves the daily job, the coordinators' counts and their list.

STALE_AFTER = timedelta(days=182)
REMIND_EVERY = timedelta(days=60)
_REMIND_BATCH = 500


def last_confirmed():
    """When the member last confirmed or changed the profile, as a SQL expression."""
    return sa.case(
        (Profile.confirmed_at > Profile.updated_at, Profile.confirmed_at),
        else_=Profile.updated_at,
    )


def last_confirmed_at(profile: Profile) -> datetime:
    """The same moment for one loaded profile (to show it)."""
    if profile.confirmed_at is not None and profile.confirmed_at > profile.updated_at:
        return profile.confirmed_at
    return profile.updated_at


def stale_condition(now: datetime):
    """Listed or public, not hidden, of an active account with a confirmed address, and
    neither confirmed nor changed in the last six months. Suspended or unconfirmed accounts
    and hidden profiles are seen by nobody, so they are never stale (nor reminded)."""
    return sa.and_(
        sa.or_(Profile.listed.is_(True), Profile.public.is_(True)),
        Profile.hidden.is_(False),
        last_confirmed() < now - STALE_AFTER,
        Profile.user_id.not_in(
            sa.select(User.id).where(
                sa.or_(User.suspended_at.is_not(None), User.email_confirmed_at.is_(None))
            )
        ),
    )


def reminder_due_condition(now: datetime):
    """Never reminded, or last reminded over 60 days ago."""
    return sa.or_(Profile.reminder_sent_at.is_(None), Profile.reminder_sent_at < now - REMIND_EVERY)


def remind_stale(now: datetime | None = None, profile_ids: Iterable[int] | None = None) -> int:
    """Ask every member whose profile is stale, and not reminded in the last 60 days, to
    confirm or update it (a notification and, as they chose, an email); ``profile_ids``
    narrows this to those profiles (a coordinator's one-click reminder). Returns how many
    members were asked.

    The profiles are claimed by one UPDATE that checks the rule again, so two runs at once
    (the job and a coordinator, or two coordinators) ask each member once. The reminder is
    not a change of the profile: ``updated_at`` keeps its value."""
    now = now or utcnow()
    claimed = locks.claim_for_reminder(
        Profile, now, stale_condition(now), reminder_due_condition(now), ids=profile_ids
    )
    link = url_for("profiles.edit")
    profile_url = url_for("profiles.edit", _external=True)
    for start in range(0, len(claimed), _REMIND_BATCH):
        batch = claimed[start : start + _REMIND_BATCH]
        rows = db.session.execute(
            sa.select(Profile, User)
            .join(User, User.id == Profile.user_id)
            .where(Profile.id.in_(batch))
            .order_by(Profile.id)
            .execution_options(populate_existing=True)
        ).all()
        for profile, user in rows:
            tell(
                user,
                "profile_stale",
                link,
                since=last_confirmed_at(profile),
                profile_url=profile_url,
            )
    return len(claimed)


def completeness(profile: Profile) -> tuple[int, list[str]]:
    """A percentage and the list of what is still missing, for the owner."""
    missing = [str(label) for label, check, _sql in COMPLETENESS_CHECKS if not check(profile)]
    total = len(COMPLETENESS_CHECKS)
    return round(100 * (total - len(missing)) / total), missing


def complete_condition() -> sa.ColumnElement[bool]:
    """A profile :func:`completeness` finds nothing missing in, as a SQL condition."""
    return sa.and_(*(condition() for _label, _check, condition in COMPLETENESS_CHECKS))


# Languages, skills, education, travel windows: each row is checked against its owner.


def _owned(model, row_id: int, user):
    row = db.session.get(model, row_id)
    if row is None or row.profile.user_id != user.id:
        raise NotFound
    return row


def _changed(profile: Profile) -> Profile:
    """A row of the profile changed: the profile counts as updated (it is no longer stale)."""
    profile.updated_at = utcnow()
    return profile


def _remove(model, row_id: int, user) -> None:
    row = _owned(model, row_id, user)
    _changed(row.profile)
    db.session.delete(row)


def add_language(user, code: str, proficiency: str) -> ProfileLanguage:
    profile = get_or_create_profile(user)
    code = (code or "").lower()
    if not is_language(code):
        raise Invalid(_("Choose a language from the list."))
    if proficiency not in {p.value for p in Proficiency}:
        raise Invalid(_("Choose a level."))
    existing = next((lang for lang in profile.languages if lang.code == code), None)
    _changed(profile)
    if existing is not None:
        existing.proficiency = Proficiency(proficiency)
        return existing
    language = ProfileLanguage(code=code, proficiency=Proficiency(proficiency))
    profile.languages.append(language)
    return language


def remove_language(user, language_id: int) -> None:
    _remove(ProfileLanguage, language_id, user)


def find_or_create_skill(name: str) -> Skill:
    """The skill with this name (any case or spacing), or a new free one."""
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(_("Type a skill."))
    if len(name) > 120:
        raise Invalid(_("Keep a skill under %(max)d characters.", max=120))
    return ensure_skills({Skill.key_for(name): name})[0]


def ensure_skills(wanted: dict[str, str]) -> list[Skill]:
    """The skills for ``wanted`` (key -> name as typed), in its order; the missing ones are
    added as free skills.

    Two people may save the same new skill at the same moment: the missing ones are
    inserted with ``ON CONFLICT DO NOTHING`` on the unique key, so whoever comes second
    gets the row the first one added instead of a constraint error. On PostgreSQL the
    second insert waits for the first transaction and then does nothing; the select that
    follows sees the committed row.
    """
    if not wanted:
        return []
    wanted = _curated_names(wanted)
    keys = list(wanted)
    found = _skills_by_key(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        db.session.flush()
        insert = _dialect_insert()(Skill).values(
            [{"name": wanted[key], "key": key, "curated": False} for key in missing]
        )
        db.session.execute(insert.on_conflict_do_nothing(index_elements=[Skill.key]))
        found.update(_skills_by_key(missing))
    return [found[key] for key in keys]


def _curated_names(wanted: dict[str, str]) -> dict[str, str]:
    """``wanted`` with each name of a curated skill typed in another language (or spelt
    with other accents or punctuation) read as the skill's English name, which it is kept
    under; two names of one skill become one."""
    named: dict[str, str] = {}
    for key, name in wanted.items():
        english = skill_names.curated_name(name)
        if english is not None:
            key, name = Skill.key_for(english), english
        named.setdefault(key, name)
    return named


def _skills_by_key(keys: list[str]) -> dict[str, Skill]:
    return {
        skill.key: skill
        for skill in db.session.scalars(sa.select(Skill).where(Skill.key.in_(keys)))
    }


def _dialect_insert():
    """The INSERT construct of the database in use, for ``on_conflict_do_nothing``."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def add_skill(user, name: str, kind: str) -> Skill:
    profile = get_or_create_profile(user)
    if kind not in {k.value for k in SkillKind}:
        raise Invalid(_("Choose whether you have this skill or want to develop it."))
    skill = find_or_create_skill(name)
    if not any(link.skill_id == skill.id and link.kind == kind for link in profile.skill_links):
        profile.skill_links.append(ProfileSkill(skill=skill, kind=SkillKind(kind)))
        _changed(profile)
    return skill


def remove_skill(user, skill_id: int, kind: str) -> None:
    profile = get_or_create_profile(user)
    link = db.session.get(ProfileSkill, (profile.id, skill_id, kind))
    if link is None:
        raise NotFound
    _changed(profile)
    db.session.delete(link)
    drop_unused_free_skills([skill_id])


def drop_unused_free_skills(skill_ids: Iterable[int]) -> int:
    """Delete the free skills among ``skill_ids`` that no profile and no project uses any
    more: a free skill is text a member typed, and it goes with its last use (curated skills
    stay). Returns how many were deleted."""
    ids = set(skill_ids)
    if not ids:
        return 0
    db.session.flush()
    result = db.session.execute(
        sa.delete(Skill).where(
            Skill.id.in_(ids),
            Skill.curated.is_(False),
            Skill.id.not_in(sa.select(ProfileSkill.skill_id).where(ProfileSkill.skill_id.in_(ids))),
            Skill.id.not_in(
                sa.select(project_skills.c.skill_id).where(project_skills.c.skill_id.in_(ids))
            ),
        )
    )
    return result.rowcount or 0


def add_education(user, degree: str, field: str, institution: str, year) -> Education:
    profile = get_or_create_profile(user)
    degree, institution = _text(degree, 120), _text(institution, 200)
    if not degree or not institution:
        raise Invalid(_("Give the degree and the institution."))
    entry = Education(
        degree=degree,
        field=_text(field, 120),
        institution=institution,
        year=_bounded(year, 1940, utcnow().year + 10),
    )
    profile.education.append(entry)
    _changed(profile)
    return entry


def remove_education(user, entry_id: int) -> None:
    _remove(Education, entry_id, user)


def add_travel_window(user, country: str, start: date, end: date) -> TravelWindow:
    profile = get_or_create_profile(user)
    if not is_country(country):
        raise Invalid(_("Choose a country from the list."))
    if start is None or end is None:
        raise Invalid(_("Give both dates."))
    if end < start:
        raise Invalid(_("The end date must be on or after the start date."))
    window = TravelWindow(country=country.upper(), start=start, end=end)
    profile.travel_windows.append(window)
    _changed(profile)
    return window


def remove_travel_window(user, window_id: int) -> None:
    _remove(TravelWindow, window_id, user)


# Privacy settings.


def set_privacy(
    user, audiences: dict, listed: bool, public: bool, invitations_open: bool | None = None
) -> Profile:
    """Save the audience of each field group, the listing and public-page switches and, when
    given, whether institutions may invite the member to apply."""
    profile = get_or_create_profile(user)
    chosen = dict(profile.audiences or {})
    for group in FIELD_GROUPS:
        if group in audiences:
            try:
                chosen[group] = int(Audience(int(audiences[group])))
            except (TypeError, ValueError) as exc:
                raise Invalid(_("Choose an audience from the list.")) from exc
    profile.audiences = chosen
    profile.listed = bool(listed)
    profile.public = bool(public)
    if invitations_open is not None:
        profile.invitations_open = bool(invitations_open)
    return profile


def set_hidden(user, hidden: bool) -> Profile:
    """Hide the member from every listing, search and profile page at once, or show again."""
    profile = get_or_create_profile(user)
    profile.hidden = bool(hidden)
    return profile


# Coordinators: the audited restricted view, and the skills taxonomy.


def record_restricted_view(actor, profile: Profile, reason: str) -> AuditEntry:
    """Record that a coordinator opened a member's restricted fields, and why."""
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why you need to see the restricted fields."))
    return audit.record(
        actor, RESTRICTED_VIEW, "profile", profile.id, reason[:500], profile.user_id
    )


def record_coordinator_view(actor, profile: Profile, action: str = COORDINATOR_VIEW) -> None:
    """Record that a coordinator looked at a member (their ordinary page, or the form that
    asks why they need the restricted view); a member's own visits are not recorded."""
    if permissions.is_coordinator(actor) and actor.id != profile.user_id:
        audit.record(actor, action, "profile", profile.id, "", profile.user_id)


def access_log(user) -> list[AuditEntry]:
    """Every coordinator visit to the member's profile, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.subject_user_id == user.id,
                AuditEntry.action.in_(ACCESS_LOG_LABELS),
            )
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


@dataclass
class TaxonomyLoad:
    created: int
    updated: int
    labels: int
    translations: int = 0


def load_skills_taxonomy() -> TaxonomyLoad:
    """Load the curated skills from ``diaspora/data/skills.csv``, their other names from
    ``diaspora/data/skill_labels.csv`` and their names in the site's other languages from
    ``diaspora/data/skill_names.csv`` (labels with the source ``translation``, so search
    reads them as the skill); safe to run again.

    A free skill that a member added with the same name becomes curated. A label already
    there is left alone. Returns the skills created and updated and the labels added.
    """
    sectors = load_sectors()
    existing = {s.key: s for s in db.session.scalars(sa.select(Skill))}
    created = updated = 0
    with (DATA / "skills.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name, sector = " ".join(row["skill"].split()), row["sector"].strip()
            if not name or sector not in sectors:
                continue
            key = Skill.key_for(name)
            skill = existing.get(key)
            if skill is None:
                skill = Skill(name=name, key=key, sector=sector, curated=True)
                db.session.add(skill)
                existing[key] = skill
                created += 1
            elif not skill.curated or skill.sector != sector:
                skill.curated, skill.sector = True, sector
                updated += 1
    db.session.flush()
    labels = _load_skill_labels(existing, _label_rows(), "taxonomy")
    names = ((skill, name) for skill, _language, name in skill_names.translations())
    translated = _load_skill_labels(existing, names, "translation")
    return TaxonomyLoad(created, updated, labels, translated)


def _label_rows():
    with (DATA / "skill_labels.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield row["skill"], row["label"]


def _load_skill_labels(skills: dict[str, Skill], rows, source: str) -> int:
    """Add the (skill name, label) ``rows`` that are not labels of their skill yet."""
    have = set(db.session.execute(sa.select(SkillLabel.skill_id, SkillLabel.key)).tuples())
    curated = {key: skill.name for key, skill in skills.items() if skill.curated}
    added, touched = 0, set()
    with db.session.no_autoflush:
        for name, text in rows:
            skill = skills.get(Skill.key_for(name))
            if skill is None or not skill.curated:
                continue
            try:
                label, key = _checked_label(skill, text, curated)
            except Invalid:
                continue
            if (skill.id, key) not in have:
                # Added by id: appending to ``skill.labels`` would load each skill's labels.
                db.session.add(SkillLabel(skill_id=skill.id, label=label, key=key, source=source))
                have.add((skill.id, key))
                touched.add(skill)
                added += 1
    db.session.flush()
    for skill in touched:
        db.session.expire(skill, ["labels"])
    return added


def curated_skills() -> list[Skill]:
    return list(db.session.scalars(sa.select(Skill).where(Skill.curated).order_by(Skill.name)))


def curated_skills_query(prefix: str = "") -> sa.Select:
    """The curated skills by name, their labels loaded; with ``prefix``, those whose name or
    one of whose labels starts with it (case and spacing aside)."""
    query = sa.select(Skill).where(Skill.curated)
    key = Skill.key_for(clean_line(prefix or ""))
    if key:
        labelled = sa.select(SkillLabel.skill_id).where(
            SkillLabel.key.startswith(key, autoescape=True)
        )
        query = query.where(
            sa.or_(Skill.key.startswith(key, autoescape=True), Skill.id.in_(labelled))
        )
    return query.order_by(Skill.name, Skill.id).options(sa.orm.selectinload(Skill.labels))


def free_skills() -> list[Skill]:
    """Free skills a coordinator may curate: those a project uses, or at least one member who
    is not hidden and shows their skills to coordinators. A skill that only "only me", hidden
    or deleted members use is never listed, and who uses a skill is not shown."""
    uses = db.session.execute(
        sa.select(Profile, ProfileSkill.skill_id)
        .join(ProfileSkill, ProfileSkill.profile_id == Profile.id)
        .join(Skill, Skill.id == ProfileSkill.skill_id)
        .where(Skill.curated.is_(False), Profile.hidden.is_(False))
    )
    shown = {
        skill_id
        for profile, skill_id in uses
        if profile.audience_of("skills") >= Audience.COORDINATORS
    }
    return list(
        db.session.scalars(
            sa.select(Skill)
            .where(
                Skill.curated.is_(False),
                sa.or_(Skill.id.in_(shown), Skill.id.in_(sa.select(project_skills.c.skill_id))),
            )
            .order_by(Skill.name)
        )
    )


@dataclass
class MergeResult:
    profiles_moved: int
    projects_moved: int
    # The free skill's name, kept as a label of the curated one (None when it could not be).
    label: str | None = None


def merge_skill(actor, free_id: int, curated_id: int) -> MergeResult:
    """Move every profile and project using a free skill onto a curated one, then drop it."""
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    free, curated = db.session.get(Skill, free_id), db.session.get(Skill, curated_id)
    if free is None or curated is None or free.curated or not curated.curated:
        raise Invalid(_("Choose a free skill and a curated skill to merge it into."))
    moved = 0
    for link in db.session.scalars(sa.select(ProfileSkill).where(ProfileSkill.skill_id == free.id)):
        duplicate = db.session.get(ProfileSkill, (link.profile_id, curated.id, link.kind))
        if duplicate is None:
            db.session.add(
                ProfileSkill(profile_id=link.profile_id, skill_id=curated.id, kind=link.kind)
            )
            moved += 1
        db.session.delete(link)
    project_ids = set(
        db.session.scalars(
            sa.select(project_skills.c.project_id).where(project_skills.c.skill_id == free.id)
        )
    )
    already = set(
        db.session.scalars(
            sa.select(project_skills.c.project_id).where(project_skills.c.skill_id == curated.id)
        )
    )
    db.session.execute(sa.delete(project_skills).where(project_skills.c.skill_id == free.id))
    for project_id in project_ids - already:
        db.session.execute(
            sa.insert(project_skills).values(project_id=project_id, skill_id=curated.id)
        )
    audit.record(actor, "skill.merge", "skill", curated.id, f"{free.name} -> {curated.name}")
    label = None
    try:
        text, key = _checked_label(curated, free.name)
    except Invalid:
        pass  # a name that cannot be a label (a stop word, the skill's own name) is not kept
    else:
        if not any(existing.key == key for existing in curated.labels):
            label = SkillLabel(label=text, key=key, source="merge")
            curated.labels.append(label)
    db.session.flush()
    db.session.delete(free)
    return MergeResult(moved, len(project_ids), label.label if label else None)


MAX_LABEL = 80


def _checked_label(
    skill: Skill, text: str, curated: dict[str, str] | None = None
) -> tuple[str, str]:
    """A label for ``skill`` as it will be kept, and its key; Invalid when it cannot be
    one. The key is what search matches on (see ``diaspora.search.synonyms``). ``curated``
    (skill key -> name of every curated skill) saves a query per label in bulk loads."""
    label = " ".join(clean_line(text or "").split())
    if not label:
        raise Invalid(_("Type the other name of the skill."))
    if len(label) > MAX_LABEL:
        raise Invalid(_("Keep a label under %(max)d characters.", max=MAX_LABEL))
    tokens = label_tokens(label)
    if not has_words(tokens):
        raise Invalid(_("A label needs a letter or a digit."))
    if len(tokens) == 1 and tokens[0] in STOPLIST and not label.isupper():
        raise Invalid(
            _(
                "“%(label)s” is too common a word to stand for a skill; "
                "an abbreviation is written in capitals.",
                label=label,
            )
        )
    key = " ".join(tokens)
    if key == " ".join(label_tokens(skill.name)):
        raise Invalid(_("That is the skill's own name."))
    if curated is not None:
        other = curated.get(Skill.key_for(label))
    else:
        other = db.session.scalar(
            sa.select(Skill.name).where(
                Skill.curated, Skill.id != skill.id, Skill.key == Skill.key_for(label)
            )
        )
    if other is not None:
        raise Invalid(_("“%(skill)s” is a skill of its own: choose another name.", skill=other))
    return label, key


def skill_labels() -> list[Skill]:
    """The curated skills, with their labels loaded, by name."""
    return list(
        db.session.scalars(
            sa.select(Skill)
            .where(Skill.curated)
            .order_by(Skill.name)
            .options(sa.orm.selectinload(Skill.labels))
        )
    )


def add_skill_label(actor, skill_id: int, text: str) -> SkillLabel:
    """Give a curated skill another name that search reads as the skill (coordinators)."""
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    skill = db.session.get(Skill, skill_id) if 0 < skill_id <= INT_MAX else None
    if skill is None or not skill.curated:
        raise Invalid(_("Choose a curated skill."))
    label, key = _checked_label(skill, text)
    taken = Conflict(
        _("“%(label)s” is already a label of %(skill)s.", label=label, skill=skill.name)
    )
    if db.session.scalar(
        sa.select(SkillLabel.id).where(SkillLabel.skill_id == skill.id, SkillLabel.key == key)
    ):
        raise taken
    entry = SkillLabel(label=label, key=key, source="coordinator")
    try:
        with db.session.begin_nested():
            skill.labels.append(entry)
    except sa.exc.IntegrityError:
        raise taken from None  # another coordinator added it at the same moment
    audit.record(actor, "skill.label_add", "skill", skill.id, f"{label} = {skill.name}")
    return entry


def remove_skill_label(actor, label_id: int) -> SkillLabel:
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    entry = db.session.get(SkillLabel, label_id) if 0 < label_id <= INT_MAX else None
    if entry is None:
        raise NotFound
    audit.record(
        actor, "skill.label_remove", "skill", entry.skill_id, f"{entry.label} = {entry.skill.name}"
    )
    db.session.delete(entry)
    return entry
