"""What one process keeps in memory and another node needs: the query thesaurus follows
changes made on another node, and rate limits survive an outage of their shared store."""

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from diaspora import create_app
from diaspora.config import ConfigurationError, limiter_storage_options
from diaspora.extensions import db as _db
from diaspora.extensions import limiter
from diaspora.models import Role, SearchChange, Skill, SkillLabel
from diaspora.search.synonyms import label_tokens
from diaspora.services import discovery, profiles
from tests.conftest import free_port, login
from tests.factories import new_user

HYDROLOGY = "Hydrology"
ROOT = Path(__file__).resolve().parent.parent


def skill_named(name: str) -> Skill:
    return _db.session.scalar(sa.select(Skill).where(Skill.key == Skill.key_for(name)))


def names_for(text: str) -> list[str]:
    """What this process's thesaurus looks for when a query has ``text``."""
    return discovery.thesaurus().alternatives(label_tokens(text))


@pytest.fixture
def other_node(app, app_config, tmp_path):
    """A second app on the same database, with its own memory and index folder: another
    node. ``other_node(change)`` runs ``change(skill)`` there on Hydrology and commits."""
    other = create_app({**app_config, "SEARCH_INDEX_DIR": str(tmp_path / "other-search")})
    profiles.load_skills_taxonomy()
    _db.session.commit()

    def run(change):
        with other.app_context():
            change(skill_named(HYDROLOGY))
            _db.session.commit()
            _db.session.remove()
        _db.session.rollback()  # this node's next request starts a new transaction

    yield run
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


def add_label(text):
    def change(skill):
        skill.labels.append(SkillLabel(label=text, key=" ".join(label_tokens(text))))

    return change


def test_the_thesaurus_follows_skill_changes_made_on_another_node(other_node):
    assert HYDROLOGY not in names_for("Gewässerkunde")
    other_node(add_label("Gewässerkunde"))
    assert HYDROLOGY in names_for("Gewässerkunde")

    def rename(skill):
        skill.name = "Hydrological science"

    other_node(rename)
    assert names_for("Gewässerkunde")[0] == "Hydrological science"

    def replace_label(skill):
        # One label removed and another added: as many labels, and on SQLite perhaps the
        # same largest id, as before.
        old = next(label for label in skill.labels if label.label == "Gewässerkunde")
        skill.labels.remove(old)
        _db.session.flush()
        skill.labels.append(SkillLabel(label="Wasserkunde", key="wasserkunde"))

    other_node(replace_label)
    assert names_for("Gewässerkunde") == []
    assert "Hydrological science" in names_for("Wasserkunde")

    def edit_label(skill):
        label = next(label for label in skill.labels if label.label == "Wasserkunde")
        label.label, label.key = "Aquakunde", "aquakunde"

    other_node(edit_label)
    assert names_for("Wasserkunde") == []
    assert "Hydrological science" in names_for("Aquakunde")

    def uncurate(skill):
        skill.curated = False

    other_node(uncurate)
    assert names_for("Aquakunde") == []

    def curate(skill):
        skill.curated = True

    other_node(curate)
    assert "Hydrological science" in names_for("Aquakunde")


def test_the_thesaurus_is_kept_while_only_other_changes_are_logged(other_node):
    first = discovery.thesaurus()

    def unrelated(skill):
        _db.session.add(SearchChange(index="projects", doc_id=1))
        skill.sector = skill.sector  # a skill touched without a change the thesaurus reads

    other_node(unrelated)
    assert discovery.thesaurus() is first
    other_node(add_label("Gewässerkunde"))
    assert discovery.thesaurus() is not first


# --------------------------------------------------------------------------- rate limits


@pytest.fixture
def limits_config(app_config):
    """Limits on, three login attempts per address; the limiter's memory of a dead store is
    the process's (the extension object is shared), so it is forgotten after the test."""
    app_config.update(RATELIMIT_ENABLED=True, RATE_LIMIT_LOGIN="3 per 5 minutes")
    yield app_config
    limiter._storage_dead = False


def wrong_login(client, email):
    return login(client, email, "wrong password!").status_code


def limiter_records(caplog):
    return [record for record in caplog.records if record.name == "flask-limiter"]


def test_login_stays_limited_when_the_shared_store_goes_down(limits_config, db, redis_url, caplog):
    limits_config["RATELIMIT_STORAGE_URI"] = redis_url
    app = create_app(limits_config)
    with app.app_context():
        user = new_user(Role.MEMBER)
        client = app.test_client()
        assert wrong_login(client, user.email) == 200  # counted in Redis
        redis.from_url(redis_url, socket_timeout=10).shutdown(nosave=True)
        with caplog.at_level(logging.INFO):
            # Counted in this process's memory from now on: no error, and still limited.
            statuses = [wrong_login(client, user.email) for _ in range(4)]
        _db.session.remove()
        _db.engine.dispose()
    assert statuses == [200, 200, 200, 429]
    records = limiter_records(caplog)
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == [
        "Rate limit storage unreachable - falling back to in-memory storage"
    ]
    assert not any(r.exc_info for r in records)


def test_a_store_that_does_not_answer_costs_a_bounded_wait(limits_config, db, stalled_smtp):
    # A server that accepts the connection and never replies, as a hung Redis would.
    limits_config.update(
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{stalled_smtp.port}",
        RATELIMIT_STORAGE_TIMEOUT=0.5,
    )
    app = create_app(limits_config)
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    with app.app_context():
        user = new_user(Role.MEMBER)
        started = time.monotonic()
        assert wrong_login(app.test_client(), user.email) == 200
        waited = time.monotonic() - started
        _db.session.remove()
        _db.engine.dispose()
    assert stalled_smtp.connected.is_set()
    assert waited < 30  # the timeout, not redis-py's default of waiting forever


def test_other_stores_get_no_socket_options():
    assert limiter_storage_options({"RATELIMIT_STORAGE_URI": "memory://"}) == {}
    configured = {
        "RATELIMIT_STORAGE_URI": "rediss://cache.internal:6380",
        "RATELIMIT_STORAGE_TIMEOUT": 1.0,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 3},
    }
    assert limiter_storage_options(configured) == {
        "socket_connect_timeout": 1.0,
        "socket_timeout": 3,
    }


def production(app_config, **changes) -> dict:
    return {
        **app_config,
        "ENV_NAME": "production",
        "SECRET_KEY": "s" * 40,
        "SITE_URL": "https://diaspora.example.org",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/db",
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "WEB_CONCURRENCY": 1,
        **changes,
    }


def test_production_as_a_cluster_needs_the_shared_limit_store(app_config):
    with pytest.raises(ConfigurationError, match="several nodes"):
        create_app(production(app_config, SEARCH_APPLY_IN_REQUESTS=False))
    shared = production(
        app_config, SEARCH_APPLY_IN_REQUESTS=False, RATELIMIT_STORAGE_URI="redis://10.0.0.5:6379"
    )
    assert create_app(shared).config["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] == 1
    # One node with one web process may count in memory.
    create_app(production(app_config, SEARCH_APPLY_IN_REQUESTS=True))


@pytest.mark.slow
def test_gunicorn_tells_the_app_how_many_workers_run(tmp_path):
    """``--workers 2`` on the command line, WEB_CONCURRENCY unset: the production check still
    sees two processes and refuses per-process counters, so gunicorn does not start."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORT")}
    env.update(
        DIASPORA_ENV="production",
        DIASPORA_INSTANCE_PATH=str(tmp_path),
        SECRET_KEY="s" * 40,
        SITE_URL="https://diaspora.example.org",
        DATABASE_URL="postgresql+psycopg://u@127.0.0.1:1/db",
        RATELIMIT_STORAGE_URI="memory://",
        HOME=str(tmp_path),
    )
    env.pop("WEB_CONCURRENCY", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    done = subprocess.run(
        [str(gunicorn), "wsgi:app", "--workers", "2", "--bind", f"127.0.0.1:{free_port()}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert b"several workers (WEB_CONCURRENCY > 1)" in done.stderr
