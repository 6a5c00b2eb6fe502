"""The one way a view writes: it hands its service call to :func:`unit_of_work`.

``unit_of_work(work)`` runs ``work()`` and commits, through :func:`retry.transaction`: an
attempt that loses a race with another transaction (deadlock, serialization failure,
SQLite locked) is rolled back and run again from the start, and any other error rolls
back and goes on to the error handlers (:mod:`diaspora.main.errors`). Views never call
``commit()`` or ``rollback()`` themselves; commands commit in the command.

What a refusal (:mod:`diaspora.services.errors`) becomes:

- a view that shows its form again names the field with :func:`form_refusal`: an Invalid
  or a Conflict goes into the form (or, naming no field, into the page's error summary),
  which keeps what the person typed;
- a form posted from another page (a button on a list, on a project's page) names that
  page with ``back=``, or is handled whole by :func:`form_action`: the error handler
  flashes an Invalid or a Conflict there;
- anything else, and every NotAllowed and NotFound, is the error page of its kind.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import flash, g, redirect
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field

from diaspora.extensions import db
from diaspora.services import retry
from diaspora.services.errors import Conflict, Invalid

T = TypeVar("T")

# What a person can put right on the form itself (or by reloading it).
SHOWN_ON_FORMS = (Invalid, Conflict)


def unit_of_work(work: Callable[[], T], back: str | None = None) -> T:
    """Run ``work()`` as this request's transaction and commit it; return what it returns.

    ``work`` loads what it decides on inside the call (a rerun after a lost race must see
    the data as it is then). ``back`` is the address of the page the form was posted from,
    built with ``url_for`` (never read from the request): where a refusal is flashed.
    """
    if back is not None:
        g.form_page = back
    return retry.transaction(work)


def form_page() -> str | None:
    """The page this request's form came from, as its view named it, or None."""
    return g.get("form_page")


def forget_form_page() -> None:
    g.pop("form_page", None)


def forget_form_refusals() -> None:
    g.pop("form_refusals", None)


def form_refusals() -> list[str]:
    """The refusals of this request that name no field of the form shown again."""
    return list(g.get("form_refusals", ()))


@contextmanager
def form_refusal(field: Field | None = None) -> Iterator[None]:
    """Show an Invalid or a Conflict raised inside the block on the form being shown again:
    in ``field``'s errors, or at the head of the page's error summary when no field is named
    (:func:`form_refusals`). The view goes on after the block to render the form.
    NotAllowed and NotFound go to their pages."""
    try:
        yield
    except SHOWN_ON_FORMS as exc:
        db.session.rollback()
        if field is None:
            g.setdefault("form_refusals", []).append(
                exc.message or _("That could not be saved. Check the form and try again.")
            )
        else:
            field.errors = [*field.errors, exc.message or _("This value is not accepted.")]


def form_action(
    form: FlaskForm,
    work: Callable[[], object],
    done: str | Callable[[object], str | tuple[str, str]],
    back: str,
    invalid: str | None = None,
):
    """The whole view of a form posted from the page ``back`` (a button, a small form on a
    list): run ``work`` as the unit of work and go back with ``done`` flashed (or what
    ``done`` says of the work's result, when what happened is known only once it is
    committed; a ``(message, category)`` pair flashes the message in that category, "info"
    when nothing was done). A form that does not validate goes back with ``invalid``
    flashed, or what its fields say is wrong (a bare button says nothing); a refusal is
    flashed there too."""
    if not form.validate_on_submit():
        problems = [message for messages in form.errors.values() for message in messages]
        if invalid or problems:
            said = "; ".join(str(message) for message in problems)
            flash(invalid or _("Check the form: %(problems)s", problems=said), "error")
        return redirect(back)
    result = unit_of_work(work, back=back)
    said = done(result) if callable(done) else done
    message, category = said if isinstance(said, tuple) else (said, "success")
    flash(message, category)
    return redirect(back)
