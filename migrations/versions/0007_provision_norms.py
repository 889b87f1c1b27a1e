"""Provision norms (Versorgungsrichtwerte) for the gap report: m² and seats per 1,000 residents,
walking distance, detour factor, which spaces count, how fast residents move in.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('provision_norms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('m2_per_1000', sa.Numeric(precision=8, scale=1), server_default='150', nullable=False),
        sa.Column('seats_per_1000', sa.Numeric(precision=8, scale=1), server_default='60', nullable=False),
        sa.Column('walk_m', sa.Numeric(precision=8, scale=1), server_default='500', nullable=False),
        sa.Column('detour', sa.Numeric(precision=4, scale=2), server_default='1.3', nullable=False),
        sa.Column('min_public_evening_hours', sa.Numeric(precision=5, scale=1), server_default='0', nullable=False),
        sa.Column('reference_hours', sa.Numeric(precision=5, scale=1), server_default='20', nullable=False),
        sa.Column('ramp_months', sa.Integer(), server_default='12', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('m2_per_1000 >= 0 AND seats_per_1000 >= 0', name=op.f('ck_provision_norms_per_1000_not_negative')),
        sa.CheckConstraint('walk_m > 0 AND detour >= 1', name=op.f('ck_provision_norms_walking')),
        sa.CheckConstraint('min_public_evening_hours >= 0 AND reference_hours > 0', name=op.f('ck_provision_norms_hours')),
        sa.CheckConstraint('ramp_months >= 0', name=op.f('ck_provision_norms_ramp')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_provision_norms_updated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_provision_norms')),
    )


def downgrade():
    op.drop_table('provision_norms')
