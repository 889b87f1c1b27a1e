"""Initial schema: organisations, people, places, spaces, time, construction phases, needs.

The database itself refuses what must never happen: overlapping slot-holding bookings
(exclusion constraint over space and time range, needs btree_gist), empty or unbounded
time ranges, non-positive capacities and invalid geometries.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 17:20:45.350241

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # Extensions stay when downgrading: other schemas in the database may use them.
    op.execute('CREATE EXTENSION IF NOT EXISTS postgis')
    op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
    op.create_geospatial_table('construction_phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quartier', sa.String(length=200), server_default='', nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('move_in', sa.Date(), nullable=True),
    sa.Column('homes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('persons_per_home', sa.Numeric(precision=4, scale=2), server_default='2.0', nullable=False),
    sa.Column('expected_residents', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('planned', 'building', 'occupied')", name=op.f('ck_construction_phases_status')),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_construction_phases_geom_valid')),
    sa.CheckConstraint('expected_residents IS NULL OR expected_residents >= 0', name=op.f('ck_construction_phases_residents_not_negative')),
    sa.CheckConstraint('homes >= 0', name=op.f('ck_construction_phases_homes_not_negative')),
    sa.CheckConstraint('persons_per_home > 0', name=op.f('ck_construction_phases_persons_per_home_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_construction_phases')),
    sa.UniqueConstraint('name', name=op.f('uq_construction_phases_name'))
    )
    op.create_geospatial_index('idx_construction_phases_geom', 'construction_phases', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('association', 'housing_company', 'cooperative', 'initiative', 'city', 'church', 'other')", name=op.f('ck_organisations_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('key', name=op.f('uq_organisations_key'))
    )
    op.create_geospatial_table('quartiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('centre', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(centre)', name=op.f('ck_quartiers_centre_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quartiers')),
    sa.UniqueConstraint('name', name=op.f('uq_quartiers_name'))
    )
    op.create_geospatial_index('idx_quartiers_centre', 'quartiers', ['centre'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("email = lower(email) AND position('@' in email) > 1", name=op.f('ck_users_email')),
    sa.CheckConstraint("role IN ('member', 'space_manager', 'qm_admin')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('memberships',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_memberships_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'organisation_id', name=op.f('pk_memberships'))
    )
    op.create_geospatial_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('group_size', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('time_pattern', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('step_free', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('accessible_wc', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('equipment', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('near', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('construction_phase_id', sa.Integer(), nullable=True),
    sa.Column('max_walk_minutes', sa.Integer(), nullable=True),
    sa.Column('free_of_charge_only', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('open', 'met', 'withdrawn')", name=op.f('ck_needs_status')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_needs_duration_positive')),
    sa.CheckConstraint('group_size > 0', name=op.f('ck_needs_group_size_positive')),
    sa.CheckConstraint('max_walk_minutes IS NULL OR max_walk_minutes > 0', name=op.f('ck_needs_walk_positive')),
    sa.CheckConstraint('near IS NULL OR ST_IsValid(near)', name=op.f('ck_needs_near_valid')),
    sa.ForeignKeyConstraint(['construction_phase_id'], ['construction_phases.id'], name=op.f('fk_needs_construction_phase_id_construction_phases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_needs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_needs_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    op.create_geospatial_index('idx_needs_near', 'needs', ['near'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_needs_organisation_id'), 'needs', ['organisation_id'], unique=False)
    op.create_geospatial_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('ST_IsValid(location)', name=op.f('ck_sites_location_valid')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_sites_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('organisation_id', 'address', name='uq_sites_organisation_address')
    )
    op.create_geospatial_index('idx_sites_location', 'sites', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_sites_organisation_id'), 'sites', ['organisation_id'], unique=False)
    op.create_geospatial_table('spaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('area_m2', sa.Numeric(precision=8, scale=1), nullable=True),
    sa.Column('floor', sa.String(length=16), nullable=True),
    sa.Column('step_free', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('accessible_wc', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('lift', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('hearing_loop', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('equipment', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('booking_mode', sa.String(length=16), nullable=False),
    sa.Column('cost_eur', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('house_rules', sa.Text(), server_default='', nullable=False),
    sa.Column('available_from', sa.Date(), nullable=True),
    sa.Column('available_until', sa.Date(), nullable=True),
    sa.Column('max_days_in_advance', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("booking_mode IN ('instant', 'on_request', 'not_bookable')", name=op.f('ck_spaces_booking_mode')),
    sa.CheckConstraint('ST_IsValid(location)', name=op.f('ck_spaces_location_valid')),
    sa.CheckConstraint('area_m2 IS NULL OR area_m2 > 0', name=op.f('ck_spaces_area_positive')),
    sa.CheckConstraint('available_from IS NULL OR available_until IS NULL OR available_from <= available_until', name=op.f('ck_spaces_availability_period')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_spaces_capacity_positive')),
    sa.CheckConstraint('cost_eur IS NULL OR cost_eur >= 0', name=op.f('ck_spaces_cost_not_negative')),
    sa.CheckConstraint('max_days_in_advance IS NULL OR max_days_in_advance > 0', name=op.f('ck_spaces_advance_positive')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_spaces_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spaces')),
    sa.UniqueConstraint('site_id', 'name', name='uq_spaces_site_name')
    )
    op.create_geospatial_index('idx_spaces_location', 'spaces', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_spaces_equipment', 'spaces', ['equipment'], unique=False, postgresql_using='gin')
    op.create_index(op.f('ix_spaces_site_id'), 'spaces', ['site_id'], unique=False)
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.UUID(), nullable=True),
    sa.Column('during', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=300), server_default='', nullable=False),
    sa.Column('is_public', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    postgresql.ExcludeConstraint((sa.column('space_id'), '='), (sa.column('during'), '&&'), where=sa.text("status IN ('requested', 'confirmed')"), using='gist', name='bookings_no_overlap'),
    sa.CheckConstraint("status IN ('requested', 'confirmed', 'declined', 'cancelled')", name=op.f('ck_bookings_status')),
    sa.CheckConstraint('NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during) AND lower_inc(during) AND NOT upper_inc(during)', name=op.f('ck_bookings_during_bounded')),
    sa.CheckConstraint('attendees > 0', name=op.f('ck_bookings_attendees_positive')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_bookings_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_bookings_requester_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_bookings_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    op.create_index('ix_bookings_organisation_id', 'bookings', ['organisation_id'], unique=False)
    op.create_index('ix_bookings_series_id', 'bookings', ['series_id'], unique=False)
    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('during', postgresql.TSTZRANGE(), nullable=False),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.CheckConstraint('NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)', name=op.f('ck_closures_during_bounded')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_closures_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures'))
    )
    op.create_index('ix_closures_space_during', 'closures', ['space_id', 'during'], unique=False, postgresql_using='gist')
    op.create_table('opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_opening_hours_weekday')),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_opening_hours_space_id_spaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_hours')),
    sa.UniqueConstraint('space_id', 'weekday', 'opens', name='uq_opening_hours_space_weekday_opens')
    )
    op.create_index(op.f('ix_opening_hours_space_id'), 'opening_hours', ['space_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_opening_hours_space_id'), table_name='opening_hours')
    op.drop_table('opening_hours')
    op.drop_index('ix_closures_space_during', table_name='closures', postgresql_using='gist')
    op.drop_table('closures')
    op.drop_index('ix_bookings_series_id', table_name='bookings')
    op.drop_index('ix_bookings_organisation_id', table_name='bookings')
    op.drop_table('bookings')
    op.drop_index(op.f('ix_spaces_site_id'), table_name='spaces')
    op.drop_index('ix_spaces_equipment', table_name='spaces', postgresql_using='gin')
    op.drop_geospatial_index('idx_spaces_location', table_name='spaces', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('spaces')
    op.drop_index(op.f('ix_sites_organisation_id'), table_name='sites')
    op.drop_geospatial_index('idx_sites_location', table_name='sites', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('sites')
    op.drop_index(op.f('ix_needs_organisation_id'), table_name='needs')
    op.drop_geospatial_index('idx_needs_near', table_name='needs', postgresql_using='gist', column_name='near')
    op.drop_geospatial_table('needs')
    op.drop_table('memberships')
    op.drop_table('users')
    op.drop_geospatial_index('idx_quartiers_centre', table_name='quartiers', postgresql_using='gist', column_name='centre')
    op.drop_geospatial_table('quartiers')
    op.drop_table('organisations')
    op.drop_geospatial_index('idx_construction_phases_geom', table_name='construction_phases', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('construction_phases')
