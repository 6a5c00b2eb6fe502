"""The one entry point for servers: ``gunicorn wsgi:app``."""

from diaspora import create_app

app = create_app()
