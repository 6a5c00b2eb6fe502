"""profiles remember when their member was last reminded to keep them current

``profiles.reminder_sent_at`` is when ``flask profiles remind-stale`` (or a coordinator's
one-click reminder) last asked the member to confirm or update a listed or public profile
that nobody touched for six months; a member is asked at most once per 60 days. The column
is empty for every existing profile: nobody has been reminded yet.

Downgrade drops the column.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_sent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('reminder_sent_at')
