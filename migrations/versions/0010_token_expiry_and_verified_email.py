"""API tokens expire (existing ones a year after they were made); accounts record when their e-mail
address was confirmed (existing accounts count as confirmed).

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE api_tokens SET expires_at = created_at + interval '365 days'")
    op.alter_column('api_tokens', 'expires_at', nullable=False)
    op.add_column('users', sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade():
    op.drop_column('users', 'email_verified_at')
    op.drop_column('api_tokens', 'expires_at')
