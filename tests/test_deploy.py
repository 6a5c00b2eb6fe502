"""The deployment files stay true to the code: every process the Procfile and the systemd units
start is a command the app has, the units are well-formed, and gunicorn stops gracefully."""

import configparser
import http.client
import json
import os
import re
import runpy
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import _database_copy, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
VENV_BIN = "/srv/diaspora/.venv/bin/"
LONG_RUNNING = ("diaspora-web", "diaspora-mail", "diaspora-search")


def procfile() -> dict[str, str]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = command.strip()
    return processes


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


def service_units() -> list[str]:
    return sorted(path.name for path in UNITS.glob("*.service"))


def exec_starts() -> list[str]:
    return [unit(name)["Service"]["ExecStart"] for name in service_units()]


def flask_args(command: str) -> list[str] | None:
    """The arguments after ``flask --app wsgi`` of a command line, or None for another
    program."""
    words = shlex.split(command)
    program = words[0].removeprefix(VENV_BIN)
    if program != "flask":
        return None
    assert words[1:3] == ["--app", "wsgi"], command
    return words[3:]


def test_the_procfile_names_each_process_type():
    processes = procfile()
    assert set(processes) == {"web", "mail", "search", "jobs"}
    assert processes["web"] == "gunicorn wsgi:app"


def test_the_systemd_units_are_the_expected_ones():
    assert service_units() == [
        f"{name}.service" for name in sorted((*LONG_RUNNING, "diaspora-jobs"))
    ]
    assert sorted(path.name for path in UNITS.glob("*.timer")) == ["diaspora-jobs.timer"]


@pytest.mark.parametrize("name", [f"{name}.service" for name in LONG_RUNNING])
def test_long_running_units_restart_and_stop_gracefully(name):
    service = unit(name)["Service"]
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) >= 30
    assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize(
    "name",
    [
        "diaspora-web.service",
        "diaspora-mail.service",
        "diaspora-search.service",
        "diaspora-jobs.service",
    ],
)
def test_each_unit_runs_as_the_service_user_with_the_site_s_environment(name):
    parsed = unit(name)
    assert parsed["Unit"]["Description"]
    service = parsed["Service"]
    assert service["User"] == "diaspora"
    assert service["WorkingDirectory"] == "/srv/diaspora"
    assert service["EnvironmentFile"] == "/etc/diaspora.env"
    assert service["ExecStart"].startswith(VENV_BIN)
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    # The one place they write: the instance folder (search index, mail files, secret key).
    assert service["ReadWritePaths"] == "/srv/diaspora/instance"
    assert service["PrivateTmp"] == "yes"


def test_the_web_unit_outlasts_gunicorn_s_graceful_timeout():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    service = unit("diaspora-web.service")["Service"]
    assert int(service["TimeoutStopSec"]) > settings["graceful_timeout"]
    assert service["KillMode"] == "mixed"  # SIGTERM to the master; it stops its workers


def test_the_timer_starts_a_pass_of_the_jobs_every_minute():
    timer = unit("diaspora-jobs.timer")
    assert timer["Timer"]["OnCalendar"] == "minutely"
    assert timer["Install"]["WantedBy"] == "timers.target"
    jobs = unit("diaspora-jobs.service")["Service"]
    assert jobs["Type"] == "oneshot"
    assert flask_args(jobs["ExecStart"]) == ["jobs", "run"]


# Each command line once, whichever file names it (units give the full path of the program).
COMMANDS = sorted({c.removeprefix(VENV_BIN) for c in (*procfile().values(), *exec_starts())})


@pytest.mark.parametrize("command", [c for c in COMMANDS if flask_args(c) is not None])
def test_each_worker_command_exists_with_its_options(runner, command):
    result = runner.invoke(args=[*flask_args(command), "--help"])
    assert result.exit_code == 0, f"{command}: {result.output}"
    assert result.output.startswith("Usage:")


def node_environment(folder: Path, database_url: str) -> dict[str, str]:
    """The environment of one web node run from the repository, as a supervisor gives it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DIASPORA_", "DATABASE_", "SEARCH_", "MAIL_", "PORT"))
    }
    env.update(
        DIASPORA_ENV="development",
        DIASPORA_INSTANCE_PATH=str(folder),
        DATABASE_URL=database_url,
        SEARCH_INDEX_DIR=str(folder / "search"),
        MAIL_FILE_DIR=str(folder / "mail"),
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="8",
        ARGON2_PARALLELISM="1",
        RATELIMIT_ENABLED="0",
        WEB_CONCURRENCY="1",
        FLASK_APP="wsgi",
        HOME=str(folder),
    )
    return env


@pytest.mark.slow
def test_gunicorn_loads_its_settings_and_the_app(tmp_path, migrated_database):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = node_environment(tmp_path, _database_copy(tmp_path, migrated_database))
    for command in COMMANDS:
        if flask_args(command) is None:
            words = shlex.split(command)
            assert words[0] == "gunicorn", command
            done = subprocess.run(
                [str(gunicorn), *words[1:], "--check-config"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]


def test_gunicorn_binds_the_platform_s_port_when_given(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == "127.0.0.1:8000"
    monkeypatch.setenv("PORT", "5123")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == "0.0.0.0:5123"  # noqa: S104


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _wait_for_line(path: Path, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{text!r} never logged"
        time.sleep(0.05)


@pytest.mark.slow
def test_sigterm_lets_the_request_in_flight_finish(tmp_path, migrated_database):
    """gunicorn as the Procfile starts it (settings from gunicorn.conf.py, port from $PORT):
    a login whose body is still arriving when the master gets SIGTERM is answered in full,
    then the master exits 0."""
    port = free_port()
    env = {
        **node_environment(tmp_path, _database_copy(tmp_path, migrated_database)),
        "PORT": str(port),
    }
    log_path = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log_path.open("wb") as log:
        master = subprocess.Popen(
            [str(gunicorn), *shlex.split(procfile()["web"])[1:]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, timeout=90)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/login", timeout=60) as page:
            html = page.read().decode()
            cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode(
            {"csrf_token": token, "email": "nobody@example.org", "password": "wrong password!"}
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(
                b"POST /login HTTP/1.1\r\n"
                + f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n".encode()
                + b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(body)}\r\n".encode()
                + b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
            )
            # A worker has taken the request and waits for its body.
            assert b"100 Continue" in _read_until(sock, b"100 Continue\r\n\r\n")
            master.send_signal(signal.SIGTERM)
            _wait_for_line(log_path, "Handling signal: term")
            time.sleep(0.5)  # the master passes SIGTERM on to its worker
            sock.sendall(body)
            answer = _read_until(sock, b"</html>")
        assert master.wait(timeout=60) == 0
    finally:
        if master.poll() is None:
            master.kill()
            master.wait(timeout=30)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 200 OK", answer[:500]
    assert b"</html>" in answer
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text


@pytest.mark.slow
def test_sigterm_lets_mail_sent_after_a_response_finish(
    tmp_path, migrated_database, db, stalled_smtp
):
    """A reset request's mail goes out after its response; the SMTP server does not answer.
    SIGTERM then: the worker waits out MAIL_REQUEST_TIMEOUT, records the failed attempt and
    leaves the message queued for the mail worker (not claimed by a dead process), and the
    master exits 0."""
    database_url = _database_copy(tmp_path, migrated_database)
    port = free_port()
    env = {
        **node_environment(tmp_path, database_url),
        "PORT": str(port),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(stalled_smtp.port),
        "MAIL_REQUEST_TIMEOUT": "2",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with (tmp_path / "gunicorn.log").open("wb") as log:
        master = subprocess.Popen(
            [str(gunicorn), *shlex.split(procfile()["web"])[1:]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, timeout=90)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/forgot", timeout=60) as page:
            html = page.read().decode()
            cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "POST",
            "/forgot",
            body=urllib.parse.urlencode({"csrf_token": token, "email": "someone@example.org"}),
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 302
        assert stalled_smtp.connected.wait(60), "the mail was never sent after the response"
        master.send_signal(signal.SIGTERM)
        assert master.wait(timeout=60) == 0
        connection.close()
    finally:
        if master.poll() is None:
            master.kill()
            master.wait(timeout=30)
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        status, attempts, claim, error = conn.execute(
            sa.text(
                "SELECT status, attempts, claim_token, last_error FROM outbox_messages "
                "WHERE recipient = 'someone@example.org'"
            )
        ).one()
    engine.dispose()
    assert (status, attempts, claim) == ("queued", 1, None)
    assert "timeout" in error


def compose_services() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]


def test_the_compose_file_runs_the_procfile_s_processes():
    services = compose_services()
    app_services = {name: s for name, s in services.items() if s.get("image") == "diaspora"}
    commands = {name: shlex.join(s["command"]) for name, s in app_services.items()}
    assert commands.pop("migrate") == "flask --app wsgi db upgrade"
    assert set(commands.values()) == set(procfile().values())
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert f"CMD {json.dumps(shlex.split(procfile()['web']))}" in dockerfile


def test_each_compose_node_has_its_own_index_and_one_search_worker():
    services = compose_services()
    volume_of = {name: s.get("volumes", [None])[0] for name, s in services.items()}
    webs = [name for name, s in services.items() if s.get("command") == ["gunicorn", "wsgi:app"]]
    searches = [name for name, s in services.items() if "search" in s.get("command", [])]
    assert len(webs) == 2
    assert sorted(volume_of[name] for name in webs) == sorted(volume_of[n] for n in searches)
    assert len({volume_of[name] for name in webs}) == len(webs)
    settings = [services[name]["environment"] for name in (*webs, *searches, "mail", "jobs")]
    for shared in ("SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI"):
        assert len({environment[shared] for environment in settings}) == 1, shared
    assert all(environment["SEARCH_APPLY_IN_REQUESTS"] == "false" for environment in settings)
    assert settings[0]["RATELIMIT_STORAGE_URI"].startswith("redis://")
