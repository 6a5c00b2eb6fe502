"""member activity by month, and indexes for the impact figures

``member_activity`` records the months a person was active in (signed in, applied or wrote
in an application's thread): one row per person and month, the month only (its first day),
never the moment. The impact dashboard counts active members from it.

Upgrade creates the table and backfills one row per account from ``users.last_login_at``
(the only activity known before: the month of the last sign-in).

Downgrade drops the table and the indexes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 07:00:00.000000

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

users = sa.table(
    'users',
    sa.column('id', sa.Integer()),
    sa.column('last_login_at', sa.DateTime()),
)


def upgrade():
    activity = op.create_table(
        'member_activity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_member_activity_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_activity')),
        sa.UniqueConstraint('user_id', 'month', name='uq_member_activity_month'),
    )
    with op.batch_alter_table('member_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_activity_month'), ['month'], unique=False)

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.last_login_at).where(users.c.last_login_at.is_not(None))
    )
    batch = []
    for user_id, last_login_at in rows:
        batch.append({'user_id': user_id, 'month': date(last_login_at.year, last_login_at.month, 1)})
        if len(batch) == 5000:
            op.bulk_insert(activity, batch)
            batch = []
    if batch:
        op.bulk_insert(activity, batch)


def downgrade():
    with op.batch_alter_table('member_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_activity_month'))
    op.drop_table('member_activity')
