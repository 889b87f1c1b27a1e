"""Accounts and booking: login sessions, API tokens, invitations, booking series, decisions, audit log.

- user_sessions: the browser keeps a random token, the database its SHA-256; logout deletes the
  row, so a copied session cookie is refused afterwards.
- booking_series: the rule a recurring request was expanded from (local wall-clock time);
  bookings.series_id now refers to it.
- bookings get who decided / cancelled and when; spaces get "who may book" (space_access).
- audit_log: who did what to which object, when.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('organisations', sa.Column('calendar_token', sa.String(length=64), nullable=True))
    op.create_unique_constraint(op.f('uq_organisations_calendar_token'), 'organisations', ['calendar_token'])

    op.add_column('spaces', sa.Column('bookable_by', sa.String(length=16), server_default='everyone', nullable=False))
    op.create_check_constraint(op.f('ck_spaces_bookable_by'), 'spaces', "bookable_by IN ('everyone', 'listed')")
    op.create_table('space_access',
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_space_access_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_space_access_space_id_spaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('space_id', 'organisation_id', name=op.f('pk_space_access')),
    )

    op.create_table('booking_series',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('requester_id', sa.Integer(), nullable=True),
        sa.Column('frequency', sa.String(length=16), nullable=False),
        sa.Column('rrule', sa.String(length=200), server_default='', nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('starts', sa.Time(), nullable=False),
        sa.Column('ends', sa.Time(), nullable=False),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('description', sa.String(length=300), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_booking_series_organisation_id_organisations'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_booking_series_requester_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_booking_series_space_id_spaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_series')),
    )
    op.create_index(op.f('ix_booking_series_space_id'), 'booking_series', ['space_id'], unique=False)
    op.create_foreign_key(op.f('fk_bookings_series_id_booking_series'), 'bookings', 'booking_series',
                          ['series_id'], ['id'], ondelete='SET NULL')

    op.add_column('bookings', sa.Column('decided_by_id', sa.Integer(), nullable=True))
    op.add_column('bookings', sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('bookings', sa.Column('decision_note', sa.String(length=500), server_default='', nullable=False))
    op.add_column('bookings', sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
    op.add_column('bookings', sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(op.f('fk_bookings_decided_by_id_users'), 'bookings', 'users', ['decided_by_id'], ['id'], ondelete='SET NULL')
    op.create_foreign_key(op.f('fk_bookings_cancelled_by_id_users'), 'bookings', 'users', ['cancelled_by_id'], ['id'], ondelete='SET NULL')

    op.create_table('user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash')),
    )
    op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'], unique=False)

    op.create_table('api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)

    op.create_table('invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('member', 'space_manager', 'qm_admin')", name=op.f('ck_invitations_role')),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_invitations_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash')),
    )
    op.create_index(op.f('ix_invitations_organisation_id'), 'invitations', ['organisation_id'], unique=False)

    op.create_table('audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('object_type', sa.String(length=32), nullable=False),
        sa.Column('object_id', sa.String(length=64), nullable=False),
        sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index(op.f('ix_audit_log_actor_id'), 'audit_log', ['actor_id'], unique=False)
    op.create_index('ix_audit_log_object', 'audit_log', ['object_type', 'object_id'], unique=False)


def downgrade():
    op.drop_index('ix_audit_log_object', table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_actor_id'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_invitations_organisation_id'), table_name='invitations')
    op.drop_table('invitations')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index(op.f('ix_user_sessions_user_id'), table_name='user_sessions')
    op.drop_table('user_sessions')
    op.drop_constraint(op.f('fk_bookings_cancelled_by_id_users'), 'bookings', type_='foreignkey')
    op.drop_constraint(op.f('fk_bookings_decided_by_id_users'), 'bookings', type_='foreignkey')
    for column in ('cancelled_at', 'cancelled_by_id', 'decision_note', 'decided_at', 'decided_by_id'):
        op.drop_column('bookings', column)
    op.drop_constraint(op.f('fk_bookings_series_id_booking_series'), 'bookings', type_='foreignkey')
    op.drop_index(op.f('ix_booking_series_space_id'), table_name='booking_series')
    op.drop_table('booking_series')
    op.drop_table('space_access')
    op.drop_constraint(op.f('ck_spaces_bookable_by'), 'spaces', type_='check')
    op.drop_column('spaces', 'bookable_by')
    op.drop_constraint(op.f('uq_organisations_calendar_token'), 'organisations', type_='unique')
    op.drop_column('organisations', 'calendar_token')
