"""people, listings and profiles say which language they are in

``users.language`` is the language a person reads the site and their mail in: empty for
everyone who signed up before the site spoke others (they read the page's language, and
their mail in English, until they sign in again or choose one); new accounts take the
language of the page they signed up on. ``projects.written_in`` and ``profiles.written_in`` say which
language a listing or a profile is written in, so search analyses it with that language's
stemming; existing ones were all written in English.

Downgrade drops the three columns.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    for table, column in (('projects', 'written_in'), ('profiles', 'written_in')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(column, sa.String(length=8), nullable=False, server_default='en')
            )


def downgrade():
    for table, column in (('users', 'language'), ('projects', 'written_in'),
                          ('profiles', 'written_in')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
