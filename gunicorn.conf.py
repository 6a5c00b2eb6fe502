"""gunicorn settings, read by ``gunicorn wsgi:app`` when started from this folder.

Command-line flags still win over these (``--workers 5``, ``--bind 0.0.0.0:8000``).
"""

bind = "127.0.0.1:8000"  # behind the TLS-terminating proxy
workers = 3
control_socket_disable = True  # gunicorn 27 would otherwise create a socket in $HOME
# The longest request line gunicorn accepts (its maximum). The app answers any address
# longer than 4096 characters with its own 414 page (with the site's headers); only lines
# beyond this limit get gunicorn's bare error page.
limit_request_line = 8190
