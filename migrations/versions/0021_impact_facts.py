"""summary rows of the impact figures, and when they were computed

``impact_facts`` holds the impact dashboard's figures summed at the finest grain any filter
needs (figure, month, institution, country, sector, key or wait bucket); ``flask report
refresh`` recomputes them from the live tables. ``impact_state`` is one row: when they were
computed (empty until the first refresh) and the public figures of that moment. The pages
read these instead of scanning every application.

Downgrade drops both tables.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'impact_facts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('figure', sa.String(length=40), nullable=False),
        sa.Column('month', sa.Date(), nullable=True),
        sa.Column('previous_month', sa.Date(), nullable=True),
        sa.Column('institution_id', sa.Integer(), nullable=True),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('sector', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=True),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_facts')),
    )
    with op.batch_alter_table('impact_facts', schema=None) as batch_op:
        batch_op.create_index('ix_impact_facts_figure_month', ['figure', 'month'], unique=False)
        batch_op.create_index('ix_impact_facts_figure_country', ['figure', 'country'], unique=False)
        batch_op.create_index('ix_impact_facts_figure_sector', ['figure', 'sector'], unique=False)
        batch_op.create_index(
            'ix_impact_facts_figure_institution', ['figure', 'institution_id'], unique=False
        )
    state = op.create_table(
        'impact_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=True),
        sa.Column('public', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_state')),
    )
    op.bulk_insert(state, [{'id': 1, 'computed_at': None, 'public': ''}])


def downgrade():
    op.drop_table('impact_state')
    with op.batch_alter_table('impact_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_impact_facts_figure_institution')
        batch_op.drop_index('ix_impact_facts_figure_sector')
        batch_op.drop_index('ix_impact_facts_figure_country')
        batch_op.drop_index('ix_impact_facts_figure_month')
    op.drop_table('impact_facts')
