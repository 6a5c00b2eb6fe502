"""Limits on what a request may carry: ids in addresses, page numbers, address length.

Every id column is a database INTEGER, so an id in an address beyond its range can match
nothing: the ``int`` converter used by every route answers 404 for it instead of letting it
reach the database. Page numbers follow one rule (``diaspora.validation.page_number``),
and an address longer than :data:`MAX_URL_LENGTH` gets the site's own 414 page.
"""

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from diaspora.extensions import db
from diaspora.validation import INT_MAX, page_number

MAX_URL_LENGTH = 4096


class IdConverter(IntegerConverter):
    """``<int:...>`` for database ids: 1 to 2**31 - 1, anything else is not a route."""

    def __init__(self, map, fixed_digits=0, min=1, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def paginate(query, per_page: int, arg: str = "page", total: int | None = None):
    """One page of a database query for ``?page=`` (or ``?<arg>=``, for a page with two
    lists); past the end shows the last page. ``total``, when the caller already counted
    the rows, spares the count query."""
    number = page_number(request.args.get(arg))
    if total is not None:
        number = min(number, max(1, -(-total // per_page)))
        page = db.paginate(query, page=number, per_page=per_page, error_out=False, count=False)
        page.total = total
        return page
    page = db.paginate(query, page=number, per_page=per_page, error_out=False)
    if page.page > 1 and not page.items and page.pages:
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    return page


def _refuse_long_url():
    if len(request.path) + len(request.query_string) > MAX_URL_LENGTH:
        abort(414)


def init_app(app: Flask) -> None:
    """Register the id converter (before the blueprints) and the address length check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_long_url)
