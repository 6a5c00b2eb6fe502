"""The durable outbox: written with the change, delivered after commit, at most once."""

import threading
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.mail import HeaderInjectionError, deliver_due, queue_email
from diaspora.models import OutboxMessage, OutboxStatus, Role, User
from diaspora.models.base import utcnow
from diaspora.services import accounts
from diaspora.services.deletion import delete_account
from tests.conftest import PASSWORD, text_of


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


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hi\r\nBcc: x@example.org", "Hi Bcc: x@example.org"),
        ("Hi\nX: y", "Hi X: y"),
        ("Hi\u2028there", "Hi there"),
        ("Hi\x00 \x85there\u2029", "Hi there"),
    ],
)
def test_header_values_are_collapsed_and_addresses_with_breaks_refused(app, db, subject, expected):
    message = queue_email(
        "a@example.org", "confirm", subject, headers={"X-Note": subject}, confirm_url="x"
    )
    assert message.subject == expected
    assert message.headers["X-Note"] == expected
    with pytest.raises(HeaderInjectionError):
        queue_email("a@example.org\r\nBcc: b@example.org", "confirm", "Hi", confirm_url="x")


def test_without_smtp_server_mail_lands_in_instance_folder(app, client, capsys):
    signup(client, "file@example.org")
    (eml,) = Path(app.config["MAIL_FILE_DIR"]).glob("*.eml")
    content = eml.read_text()
    assert "To: file@example.org" in content and "/confirm/" in content
    assert "file" not in eml.name.replace(".eml", "")
    console = capsys.readouterr().out
    assert str(eml) in console
    for private in ("file@example.org", "Mariam", "Tadesse", "/confirm/", "Hello"):
        assert private not in console


def mailbox_text(app) -> str:
    """Every file of the mailbox, raw and decoded (headers and every text part)."""
    chunks = []
    for path in Path(app.config["MAIL_FILE_DIR"]).glob("*"):
        raw = path.read_bytes()
        chunks.append(raw.decode("utf-8", "replace"))
        message = message_from_bytes(raw, policy=email_policy.default)
        chunks.extend(str(value) for value in message.values())
        chunks.extend(
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
        )
    return "\n".join(chunks).casefold()


LEGACY = """To: {to}
Subject: Written before file names carried a tag

Hello {name}
"""


def test_account_deletion_removes_every_mail_file_of_the_member(app, db, make_user):
    member = make_user(name="Ğülnara Qorvathsdottir", email="gulnara.q@example.org")
    other = make_user(name="Other Person", email="other.person@example.org")
    with app.test_request_context():
        accounts.request_email_change(member, PASSWORD, "gulnara.new@example.org")
    queue_email(member.email, "password_changed", "Not linked to the account", reset_url="x")
    queue_email(other.email, "password_changed", "For someone else", user=other, reset_url="x")
    db.session.commit()
    assert deliver_due() == 4
    folder = Path(app.config["MAIL_FILE_DIR"])
    for number, user in ((98, member), (99, other)):
        legacy = LEGACY.format(to=user.email, name=user.name)
        (folder / f"20240101T000000-{number:06d}.eml").write_text(legacy)
    member.email, member.pending_email = "gulnara.new@example.org", None
    db.session.commit()
    private = ("qorvathsdottir", "gulnara.q@example.org", "gulnara.new@example.org")
    before = mailbox_text(app)
    assert all(value in before for value in private)

    delete_account(member, PASSWORD)
    db.session.commit()

    after = mailbox_text(app)
    assert [value for value in private if value in after] == []
    assert len(list(folder.glob("*.eml"))) == 2
    assert after.count("other.person@example.org") >= 2
    recipients = set(db.session.scalars(sa.select(OutboxMessage.recipient)))
    assert recipients == {"other.person@example.org"}


def test_no_mail_to_someone_else_keeps_the_name_of_a_deleted_member(app, db, make_user):
    from diaspora.services import institutions
    from tests.factories import make_institution

    rep = make_user(Role.INSTITUTION, name="Ğülnara Qorvathsdottir", email="gulnara.q@example.org")
    institution = make_institution(rep)
    with app.test_request_context():
        institutions.invite(rep, institution, "colleague@example.org")
    db.session.commit()
    assert deliver_due() == 1
    assert "korle bu teaching hospital" in mailbox_text(app)

    delete_account(rep, PASSWORD)
    db.session.commit()

    after = mailbox_text(app)
    assert "colleague@example.org" in after
    assert "qorvathsdottir" not in after and "gulnara" not in after
    rows = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [row.recipient for row in rows] == ["colleague@example.org"]
    assert all("Qorvathsdottir" not in row.body_text + row.body_html for row in rows)


def test_mail_files_are_deleted_only_when_the_deletion_commits(app, db, make_user):
    member = make_user(name="Ğülnara Qorvathsdottir", email="gulnara.q@example.org")
    queue_email(member.email, "password_changed", "Changed", user=member, reset_url="x")
    db.session.commit()
    assert deliver_due() == 1
    folder = Path(app.config["MAIL_FILE_DIR"])

    delete_account(member, PASSWORD)
    db.session.rollback()
    assert len(list(folder.glob("*.eml"))) == 1
    assert db.session.get(User, member.id) is not None

    delete_account(member, PASSWORD)
    assert len(list(folder.glob("*.eml"))) == 1
    db.session.commit()
    assert list(folder.glob("*.eml")) == []
