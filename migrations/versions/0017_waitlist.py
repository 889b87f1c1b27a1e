"""Waitlist (issue 14): groups queue for a taken slot.

waitlist_entries holds one wanted date per row (the dates of one request share request_key), served in the
order the groups joined; a freed slot is offered to the first group whose date it fits: the offer is a real
booking in status 'requested' (booking_id), held for that group until offer_expires_at (spaces.booking.waitlist).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

OPEN = "status IN ('waiting', 'offered')"


def upgrade():
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_key', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('requester_id', sa.Integer(), nullable=True),
        sa.Column('during', postgresql.TSTZRANGE(), nullable=False),
        sa.Column('attendees', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=300), server_default='', nullable=False),
        sa.Column('is_public', sa.Boolean(), server_default='false', nullable=False),
        sa.Column('status', sa.String(length=16), server_default='waiting', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('waiting', 'offered', 'claimed', 'expired', 'withdrawn')",
                           name=op.f('ck_waitlist_entries_status')),
        sa.CheckConstraint("NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)"
                           " AND lower_inc(during) AND NOT upper_inc(during)",
                           name=op.f('ck_waitlist_entries_during_bounded')),
        sa.CheckConstraint('attendees > 0', name=op.f('ck_waitlist_entries_attendees_positive')),
        sa.CheckConstraint("status <> 'offered' OR (offered_at IS NOT NULL AND offer_expires_at IS NOT NULL)",
                           name=op.f('ck_waitlist_entries_offer_has_deadline')),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_waitlist_entries_space_id_spaces'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_waitlist_entries_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_waitlist_entries_requester_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_waitlist_entries_booking_id_bookings'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    )
    op.create_index('ix_waitlist_entries_once', 'waitlist_entries', ['space_id', 'organisation_id', 'during'],
                    unique=True, postgresql_where=sa.text(OPEN))
    op.create_index('ix_waitlist_entries_line', 'waitlist_entries', ['space_id', 'created_at', 'id'],
                    unique=False, postgresql_where=sa.text(OPEN))
    op.create_index('ix_waitlist_entries_offer_deadline', 'waitlist_entries', ['offer_expires_at'],
                    unique=False, postgresql_where=sa.text("status = 'offered'"))
    op.create_index('ix_waitlist_entries_organisation_id', 'waitlist_entries', ['organisation_id'], unique=False)
    op.create_index('ix_waitlist_entries_offered_booking', 'waitlist_entries', ['booking_id'], unique=False,
                    postgresql_where=sa.text("status = 'offered'"))


def downgrade():
    op.drop_index('ix_waitlist_entries_offered_booking', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_entries_organisation_id', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_entries_offer_deadline', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_entries_line', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_entries_once', table_name='waitlist_entries')
    op.drop_table('waitlist_entries')
