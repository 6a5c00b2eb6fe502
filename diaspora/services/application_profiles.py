"""The member's profile as an application shares it: the preview shown before applying, the
consent stored with the application, and what the institution sees of the applicant."""

from flask_babel import gettext as _

from diaspora.models import Application, User
from diaspora.models.profile import GROUP_LABELS
from diaspora.services.privacy import ProfileView, may_see_member, member_name
from diaspora.services.profiles import profile_of


def profile_preview(member: User) -> ProfileView | None:
    """Exactly what an institution will see of ``member`` once they apply to it."""
    profile = profile_of(member)
    return ProfileView.preview(profile, "institution_applied") if profile else None


def consent_snapshot(preview: ProfileView) -> dict:
    """The consent stored with an application: which profile groups were shared."""
    return {"display_name": True, "groups": sorted(preview.groups)}


def preview_for_institution(application: Application, viewer) -> ProfileView | None:
    """The applicant's profile as ``viewer`` sees it now (clearance 2 for the institution's
    reps); None once the member left or hid their profile."""
    profile = profile_of(application.member)
    if not may_see_member(profile, viewer):
        return None
    return ProfileView.for_viewer(profile, viewer)


def applicant_name(application: Application, viewer) -> str:
    return member_name(profile_of(application.member), viewer, _("A member (profile not shared)"))


def shared_labels(application: Application) -> list[str]:
    """The names of the profile groups the member agreed to share when applying."""
    groups = (application.shared_profile or {}).get("groups", [])
    return [str(GROUP_LABELS.get(group, group)) for group in groups]
