"""Index spaces by geography, so distance searches in metres (ST_DWithin, KNN <->) use an index.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE INDEX ix_spaces_location_geography ON spaces USING gist ((location::geography))")


def downgrade():
    op.execute("DROP INDEX ix_spaces_location_geography")
