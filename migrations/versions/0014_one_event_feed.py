"""one event feed: notifications replace application updates

Every event about an application was written twice, as an ``application_updates`` row for
the applications dashboards and a ``notifications`` row for the notification list, each with
its own read state. Notifications become the only record of an event: they gain ``event``
(the event kind that worded them) and ``application_id`` (the application the event is
about; the row goes when the application is deleted), and ``application_updates`` goes.

Upgrade pairs each update with the notification written for the same event: same person, a
link to the same application, the category the update's kind was notified under, written
within a minute of the update (both rows were added in one flush since notifications exist).
The notification takes the event kind and the application, and counts as read if either
copy was read. An update without such a notification (written before notifications
existed) is copied in as a notification worded as the dashboard showed it. Notifications
about applications deleted before this revision keep no ``application_id``.

Downgrade recreates ``application_updates`` from the notifications about an application and
drops the two columns.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 10:00:00.000000

"""
import re
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# The update kinds of revision 0013, the category each was notified under, and what the
# dashboard said (``{title}`` is the project title).
CATEGORY = {
    "new_application": "new_application",
    "withdrawn": "new_application",
    "shortlisted": "application_update",
    "accepted": "application_update",
    "declined": "application_update",
    "closed": "application_update",
    "message": "message",
    "reminder": "reminder",
    "completed": "team",
}
DASHBOARD_TEXT = {
    "new_application": "New application to {title}",
    "withdrawn": "An application to {title} was withdrawn",
    "shortlisted": "You are shortlisted for {title} (not yet decided)",
    "accepted": "You are accepted on {title}",
    "declined": "You were not selected for {title}",
    "message": "New message about {title}",
    "closed": "{title} closed before a decision on your application",
    "reminder": "An application to {title} has waited more than 5 days",
    "completed": "The engagement on {title} is marked completed",
}
PAIR_WITHIN = timedelta(minutes=1)
APPLICATION_LINK = re.compile(r"/applications/(\d+)$")

notifications = sa.table(
    'notifications',
    sa.column('id', sa.Integer()),
    sa.column('user_id', sa.Integer()),
    sa.column('kind', sa.String()),
    sa.column('event', sa.String()),
    sa.column('application_id', sa.Integer()),
    sa.column('message', sa.String()),
    sa.column('link', sa.String()),
    sa.column('created_at', sa.DateTime()),
    sa.column('read_at', sa.DateTime()),
)
updates = sa.table(
    'application_updates',
    sa.column('id', sa.Integer()),
    sa.column('application_id', sa.Integer()),
    sa.column('recipient_id', sa.Integer()),
    sa.column('kind', sa.String()),
    sa.column('created_at', sa.DateTime()),
    sa.column('read_at', sa.DateTime()),
)
applications = sa.table(
    'applications', sa.column('id', sa.Integer()), sa.column('project_id', sa.Integer())
)
projects = sa.table('projects', sa.column('id', sa.Integer()), sa.column('title', sa.String()))


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_application_id_applications'), 'applications', ['application_id'], ['id'], ondelete='CASCADE')

    _carry_updates_over(op.get_bind())

    with op.batch_alter_table('application_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_updates_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_application_updates_created_at'))
        batch_op.drop_index(batch_op.f('ix_application_updates_application_id'))

    op.drop_table('application_updates')


def _carry_updates_over(bind):
    """Mark each update's twin notification with its event, or copy the update in."""
    rows = bind.execute(
        sa.select(
            updates.c.application_id,
            updates.c.recipient_id,
            updates.c.kind,
            updates.c.created_at,
            updates.c.read_at,
            projects.c.title,
        )
        .select_from(updates)
        .join(applications, applications.c.id == updates.c.application_id)
        .join(projects, projects.c.id == applications.c.project_id)
        .order_by(updates.c.created_at, updates.c.id)
    ).all()
    if not rows:
        return
    twins = {}
    for note in bind.execute(
        sa.select(
            notifications.c.id,
            notifications.c.user_id,
            notifications.c.kind,
            notifications.c.link,
            notifications.c.created_at,
            notifications.c.read_at,
        )
        .where(notifications.c.link.like('%/applications/%'))
        .order_by(notifications.c.created_at, notifications.c.id)
    ):
        found = APPLICATION_LINK.search(note.link)
        if found:
            key = (note.user_id, int(found.group(1)), note.kind)
            twins.setdefault(key, []).append(note)
    for update in rows:
        pool = twins.get((update.recipient_id, update.application_id, CATEGORY[update.kind]), [])
        twin = next(
            (n for n in pool if abs(n.created_at - update.created_at) <= PAIR_WITHIN), None
        )
        if twin is not None:
            pool.remove(twin)
            read = [t for t in (twin.read_at, update.read_at) if t is not None]
            bind.execute(
                notifications.update()
                .where(notifications.c.id == twin.id)
                .values(
                    event=update.kind,
                    application_id=update.application_id,
                    read_at=min(read) if read else None,
                )
            )
        else:
            text = DASHBOARD_TEXT[update.kind].format(title=update.title)
            bind.execute(
                notifications.insert().values(
                    user_id=update.recipient_id,
                    kind=CATEGORY[update.kind],
                    event=update.kind,
                    application_id=update.application_id,
                    message=text[:300],
                    link=f"/applications/{update.application_id}",
                    created_at=update.created_at,
                    read_at=update.read_at,
                )
            )


def downgrade():
    op.create_table('application_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_updates_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_application_updates_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_updates'))
    )
    with op.batch_alter_table('application_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_updates_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_updates_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_updates_recipient_id'), ['recipient_id'], unique=False)

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            notifications.c.application_id,
            notifications.c.user_id,
            notifications.c.event,
            notifications.c.created_at,
            notifications.c.read_at,
        )
        .where(
            notifications.c.application_id.is_not(None),
            notifications.c.event.in_(list(CATEGORY)),
        )
        .order_by(notifications.c.created_at, notifications.c.id)
    ).all()
    if rows:
        bind.execute(
            updates.insert(),
            [
                {
                    "application_id": row.application_id,
                    "recipient_id": row.user_id,
                    "kind": row.event,
                    "created_at": row.created_at,
                    "read_at": row.read_at,
                }
                for row in rows
            ],
        )

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_application_id_applications'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_application_id'))
        batch_op.drop_column('application_id')
        batch_op.drop_column('event')
