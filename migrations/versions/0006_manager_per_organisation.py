"""Space-manager rights per organisation: memberships.is_manager.

A global role alone let a space manager of one organisation manage the rooms of any other
organisation he joined as a plain member. Existing space managers keep managing the
organisations they belong to.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('memberships', sa.Column('is_manager', sa.Boolean(), server_default='false', nullable=False))
    op.execute(
        "UPDATE memberships SET is_manager = true FROM users "
        "WHERE users.id = memberships.user_id AND users.role = 'space_manager'"
    )


def downgrade():
    op.drop_column('memberships', 'is_manager')
