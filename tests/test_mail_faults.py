"""Mail under faults: a stalled SMTP server, a worker stopped or killed mid-batch, outages
that must not be blamed on recipients. Real servers, real processes, real signals."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from diaspora.config import ROOT
from diaspora.mail import deliver_due, outage_notice, queue_email
from diaspora.mail.outbox import (
    INTERRUPTED,
    MAX_BACKOFF,
    STALE_CLAIM,
    resolve_interrupted_claims,
)
from diaspora.models import OutboxMessage, OutboxStatus, Role, User
from diaspora.models.base import utcnow
from tests.conftest import free_port, login

SIGNUP = {
    "name": "Mariam Tadesse",
    "password": "a long enough phrase",
    "confirm": "a long enough phrase",
    "role": "member",
    "accept_terms": "y",
}


def wait_until(condition, timeout=30.0, what="condition"):
    """Poll the database (written by another thread or process) until ``condition``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout} s")


def messages(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


@contextmanager
def live_server(app):
    """The app behind a real HTTP server in a thread, as a browser would reach it."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


def post_signup(port, email, timeout=20):
    """Sign up over HTTP; return the status, the page and how long the whole answer took."""
    body = urllib.parse.urlencode({**SIGNUP, "email": email})
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            "/signup",
            body,
            {"Host": "diaspora.test", "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        page = response.read().decode()
    finally:
        conn.close()
    return response.status, page, time.monotonic() - started


@pytest.fixture
def stalled_config(mail_config, stalled_smtp):
    mail_config.update(MAIL_PORT=stalled_smtp.port, MAIL_TIMEOUT=2, MAIL_REQUEST_TIMEOUT=2)
    return mail_config


def test_response_is_complete_before_smtp_is_touched(stalled_config, stalled_smtp, app, db):
    app.config["MAIL_REQUEST_TIMEOUT"] = 60
    with live_server(app) as port:
        status, page, elapsed = post_signup(port, "first@example.org")
        assert status == 200 and "Check your inbox" in page
        assert elapsed < 10, "the page waited on an SMTP server that stalls for 60 s"
        assert stalled_smtp.connected.wait(10), "the committed mail was not sent after the page"
        (message,) = messages(db)
        assert message.status == OutboxStatus.SENDING and message.attempts == 0
        stalled_smtp.stop()  # the server goes away: the delivery after the response ends
        wait_until(lambda: messages(db)[0].status == OutboxStatus.QUEUED, what="retry queued")
    (message,) = messages(db)
    assert message.attempts == 1 and message.last_error.startswith("connection lost")
    assert db.session.scalar(sa.select(User).where(User.email == "first@example.org"))


def test_stalled_smtp_never_holds_a_request_or_the_worker_command(
    stalled_config, stalled_smtp, app, db, runner
):
    with live_server(app) as port:
        status, page, elapsed = post_signup(port, "stall@example.org")
        assert status == 200 and "Check your inbox" in page and elapsed < 10
        wait_until(lambda: messages(db)[0].attempts == 1, what="attempt after the response")
        (message,) = messages(db)
        assert message.status == OutboxStatus.QUEUED and message.last_error.startswith("timeout")
        assert len(stalled_smtp.connections) == 1

        # After the failure this process only queues: the next request does not even connect.
        status, page, elapsed = post_signup(port, "second@example.org")
        assert status == 200 and "Check your inbox" in page and elapsed < 10
    first, second = messages(db)
    assert second.status == OutboxStatus.QUEUED and second.attempts == 0
    assert len(stalled_smtp.connections) == 1
    assert {u.email for u in db.session.scalars(sa.select(User))} >= {
        "stall@example.org",
        "second@example.org",
    }

    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    started = time.monotonic()
    result = runner.invoke(args=["mail", "deliver"])
    assert time.monotonic() - started < 30, "flask mail deliver hung on a stalled server"
    assert result.exit_code == 0 and "Delivered 0" in result.output
    first, second = messages(db)
    assert first.status == OutboxStatus.QUEUED and first.attempts == 2
    assert first.last_error.startswith("timeout") and first.claim_token is None
    assert second.attempts == 0, "the pass ends at the first outage instead of waiting on each"


def worker_env(app, port, tmp_path):
    config = app.config
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "DIASPORA_", "DATABASE_"))
    }
    env.update(
        DIASPORA_ENV="development",
        DIASPORA_INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY=config["SECRET_KEY"],
        DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
        SEARCH_INDEX_DIR=config["SEARCH_INDEX_DIR"],
        MAIL_FILE_DIR=config["MAIL_FILE_DIR"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        MAIL_TIMEOUT="60",
        LOG_LEVEL="WARNING",
    )
    return env


def start_worker(app, port, tmp_path):
    """``flask --app wsgi mail deliver --loop`` as its own process, as systemd runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "deliver", "--loop"],
        cwd=ROOT,
        env=worker_env(app, port, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def queue_batch(db, make_user, count=3):
    user = make_user(email="batch@example.org")
    for n in range(count):
        queue_email(user.email, "confirm", f"Batch {n}", user=user, confirm_url="http://x/c/1")
    db.session.commit()
    return user


def subjects(smtp_server):
    return sorted(entry["message"]["Subject"] for entry in smtp_server.messages)


@pytest.mark.slow
def test_sigterm_finishes_the_message_in_hand_and_exits_cleanly(
    mail_config, smtp_server, app, db, make_user, runner, tmp_path
):
    queue_batch(db, make_user)
    smtp_server.hold = True
    worker = start_worker(app, smtp_server.port, tmp_path)
    try:
        assert smtp_server.in_data.wait(60), "the worker never started sending"
        worker.send_signal(signal.SIGTERM)
        smtp_server.release.set()
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert "Stopped on SIGTERM" in out
    assert subjects(smtp_server) == ["Batch 0"]
    first, *rest = messages(db)
    assert first.status == OutboxStatus.SENT and first.sent_at is not None
    assert [(m.status, m.attempts) for m in rest] == [(OutboxStatus.QUEUED, 0)] * 2

    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "Delivered 2" in result.output
    assert subjects(smtp_server) == ["Batch 0", "Batch 1", "Batch 2"]
    assert [m.status for m in messages(db)] == [OutboxStatus.SENT] * 3


def kill_when(worker, event):
    try:
        assert event.wait(60), "the worker never reached the server"
        worker.send_signal(signal.SIGKILL)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_after_kill_9_unsent_mail_is_retried_and_only_handed_mail_waits_for_a_person(
    mail_config, smtp_server, stalled_smtp, app, db, make_user, runner, client, tmp_path
):
    queue_batch(db, make_user)
    # Killed while the server holds the first message's data: handed over, fate unknown.
    smtp_server.hold = True
    kill_when(start_worker(app, smtp_server.port, tmp_path), smtp_server.in_data)
    smtp_server.release.set()
    first = messages(db)[0]
    assert first.status == OutboxStatus.SENDING and first.handed_at is not None
    assert first.claimed_by.startswith(f"{socket.gethostname()}:")

    # Killed while a stalled server has not even greeted it: the second was never handed.
    kill_when(start_worker(app, stalled_smtp.port, tmp_path), stalled_smtp.connected)
    first, second, third = messages(db)
    assert first.status == OutboxStatus.FAILED and first.last_error == INTERRUPTED
    assert second.status == OutboxStatus.SENDING and second.handed_at is None
    assert third.status == OutboxStatus.QUEUED

    smtp_server.hold = False
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "Delivered 2" in result.output
    assert subjects(smtp_server) == ["Batch 0", "Batch 1", "Batch 2"]
    assert [m.status for m in messages(db)] == [
        OutboxStatus.FAILED,
        OutboxStatus.SENT,
        OutboxStatus.SENT,
    ]
    login(client, make_user(role=Role.COORDINATOR).email)
    page = client.get("/coordination/mail").get_data(as_text=True)
    assert "Batch 0" in page and "check before retry" in page and "Batch 1" not in page


def test_stale_claims_of_another_host_are_settled_by_their_stage(app, db, make_user):
    queue_batch(db, make_user)
    long_ago = utcnow() - STALE_CLAIM * 2
    claims = [("elsewhere:1", None), ("elsewhere:2", long_ago), (None, None)]
    for message, (holder, handed) in zip(messages(db), claims, strict=True):
        message.status, message.claim_token = OutboxStatus.SENDING, f"token{message.id}"
        message.claimed_at, message.claimed_by, message.handed_at = long_ago, holder, handed
    db.session.commit()
    fresh = queue_email("fresh@example.org", "confirm", "Fresh", confirm_url="http://x/c/1")
    db.session.commit()
    fresh.status, fresh.claim_token, fresh.claimed_at = OutboxStatus.SENDING, "live", utcnow()
    fresh.claimed_by = "elsewhere:3"
    db.session.commit()

    assert resolve_interrupted_claims() == 3
    assert [m.status for m in messages(db)] == [
        OutboxStatus.QUEUED,  # never handed over: surely unsent
        OutboxStatus.FAILED,  # handed over: a person checks
        OutboxStatus.FAILED,  # claimed before claims had stages: a person checks
        OutboxStatus.SENDING,  # another host's live claim is left alone
    ]


def deliver_again(db):
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    return deliver_due()


def test_permanent_refusal_of_the_address_counts_against_it(
    mail_config, smtp_server, app, db, make_user, client
):
    smtp_server.rcpt_reply = "550 5.1.1 No such user here"
    user = make_user(email="gone@example.org")
    for n in range(3):
        queue_email(user.email, "confirm", f"Refused {n}", user=user, confirm_url="x")
        db.session.commit()
        assert deliver_due() == 0
        db.session.refresh(user)
        assert user.email_failures == n + 1
    assert user.email_bouncing_since is not None
    assert [m.status for m in messages(db)] == [OutboxStatus.FAILED] * 3
    assert all(m.last_error.startswith("recipient refused (550)") for m in messages(db))
    assert outage_notice() is None, "a refused address is not an outage"
    login(client, make_user(role=Role.COORDINATOR).email)
    page = client.get("/coordination/mail").get_data(as_text=True)
    assert "gone@example.org" in page and "Queue again" in page
    assert "Mail is not going out" not in page


def test_temporary_refusal_does_not_count_against_the_address(
    mail_config, smtp_server, app, db, make_user
):
    smtp_server.rcpt_reply = "451 4.7.1 Greylisted, try again later"
    user = make_user(email="grey@example.org")
    queue_email(user.email, "confirm", "Greylisted", user=user, confirm_url="x")
    db.session.commit()
    for _ in range(4):
        assert deliver_again(db) == 0
    (message,) = messages(db)
    assert message.status == OutboxStatus.QUEUED and message.attempts == 4
    assert message.last_error.startswith("recipient deferred (451)")
    db.session.refresh(user)
    assert user.email_failures == 0 and user.email_bouncing_since is None

    smtp_server.rcpt_reply = None
    assert deliver_again(db) == 1
    assert len(smtp_server.to("grey@example.org")) == 1


def test_long_outage_keeps_mail_queued_tells_coordinators_and_delivers_once_back(
    mail_config, smtp_server, app, db, make_user, client, runner
):
    smtp_server.stop()  # nothing listens on the port: connection refused
    user = make_user(email="patient@example.org")
    for n in range(2):
        queue_email(user.email, "confirm", f"Waiting {n}", user=user, confirm_url="x")
    db.session.commit()
    for _ in range(10):  # more attempts than the retry budget there used to be
        assert deliver_again(db) == 0
    first, second = messages(db)
    assert first.status == second.status == OutboxStatus.QUEUED
    assert first.attempts == 10 and first.last_error.startswith("connection refused")
    assert first.next_attempt_at - first.last_attempt_at <= MAX_BACKOFF
    db.session.refresh(user)
    assert user.email_failures == 0 and user.email_bouncing_since is None

    notice = "Mail is not going out: 2 messages waiting since"
    login(client, make_user(role=Role.COORDINATOR).email)
    for path in ("/coordination/mail", "/coordination/users"):
        page = client.get(path).get_data(as_text=True)
        assert notice in page and "last error: connection refused" in page
        assert "patient@example.org" not in page.split(notice)[1].split("</p>")[0]
    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 0 and "queued: 2" in result.output
    assert notice in result.output and "last error: connection refused" in result.output

    smtp_server.start()
    assert deliver_again(db) == 2
    assert deliver_again(db) == 0
    assert sorted(m["Subject"] for m in smtp_server.to(user.email)) == ["Waiting 0", "Waiting 1"]
    assert outage_notice() is None
    result = runner.invoke(args=["mail", "status"])
    assert "sent: 2" in result.output and "Mail is going out" in result.output
    assert "Mail is not going out" not in client.get("/coordination/mail").get_data(as_text=True)
