"""berlin_wall_to_utc(date, time): Berlin wall-clock time to UTC as spaces.core.availability does it,
for the search's SQL around daylight-saving changes (a gap resolves to the first instant after
it, a repeated hour to its first occurrence). Only DST days use it; other days are arithmetic.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL's own AT TIME ZONE reads a repeated hour as the second occurrence and a time in the
    # spring gap with the offset before the change; both differ from the Python rule, hence this.
    # Europe/Berlin changes at a whole UTC hour and by one hour, which the two branches rely on;
    # tests/test_search.py compares it with Python minute by minute over the DST weekends of 2021-2040.
    op.execute("""
        CREATE FUNCTION berlin_wall_to_utc(d date, t time) RETURNS timestamptz
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE
          WHEN ((d + t) AT TIME ZONE 'Europe/Berlin' - interval '1 hour') AT TIME ZONE 'Europe/Berlin' = d + t
            THEN (d + t) AT TIME ZONE 'Europe/Berlin' - interval '1 hour'
          WHEN ((d + t) AT TIME ZONE 'Europe/Berlin') AT TIME ZONE 'Europe/Berlin' <> d + t
            THEN date_trunc('hour', ((d + t) AT TIME ZONE 'Europe/Berlin') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          ELSE (d + t) AT TIME ZONE 'Europe/Berlin'
        END
    """)


def downgrade():
    op.execute("DROP FUNCTION berlin_wall_to_utc(date, time)")
