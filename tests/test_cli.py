"""Flask commands: users, demo data."""

import sqlalchemy as sa

from diaspora.models import Role, User


def test_users_create_and_list(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "coordinator",
            "--email",
            "Coord@Example.org",
            "--name",
            "Leila Haddad",
            "--password",
            "a long coordinator phrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "coord@example.org" and user.role == Role.COORDINATOR
    assert user.is_confirmed
    listing = runner.invoke(args=["users", "list"])
    assert "coord@example.org" in listing.output and "coordinator" in listing.output


def test_users_create_refuses_duplicates_and_weak_passwords(runner, db):
    args = ["users", "create", "--role", "admin", "--email", "a@example.org", "--name", "A"]
    assert runner.invoke(args=[*args, "--password", "password"]).exit_code != 0
    assert runner.invoke(args=[*args, "--password", "a fine long phrase"]).exit_code == 0
    again = runner.invoke(args=[*args, "--password", "a fine long phrase"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_demo_load_is_idempotent_and_prints_logins(runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(sa.select(sa.func.count(User.id)))
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == count
    assert "coordinator@demo.diaspora.example" in second.output
    assert "password" in second.output
    roles = set(db.session.scalars(sa.select(User.role)).all())
    assert roles == {Role.COORDINATOR, Role.ADMIN, Role.INSTITUTION, Role.MEMBER}
