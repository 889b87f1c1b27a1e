"""Usage report (issue 14): what the usage report needs.

The report groups a period's bookings by their start and end (spaces/planning/usage/data.py). PostgreSQL has no
statistics on lower(during), upper(during) by itself, so it takes every booking for a group of its own: for a
year of the 50k city 1.6 million instead of 34,000, a hash table sized for them (slow, cache misses) or a
sort on disk. Extended statistics on the two expressions give it the real number of distinct pairs.

Revision ID: 0019
Revises: 0018
"""
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE STATISTICS st_bookings_usage_times (ndistinct) ON lower(during), upper(during) FROM bookings")
    op.execute("ANALYZE bookings")


def downgrade():
    op.execute("DROP STATISTICS IF EXISTS st_bookings_usage_times")
