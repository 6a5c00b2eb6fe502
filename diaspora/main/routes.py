"""The home page and the static information pages."""

from flask import redirect, render_template, url_for

from diaspora.main import bp
from diaspora.services import projects


@bp.route("/")
def index():
    return render_template("main/index.html", newest=projects.newest(3))


@bp.route("/about")
def about():
    return render_template("main/about.html")


@bp.route("/terms")
def terms():
    return render_template("main/terms.html")


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.route("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
