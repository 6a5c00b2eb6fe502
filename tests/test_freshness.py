"""Network freshness: the stale rules at their boundaries, the members' reminder job and its
mail, the effect of reminders, and the coordinators' page with its one-click reminders.
The same tests run on PostgreSQL when TEST_DATABASE_URL is set."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.models import (
    AuditEntry,
    Frequency,
    Notification,
    OutboxMessage,
    Profile,
    Project,
    ProjectStatus,
    Role,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import freshness, notifications, profiles, projects, retry
from diaspora.services.errors import Conflict, NotAllowed
from tests.conftest import text_of
from tests.factories import make_institution, make_project, sign_in, with_profile

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def stale_member(make_user, age=profiles.STALE_AFTER + DAY, name=None, **fields):
    """A member whose listed profile was last changed ``age`` ago."""
    fields.setdefault("listed", True)
    when = utcnow() - age
    user = make_user(name=name)
    with_profile(user, created_at=when, updated_at=when, **fields)
    return user


def profile_of(user) -> Profile:
    return _db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))


def stale_ids(now) -> set[int]:
    return set(_db.session.scalars(sa.select(Profile.user_id).where(profiles.stale_condition(now))))


def reminded_at(user, when) -> None:
    """Record a past reminder as the job does, without touching ``updated_at``."""
    _db.session.execute(
        sa.update(Profile)
        .where(Profile.user_id == user.id)
        .values(reminder_sent_at=when, updated_at=Profile.updated_at)
    )
    _db.session.commit()


def reminders_to(user) -> int:
    return _db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.event == "profile_stale")
    )


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Ama Rep")


@pytest.fixture
def institution(rep):
    return make_institution(rep)


@pytest.fixture
def coordinator(make_user):
    return make_user(role=Role.COORDINATOR, name="Cora Coordinator")


# --------------------------------------------------------------------------- the rules


def test_a_profile_is_stale_after_six_months_untouched_and_only_when_others_can_find_it(
    db, make_user
):
    now = utcnow()
    edge = profiles.STALE_AFTER
    just_stale = stale_member(make_user, edge + MINUTE)
    not_yet = stale_member(make_user, edge - MINUTE)
    public_only = stale_member(make_user, edge + MINUTE, listed=False, public=True)
    private = stale_member(make_user, edge + MINUTE, listed=False, public=False)
    hidden = stale_member(make_user, edge + MINUTE, hidden=True)
    confirmed = stale_member(make_user, edge + MINUTE, confirmed_at=now - edge + MINUTE)
    suspended = stale_member(make_user, edge + MINUTE)
    suspended.suspended_at = now
    unconfirmed = stale_member(make_user, edge + MINUTE)
    unconfirmed.email_confirmed_at = None
    db.session.commit()

    assert stale_ids(now) == {just_stale.id, public_only.id}
    assert not_yet.id not in stale_ids(now) and private.id not in stale_ids(now)
    assert {hidden.id, confirmed.id, suspended.id, unconfirmed.id}.isdisjoint(stale_ids(now))
    # One minute later the profile at the edge is stale too.
    assert not_yet.id in stale_ids(now + 2 * MINUTE)


def test_a_listing_is_stale_after_60_days_without_confirmation(db, institution):
    now = utcnow()
    edge = projects.STALE_AFTER
    old = make_project(
        institution, status=ProjectStatus.PUBLISHED, published_at=now - edge - MINUTE
    )
    young = make_project(
        institution, status=ProjectStatus.PUBLISHED, published_at=now - edge + MINUTE
    )
    confirmed = make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        published_at=now - 3 * edge,
        confirmed_current_at=now - edge + MINUTE,
    )
    closed = make_project(institution, status=ProjectStatus.CLOSED, published_at=now - 3 * edge)
    stale = set(db.session.scalars(sa.select(Project.id).where(projects.stale_condition(now))))
    assert stale == {old.id}
    assert {young.id, confirmed.id, closed.id}.isdisjoint(stale)
    # The Python rule the institutions' dashboard shows agrees with the SQL one.
    for project in (old, young, confirmed, closed):
        assert projects.needs_confirmation(project, now) == (project.id in stale)


# --------------------------------------------------------------------------- the job


def test_the_job_reminds_once_per_60_days_and_its_mail_links_to_the_profile(
    mail_config, smtp_server, app, db, runner, make_user
):
    member = stale_member(make_user, name="Hawa Bangura")
    fresh = stale_member(make_user, timedelta(days=10))
    before = profile_of(member).updated_at

    assert "Reminded 1 member(s)" in runner.invoke(args=["profiles", "remind-stale"]).output
    assert "Reminded 0 member(s)" in runner.invoke(args=["profiles", "remind-stale"]).output
    db.session.expire_all()
    profile = profile_of(member)
    sent = profile.reminder_sent_at
    assert sent is not None and profile_of(fresh).reminder_sent_at is None
    # Being reminded is not a change of the profile: it stays stale until the member acts.
    assert profile.updated_at == before
    assert reminders_to(member) == 1 and reminders_to(fresh) == 0

    from diaspora.mail import deliver_due

    deliver_due()
    [message] = smtp_server.wait_for(member.email, "Is your profile still current?")
    body = text_of(message)
    assert "Hello Hawa Bangura" in body
    assert "My profile is up to date" in body
    assert "http://" in body and "/profile" in body
    assert "Unsubscribe" in body
    assert smtp_server.to(fresh.email) == []

    # At most once per 60 days: not at 60 days exactly, again just after.
    assert profiles.remind_stale(sent + profiles.REMIND_EVERY) == 0
    assert profiles.remind_stale(sent + profiles.REMIND_EVERY + MINUTE) == 1
    assert reminders_to(member) == 2


def test_the_member_confirming_ends_the_reminders(client, db, make_user):
    member = stale_member(make_user)
    assert profiles.remind_stale() == 1
    db.session.commit()
    sign_in(client, member)
    page = client.get("/profile").get_data(as_text=True)
    assert "My profile is up to date" in page
    client.post("/profile/confirm")
    db.session.expire_all()
    assert member.id not in stale_ids(utcnow())
    assert profiles.remind_stale(utcnow() + profiles.REMIND_EVERY + DAY) == 0


def test_members_can_turn_the_reminder_email_off(db, make_user):
    member = stale_member(make_user)
    kinds = {kind.key for kind in notifications.kinds_for(member)}
    assert "profile_reminder" in kinds
    notifications.set_preference(member, "profile_reminder", Frequency.OFF)
    db.session.commit()
    assert profiles.remind_stale() == 1
    db.session.commit()
    assert reminders_to(member) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient == member.email)
        )
        == 0
    )


# --------------------------------------------------------------------------- the figures


def test_the_figures_count_stale_rows_reminders_and_what_they_achieved(db, make_user, institution):
    now = utcnow()
    members = [stale_member(make_user) for _ in range(4)]
    for user in members:
        reminded_at(user, now - timedelta(days=20))
    reminded_at(members[0], now - timedelta(days=100))  # too long ago
    # One reminded member confirms after the reminder.
    profiles.confirm_up_to_date(members[1])
    db.session.commit()

    listings = [
        make_project(institution, status=ProjectStatus.PUBLISHED, published_at=now - 90 * DAY)
        for _ in range(3)
    ]
    listings[0].reminder_sent_at = now - 10 * DAY
    listings[1].reminder_sent_at = now - 10 * DAY
    listings[1].confirmed_current_at = now - 5 * DAY
    db.session.commit()

    [table] = freshness.tables(now)
    assert table.key == "freshness"
    rows = {row[0]: row[1:] for row in table.rows}
    # 3 stale profiles (one confirmed), 1 due (the one reminded 100 days ago), 3 reminded
    # in the last 90 days, 1 of them confirmed since: 33.3 %.
    assert rows[freshness.PROFILES] == (3, 1, 3, 1, 33.3)
    # 2 stale listings (one confirmed), 1 due (the other was reminded 10 days ago),
    # 2 reminded, 1 confirmed: 50 %.
    assert rows[freshness.LISTINGS] == (2, 1, 2, 1, 50.0)
    assert "stale,due,reminded,confirmed,confirmed_share" in table.to_csv()


def test_the_figures_say_nothing_made_up_on_an_empty_network(db):
    [table] = freshness.tables(utcnow())
    assert [row[1:] for row in table.rows] == [(0, 0, 0, 0, None), (0, 0, 0, 0, None)]


# --------------------------------------------------------------------------- the page


def test_only_coordinators_see_the_page(client, db, make_user, rep, coordinator):
    assert client.get("/coordination/freshness").status_code == 302
    for user in (make_user(), rep):
        sign_in(client, user)
        assert client.get("/coordination/freshness").status_code == 403
        assert client.post("/coordination/freshness/profiles/remind-all").status_code == 403
        assert client.post("/coordination/freshness/listings/remind-all").status_code == 403
    sign_in(client, coordinator)
    page = client.get("/coordination/freshness").get_data(as_text=True)
    assert "Network freshness" in page
    assert 'href="/coordination/freshness"' in page  # in the coordinators' navigation


def test_the_page_lists_stale_rows_oldest_first_with_the_figures(
    client, db, make_user, institution, coordinator
):
    stale_member(make_user, timedelta(days=300), name="Older Member")
    stale_member(make_user, timedelta(days=200), name="Newer Member")
    stale_member(make_user, timedelta(days=20), name="Fresh Member")
    make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        title="Long open listing",
        published_at=utcnow() - 100 * DAY,
    )
    sign_in(client, coordinator)
    page = client.get("/coordination/freshness").get_data(as_text=True)
    assert page.index("Older Member") < page.index("Newer Member")
    assert "Fresh Member" not in page
    assert "Long open listing" in page and "Korle Bu Teaching Hospital" in page
    assert "Stale profiles (2)" in page and "Stale listings (1)" in page
    assert "Remind all 2 members" in page and "Ask about all 1 stale listing<" in page


def test_one_click_reminders_keep_the_jobs_pace_and_are_audited(
    client, db, make_user, institution, rep, coordinator
):
    member = stale_member(make_user, name="Yonas Tesfaye")
    profile_id = profile_of(member).id
    listing = make_project(
        institution, status=ProjectStatus.PUBLISHED, published_at=utcnow() - 100 * DAY
    )
    sign_in(client, coordinator)

    page = client.post(
        f"/coordination/freshness/profiles/{profile_id}/remind", follow_redirects=True
    ).get_data(as_text=True)
    assert "Yonas Tesfaye is reminded" in page
    assert reminders_to(member) == 1

    page = client.post(
        f"/coordination/freshness/profiles/{profile_id}/remind", follow_redirects=True
    ).get_data(as_text=True)
    assert "the last reminder went out on" in page and "Nothing was sent" in page
    assert reminders_to(member) == 1

    client.post(f"/coordination/freshness/listings/{listing.id}/remind")
    page = client.post(
        f"/coordination/freshness/listings/{listing.id}/remind", follow_redirects=True
    ).get_data(as_text=True)
    assert "the last reminder went out on" in page
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == rep.id, Notification.event == "project_still_current")
        )
        == 1
    )

    # Remind all skips what was just reminded.
    page = client.post(
        "/coordination/freshness/profiles/remind-all", follow_redirects=True
    ).get_data(as_text=True)
    assert '<p class="flash flash-info" role="status">Nobody was due a reminder: each was ' in page
    assert "reminded in the last 60 days." in page and "0 member" not in page
    # While no new reminder may go, the lists say when the last one went instead of a button.
    today = f"{utcnow():%d %b %Y}"
    assert page.count(f"Reminded on {today}") == 2
    assert f"/profiles/{profile_id}/remind" not in page
    assert f"/listings/{listing.id}/remind" not in page
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.actor_id == coordinator.id)
    ).all()
    assert actions == [
        "freshness.remind_profile",
        "freshness.remind_listing",
        "freshness.remind_all_profiles",
    ]


def test_remind_all_reminds_every_due_member_and_listing(
    client, db, make_user, institution, coordinator
):
    members = [stale_member(make_user) for _ in range(3)]
    reminded_at(members[0], utcnow() - 10 * DAY)
    for _ in range(2):
        make_project(institution, status=ProjectStatus.PUBLISHED, published_at=utcnow() - 90 * DAY)
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/coordination/freshness").get_data(as_text=True)
    assert "Remind all 2 members" in page
    assert page.count('<button class="button-small" type="submit">Remind<') == 4
    assert "Reminded on" in page  # the member reminded 10 days ago
    page = client.post(
        "/coordination/freshness/profiles/remind-all", follow_redirects=True
    ).get_data(as_text=True)
    assert "2 members reminded" in page
    assert [reminders_to(user) for user in members] == [0, 1, 1]
    page = client.post(
        "/coordination/freshness/listings/remind-all", follow_redirects=True
    ).get_data(as_text=True)
    assert "Institutions asked about 2 listings." in page
    assert "Every stale listing was asked about in the last 30 days" in page


def test_the_services_refuse_non_coordinators_and_rows_that_are_not_stale(db, make_user):
    member = stale_member(make_user, timedelta(days=3))
    profile_id = profile_of(member).id
    with pytest.raises(NotAllowed):
        freshness.remind_profile(member, profile_id)
    with pytest.raises(NotAllowed):
        freshness.remind_all_listings(member)
    coordinator = make_user(role=Role.COORDINATOR)
    with pytest.raises(Conflict, match="not stale"):
        freshness.remind_profile(coordinator, profile_id)
    assert reminders_to(member) == 0


def test_the_lists_page_and_bad_input_never_fail(client, db, make_user, coordinator):
    for index in range(freshness_per_page() + 3):
        stale_member(make_user, timedelta(days=400 - index), name=f"Member {index:02d}")
    sign_in(client, coordinator)
    second = client.get("/coordination/freshness?profiles_page=2").get_data(as_text=True)
    assert "Member 25" in second and "Member 00" not in second
    assert "Page 2 of 2" in second
    for page in ("999999999999", "-1", "abc", "1%00", "%00", "2.5"):
        response = client.get(f"/coordination/freshness?profiles_page={page}&listings_page={page}")
        assert response.status_code == 200, page
    last = client.get("/coordination/freshness?profiles_page=999999999999").get_data(as_text=True)
    assert "Page 2 of 2" in last
    for path in (
        "/coordination/freshness/profiles/abc/remind",
        "/coordination/freshness/profiles/99999999999/remind",
        "/coordination/freshness/profiles/0/remind",
        "/coordination/freshness/profiles/%00/remind",
        "/coordination/freshness/listings/1.5/remind",
    ):
        assert client.post(path).status_code == 404, path
    assert client.post("/coordination/freshness/profiles/2147483647/remind").status_code == 404
    assert client.get("/coordination/freshness/profiles/remind-all").status_code == 405


def freshness_per_page() -> int:
    from diaspora.coordination.freshness import PER_PAGE

    return PER_PAGE


def test_a_post_without_a_csrf_token_is_refused(app, client, make_user, coordinator, db):
    app.config["WTF_CSRF_ENABLED"] = True
    member = stale_member(make_user)
    sign_in(client, coordinator)
    assert client.post("/coordination/freshness/profiles/remind-all").status_code == 400
    assert reminders_to(member) == 0


# --------------------------------------------------------------------------- concurrency


def run_together(app, coordinators, work):
    """Two coordinators' clicks, each in its own app context (its own connection), released
    at the same moment; returns what each click reminded."""
    barrier = threading.Barrier(len(coordinators))
    counts = [None] * len(coordinators)

    def click(index):
        with app.app_context(), app.test_request_context():
            actor = _db.session.get(User, coordinators[index])
            barrier.wait()
            counts[index] = retry.transaction(lambda: work(actor))

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(coordinators))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    _db.session.expire_all()
    return counts


def test_two_coordinators_reminding_all_at_once_send_one_reminder_each(app, db, make_user):
    members = [stale_member(make_user) for _ in range(4)]
    coordinators = [make_user(role=Role.COORDINATOR).id for _ in range(2)]
    counts = run_together(app, coordinators, freshness.remind_all_profiles)
    assert sorted(counts) == [0, 4]
    assert [reminders_to(user) for user in members] == [1, 1, 1, 1]


def test_two_coordinators_asking_about_every_listing_at_once_ask_once(
    app, db, make_user, institution, rep
):
    for _ in range(3):
        make_project(institution, status=ProjectStatus.PUBLISHED, published_at=utcnow() - 90 * DAY)
    coordinators = [make_user(role=Role.COORDINATOR).id for _ in range(2)]
    counts = run_together(app, coordinators, freshness.remind_all_listings)
    assert sorted(counts) == [0, 3]
    asked = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == rep.id, Notification.event == "project_still_current")
    )
    assert asked == 3


def test_changing_any_part_of_the_profile_makes_it_current(db, make_user):
    changes = {
        "a skill": lambda user: profiles.add_skill(user, "Epidemiology", "have"),
        "a language": lambda user: profiles.add_language(user, "am", "native"),
        "education": lambda user: profiles.add_education(user, "MSc", "", "Makerere", 2010),
        "a travel window": lambda user: profiles.add_travel_window(
            user, "UG", utcnow().date(), utcnow().date() + DAY
        ),
    }
    for what, change in changes.items():
        member = stale_member(make_user)
        assert member.id in stale_ids(utcnow()), what
        change(member)
        db.session.commit()
        assert member.id not in stale_ids(utcnow()), what
    member = stale_member(make_user)
    profiles.add_skill(member, "Logistics", "have")
    db.session.commit()
    skill_id = profile_of(member).skill_links[0].skill_id
    reminded_at(member, utcnow() - 200 * DAY)
    _db.session.execute(
        sa.update(Profile)
        .where(Profile.user_id == member.id)
        .values(updated_at=utcnow() - 200 * DAY)
    )
    db.session.commit()
    assert member.id in stale_ids(utcnow())
    profiles.remove_skill(member, skill_id, "have")
    db.session.commit()
    assert member.id not in stale_ids(utcnow())
