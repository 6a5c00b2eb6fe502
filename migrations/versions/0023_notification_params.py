"""notifications keep the values their line shows, to word it in the reader's language

``notifications.params`` holds, as plain JSON data, the values the event's pattern shows
(titles and names as written, words to translate as their msgid, dates as ISO dates), so
the list and the applications dashboards word each line again in the language of the page.
Existing rows have none and keep showing their stored ``message``.

Downgrade drops the column.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('params')
