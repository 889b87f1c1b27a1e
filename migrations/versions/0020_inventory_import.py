"""Inventory import (issue 15): external ids on spaces, import batches waiting for confirmation.

Revision ID: 0020
Revises: 0019
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
