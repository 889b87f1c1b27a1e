"""What the map and the search ask of every space in view, made cheap to ask:

- spaces.week_open: the weekly opening hours as one int4multirange of seconds of the week
  (Monday 00:00 = 0, wall-clock time, touching hours merged), kept by a trigger on
  opening_hours. On days without a daylight-saving change "open throughout a window" is then
  one operator on the row instead of a subquery per space.
- ix_bookings_slot_time: a GiST index on the time of slot-holding bookings alone, so "which
  spaces are taken in this window" is read once for the whole city (about 2,000 bookings)
  and asked per space from a hash. The exclusion index (space_id, during) cannot serve a
  question without a space, and the planner, offered both, chose it and read all of it; the
  expression tstzrange(lower(during), upper(during)) equals `during` (bookings are [) by a CHECK)
  and only this index has it. INCLUDE (space_id, during) lets PostgreSQL answer from the index alone.
- spaces.map_x/map_y: Web-Mercator metres (EPSG:3857, spherical, radius 6378137 m), stored, so
  the map's grid counts do not compute a logarithm per space and request.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MAP_X = "ST_X(location) * 111319.49079327357"  # pi / 180 * 6378137
MAP_Y = "ln(tan(radians(45 + ST_Y(location) / 2))) * 6378137"


def upgrade():
    op.execute("""
        CREATE FUNCTION opening_week_seconds(weekday integer, opens time, closes time) RETURNS int4multirange
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN CASE
          WHEN closes > opens THEN int4multirange(int4range(
            weekday * 86400 + extract(epoch FROM opens)::integer,
            weekday * 86400 + extract(epoch FROM closes)::integer))
          WHEN weekday < 6 THEN int4multirange(int4range(
            weekday * 86400 + extract(epoch FROM opens)::integer,
            (weekday + 1) * 86400 + extract(epoch FROM closes)::integer))
          ELSE int4multirange(int4range(518400 + extract(epoch FROM opens)::integer, 604800),
                              int4range(0, extract(epoch FROM closes)::integer))
        END
    """)
    # VOLATILE: called from a trigger after waiting for a row lock, it must see what others committed.
    op.execute("""
        CREATE FUNCTION space_week_open(space integer) RETURNS int4multirange
        LANGUAGE sql VOLATILE
        RETURN (SELECT coalesce(range_agg(piece), '{}')
                FROM opening_hours, unnest(opening_week_seconds(weekday, opens, closes)) AS piece
                WHERE space_id = space)
    """)
    op.execute("""
        CREATE FUNCTION refresh_week_open() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE spaces SET week_open = space_week_open(id) WHERE id IN (SELECT space_id FROM new_rows);
          END IF;
          IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE spaces SET week_open = space_week_open(id) WHERE id IN (SELECT space_id FROM old_rows);
          END IF;
          RETURN NULL;
        END $$
    """)
    op.add_column('spaces', sa.Column('week_open', postgresql.INT4MULTIRANGE(), nullable=False, server_default='{}'))
    op.execute("UPDATE spaces SET week_open = space_week_open(id)")
    for event, referencing in (("INSERT", "NEW TABLE AS new_rows"),
                               ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                               ("DELETE", "OLD TABLE AS old_rows")):
        op.execute(f"""
            CREATE TRIGGER opening_hours_week_open_{event.lower()} AFTER {event} ON opening_hours
            REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION refresh_week_open()
        """)
    op.add_column('spaces', sa.Column('map_x', sa.Float(), sa.Computed(MAP_X, persisted=True), nullable=False))
    op.add_column('spaces', sa.Column('map_y', sa.Float(), sa.Computed(MAP_Y, persisted=True), nullable=False))
    op.execute("""
        CREATE INDEX ix_bookings_slot_time ON bookings USING gist (tstzrange(lower(during), upper(during)))
        INCLUDE (space_id, during) WHERE status IN ('requested', 'confirmed')
    """)


def downgrade():
    op.drop_index('ix_bookings_slot_time', table_name='bookings')
    op.drop_column('spaces', 'map_y')
    op.drop_column('spaces', 'map_x')
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER opening_hours_week_open_{event} ON opening_hours")
    op.drop_column('spaces', 'week_open')
    op.execute("DROP FUNCTION refresh_week_open()")
    op.execute("DROP FUNCTION space_week_open(integer)")
    op.execute("DROP FUNCTION opening_week_seconds(integer, time, time)")
