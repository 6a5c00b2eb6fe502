"""Browser tests: the app served on 127.0.0.1 in a thread, driven by Debian's Chromium.

Without Chromium these tests skip on a developer machine; with DIASPORA_REQUIRE_BROWSER=1
(CI) a missing browser is an error, so they can never silently skip there.
"""

import os
import shutil
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import pytest
from playwright.sync_api import expect

# A slow or busy machine is no failure: assertions wait up to 20 s for the page to show
# what they expect (the default, 5 s, is short for a loaded CI worker).
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("DIASPORA_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"Chromium is required but missing at {CHROMIUM}")
        pytest.skip("Chromium is not installed")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def context(context):
    context.set_default_timeout(WAIT_MS)
    return context


@pytest.fixture
def live_socket():
    """The live server, bound to a free port before the app is made (the app's SERVER_NAME
    needs the port): no other process can take the port between choosing and binding it."""
    server = LiveServer(("127.0.0.1", 0), QuietHandler)
    yield server
    server.server_close()


@pytest.fixture
def live_port(live_socket):
    return live_socket.server_address[1]


@pytest.fixture
def app_config(app_config, live_port):
    app_config["SERVER_NAME"] = f"127.0.0.1:{live_port}"
    return app_config


class LiveServer(ThreadingMixIn, WSGIServer):
    """A threaded server that, like production WSGI servers, closes each response as soon
    as its last byte is written, so what runs on close (mail sent after the response) runs
    then. werkzeug's development server first drains the socket, which can wait on the
    browser."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def live_server(app, live_socket, live_port):
    """Serve the test app on 127.0.0.1 for the duration of a test; yields its base URL."""
    live_socket.set_app(app)
    thread = threading.Thread(target=live_socket.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{live_port}"
    live_socket.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}}
