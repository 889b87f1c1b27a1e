"""The map's markers as text kept with each space, and the filtered whole-city counts kept with what they depend on.

spaces.marker_json: a space's GeoJSON Feature as the map's markers send it (position, name, kind, capacity,
access, period), up to the open "properties" object, so that /api/spaces/points only adds "free_now" (and the
walk's metres) and closes it. Building that text for every marker on every request was half of the statement's
time. A stored generated column: any write to the space writes it again. Generated columns may only call
immutable functions, and to_json (which escapes a string, and writes a date in ISO 8601 whatever DateStyle says)
is declared stable because of the types it accepts, so json_text_of wraps it for text and for dates.

map_filtered_answers: the whole city's filtered counts (/api/spaces/clusters, spaces.finder.map_cache) per kept
key and window, with the day and spaces version they were computed for and the sorted ids of the spaces that
bookings and closures took in that window, all read in one snapshot. A request whose day, version and taken
spaces are the same (read live, through ix_bookings_slot_time) gets the same answer; any other is computed.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

MARKER_JSON = (
    """'{"type":"Feature","id":' || id::text || ',"geometry":{"type":"Point","coordinates":['"""
    """ || round(ST_X(location)::numeric, 6)::text || ',' || round(ST_Y(location)::numeric, 6)::text"""
    """ || ']},"properties":{"id":' || id::text"""
    """ || coalesce(',"name":' || json_text_of(name), '') || coalesce(',"kind":' || json_text_of(kind), '')"""
    """ || coalesce(',"capacity":' || capacity::text, '') || coalesce(',"step_free":' || step_free::text, '')"""
    """ || coalesce(',"accessible_wc":' || accessible_wc::text, '')"""
    """ || coalesce(',"available_from":' || json_text_of(available_from), '')"""
    """ || coalesce(',"available_until":' || json_text_of(available_until), '')"""
)


def upgrade():
    for argument in ("text", "date"):
        op.execute(f"""
            CREATE FUNCTION json_text_of(value {argument}) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN to_json(value)::text
        """)
    op.add_column('spaces', sa.Column('marker_json', sa.Text(), sa.Computed(MARKER_JSON, persisted=True)))
    op.create_table(
        'map_filtered_answers',
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('taken', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('geojson', sa.Text(), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint('key', 'starts_at', 'ends_at', name=op.f('pk_map_filtered_answers')),
    )


def downgrade():
    op.drop_table('map_filtered_answers')
    op.drop_column('spaces', 'marker_json')
    for argument in ("text", "date"):
        op.execute(f"DROP FUNCTION json_text_of({argument})")
