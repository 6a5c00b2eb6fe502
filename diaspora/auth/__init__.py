"""Accounts: sign-up, confirmation, login, password reset, account settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from diaspora.auth import routes  # noqa: E402,F401  (routes attach themselves to bp)
