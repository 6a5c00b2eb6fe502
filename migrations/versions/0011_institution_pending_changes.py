"""institution pending changes

A verified institution's new name or website waits for a coordinator's review.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('pending_website', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('pending_since', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_column('pending_since')
        batch_op.drop_column('pending_website')
        batch_op.drop_column('pending_name')
