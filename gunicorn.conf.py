"""gunicorn settings, read by ``gunicorn wsgi:app`` when started from this folder.

Command-line flags still win over these (``--workers 5``, ``--bind 0.0.0.0:8000``).
"""

import os

# Behind the TLS-terminating proxy; platforms that run a Procfile give the port in $PORT
# (and expect every interface).
bind = f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else "127.0.0.1:8000"
# WEB_CONCURRENCY sets the number of workers (3 when unset); the app is told the number that
# runs (see on_starting), so that production refuses per-process rate-limit counters.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
control_socket_disable = True  # gunicorn 27 would otherwise create a socket in $HOME
# The longest request line gunicorn accepts (its maximum). The app answers any address
# longer than 4096 characters with its own 414 page (with the site's headers); only lines
# beyond this limit get gunicorn's bare error page.
limit_request_line = 8190

# SIGTERM (systemctl stop, a platform's restart) is a graceful stop: the master stops
# accepting connections and each worker finishes the request in hand, including the mail
# sent once its response is complete (each SMTP step bounded by MAIL_REQUEST_TIMEOUT), then
# exits. A worker still busy after graceful_timeout seconds is killed. The systemd unit's
# TimeoutStopSec is longer than this. SIGINT and SIGQUIT stop at once.
graceful_timeout = 30
timeout = 30


def on_starting(server):
    """Give the workers the number of web processes as it is (``--workers`` included): the
    app's WEB_CONCURRENCY, which the production check reads."""
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)


def worker_exit(server, worker):
    """Close the worker's search indexes and database connections as it stops, so
    PostgreSQL sees each session end rather than a dropped connection."""
    from flask import Flask

    app = getattr(worker, "wsgi", None)
    if not isinstance(app, Flask):
        return
    from diaspora.extensions import db
    from diaspora.services.indexing.indexer import close_indexes

    try:
        close_indexes(app)
        with app.app_context():
            db.engine.dispose()
    except Exception:  # a hook on the way out must not turn a clean stop into an error
        server.log.exception("closing the worker's indexes and connections failed")
