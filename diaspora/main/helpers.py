"""Template globals and filters shared by every page."""

import codecs
import json
from urllib.parse import urlencode

from flask import Flask, Response, request
from flask_login import current_user
from markupsafe import Markup, escape

from diaspora import i18n
from diaspora.forms import EmptyForm, forms_of_request, problems
from diaspora.main.unit_of_work import form_refusals
from diaspora.security import is_safe_next


def download(body: str | bytes, filename: str, mimetype: str) -> Response:
    """A file the browser saves as ``filename`` instead of showing it."""
    disposition = f'attachment; filename="{filename}"'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


def download_json(data, filename: str) -> Response:
    return download(json.dumps(data, ensure_ascii=False, indent=2), filename, "application/json")


def download_csv(text: str, filename: str) -> Response:
    """A CSV file with the UTF-8 byte order mark first, so that spreadsheet programs read it
    as UTF-8 ("Bogotá", not "BogotÃ¡"); the command line prints CSV without it."""
    return download(codecs.BOM_UTF8 + text.encode(), filename, "text/csv")


def paragraphs(text: str | None) -> Markup:
    """Plain text as escaped HTML paragraphs (blank lines split paragraphs)."""
    if not text:
        return Markup("")
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in p.split("\n")))
        for p in parts
    )


def register(app: Flask) -> None:
    app.add_template_filter(paragraphs)
    app.add_template_filter(i18n.format_date, "date")
    app.add_template_filter(i18n.format_number, "number")

    @app.context_processor
    def inject():
        return {
            "site_name": app.config["SITE_NAME"],
            "button_form": _button_form,
            "unread_notifications": _unread,
            "page_problems": page_problems,
            "this_page": this_page,
        }


def this_page() -> str:
    """The address of this page, for the language switcher to come back to: its path and
    query, without parameters starting with "_" (never a filter of the site's; ``url_for``
    reads them as the scheme or anchor of an address), and without a ``next`` that does not
    name a page of this site (the page itself never shows one)."""
    kept = [
        (k, v)
        for k, v in request.args.items(multi=True)
        if not k.startswith("_") and (k != "next" or is_safe_next(v))
    ]
    return f"{request.path}?{urlencode(kept)}" if kept else request.path


def page_problems() -> list[tuple[str | None, str]]:
    """What is wrong with the forms of this page that were sent and failed, for the error
    summary above the page and the "Error: " before its title."""
    return [(None, message) for message in form_refusals()] + [
        problem for form in forms_of_request() for problem in problems(form)
    ]


def _button_form() -> EmptyForm:
    """The CSRF token of a button: never reads the request body, so any page (a 413 error
    page included) can show the navigation."""
    return EmptyForm(formdata=None)


def _unread() -> int:
    """Unread notifications of the signed-in person (0 for visitors)."""
    from diaspora.services.notifications import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0
