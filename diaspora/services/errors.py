"""What a service raises when it refuses: one base and four kinds.

A refusal carries a message written for the person who asked, safe to show as it is (or
none, and the page for its kind says it in general words). The message is marked for
translation where it is raised (``_("...")``, or a lazy ``_l``), so it is in the language of
the page that asked; it is kept as plain text from then on (flashed, shown on a form).
Which kind to raise:

- :class:`NotAllowed`: who is asking may not do this (their role, or it is not theirs);
- :class:`NotFound`: there is no such thing, or it is hidden from who is asking;
- :class:`Conflict`: the thing is not in a state that allows it now (already decided,
  full, closed, an address not confirmed yet), whatever was typed;
- :class:`Invalid`: what was typed or chosen breaks a rule (too long, missing, out of range).

Services never catch these to answer the web: the request boundary maps them to 403, 404,
409 and 400 pages, or shows an Invalid or a Conflict on the form the person sent
(:mod:`diaspora.main.unit_of_work`), after the transaction is rolled back.
"""


class ServiceError(Exception):
    """A refusal by a service; ``status`` is its HTTP status, ``message`` what to show."""

    status = 400

    def __init__(self, message: str = ""):
        message = str(message) if message else ""  # a lazy string is worded now
        super().__init__(message)
        self.message = message


class NotAllowed(ServiceError):
    """Who is asking may not do this."""

    status = 403


class NotFound(ServiceError):
    """There is no such thing, or who is asking may not know it exists."""

    status = 404


class Conflict(ServiceError):
    """The current state of things does not allow this now."""

    status = 409


class Invalid(ServiceError):
    """What was sent breaks a rule; the message says which."""

    status = 400
