"""Two networks on one machine: a second instance of the app, in its own process with its
own database and instance folder, serves its real project feed on a loopback port; this
app follows it, imports its projects with ``flask networks refresh``, sees a project
unpublished there disappear, keeps its projects while the other network is down, and
removes everything when it stops following."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import FollowedNetwork, RemoteProject
from tests.conftest import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.search_index]

SETUP = """
from diaspora import create_app
from diaspora.extensions import db
from diaspora.models import ProjectStatus, Role
from tests.factories import make_institution, make_project, new_user

app = create_app()
with app.app_context():
    rep = new_user(Role.INSTITUTION, email="rep@second.example", name="Awa Diop")
    institution = make_institution(rep, name="Hôpital Principal de Dakar")
    make_project(institution, status=ProjectStatus.PUBLISHED, title="Training midwives",
                 country="SN", region="Dakar")
    make_project(institution, status=ProjectStatus.PUBLISHED, title="Setting up a laboratory",
                 country="SN", region="Thiès", sector="health")
    make_project(institution, status=ProjectStatus.DRAFT, title="A draft nobody sees")
"""

UNPUBLISH = """
import sqlalchemy as sa
from diaspora import create_app
from diaspora.extensions import db
from diaspora.models import Project, Role, User
from diaspora.services import projects

app = create_app()
with app.test_request_context(base_url=app.config["SITE_URL"]):  # mail links need a host
    coordinator = User(name="Coordinator", email="coord@second.example", role=Role.COORDINATOR)
    coordinator.set_password("correct horse battery staple")
    db.session.add(coordinator)
    project = db.session.scalar(sa.select(Project).where(Project.title == "Training midwives"))
    projects.unpublish(coordinator, project, "The dates are changing.")
    db.session.commit()
"""


class SecondNetwork:
    """The other network: its environment, commands run in it, and its web server."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.env = {
            **os.environ,
            "DIASPORA_ENV": "development",
            "DIASPORA_INSTANCE_PATH": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'second.sqlite'}",
            "SEARCH_INDEX_DIR": str(folder / "search"),
            "MAIL_FILE_DIR": str(folder / "mail"),
            "SITE_NAME": "Dakar Diaspora",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST": "8",
            "ARGON2_PARALLELISM": "1",
            "FLASK_APP": "wsgi",
            "HOME": str(folder),
        }
        self.server = None

    def run(self, *args: str) -> None:
        done = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]

    def script(self, code: str) -> None:
        self.run(sys.executable, "-c", textwrap.dedent(code))

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.folder / "gunicorn.log", "ab") as log:
            self.server = subprocess.Popen(
                [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, timeout=90)

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)
            self.server = None

    @property
    def feed_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feeds/projects.json"


@pytest.fixture
def second(tmp_path):
    network = SecondNetwork(tmp_path / "second")
    network.folder.mkdir()
    network.run(str(Path(sys.executable).with_name("flask")), "db", "upgrade")
    network.script(SETUP)
    network.start()
    yield network
    network.stop()


def titles() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(RemoteProject.title)))


def searched(client, runner, words: str) -> str:
    """This network's search page for ``words`` as text without tags, once the pending
    search changes are in (links kept: ``href`` values stay)."""
    assert runner.invoke(args=["search", "apply"]).exit_code == 0
    html = client.get("/search", query_string={"q": words}).get_data(as_text=True)
    return " ".join(re.sub(r"<(?!a )[^>]+>", " ", html).split())


def test_a_network_follows_another_instance_s_real_feed(app, client, runner, second):
    app.config.update(FEDERATION_ALLOWED_NETWORKS=["127.0.0.0/8"])

    # The other network's bare address is enough: its JSON Feed is what gets followed.
    followed = runner.invoke(args=["networks", "follow", f"http://127.0.0.1:{second.port}"])
    assert followed.exit_code == 0 and second.feed_url in followed.output, followed.output
    first = runner.invoke(args=["networks", "refresh"])
    assert first.exit_code == 0 and "2 added" in first.output, first.output
    assert titles() == ["Setting up a laboratory", "Training midwives"]
    network = db.session.scalar(sa.select(FollowedNetwork))
    assert network.name == "Dakar Diaspora"  # its SITE_NAME, not its feed's title
    remote = db.session.scalar(
        sa.select(RemoteProject).where(RemoteProject.title == "Setting up a laboratory")
    )
    assert remote.url.startswith(f"http://127.0.0.1:{second.port}/")
    assert (remote.country, remote.region, remote.sector) == ("SN", "Thiès", "health")
    assert remote.institution_name == "Hôpital Principal de Dakar"
    page = searched(client, runner, "laboratory")
    assert "Setting up a laboratory" in page
    assert f"Shared by Dakar Diaspora · 127.0.0.1:{second.port}" in page
    assert f"Read and apply on 127.0.0.1:{second.port}" in page
    assert f'href="http://127.0.0.1:{second.port}/projects/' in page

    again = runner.invoke(args=["networks", "refresh"])
    assert again.exit_code == 0 and titles() == ["Setting up a laboratory", "Training midwives"]

    second.script(UNPUBLISH)
    after = runner.invoke(args=["networks", "refresh"])
    assert after.exit_code == 0 and "1 removed" in after.output, after.output
    assert titles() == ["Setting up a laboratory"]
    assert "Training midwives" not in searched(client, runner, "midwives")

    second.stop()
    down = runner.invoke(args=["networks", "refresh"])
    assert down.exit_code == 0, down.output
    assert "failed (The server could not be reached.)" in down.output
    db.session.expire_all()
    network = db.session.scalar(sa.select(FollowedNetwork))
    assert network.failures == 1 and network.last_error == "connect"
    assert titles() == ["Setting up a laboratory"]

    gone = runner.invoke(args=["networks", "unfollow", str(network.id)])
    assert gone.exit_code == 0 and "1 project(s) removed" in gone.output
    assert titles() == []
    assert "Setting up a laboratory" not in searched(client, runner, "laboratory")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowedNetwork)) == 0
