"""Waitlist (issue 14): groups queue for a taken slot.

Revision ID: 0017
Revises: 0016
"""
from alembic import op  # noqa: F401

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
