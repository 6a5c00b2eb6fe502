"""follow-ups after an engagement: each side asked 3, 6 and 12 months after completion

Adds ``follow_ups``: one row per confirmed engagement, side (member or institution) and
step (3, 6 or 12 months), unique on the three, so the daily command may run twice or in
two processes at once and still ask once. A row records when it was due, sent or skipped
(and why), answered and by whom, and the answers. Two covering indexes serve the impact
figures (follow-ups sent, and answers given, in a period). Downgrade drops the table.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07 06:42:51.264420

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.Enum('member', 'institution', name='followupside', native_enum=False, length=12), nullable=False),
    sa.Column('step', sa.SmallInteger(), nullable=False),
    sa.Column('asked_id', sa.Integer(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('skipped', sa.Enum('later_step', 'nobody', name='followupskip', native_enum=False, length=12), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('in_contact', sa.Boolean(), nullable=True),
    sa.Column('transferred', sa.Enum('yes', 'partly', 'no', name='transferred', native_enum=False, length=8), nullable=True),
    sa.Column('follow_on', sa.Enum('yes', 'planned', 'no', name='followon', native_enum=False, length=8), nullable=True),
    sa.Column('what_changed', sa.String(length=2000), nullable=False),
    sa.CheckConstraint('step IN (3, 6, 12)', name=op.f('ck_follow_ups_step_known')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_follow_ups_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_follow_ups_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['asked_id'], ['users.id'], name=op.f('fk_follow_ups_asked_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('application_id', 'side', 'step', name='uq_follow_ups_application_side_step')
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_answers', ['answered_at', 'step', 'in_contact', 'transferred', 'follow_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_asked_id'), ['asked_id'], unique=False)
        batch_op.create_index('ix_follow_ups_sent_at_step', ['sent_at', 'step'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_sent_at_step')
        batch_op.drop_index(batch_op.f('ix_follow_ups_asked_id'))
        batch_op.drop_index('ix_follow_ups_answers')

    op.drop_table('follow_ups')
