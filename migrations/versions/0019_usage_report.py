"""Usage report (issue 14): what the usage report needs.

Revision ID: 0019
Revises: 0018
"""
from alembic import op  # noqa: F401

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
