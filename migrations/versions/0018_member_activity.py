"""member activity by month, and indexes for the impact figures

``member_activity`` records the months a person was active in (signed in, applied or wrote
in an application's thread): one row per person and month, the month only (its first day),
never the moment. The impact dashboard counts active members from it.

The app records a month when the person signs in, applies or writes in an application's
thread. Upgrade creates the table and backfills what the data already shows: the month of
each account's last sign-in (``users.last_login_at``), of each application made and of each
message written. From then on the table alone answers "who was active when".

It also adds the indexes the figures read through: applications by the month they were
made with their status, project and first answer, and the history's entries by kind.

Downgrade drops the indexes and the table.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 07:00:00.000000

"""
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
applications = sa.table(
    'applications',
    sa.column('member_id', sa.Integer()),
    sa.column('created_at', sa.DateTime()),
)
messages = sa.table(
    'application_messages',
    sa.column('author_id', sa.Integer()),
    sa.column('created_at', sa.DateTime()),
)


# What the impact figures read: applications by the month they were made with their status,
# project and first answer (from the index alone, not the wide rows), and the shortlisting
# entries of the applications' history.
INDEXES = (
    (
        'applications',
        'ix_applications_figures',
        ['created_at', 'status', 'project_id', 'first_answered_at', 'decided_at'],
    ),
    ('application_messages', 'ix_application_messages_kind', ['kind', 'application_id']),
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
        batch_op.create_index('ix_member_activity_month_user', ['month', 'user_id'], unique=False)

    op.execute(activity.insert().from_select(['user_id', 'month'], _known_activity()))

    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def _month(column):
    if op.get_bind().dialect.name == 'postgresql':
        return sa.cast(sa.func.date_trunc('month', column), sa.Date)
    return sa.func.strftime('%Y-%m-01', column)


def _known_activity():
    """Every (person, month) the data shows activity in: the last sign-in, applications
    made, messages written."""
    return sa.union(
        sa.select(users.c.id, _month(users.c.last_login_at)).where(
            users.c.last_login_at.is_not(None)
        ),
        sa.select(applications.c.member_id, _month(applications.c.created_at)).where(
            applications.c.member_id.is_not(None)
        ),
        sa.select(messages.c.author_id, _month(messages.c.created_at)).where(
            messages.c.author_id.is_not(None)
        ),
    )


def downgrade():
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    with op.batch_alter_table('member_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_member_activity_month_user')
    op.drop_table('member_activity')
