"""The one place that decides who sees which part of a member's profile.

Every page, preview, export-for-others, search result and application view asks this
module. The rule: each field group has an audience on a nested ladder (only me <
coordinators < institutions I applied to < signed-in users < public). A viewer has a
*clearance*, the narrowest audience level they belong to; they see a group when the
group's audience is at least their clearance. The display name is shown to anyone who may
see the profile at all.

Viewers and their clearance:

- the member themself: 0 (everything);
- a coordinator: 2 on ordinary pages; 1 only through the audited restricted view;
- a representative of an institution the member applied to: 2;
- any other signed-in user: 3;
- a visitor: 4, and only when the member turned their public page on.

A hidden member is seen by nobody but themself and the audited restricted view. Who is a
coordinator or a representative is asked of :mod:`diaspora.services.permissions`: a suspended
account has no more clearance than a visitor.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from diaspora.models import FIELD_GROUPS, Audience, Profile, SkillKind
from diaspora.models.base import utcnow
from diaspora.services import permissions


def viewer_clearance(
    profile: Profile, viewer, restricted: bool = False, applied: bool | None = None
) -> int | None:
    """The audience level from which ``viewer`` sees this profile's groups, or None when they
    may not see the profile at all. ``restricted`` is the coordinators' audited view;
    ``applied`` is, when already known, whether the member applied to an institution the
    viewer represents (:func:`views_for` asks it once for many members)."""
    signed_in = permissions.is_active(viewer)
    if signed_in and viewer.id == profile.user_id:
        return Audience.ONLY_ME
    if restricted:
        return Audience.COORDINATORS if permissions.is_coordinator(viewer) else None
    if profile.hidden:
        return None
    if not signed_in:
        return Audience.PUBLIC if profile.public else None
    if permissions.is_coordinator(viewer):
        return Audience.APPLIED
    if applied is None:
        applied = permissions.represents_institution_applied_to(viewer, profile.user_id)
    if applied:
        return Audience.APPLIED
    return Audience.SIGNED_IN


def widest_audience(profile: Profile) -> int:
    """The widest audience of any of the member's field groups: who may see anything at all
    (the expert index keeps it, so search finds only members whose page the searcher sees)."""
    return max(int(profile.audience_of(group)) for group in FIELD_GROUPS)


def is_listed(profile: Profile) -> bool:
    """May the member appear in listings and expert search? Only when they chose to be listed
    and are not hidden."""
    return profile.listed and not profile.hidden


def listed_condition():
    """The same rule as a SQL condition on ``Profile``, for search and listings."""
    return sa.and_(Profile.listed.is_(True), Profile.hidden.is_(False))


def groups_for_clearance(profile: Profile, clearance: int | None) -> set[str]:
    """The field groups a viewer of this clearance sees."""
    if clearance is None:
        return set()
    return {group for group in FIELD_GROUPS if profile.audience_of(group) >= clearance}


def visible_groups(profile: Profile, viewer, restricted: bool = False) -> set[str]:
    return groups_for_clearance(profile, viewer_clearance(profile, viewer, restricted))


PREVIEWS = {
    "public": (_l("The public (visitors who are not signed in)"), Audience.PUBLIC),
    "member": (_l("A signed-in member"), Audience.SIGNED_IN),
    "institution_applied": (_l("An institution you applied to"), Audience.APPLIED),
    "institution_other": (_l("An institution you did not apply to"), Audience.SIGNED_IN),
    "coordinator": (_l("A coordinator (restricted view, recorded in your access log)"), 1),
}


@dataclass
class ProfileView:
    """What one viewer may see of one profile. Templates read fields only through it."""

    profile: Profile
    clearance: int | None
    groups: set[str] = field(default_factory=set)
    is_owner: bool = False

    @classmethod
    def for_viewer(
        cls, profile: Profile, viewer, restricted: bool = False, applied: bool | None = None
    ) -> "ProfileView":
        clearance = viewer_clearance(profile, viewer, restricted, applied)
        owner = clearance == Audience.ONLY_ME
        return cls(profile, clearance, groups_for_clearance(profile, clearance), owner)

    @classmethod
    def preview(cls, profile: Profile, kind: str) -> "ProfileView":
        """What the owner's chosen kind of viewer would see (``PREVIEWS`` keys)."""
        clearance: int | None = int(PREVIEWS[kind][1])
        if kind != "coordinator" and profile.hidden:
            clearance = None
        if kind == "public" and not profile.public:
            clearance = None
        return cls(profile, clearance, groups_for_clearance(profile, clearance))

    @property
    def visible(self) -> bool:
        """May the viewer see the profile page at all (the name, and any visible group)?"""
        return self.clearance is not None and (
            self.is_owner or self.clearance <= Audience.APPLIED or bool(self.groups)
        )

    def shows(self, group: str) -> bool:
        return group in self.groups

    @property
    def display_name(self) -> str:
        return self.profile.display_name

    def travel_windows(self, today: date | None = None):
        """Travel windows the viewer may see; past ones only to the owner."""
        if not self.shows("travel"):
            return []
        today = today or utcnow().date()
        return [w for w in self.profile.travel_windows if self.is_owner or w.end >= today]

    def as_dict(self) -> dict:
        """The visible part of the profile as plain data (export for others, applications)."""
        p = self.profile
        data: dict = {"user_id": p.user_id, "display_name": p.display_name}
        if self.shows("headline"):
            data["headline"] = p.headline
        if self.shows("bio"):
            data["bio"] = p.bio
        if self.shows("location"):
            data.update(
                origin_country=p.origin_country, residence_country=p.residence_country, city=p.city
            )
        if self.shows("languages"):
            data["languages"] = [
                {"code": lang.code, "proficiency": lang.proficiency.value} for lang in p.languages
            ]
        if self.shows("skills"):
            data["skills"] = [s.name for s in p.skills_of(SkillKind.HAVE)]
            data["skills_to_develop"] = [s.name for s in p.skills_of(SkillKind.DEVELOP)]
            data["sectors"] = list(p.sectors or [])
        if self.shows("education"):
            data["education"] = [
                {"degree": e.degree, "field": e.field, "institution": e.institution, "year": e.year}
                for e in p.education
            ]
        if self.shows("experience"):
            data["years_experience"] = p.years_experience
        if self.shows("engagement"):
            data["engagement_modes"] = list(p.engagement_modes or [])
            data["availability_hours"] = p.availability_hours
        if self.shows("links"):
            data.update(website=p.website, orcid=p.orcid, professional_url=p.professional_url)
        if self.shows("travel"):
            data["travel_windows"] = [
                {"country": w.country, "start": w.start.isoformat(), "end": w.end.isoformat()}
                for w in self.travel_windows()
            ]
        return data


def views_for(profiles: list[Profile], viewer) -> list[ProfileView]:
    """:meth:`ProfileView.for_viewer` for many profiles, asking the database once whether
    each member applied to an institution the viewer represents."""
    applied = permissions.applied_to_institutions_of(viewer, [p.user_id for p in profiles])
    return [ProfileView.for_viewer(p, viewer, applied=p.user_id in applied) for p in profiles]


def may_see_member(profile: Profile | None, viewer) -> bool:
    """May ``viewer`` see this member at all (their name included)? The same decision as the
    member's profile page: every page that shows a member's name to someone else asks this."""
    return profile is not None and ProfileView.for_viewer(profile, viewer).visible


def member_name(profile: Profile | None, viewer, fallback: str) -> str:
    """The member's display name for ``viewer``, or ``fallback`` when they may not see it."""
    return profile.display_name if may_see_member(profile, viewer) else fallback
