"""Notifications: on-site list, email at the chosen pace, digests, unsubscribe, bounces."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from diaspora.mail import deliver_due
from diaspora.models import (
    DigestRun,
    Frequency,
    Notification,
    OutboxMessage,
    OutboxStatus,
    Role,
)
from diaspora.models.base import utcnow
from diaspora.services import notifications
from diaspora.services.errors import Invalid
from diaspora.services.notifications import notify
from tests.conftest import login, text_of

MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_immediate_notification_is_emailed_with_one_click_unsubscribe(
    mail_config, smtp_server, app, db, make_user, client
):
    user = make_user(email="amina@example.org")
    notify(
        user, "application_update", "Your application to Water GIS was accepted.", "/notifications/"
    )
    db.session.commit()
    from diaspora.mail import deliver_pending

    deliver_pending()
    (message,) = smtp_server.to("amina@example.org")
    assert message["Subject"] == "Your application to Water GIS was accepted."
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert "/notifications/unsubscribe/" in url and url in text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<img" not in html and "Unsubscribe" in html

    path = url.replace("http://diaspora.test", "")
    assert b"Yes, unsubscribe" in client.get(path).data
    assert notifications.frequency_for(user, "application_update") == Frequency.IMMEDIATE
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"Unsubscribed" in response.data
    assert notifications.frequency_for(user, "application_update") == Frequency.OFF


def test_one_click_unsubscribe_needs_no_csrf_token_or_login(app_config, make_user, db, app):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    token = notifications.unsubscribe_token(user, "message")
    response = app.test_client().post(
        f"/notifications/unsubscribe/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert notifications.frequency_for(user, "message") == Frequency.OFF


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "not-a-token"]
)
def test_tampered_unsubscribe_token_is_refused(client, make_user, mangle):
    user = make_user()
    token = mangle(notifications.unsubscribe_token(user, "message"))
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 404
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 404
    assert notifications.frequency_for(user, "message") == Frequency.IMMEDIATE


def test_off_means_no_email_but_still_on_site(app, db, make_user, client):
    user = make_user()
    notifications.set_preference(user, "message", Frequency.OFF)
    notify(user, "message", "New message about Solar microgrids.", "/notifications/")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    login(client, user.email)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "New message about Solar microgrids." in page
    assert 'aria-label="1 unread"' in client.get("/").get_data(as_text=True)


def test_mark_read_and_other_peoples_notifications(app, db, make_user, client):
    user, other = make_user(), make_user()
    mine = notify(user, "message", "Mine", "/account")
    theirs = notify(other, "message", "Theirs", "/account")
    db.session.commit()
    login(client, user.email)
    assert client.post(f"/notifications/{theirs.id}/open").status_code == 404
    assert "Theirs" not in client.get("/notifications/").get_data(as_text=True)
    response = client.post(f"/notifications/{mine.id}/open")
    assert response.status_code == 302 and response.location.endswith("/account")
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert mine.read_at is not None and theirs.read_at is None
    client.post("/notifications/read")
    assert notifications.unread_count(user) == 0 and notifications.unread_count(other) == 1


def test_notification_link_cannot_redirect_off_site(app, db, make_user, client):
    user = make_user()
    note = notify(user, "message", "Odd link", "https://evil.example/")
    db.session.commit()
    login(client, user.email)
    assert "evil" not in client.post(f"/notifications/{note.id}/open").location


def test_settings_page_saves_choices_per_kind(client, db, make_user):
    user = make_user()
    login(client, user.email)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Decisions and changes on my applications" in page
    assert "New applications to my institution" not in page, "member sees member kinds only"
    data = dict.fromkeys(notifications.preferences(user), "immediate")
    data["projects_for_you"] = "off"
    data["saved_search"] = "daily"
    data["message"] = "daily"
    assert client.post("/notifications/settings", data=data).status_code == 302
    assert notifications.frequency_for(user, "projects_for_you") == Frequency.OFF
    assert notifications.frequency_for(user, "message") == Frequency.DAILY
    bad = client.post("/notifications/settings", data={**data, "message": "hourly"})
    assert (
        bad.status_code == 200 and notifications.frequency_for(user, "message") == Frequency.DAILY
    )


def test_daily_digest_collects_sends_once_and_skips_those_who_turned_it_off(
    mail_config, smtp_server, app, db, make_user, runner
):
    app.config["MAIL_DELIVER_AFTER_COMMIT"] = False
    keen = make_user(email="keen@example.org")
    quiet = make_user(email="quiet@example.org")
    for user in (keen, quiet):
        notifications.set_preference(user, "message", Frequency.DAILY)
    notifications.set_preference(quiet, "reminder", Frequency.DAILY)
    notify(keen, "message", "New message about Teacher training in Dakar.", "/notifications/")
    notify(keen, "message", "New message about Hydrology survey.", "/notifications/")
    db.session.commit()
    assert notifications.send_digests(now=TUESDAY) == 1
    assert notifications.send_digests(now=TUESDAY) == 0
    deliver_due()
    deliver_due()
    (digest,) = smtp_server.to("keen@example.org")
    body = text_of(digest)
    assert "Teacher training in Dakar" in body and "Hydrology survey" in body
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp_server.to("quiet@example.org") == []
    result = runner.invoke(args=["notify", "digests"])
    assert result.exit_code == 0
    assert len(smtp_server.to("keen@example.org")) == 1


def test_weekly_digest_only_on_its_day(app, db, make_user):
    user = make_user()
    notifications.set_preference(user, "message", Frequency.WEEKLY)
    notify(user, "message", "Weekly item", "/notifications/")
    db.session.commit()
    assert notifications.send_digests(now=TUESDAY) == 0
    assert notifications.send_digests(now=MONDAY) == 1
    assert db.session.scalar(sa.select(DigestRun.frequency)) == Frequency.WEEKLY


def test_digest_unsubscribe_turns_off_every_kind_in_it(client, db, make_user):
    user = make_user()
    notifications.set_preference(user, "message", Frequency.DAILY)
    token = notifications.unsubscribe_token(user, "digest-daily")
    client.post(f"/notifications/unsubscribe/{token}")
    assert notifications.frequency_for(user, "message") == Frequency.OFF


def test_smtp_down_mid_digest_loses_nothing_and_doubles_nothing(
    mail_config, smtp_server, app, db, make_user
):
    app.config["MAIL_DELIVER_AFTER_COMMIT"] = False
    users = [make_user(email=f"d{n}@example.org") for n in range(3)]
    for user in users:
        notifications.set_preference(user, "message", Frequency.DAILY)
        notify(user, "message", "An update", "/notifications/")
    db.session.commit()
    assert notifications.send_digests(now=TUESDAY) == 3
    deliver_due(limit=1)
    smtp_server.stop()
    deliver_due()
    smtp_server.start()
    assert notifications.send_digests(now=TUESDAY) == 0
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    deliver_due()
    for user in users:
        assert len(smtp_server.to(user.email)) == 1


def test_addresses_that_keep_bouncing_are_marked_and_shown_a_banner(
    mail_config, smtp_server, app, db, make_user, client
):
    app.config["MAIL_DELIVER_AFTER_COMMIT"] = False
    user = make_user(email="gone@example.org")
    smtp_server.rcpt_reply = "550 5.1.1 No such user"
    for n in range(3):
        notify(user, "message", f"Update {n}", "/notifications/")
        db.session.commit()
        deliver_due()
    db.session.refresh(user)
    assert user.email_bouncing_since is not None
    smtp_server.rcpt_reply = None
    notify(user, "message", "After bouncing", "/notifications/")
    db.session.commit()
    deliver_due()
    last = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert last.status == OutboxStatus.FAILED and "bouncing" in last.last_error
    assert smtp_server.to("gone@example.org") == []
    login(client, user.email)
    assert b"Mail to gone@example.org keeps failing" in client.get("/").data


def test_digest_only_kinds_offer_no_right_away(client, db, make_user):
    user = make_user()
    login(client, user.email)
    data = dict.fromkeys(notifications.preferences(user), "weekly")
    data["projects_for_you"] = "immediate"
    response = client.post("/notifications/settings", data=data)
    assert response.status_code == 200 and b"Not a valid choice" in response.data
    assert notifications.frequency_for(user, "projects_for_you") == Frequency.WEEKLY
    with pytest.raises(Invalid):
        notifications.set_preference(user, "saved_search", Frequency.IMMEDIATE)


def test_unknown_kind_is_refused(app, make_user):
    with pytest.raises(notifications.UnknownKind):
        notify(make_user(), "everything", "x")


def test_coordinators_see_coordination_kind(client, make_user):
    coordinator = make_user(role=Role.COORDINATOR)
    login(client, coordinator.email)
    assert b"coordinators&#39; queue" in client.get("/notifications/settings").data


def test_deleted_notifications_follow_the_account(app, db, make_user):
    user = make_user()
    notify(user, "message", "x")
    db.session.commit()
    db.session.delete(user)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
