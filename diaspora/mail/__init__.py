"""Email: one helper queues a rendered message in the outbox, delivery happens after commit.

``queue_email`` renders ``templates/email/<name>.txt`` and ``.html`` and adds an
:class:`~diaspora.models.OutboxMessage` to the current transaction. If the transaction
rolls back, the message is gone with it; once it commits, the request delivers it
(``deliver_pending``) and ``flask mail deliver`` picks up whatever is still queued.
"""

from diaspora.mail.outbox import (
    HeaderInjectionError,
    deliver_due,
    deliver_pending,
    purge_for_user,
    queue_email,
    register_session_hooks,
)

__all__ = [
    "HeaderInjectionError",
    "deliver_due",
    "deliver_pending",
    "purge_for_user",
    "queue_email",
    "register_session_hooks",
]
