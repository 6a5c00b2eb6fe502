"""application history, interviews and mail attachments

Every decision is kept in the application's history: ``application_messages`` gains
``kind`` (``message``, a decision named by the status it set, or an interview step) and a
decision's message becomes one of its entries instead of ``applications.decision_message``,
which the next decision used to overwrite.

Upgrade copies each non-empty ``decision_message`` into the history as an entry from the
institution, written by whoever recorded the decision, at the time of the decision; its
kind is the decision the message came with (the status it set: accepted for an accepted or
completed application, declined for a declined one, shortlisted otherwise, since a
withdrawn or closed application was at most shortlisted). Then the column goes.

The optional interview step gets ``interview_proposals`` (a set of times proposed by a
representative, with the zone they were proposed in, the duration and the place) and
``interview_slots`` (each start time, in UTC, and whether the member chose it). Outbox
messages gain ``attachments`` (the calendar file of an agreed interview).

Downgrade drops the interview tables and the attachments, puts the latest decision entry's message back into ``decision_message`` and
removes the decision and interview entries.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
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

    op.create_table('interview_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'agreed', 'other_times', 'replaced', name='interviewstatus', native_enum=False, length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('duration_minutes >= 15 AND duration_minutes <= 480', name=op.f('ck_interview_proposals_duration_in_range')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_interview_proposals_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_interview_proposals_proposed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_proposals'))
    )
    with op.batch_alter_table('interview_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_proposals_application_id'), ['application_id'], unique=False)

    op.create_table('interview_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('chosen', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['interview_proposals.id'], name=op.f('fk_interview_slots_proposal_id_interview_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_slots'))
    )
    with op.batch_alter_table('interview_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_slots_proposal_id'), ['proposal_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('attachments')
    with op.batch_alter_table('interview_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_slots_proposal_id'))
    op.drop_table('interview_slots')
    with op.batch_alter_table('interview_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_proposals_application_id'))
    op.drop_table('interview_proposals')

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
