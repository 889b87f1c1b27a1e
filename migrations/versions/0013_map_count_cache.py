"""The counts of the map zoomed out over the whole city, kept between requests.

Without filters the map over the whole city shows the same counts to every visitor, and computing them groups
every space (about 55 ms of PostgreSQL for 50,000). map_counts keeps that answer per zoom level for a day and a
version of the spaces; spaces_version.n goes up with every statement that writes spaces (trigger), so an answer
computed before a change is never served after it. spaces_version also keeps the extent of the spaces open on
extent_day (west/south/east/north), so a request knows without a scan whether its view holds all of them.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'spaces_version',
        sa.Column('id', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('n', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('extent_day', sa.Date(), nullable=True),
        sa.Column('west', sa.Float(), nullable=True),
        sa.Column('south', sa.Float(), nullable=True),
        sa.Column('east', sa.Float(), nullable=True),
        sa.Column('north', sa.Float(), nullable=True),
        sa.CheckConstraint('id', name=op.f('ck_spaces_version_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_spaces_version')),
    )
    op.execute("INSERT INTO spaces_version (id, n) VALUES (true, 0)")
    op.create_table(
        'map_counts',
        sa.Column('zoom', sa.SmallInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('geojson', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('zoom', name=op.f('pk_map_counts')),
    )
    op.execute("""
        CREATE FUNCTION bump_spaces_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE spaces_version SET n = n + 1, extent_day = NULL;
          RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER spaces_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON spaces
        FOR EACH STATEMENT EXECUTE FUNCTION bump_spaces_version()
    """)


def downgrade():
    op.execute("DROP TRIGGER spaces_version_bump ON spaces")
    op.execute("DROP FUNCTION bump_spaces_version()")
    op.drop_table('map_counts')
    op.drop_table('spaces_version')
