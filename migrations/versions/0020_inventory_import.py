"""Inventory import (issue 15): external ids on spaces, import batches waiting for confirmation.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('spaces', sa.Column('external_id', sa.String(length=200), nullable=True))
    # NULLs are distinct in a unique constraint: only spaces that came from an import carry an id
    op.create_unique_constraint(op.f('uq_spaces_external_id'), 'spaces', ['external_id'])
    op.create_table('import_batches',
        sa.Column('id', postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), server_default='', nullable=False),
        sa.Column('default_provider', sa.String(length=200), nullable=True),
        sa.Column('rows', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_import_batches_owner_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    )
    op.create_index(op.f('ix_import_batches_owner_id'), 'import_batches', ['owner_id'], unique=False)
    op.create_index('ix_import_batches_expires_at', 'import_batches', ['expires_at'], unique=False)


def downgrade():
    op.drop_index('ix_import_batches_expires_at', table_name='import_batches')
    op.drop_index(op.f('ix_import_batches_owner_id'), table_name='import_batches')
    op.drop_table('import_batches')
    op.drop_constraint(op.f('uq_spaces_external_id'), 'spaces', type_='unique')
    op.drop_column('spaces', 'external_id')
