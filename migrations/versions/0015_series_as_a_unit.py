"""A booking series as a unit: its end as a number of dates, and Niedersachsen public holidays left out.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('booking_series', sa.Column('count', sa.Integer(), nullable=True))
    op.add_column('booking_series', sa.Column('skip_holidays', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('booking_series', sa.Column('skipped_days', postgresql.JSONB(astext_type=sa.Text()),
                                              server_default='[]', nullable=False))
    op.create_check_constraint(op.f('ck_booking_series_count_positive'), 'booking_series', 'count IS NULL OR count > 0')


def downgrade():
    op.drop_constraint(op.f('ck_booking_series_count_positive'), 'booking_series', type_='check')
    op.drop_column('booking_series', 'skipped_days')
    op.drop_column('booking_series', 'skip_holidays')
    op.drop_column('booking_series', 'count')
