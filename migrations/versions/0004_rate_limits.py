"""Rate limit counters shared by all worker processes (login, registration, password reset).

gunicorn runs several processes; counters kept in each process's memory would multiply every
limit by the number of workers. So the counters live here, one row per key and fixed window
(spaces/ratelimit.py, PostgresStorage): `count` hits until `expires_at`, after which the
next hit starts a new window in the same row. Rows are written in autocommit, outside the
request's transaction. Expired rows are deleted now and then; the index on expires_at keeps
that cleanup from scanning the table.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limits',
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limits')),
    )
    op.create_index(op.f('ix_rate_limits_expires_at'), 'rate_limits', ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_rate_limits_expires_at'), table_name='rate_limits')
    op.drop_table('rate_limits')
