"""Registration waits for the confirmed e-mail address: the initiative named at registration is
kept on the account until then and created when the address is confirmed.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('pending_organisation', sa.String(200), nullable=False, server_default=''))


def downgrade():
    op.drop_column('users', 'pending_organisation')
