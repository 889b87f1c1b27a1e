"""The map's counts over the whole city with filters: the part that changes rarely, kept between requests.

Zoomed out over the whole city with filters ("free 18-20 on a date, capacity >= 10") the map counts every
matching space per grid cell. Which spaces match the filters on their own columns (capacity, access, equipment,
kind, cost) and are open throughout the window's hours of the week depends on neither the date nor the bookings,
only on the spaces (spaces_version.n, migration 0013). map_filtered_counts keeps that part per key (zoom,
filter values, seconds of the week) and version, grouped by grid cell and the space's terms (available from,
until, days in advance): per group the number of spaces, the sums of their longitudes and latitudes and the
smallest id. A request adds the groups whose terms allow its date and subtracts the few matching spaces that a
booking or closure takes in its window, read live (spaces.finder.map_cache).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'map_filtered_counts',
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        # One element per group (grid cell x terms), the arrays in step.
        sa.Column('cx', postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column('cy', postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column('available_from', postgresql.ARRAY(sa.Date()), nullable=False),
        sa.Column('available_until', postgresql.ARRAY(sa.Date()), nullable=False),
        sa.Column('max_days_in_advance', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('n', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('sum_lon', postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column('sum_lat', postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column('min_id', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_map_filtered_counts')),
    )


def downgrade():
    op.drop_table('map_filtered_counts')
