"""Allocation rounds as shown to the QM (confirming books exactly that plan), and the mail outbox
(mails written in the same transaction as the change, delivered after the commit).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('allocation_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), server_default='shown', nullable=False),
        sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('computed_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('superseded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('shown', 'confirmed', 'superseded')", name=op.f('ck_allocation_rounds_status')),
        sa.ForeignKeyConstraint(['computed_by_id'], ['users.id'], name=op.f('fk_allocation_rounds_computed_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_allocation_rounds_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['superseded_by_id'], ['allocation_rounds.id'], name=op.f('fk_allocation_rounds_superseded_by_id_allocation_rounds'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_rounds')),
    )
    op.create_table('outbox_mails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_error', sa.Text(), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mails')),
    )
    op.create_index('ix_outbox_mails_pending', 'outbox_mails', ['id'], unique=False,
                    postgresql_where=sa.text('sent_at IS NULL'))


def downgrade():
    op.drop_index('ix_outbox_mails_pending', table_name='outbox_mails', postgresql_where=sa.text('sent_at IS NULL'))
    op.drop_table('outbox_mails')
    op.drop_table('allocation_rounds')
