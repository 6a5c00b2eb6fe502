"""application history and interviews

Every decision is kept in the application's history: ``application_messages`` gains
``kind`` (``message``, a decision named by the status it set, or an interview step) and a
decision's message becomes one of its entries instead of ``applications.decision_message``,
which the next decision used to overwrite.

Upgrade copies each non-empty ``decision_message`` into the history as an entry from the
institution, written by whoever recorded the decision, at the time of the decision; its
kind is the decision the message came with (the status it set: accepted for an accepted or
completed application, declined for a declined one, shortlisted otherwise, since a
withdrawn or closed application was at most shortlisted). Then the column goes.

Downgrade puts the latest decision entry's message back into ``decision_message`` and
removes the decision and interview entries.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-07 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

KINDS = (
    'message', 'shortlisted', 'accepted', 'declined',
    'interview_proposed', 'interview_agreed', 'interview_other_times',
)
DECISIONS = ('shortlisted', 'accepted', 'declined')

applications = sa.table(
    'applications',
    sa.column('id', sa.Integer()),
    sa.column('status', sa.String()),
    sa.column('decision_message', sa.Text()),
    sa.column('decided_by_id', sa.Integer()),
    sa.column('decided_at', sa.DateTime()),
    sa.column('first_answered_at', sa.DateTime()),
    sa.column('updated_at', sa.DateTime()),
)
messages = sa.table(
    'application_messages',
    sa.column('id', sa.Integer()),
    sa.column('application_id', sa.Integer()),
    sa.column('author_id', sa.Integer()),
    sa.column('from_institution', sa.Boolean()),
    sa.column('kind', sa.String()),
    sa.column('body', sa.Text()),
    sa.column('created_at', sa.DateTime()),
)


def _decision_of(status):
    if status in ('accepted', 'completed'):
        return 'accepted'
    if status == 'declined':
        return 'declined'
    return 'shortlisted'


def upgrade():
    with op.batch_alter_table('application_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'kind',
            sa.Enum(*KINDS, name='messagekind', native_enum=False, length=24),
            server_default='message',
            nullable=False,
        ))

    conn = op.get_bind()
    rows = conn.execute(
        sa.select(applications).where(applications.c.decision_message != '')
    ).all()
    if rows:
        conn.execute(messages.insert(), [
            {
                'application_id': row.id,
                'author_id': row.decided_by_id,
                'from_institution': True,
                'kind': _decision_of(row.status),
                'body': row.decision_message,
                'created_at': row.decided_at or row.first_answered_at or row.updated_at,
            }
            for row in rows
        ])

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('decision_message')


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'decision_message', sa.Text(), server_default='', nullable=False
        ))

    conn = op.get_bind()
    latest = {}
    for row in conn.execute(
        sa.select(messages)
        .where(messages.c.kind.in_(DECISIONS))
        .order_by(messages.c.created_at, messages.c.id)
    ):
        latest[row.application_id] = row.body
    for application_id, body in latest.items():
        conn.execute(
            applications.update()
            .where(applications.c.id == application_id)
            .values(decision_message=body)
        )
    conn.execute(messages.delete().where(messages.c.kind != 'message'))

    with op.batch_alter_table('application_messages', schema=None) as batch_op:
        batch_op.drop_column('kind')
