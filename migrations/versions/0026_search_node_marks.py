"""Search node marks and prune marks

``search_node_marks`` holds, per node (``SEARCH_NODE_NAME``) and index, the change id its
copy of the index has applied through, the mark the copy held then, and when the node last
recorded it. ``search_prune_marks`` holds, per index, how far its change log has been
pruned. Both start empty: nodes record their marks when their search worker runs.

Downgrade drops both tables.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_node_marks',
        sa.Column('node', sa.String(length=255), nullable=False),
        sa.Column('index', sa.String(length=20), nullable=False),
        sa.Column('applied_through', sa.BigInteger(), nullable=False),
        sa.Column('index_mark', sa.BigInteger(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('node', 'index', name=op.f('pk_search_node_marks')),
    )
    op.create_table(
        'search_prune_marks',
        sa.Column('index', sa.String(length=20), nullable=False),
        sa.Column('pruned_through', sa.BigInteger(), nullable=False),
        sa.Column('pruned_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('index', name=op.f('pk_search_prune_marks')),
    )


def downgrade():
    op.drop_table('search_prune_marks')
    op.drop_table('search_node_marks')
