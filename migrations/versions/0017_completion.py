"""completion needs both sides: each side's mark and the last dispute

An engagement is completed in two steps: one side marks it completed (the status becomes
``completed`` and ``completed_at`` is that moment), then the other side confirms it or
disputes it within 14 days. ``member_completed_at`` and ``institution_completed_at`` record
each side's mark; ``completion_disputed_at`` the last dispute, which sends the engagement
back to ``accepted``.

Upgrade: engagements already completed were marked under the old one-click rule, which let
either side close the engagement with no objection possible; they have stood unchallenged
since, so they are treated as confirmed by both sides (both marks set to the moment they
were completed) and keep counting publicly.

Downgrade drops the three columns; completed engagements stay completed.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

COLUMNS = ("member_completed_at", "institution_completed_at", "completion_disputed_at")


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.DateTime(), nullable=True))
    applications = sa.table(
        "applications",
        sa.column("status", sa.String()),
        sa.column("completed_at", sa.DateTime()),
        sa.column("updated_at", sa.DateTime()),
        sa.column("member_completed_at", sa.DateTime()),
        sa.column("institution_completed_at", sa.DateTime()),
    )
    when = sa.func.coalesce(applications.c.completed_at, applications.c.updated_at)
    op.execute(
        applications.update()
        .where(applications.c.status == "completed")
        .values(completed_at=when, member_completed_at=when, institution_completed_at=when)
    )


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
