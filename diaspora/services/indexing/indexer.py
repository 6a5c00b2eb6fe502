"""Keeping the search indexes in step with the database.

Changes reach the indexes through the change log (:mod:`diaspora.services.indexing.changelog`):
every transaction that touches a tracked model (see :func:`track_models`) writes
``search_changes`` rows with its own commit, and after that commit :func:`apply_pending`
rebuilds each named document from the database (:mod:`diaspora.services.indexing.documents`), or
deletes it when the record should no longer be found. Nothing is lost on rollback (no rows), on
autoflush (rows are gathered at every flush) or on a crash between commit and indexing (the rows
stay; the next run, ``flask search apply`` or the next search, catches up).

Change ids follow commit order (see :mod:`diaspora.services.indexing.changelog`), so each index
keeps the last id it applied, in the same Whoosh commit as the documents, and applies each later
change once, in order. An index none of whose documents changed is not written: this process
remembers how far it has looked, and only when the index falls more than ``IDLE_LAG`` changes
behind is its mark moved forward in a commit of its own (so that old rows can be pruned).
Documents are rebuilt from the current database state, so a change applied again (after a
rebuild, say) is harmless.
"""

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from diaspora.extensions import db
from diaspora.models import (
    Application,
    Education,
    FollowedNetwork,
    Institution,
    Profile,
    ProfileLanguage,
    ProfileSkill,
    Project,
    RemoteProject,
    SearchChange,
    Skill,
    SkillLabel,
    TravelWindow,
    User,
)
from diaspora.models.base import utcnow
from diaspora.models.project import project_skills
from diaspora.search import ExpertIndex, ProjectIndex, SearchIndex, SearchUnavailable
from diaspora.services.indexing import changelog
from diaspora.services.indexing.documents import (
    BATCH,
    BUILDERS,
    EXPERTS,
    PROJECTS,
    SHARED,
    all_documents,
    expected_count,
)

log = logging.getLogger(__name__)

INDEXES: dict[str, type[SearchIndex]] = {
    PROJECTS: ProjectIndex,
    EXPERTS: ExpertIndex,
    SHARED: ProjectIndex,
}
EXTENSION = "search_indexes"
CHECKED = "search_checked"
# An index with no changes of its own records how far it has looked once it is this far behind.
IDLE_LAG = 1000
# Threads of one process share one index object: two made at once would leave one's searcher
# open and unreferenced.
_INDEX_OBJECTS_LOCK = threading.Lock()


# --------------------------------------------------------------------------- index objects


def get_index(name: str, app=None) -> SearchIndex:
    """The process's one index object for ``name`` (kept warm in ``app.extensions``)."""
    app = app or current_app._get_current_object()
    root = app.config["SEARCH_INDEX_DIR"]
    key = (name, root)
    with _INDEX_OBJECTS_LOCK:
        cache = app.extensions.setdefault(EXTENSION, {})
        if key not in cache:
            cache[key] = INDEXES[name](
                f"{root}/{name}",
                create=False,
                time_limit=app.config.get("SEARCH_TIME_LIMIT", 1.0),
            )
        return cache[key]


def create_missing(app=None) -> None:
    """Create empty indexes where none exist (a new installation with nothing to index yet).

    The app never does this by itself: a missing index means search is unavailable until
    ``flask search rebuild``, rather than silently empty.
    """
    app = app or current_app._get_current_object()
    for name, kind in INDEXES.items():
        kind(f"{app.config['SEARCH_INDEX_DIR']}/{name}", create=True).close()


def close_indexes(app) -> None:
    """Close every open searcher of ``app`` (tests and shutdown)."""
    with _INDEX_OBJECTS_LOCK:
        indexes = app.extensions.pop(EXTENSION, {})
    for index in indexes.values():
        index.close()


# --------------------------------------------------------------------------- applying


def last_change_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0


def apply_pending(names=None, should_stop=None) -> int:
    """Apply the change log to the indexes; return how many documents were refreshed.

    Raises SearchUnavailable, naming each index, when one cannot be written (its changes stay
    pending); the other indexes are brought up to date first. ``should_stop`` is asked after
    each Whoosh commit: a worker told to stop ends there, and what it left is applied later
    (documents are rebuilt from the database, so applying one again is harmless).
    """
    top = last_change_id()
    refreshed = 0
    failures: list[tuple[str, SearchUnavailable]] = []
    for name in names or INDEXES:
        if should_stop is not None and should_stop():
            break
        try:
            refreshed += _apply_index(name, top, should_stop)
        except SearchUnavailable as exc:
            failures.append((name, exc))
    if failures:
        first = failures[0][1]
        message = "; ".join(f"{name}: {exc}" for name, exc in failures)
        raise type(first)(message) from first
    return refreshed


def applied_through(name: str) -> int:
    """The change id up to which index ``name`` holds every change: its recorded mark, or
    further when this process has seen that no change since concerns it."""
    return _through(name, get_index(name).last_change_id() or 0)


def _through(name: str, recorded: int) -> int:
    checked = current_app.extensions.get(CHECKED, {}).get(_checked_key(name))
    if checked is not None and checked[0] == recorded:
        return max(recorded, checked[1])
    return recorded


def _checked_key(name: str) -> tuple[str, str]:
    return (name, current_app.config["SEARCH_INDEX_DIR"])


def _apply_index(name: str, top: int, should_stop=None) -> int:
    """Apply the changes of one index, reading them and their documents under its writer
    lock: whoever applies later also read later, so an older copy of a document is never
    written over a newer one, and each change is applied once."""
    index = get_index(name)
    if applied_through(name) >= top:
        return 0
    checked: list[tuple[int, int]] = []

    def batches(recorded: int):
        latest = last_change_id()
        through = _through(name, recorded)
        if latest <= through:
            return
        rows = db.session.execute(
            sa.select(SearchChange.doc_id)
            .where(SearchChange.index == name, SearchChange.id > through)
            .where(SearchChange.id <= latest)
            .distinct()
        ).scalars()
        doc_ids = sorted(rows)
        if not doc_ids and latest - recorded <= IDLE_LAG:
            # Nothing for this index: remember how far it is known to be current.
            checked.append((recorded, latest))
            return
        for start in range(0, max(len(doc_ids), 1), BATCH):
            chunk = doc_ids[start : start + BATCH]
            docs, deletes = BUILDERS[name](chunk) if chunk else ([], set())
            yield docs, deletes, latest if start + BATCH >= len(doc_ids) else None
            if should_stop is not None and should_stop():
                return

    refreshed = index.apply_changes(batches)
    if checked:
        current_app.extensions.setdefault(CHECKED, {})[_checked_key(name)] = checked[-1]
    return refreshed


def applies_in_process() -> bool:
    """Whether this process applies search changes itself (after its commits and before
    its searches), rather than leaving that to the node's search worker."""
    return current_app.config.get("SEARCH_APPLY_IN_REQUESTS", True)


def catch_up(name: str) -> None:
    """Apply changes another process committed but did not index (cheap when none); nothing
    where the search worker applies them."""
    if not applies_in_process():
        return
    try:
        if last_change_id() > applied_through(name):
            apply_pending([name])
    except SearchUnavailable as exc:  # a known state, shown to coordinators: one line
        log.warning("search index %s could not catch up: %s", name, exc)


def apply_after_commit(response=None):
    """after_request hook: apply what this request committed; never fail the request.
    Where the search worker applies changes, the request only forgets that it wrote some."""
    config = current_app.config
    if (
        changelog.take_committed(db.session)
        and config.get("SEARCH_ENABLED", True)
        and applies_in_process()
    ):
        try:
            apply_pending()
        except SearchUnavailable as exc:  # missing before the first rebuild: a known state
            log.warning("search changes stay queued until the index is back: %s", exc)
        except Exception:  # the changes stay in the table for the next run
            log.exception("applying search changes after commit failed")
    return response


def _apply_on_teardown(exc=None) -> None:
    """Commands and jobs outside requests: apply what they committed when they end."""
    apply_after_commit()


def rebuild(name: str, progress=None) -> int:
    """Rebuild one index from the database into a new generation swapped in when complete."""
    change_id = last_change_id()
    total = expected_count(name)
    count = get_index(name).rebuild(
        all_documents(name), total=total, progress=progress, change_id=change_id
    )
    return count


def prune(days: int) -> int:
    """Delete change-log rows older than ``days`` that every index has applied."""
    cutoff = utcnow() - timedelta(days=days)
    try:
        apply_pending()  # an index that is behind keeps the rows it still needs
    except SearchUnavailable as exc:
        log.warning("search changes could not be applied before pruning: %s", exc)
    applied = min(applied_through(name) for name in INDEXES)
    result = db.session.execute(
        sa.delete(SearchChange).where(SearchChange.created_at < cutoff, SearchChange.id <= applied)
    )
    return result.rowcount


def lag() -> dict[str, int | None]:
    """Per index, how many of its changes in the log it has not applied (None when it cannot
    be read): one query, over the changes after the lowest index's mark only."""
    marks: dict[str, int] = {}
    report: dict[str, int | None] = dict.fromkeys(INDEXES)
    for name in INDEXES:
        try:
            marks[name] = get_index(name).last_change_id() or 0
        except SearchUnavailable:
            continue
    if not marks:
        return report
    counts = [
        sa.func.coalesce(
            sa.func.sum(
                sa.case((sa.and_(SearchChange.index == name, SearchChange.id > mark), 1), else_=0)
            ),
            0,
        )
        for name, mark in marks.items()
    ]
    row = db.session.execute(sa.select(*counts).where(SearchChange.id > min(marks.values()))).one()
    report.update(zip(marks, (int(count) for count in row), strict=True))
    return report


def behind() -> tuple[list[str], list[str]]:
    """``(behind, unreadable)``: the indexes that lack changes of the log, and those that
    cannot be read. Cheap: one max(id) query and each index's mark from its warm searcher."""
    top = last_change_id()
    lagging, unreadable = [], []
    for name in INDEXES:
        try:
            if applied_through(name) < top:
                lagging.append(name)
        except SearchUnavailable:
            unreadable.append(name)
    return lagging, unreadable


def health() -> dict[str, str | None]:
    """Per index: None if it answers, else a short reason (damaged, missing, schema outdated,
    busy). No database query and no counting: cheap enough for a health endpoint."""
    report: dict[str, str | None] = {}
    for name in INDEXES:
        try:
            report[name] = get_index(name).problem()
        except Exception:  # a health check reports, it never fails
            log.exception("checking search index %s failed", name)
            report[name] = "unavailable"
    return report


def status() -> list[dict]:
    """Per index: documents, rows that should be indexed, pending changes, last applied, and
    ``damaged``: the recorded reason the index is damaged (repaired by a rebuild), or None."""
    report = []
    for name in INDEXES:
        entry = {"index": name, "expected": expected_count(name)}
        index = get_index(name)
        try:
            last = index.last_change_id() or 0
            entry.update(documents=index.doc_count(), last_applied=last, error=None)
        except SearchUnavailable as exc:
            last = 0
            entry.update(documents=None, last_applied=None, error=str(exc))
        entry["damaged"] = index.damage()
        entry["pending"] = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SearchChange)
            .where(SearchChange.index == name, SearchChange.id > last)
        )
        report.append(entry)
    return report


# --------------------------------------------------------------------------- tracking


def _connection(obj):
    return sa.orm.object_session(obj).connection()


def _profile_owner(obj):
    profile = obj.__dict__.get("profile")
    if profile is not None:
        return [(EXPERTS, profile.user_id)]
    user_id = _connection(obj).scalar(
        sa.select(Profile.user_id).where(Profile.id == obj.profile_id)
    )
    return [(EXPERTS, user_id)]


def _institution_projects(institution: Institution):
    ids = _connection(institution).scalars(
        sa.select(Project.id).where(Project.institution_id == institution.id)
    )
    return [(PROJECTS, pid) for pid in ids]


def _skill_documents(obj: Skill | SkillLabel):
    """The projects and members with a skill (or with the skill of a label)."""
    skill_id = obj.id if isinstance(obj, Skill) else obj.skill_id
    memo = changelog.flush_memo(sa.inspect(obj).session) if sa.inspect(obj).session else {}
    if ("skill", skill_id) in memo:
        return memo["skill", skill_id]
    connection = _connection(obj)
    project_ids = connection.scalars(
        sa.select(project_skills.c.project_id).where(project_skills.c.skill_id == skill_id)
    )
    user_ids = connection.scalars(
        sa.select(Profile.user_id)
        .join(ProfileSkill, ProfileSkill.profile_id == Profile.id)
        .where(ProfileSkill.skill_id == skill_id)
    )
    documents = [(PROJECTS, pid) for pid in project_ids] + [(EXPERTS, uid) for uid in user_ids]
    memo["skill", skill_id] = documents
    return documents


def _being_deleted(obj) -> bool:
    session = sa.inspect(obj).session
    return session is not None and obj in session.deleted


def _skill_changes(skill: Skill):
    """A skill's documents change with its name or its removal, not when a label is added
    (the label is tracked itself) or it becomes curated."""
    state = sa.inspect(skill)
    if state.pending:
        return []
    if _being_deleted(skill):
        return _skill_documents(skill)
    return _skill_documents(skill) if state.attrs.name.history.has_changes() else []


def _user_documents(user: User):
    """A member's document depends on the account only through its suspension (and its
    existence): logins, reset requests and other account changes leave the index alone."""
    state = sa.inspect(user)
    if state.pending:
        return []
    if _being_deleted(user):
        return [(EXPERTS, user.id)]
    return [(EXPERTS, user.id)] if state.attrs.suspended_at.history.has_changes() else []


# What a followed network's project document is made of (``documents.remote_project_document``):
# a refresh that only stamps ``fetched_at`` leaves the index alone.
REMOTE_INDEXED = (
    "title",
    "summary",
    "description",
    "institution_name",
    "country",
    "region",
    "sector",
    "engagement_mode",
    "work_mode",
    "compensation",
    "skills",
    "languages",
    "written_in",
    "deadline",
    "published_at",
    "network_id",
)


def _remote_project_changes(remote: RemoteProject):
    state = sa.inspect(remote)
    if state.pending or _being_deleted(remote):
        return [(SHARED, remote.id)]
    changed = any(state.attrs[name].history.has_changes() for name in REMOTE_INDEXED)
    return [(SHARED, remote.id)] if changed else []


def _network_projects(network: FollowedNetwork):
    """A network's projects show its name (its feed's host when it has none): renaming it
    changes their documents. Its removal deletes its projects one by one, each tracked."""
    state = sa.inspect(network)
    if state.pending or _being_deleted(network):
        return []
    if not (state.attrs.name.history.has_changes() or state.attrs.feed_url.history.has_changes()):
        return []
    ids = _connection(network).scalars(
        sa.select(RemoteProject.id).where(RemoteProject.network_id == network.id)
    )
    return [(SHARED, rid) for rid in ids]


def track_models() -> None:
    """Name the documents each tracked model affects (see ``changelog.track``)."""
    changelog.track(Project, lambda p: [(PROJECTS, p.id)])
    changelog.track(Institution, _institution_projects)
    changelog.track(Skill, _skill_changes)
    changelog.track(SkillLabel, _skill_documents)
    changelog.track(Profile, lambda p: [(EXPERTS, p.user_id)])
    for child in (ProfileLanguage, ProfileSkill, Education, TravelWindow):
        changelog.track(child, _profile_owner)
    changelog.track(User, _user_documents)
    changelog.track(Application, lambda a: [(EXPERTS, a.member_id)])
    changelog.track(RemoteProject, _remote_project_changes)
    changelog.track(FollowedNetwork, _network_projects)


def init_app(app) -> None:
    """Install the change log hooks and apply committed changes after each request."""
    track_models()
    changelog.register_session_hooks()
    app.after_request(apply_after_commit)
    app.teardown_appcontext(_apply_on_teardown)
