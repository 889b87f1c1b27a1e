"""Provider organisations with admins who appoint space managers.

memberships.is_admin: the member administers the organisation (appoints space managers and admins,
invites and removes members). invitations.is_admin: accepting makes the person an admin as well.

Existing organisations: whoever manages an organisation's spaces today becomes its admin, so no provider
loses the ability to hand on its rights; organisations without a manager get their first admin from a
QM admin (page "Organisationen").

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('memberships', sa.Column('is_admin', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('invitations', sa.Column('is_admin', sa.Boolean(), server_default='false', nullable=False))
    op.execute("UPDATE memberships SET is_admin = true WHERE is_manager")


def downgrade():
    op.drop_column('invitations', 'is_admin')
    op.drop_column('memberships', 'is_admin')
