"""outbox claim stages

Who holds a claim and whether the message was handed to the SMTP server, so a claim left
by a dead worker is requeued or shown for a check; when a message was last tried.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('handed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('handed_at')
        batch_op.drop_column('claimed_by')
