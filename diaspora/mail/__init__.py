"""Email: one helper queues a rendered message in the outbox, delivery happens after commit.

``queue_email`` renders ``templates/email/<name>.txt`` and ``.html`` and adds an
:class:`~diaspora.models.OutboxMessage` to the current transaction. If the transaction
rolls back, the message is gone with it; once it commits, it is delivered, and
``flask mail deliver --loop`` (the worker) picks up whatever is still queued.

A web request never waits on SMTP. Its committed mail is sent only once the response is
complete (``deliver_after_response`` registers the send with ``response.call_on_close``, run by
the server after the last byte), with ``MAIL_REQUEST_TIMEOUT`` seconds on each SMTP operation;
after a failed attempt the process pauses for ``MAIL_REQUEST_PAUSE`` seconds, during which its
requests only queue and the worker sends. The worker bounds each operation by
``MAIL_TIMEOUT``. The file mailbox (no ``MAIL_SERVER``) cannot stall and is written at once.

A claim records its holder (``host:pid``) and commits ``handed_at`` just before the message
goes to the server. A worker told to stop (SIGTERM) finishes the message in hand and leaves
the rest queued; a claim left by a dead process goes back to the queue if it was never
handed over, and waits for a person otherwise.

Only a permanent refusal of the address (5xx to RCPT or DATA) fails a message and counts
against the address. Outages, timeouts, 4xx replies and errors on our side (login, sender)
keep it queued with capped backoff, and coordinators see ``outage_notice``.
"""

from diaspora.mail.outbox import (
    HeaderInjectionError,
    OutageNotice,
    deliver_after_response,
    deliver_due,
    deliver_pending,
    outage_notice,
    purge_for_user,
    queue_email,
    register_session_hooks,
    requeue_failed,
    resolve_interrupted_claims,
    status_counts,
)

__all__ = [
    "HeaderInjectionError",
    "OutageNotice",
    "deliver_after_response",
    "deliver_due",
    "deliver_pending",
    "outage_notice",
    "purge_for_user",
    "queue_email",
    "register_session_hooks",
    "requeue_failed",
    "resolve_interrupted_claims",
    "status_counts",
]
