"""API keys, followed networks and the projects read from their feeds

``api_keys`` holds each person's keys for the JSON API: the public prefix, the SHA-256 of the
secret (never the secret), the scope (read or write), when it was last used or revoked, and
the one-time value of the form that created it (unique per person: the same form sent twice
creates one key).
``followed_networks`` holds the feeds of other Diaspora networks a coordinator follows, and
``remote_projects`` the published projects read from them (unique per network and feed id;
removed with their network).

Downgrade drops the three tables.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('form_nonce', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_api_keys_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
        sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix')),
        sa.UniqueConstraint('user_id', 'form_nonce', name=op.f('uq_api_keys_user_id')),
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_user_id'), ['user_id'], unique=False)

    op.create_table(
        'followed_networks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('feed_url', sa.String(length=500), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('home_url', sa.String(length=500), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('checked_at', sa.DateTime(), nullable=True),
        sa.Column('fetched_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('etag', sa.String(length=200), nullable=False),
        sa.Column('item_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['added_by_id'], ['users.id'],
            name=op.f('fk_followed_networks_added_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followed_networks')),
        sa.UniqueConstraint('feed_url', name=op.f('uq_followed_networks_feed_url')),
    )

    op.create_table(
        'remote_projects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.Column('remote_id', sa.String(length=300), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('institution_name', sa.String(length=200), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('region', sa.String(length=120), nullable=False),
        sa.Column('sector', sa.String(length=40), nullable=False),
        sa.Column('engagement_mode', sa.String(length=30), nullable=False),
        sa.Column('work_mode', sa.String(length=20), nullable=False),
        sa.Column('compensation', sa.String(length=20), nullable=False),
        sa.Column('skills', sa.JSON(), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('written_in', sa.String(length=8), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('remote_updated_at', sa.DateTime(), nullable=True),
        sa.Column('fetched_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['network_id'], ['followed_networks.id'],
            name=op.f('fk_remote_projects_network_id_followed_networks'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_remote_projects')),
        sa.UniqueConstraint(
            'network_id', 'remote_id', name=op.f('uq_remote_projects_network_id')
        ),
    )
    with op.batch_alter_table('remote_projects', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_remote_projects_network_id'), ['network_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('remote_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remote_projects_network_id'))
    op.drop_table('remote_projects')
    op.drop_table('followed_networks')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_user_id'))
    op.drop_table('api_keys')
