"""Requests without an account (issue 14): double opt-in guest requests.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('guest_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attendees', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=300), server_default='', nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('group_name', sa.String(length=120), nullable=False),
        sa.Column('optin_hash', sa.String(length=64), nullable=True),
        sa.Column('cancel_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_guest_requests_interval')),
        sa.CheckConstraint('attendees > 0', name=op.f('ck_guest_requests_attendees_positive')),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_guest_requests_space_id_spaces'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_guest_requests_booking_id_bookings'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guest_requests')),
    )
    op.create_index(op.f('ix_guest_requests_space_id'), 'guest_requests', ['space_id'], unique=False)
    op.create_index('ix_guest_requests_email_created', 'guest_requests', ['email', 'created_at'], unique=False)
    op.create_index('ix_guest_requests_optin_hash', 'guest_requests', ['optin_hash'], unique=True)
    op.create_index('ix_guest_requests_cancel_hash', 'guest_requests', ['cancel_hash'], unique=True)
    op.create_index('ix_guest_requests_booking_id', 'guest_requests', ['booking_id'], unique=True)
    op.create_index('ix_guest_requests_to_prune', 'guest_requests', ['ends_at'], unique=False,
                    postgresql_where=sa.text('anonymised_at IS NULL'))


def downgrade():
    op.drop_index('ix_guest_requests_to_prune', table_name='guest_requests',
                  postgresql_where=sa.text('anonymised_at IS NULL'))
    op.drop_index('ix_guest_requests_booking_id', table_name='guest_requests')
    op.drop_index('ix_guest_requests_cancel_hash', table_name='guest_requests')
    op.drop_index('ix_guest_requests_optin_hash', table_name='guest_requests')
    op.drop_index('ix_guest_requests_email_created', table_name='guest_requests')
    op.drop_index(op.f('ix_guest_requests_space_id'), table_name='guest_requests')
    op.drop_table('guest_requests')
