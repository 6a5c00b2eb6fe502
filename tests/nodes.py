"""Web nodes as separate processes on one database, and a browser to drive them.

A :class:`Node` is what one machine of a cluster runs: a gunicorn process serving ``wsgi:app``
and its search worker (``flask search apply --loop``), with its own search index and instance
folder, sharing the database and the secret key with every other node. A :class:`Browser`
talks to any node over HTTP (``http.client``, every call with a timeout), keeps its cookies
(sent to every node, as a browser sends a host's cookies whatever the port) and posts forms
with the CSRF token of the last page it read. The multi-node test and ``bench/nodes.py`` share
both.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from tests.conftest import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "one secret key shared by every node of the cluster"  # noqa: S105
#: The node's search worker (its ``--interval`` is added).
WORKER = [str(BIN / "flask"), "--app", "wsgi", "search", "apply", "--loop"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def node_environment(
    folder: Path, database_url: str, secret_key: str = SECRET_KEY, **extra: str
) -> dict[str, str]:
    """The environment of one node's processes: its own instance folder, index and mailbox,
    the cluster's database and secret key, cheap password hashing, no in-request indexing."""
    return {
        **os.environ,
        "DIASPORA_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "DIASPORA_INSTANCE_PATH": str(folder),
        "SEARCH_INDEX_DIR": str(folder / "search"),
        "MAIL_FILE_DIR": str(folder / "mail"),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "8",
        "ARGON2_PARALLELISM": "1",
        "SEARCH_APPLY_IN_REQUESTS": "0",
        "RATELIMIT_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
        "HOME": str(folder),
        "FLASK_APP": "wsgi",
        **extra,
    }


class Node:
    """One web node: gunicorn on a loopback port and its search worker.

    ``stop`` sends SIGTERM to both and waits for them to exit; ``start`` again serves on the
    same port with the same index, as a machine coming back would.
    """

    def __init__(
        self,
        name: str,
        folder: Path,
        database_url: str,
        *,
        workers: int = 1,
        interval: float = 0.1,
        secret_key: str = SECRET_KEY,
        **extra: str,
    ):
        self.name = name
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.workers = workers
        self.interval = interval
        self.env = node_environment(folder, database_url, secret_key, **extra)
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"<Node {self.name} {self.url}>"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def index_dir(self) -> Path:
        return Path(self.env["SEARCH_INDEX_DIR"])

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        with open(self.folder / log_name, "ab") as log:
            return subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def start(self, web: bool = True, worker: bool = True, wait: bool = True) -> "Node":
        """Start the search worker and the web server (those not running); with ``wait``,
        return once the server listens."""
        if worker and self.worker is None:
            self.worker = self._spawn(WORKER + ["--interval", str(self.interval)], "worker.log")
        if web and self.web is None:
            self.web = self._spawn(
                [
                    str(BIN / "gunicorn"),
                    "wsgi:app",
                    "-c",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                ],
                "web.log",
            )
            if wait:
                self.wait_listening()
        return self

    def wait_listening(self, timeout: float = 90) -> None:
        try:
            wait_for_port(self.port, timeout=timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"{self.name} did not start:\n{self.log('web.log')}") from exc

    def terminate(self) -> None:
        """Send SIGTERM to the node's processes (``stop`` also waits for them)."""
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30) -> dict[str, int]:
        """SIGTERM to the web server and the worker; wait; their exit codes by name (a
        process that outlives ``timeout`` is killed)."""
        self.terminate()
        codes = {}
        for name in ("web", "worker"):
            process = getattr(self, name)
            if process is None:
                continue
            try:
                codes[name] = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait(timeout=timeout)
            setattr(self, name, None)
        return codes

    def restart(self) -> "Node":
        self.stop()
        return self.start()

    def alive(self) -> dict[str, bool]:
        """Whether each started process is still running."""
        return {
            name: process.poll() is None
            for name in ("web", "worker")
            if (process := getattr(self, name)) is not None
        }

    def flask(self, *args: str, timeout: float = 120) -> str:
        """Run ``flask <args>`` in this node's environment; its output (fails on an error)."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            timeout=timeout,
        )
        output = (done.stdout + done.stderr).decode(errors="replace")
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} on {self.name} failed:\n{output[-3000:]}")
        return output

    def log(self, name: str = "worker.log", tail: int = 3000) -> str:
        path = self.folder / name
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str
    url: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Browser:
    """A person's browser: cookies kept across nodes, forms posted with their CSRF token."""

    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None

    def copy(self) -> "Browser":
        """Another browser holding the same cookies (a stolen or copied session)."""
        return Browser(self.timeout, dict(self.cookies), self.csrf)

    def request(self, base: str, method: str, path: str, data=None) -> Response:
        parts = urllib.parse.urlsplit(base)
        headers = {"Accept-Language": "en"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            text = reply.read().decode(errors="replace")
        finally:
            connection.close()
        self._keep_cookies(reply.headers.get_all("Set-Cookie") or [])
        found = CSRF.search(text)
        if found:
            self.csrf = found.group(1) or found.group(2)
        return Response(reply.status, reply.headers, text, base + path)

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if expired or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, base: str, path: str, follow: bool = True) -> Response:
        """GET ``path`` on the node at ``base``, following redirects on that node."""
        response = self.request(base, "GET", path)
        for _hop in range(5):
            if not (follow and response.status in (301, 302, 303, 307, 308)):
                break
            target = urllib.parse.urlsplit(response.location)
            path = target.path + (f"?{target.query}" if target.query else "")
            response = self.request(base, "GET", path)
        return response

    def post(self, base: str, path: str, data: dict | None = None) -> Response:
        """POST a form with the CSRF token of the last page read (not following redirects)."""
        return self.request(base, "POST", path, {"csrf_token": self.csrf or "", **(data or {})})

    def sign_in(self, base: str, email: str, password: str) -> None:
        self.get(base, "/login")
        answer = self.post(base, "/login", {"email": email, "password": password})
        if answer.status != 302:
            raise AssertionError(f"signing in {email} on {base} failed: {answer.status}")
        self.get(base, urllib.parse.urlsplit(answer.location).path or "/")

    def sign_out(self, base: str) -> None:
        answer = self.post(base, "/logout")
        if answer.status != 302:
            raise AssertionError(f"signing out on {base} failed: {answer.status}")


def stop_all(nodes: list[Node]) -> None:
    """Stop several nodes at once: SIGTERM to all, then wait for each."""
    for node in nodes:
        node.terminate()
    for node in nodes:
        node.stop()


def wait_until(check, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``check`` every ``interval`` until it returns something true; return it and the
    seconds it took. Raises AssertionError naming ``what`` after ``timeout`` seconds."""
    started = time.monotonic()
    while True:
        result = check()
        elapsed = time.monotonic() - started
        if result:
            return result, elapsed
        if elapsed > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)
