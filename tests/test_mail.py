"""The durable outbox: written with the change, delivered after commit, at most once."""

import threading

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.mail import HeaderInjectionError, deliver_due, queue_email
from diaspora.models import OutboxMessage, OutboxStatus, Role, User
from diaspora.models.base import utcnow
from tests.conftest import login, text_of


def signup(client, email):
    return client.post(
        "/signup",
        data={
            "name": "Mariam Tadesse",
            "email": email,
            "password": "a long enough phrase",
            "confirm": "a long enough phrase",
            "role": "member",
            "accept_terms": "y",
        },
    )


def statuses(db):
    return [
        m.status
        for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    ]


def test_smtp_down_during_signup_then_delivered_exactly_once(
    mail_config, smtp_server, app, client, db, runner
):
    smtp_server.stop()
    response = signup(client, "down@example.org")
    assert response.status_code == 200 and b"Check your inbox" in response.data
    assert db.session.scalar(sa.select(User).where(User.email == "down@example.org"))
    db.session.expire_all()
    (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.status == OutboxStatus.QUEUED and message.attempts == 1
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()

    smtp_server.start()
    message.next_attempt_at = utcnow()
    db.session.commit()
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "Delivered 1" in result.output
    result = runner.invoke(args=["mail", "deliver"])
    assert "Delivered 0" in result.output
    assert len(smtp_server.to("down@example.org")) == 1
    db.session.expire_all()
    assert statuses(db) == [OutboxStatus.SENT]


def test_backoff_keeps_failed_message_for_later(mail_config, smtp_server, app, db, make_user):
    smtp_server.stop()
    user = make_user()
    queue_email(user.email, "confirm", "Confirm", user=user, confirm_url="http://x/confirm/1")
    db.session.commit()
    assert deliver_due() == 0
    assert deliver_due() == 0, "not due again before its backoff"
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.attempts == 1 and message.next_attempt_at > utcnow()


def test_gives_up_after_max_attempts_and_coordinators_see_it(
    mail_config, smtp_server, app_config, app, db, client, make_user
):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp_server.stop()
    user = make_user(email="lost@example.org")
    queue_email(user.email, "confirm", "Confirm", user=user, confirm_url="http://x/confirm/1")
    db.session.commit()
    for _ in range(2):
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        deliver_due()
    db.session.expire_all()
    assert statuses(db) == [OutboxStatus.FAILED]
    coordinator = make_user(role=Role.COORDINATOR)
    login(client, coordinator.email)
    page = client.get("/coordination/mail").get_data(as_text=True)
    assert "lost@example.org" in page and "Queue again" in page


def test_concurrent_workers_send_each_message_once(mail_config, smtp_server, app, db, make_user):
    user = make_user()
    for n in range(10):
        queue_email(
            user.email, "confirm", f"Message {n}", user=user, confirm_url="http://x/confirm/1"
        )
    app.config["MAIL_DELIVER_AFTER_COMMIT"] = False
    db.session.commit()
    barrier = threading.Barrier(3)
    sent = []

    def worker():
        with app.app_context():
            barrier.wait()
            sent.append(deliver_due())
            _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == 10
    subjects = sorted(m["Subject"] for m in smtp_server.to(user.email))
    assert subjects == sorted(f"Message {n}" for n in range(10))


def test_rolled_back_change_sends_nothing(mail_config, smtp_server, app, db, make_user):
    user = make_user()
    queue_email(user.email, "confirm", "Rolled back", user=user, confirm_url="http://x/c/1")
    db.session.flush()
    db.session.rollback()
    from diaspora.mail import deliver_pending

    assert deliver_pending() == 0 and deliver_due() == 0
    assert smtp_server.messages == []


def test_autoflushed_message_is_delivered_after_commit(
    mail_config, smtp_server, app, db, make_user
):
    user = make_user()
    queue_email(user.email, "confirm", "Autoflushed", user=user, confirm_url="http://x/c/1")
    db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))  # triggers autoflush
    db.session.commit()
    from diaspora.mail import deliver_pending

    assert deliver_pending() == 1
    assert [m["Subject"] for m in smtp_server.to(user.email)] == ["Autoflushed"]


def test_messages_have_text_and_html_and_no_remote_images(mail_config, smtp_server, client):
    signup(client, "parts@example.org")
    (message,) = smtp_server.to("parts@example.org")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Confirm my address" in html and "<img" not in html
    assert "/confirm/" in text_of(message)


@pytest.mark.parametrize("subject", ["Hi\r\nBcc: x@example.org", "Hi\nX: y", "Hi\u2028there"])
def test_header_injection_is_refused(app, db, subject):
    with pytest.raises(HeaderInjectionError):
        queue_email("a@example.org", "confirm", subject, confirm_url="x")
    with pytest.raises(HeaderInjectionError):
        queue_email("a@example.org\r\nBcc: b@example.org", "confirm", "Hi", confirm_url="x")


def test_without_smtp_server_mail_lands_in_instance_folder(app, client, capsys):
    signup(client, "file@example.org")
    folder = app.config["MAIL_FILE_DIR"]
    from pathlib import Path

    (eml,) = Path(folder).glob("*.eml")
    content = eml.read_text()
    assert "To: file@example.org" in content
    assert "/confirm/" not in capsys.readouterr().out  # only development prints bodies
