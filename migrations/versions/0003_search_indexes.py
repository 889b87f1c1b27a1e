"""Indexes for searches over a whole city: opening hours by weekday, spaces by name.

- opening hours are looked up per space and weekday.
- the list of spaces is ordered by name and paged.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_opening_hours_space_id", table_name="opening_hours")
    op.create_index("ix_opening_hours_space_weekday", "opening_hours", ["space_id", "weekday"])
    op.create_index("ix_spaces_name_id", "spaces", ["name", "id"])


def downgrade():
    op.drop_index("ix_spaces_name_id", table_name="spaces")
    op.drop_index("ix_opening_hours_space_weekday", table_name="opening_hours")
    op.create_index("ix_opening_hours_space_id", "opening_hours", ["space_id"])
