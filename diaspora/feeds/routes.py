"""Thin views over diaspora.services.feeds: one page of the feed, with the headers that let
readers and caches ask again cheaply (ETag, Last-Modified, 304)."""

from flask import Response, render_template, request
from flask_babel import force_locale

from diaspora import i18n, security
from diaspora.feeds import bp
from diaspora.services import feeds

MAX_AGE = 300
ATOM_TYPE = "application/atom+xml"
JSON_FEED_TYPE = "application/feed+json"

bp.add_app_template_filter(feeds.xml_text, "xml_text")

# The same answer for everyone: the site's cookies are neither read nor written here.
bp.record_once(lambda state: security.same_for_everyone(state.app, bp.url_prefix + "/"))


def _reader_language() -> str:
    """The language of the reader's ``Accept-Language`` (never an account's or a cookie's,
    so that a feed is the same for everyone who asks the same)."""
    return request.accept_languages.best_match(i18n.LANGUAGES.keys()) or i18n.DEFAULT


def _answer(body: str, mimetype: str, feed: feeds.Feed) -> Response:
    response = Response(body, mimetype=mimetype)
    response.set_etag(feeds.validator(body), weak=True)
    response.last_modified = feed.changed_at
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.vary.add("Accept-Language")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.route("/projects.atom")
def projects_atom():
    with force_locale(_reader_language()):
        feed = feeds.project_feed(feeds.FeedQuery.from_args(request.args))
        body = render_template("feeds/projects.atom.xml", feed=feed, rfc3339=feeds.rfc3339)
    return _answer(body, ATOM_TYPE, feed)


@bp.route("/projects.json")
def projects_json():
    with force_locale(_reader_language()):
        feed = feeds.project_feed(feeds.FeedQuery.from_args(request.args))
        body = feeds.json_body(feed)
    return _answer(body, JSON_FEED_TYPE, feed)
