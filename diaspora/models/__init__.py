"""The SQLAlchemy models, one module per aggregate."""

from diaspora.models.activity import MemberActivity
from diaspora.models.api_key import ApiKey, ApiScope
from diaspora.models.application import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    EngagementFeedback,
    MessageKind,
)
from diaspora.models.audit import AuditEntry
from diaspora.models.follow_up import (
    FollowOn,
    FollowUp,
    FollowUpSide,
    FollowUpSkip,
    Transferred,
)
from diaspora.models.impact import ImpactFact, ImpactState
from diaspora.models.institution import (
    Institution,
    InstitutionInvitation,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
)
from diaspora.models.interview import InterviewProposal, InterviewSlot, InterviewStatus
from diaspora.models.invitation import Invitation, InvitationStatus
from diaspora.models.job import JobRun
from diaspora.models.network import FollowedNetwork, RemoteProject
from diaspora.models.notification import (
    DigestEntry,
    DigestRun,
    Frequency,
    Notification,
    NotificationPreference,
    SavedProject,
)
from diaspora.models.outbox import OutboxMessage, OutboxStatus
from diaspora.models.profile import (
    FIELD_GROUPS,
    Audience,
    Education,
    Proficiency,
    Profile,
    ProfileLanguage,
    ProfileSkill,
    SkillKind,
    TravelWindow,
)
from diaspora.models.project import (
    Compensation,
    EngagementMode,
    Project,
    ProjectStatus,
    WorkMode,
)
from diaspora.models.report import ProjectReport, ReportReason, ReportStatus
from diaspora.models.search import SavedSearch, SearchChange, SearchNodeMark, SearchPruneMark
from diaspora.models.skill import Skill, SkillLabel
from diaspora.models.user import Role, User

__all__ = [
    "ApiKey",
    "ApiScope",
    "FollowedNetwork",
    "RemoteProject",
    "Application",
    "ApplicationMessage",
    "ApplicationStatus",
    "MessageKind",
    "MemberActivity",
    "ImpactFact",
    "ImpactState",
    "InterviewProposal",
    "JobRun",
    "InterviewSlot",
    "InterviewStatus",
    "FIELD_GROUPS",
    "Audience",
    "Education",
    "Proficiency",
    "Profile",
    "ProfileLanguage",
    "ProfileSkill",
    "SkillKind",
    "TravelWindow",
    "AuditEntry",
    "Compensation",
    "EngagementFeedback",
    "DigestEntry",
    "DigestRun",
    "EngagementMode",
    "FollowOn",
    "FollowUp",
    "FollowUpSide",
    "FollowUpSkip",
    "Frequency",
    "Institution",
    "InstitutionInvitation",
    "InstitutionRepresentative",
    "InstitutionStatus",
    "InstitutionType",
    "Invitation",
    "InvitationStatus",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "OutboxStatus",
    "Project",
    "ProjectReport",
    "ProjectStatus",
    "ReportReason",
    "ReportStatus",
    "Role",
    "SavedProject",
    "SavedSearch",
    "SearchChange",
    "SearchNodeMark",
    "SearchPruneMark",
    "Skill",
    "SkillLabel",
    "Transferred",
    "User",
    "WorkMode",
]
