"""Walking on the street network (issue 15): pgRouting (when the server has it) and the footway graph.

pgRouting is created only when the server offers it (pg_available_extensions): a server without it still
migrates, the tables stay empty and the walking distances fall back to the straight-line rule.

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') THEN
                CREATE EXTENSION IF NOT EXISTS pgrouting;
            END IF;
        END
        $$""")
    op.create_table('walk_vertices',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_vertices'))
    )
    op.create_geospatial_index('idx_walk_vertices_geom', 'walk_vertices', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('walk_edges',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('source', sa.BigInteger(), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('osm_way_id', sa.BigInteger(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('length_m >= 0', name=op.f('ck_walk_edges_length_not_negative')),
    sa.ForeignKeyConstraint(['source'], ['walk_vertices.id'], name=op.f('fk_walk_edges_source_walk_vertices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target'], ['walk_vertices.id'], name=op.f('fk_walk_edges_target_walk_vertices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_edges'))
    )
    op.create_geospatial_index('idx_walk_edges_geom', 'walk_edges', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_walk_edges_source'), 'walk_edges', ['source'], unique=False)
    op.create_index(op.f('ix_walk_edges_target'), 'walk_edges', ['target'], unique=False)
    op.execute("CREATE INDEX ix_walk_edges_geom_geography ON walk_edges USING gist ((geom::geography))")
    op.create_table('walk_space_access',
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('edge_id', sa.BigInteger(), nullable=False),
    sa.Column('fraction', sa.Float(), nullable=False),
    sa.Column('access_m', sa.Float(), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['edge_id'], ['walk_edges.id'], name=op.f('fk_walk_space_access_edge_id_walk_edges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_walk_space_access_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('space_id', name=op.f('pk_walk_space_access'))
    )
    op.create_index(op.f('ix_walk_space_access_edge_id'), 'walk_space_access', ['edge_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_walk_space_access_edge_id'), table_name='walk_space_access')
    op.drop_table('walk_space_access')
    op.execute("DROP INDEX ix_walk_edges_geom_geography")
    op.drop_index(op.f('ix_walk_edges_target'), table_name='walk_edges')
    op.drop_index(op.f('ix_walk_edges_source'), table_name='walk_edges')
    op.drop_geospatial_index('idx_walk_edges_geom', table_name='walk_edges', postgresql_using='gist', column_name='geom')
    op.drop_table('walk_edges')
    op.drop_geospatial_index('idx_walk_vertices_geom', table_name='walk_vertices', postgresql_using='gist', column_name='geom')
    op.drop_table('walk_vertices')
    op.execute("DROP EXTENSION IF EXISTS pgrouting")
