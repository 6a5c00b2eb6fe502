"""The migrations build the schema the models describe."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from diaspora import create_app
from diaspora.extensions import db
from tests.conftest import PG_URL, _base_config


def test_upgrade_from_empty_to_head_matches_models(tmp_path, migrated_database):
    url = migrated_database if PG_URL else f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    app = create_app(_base_config(tmp_path, url))
    with app.app_context():
        if PG_URL:
            # The shared test database is already at head: check it is, then compare.
            upgrade()
        else:
            assert not sa.inspect(db.engine).get_table_names()
            upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
