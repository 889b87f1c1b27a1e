"""The SQLAlchemy handle shared by models, queries and the app."""

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from psycopg import _queries as _psycopg_queries
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from spaces.replica import REPLICA, reading_from_replica

# Stable constraint names, so migrations can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# psycopg turns a statement's %(name)s placeholders into $n with a regular expression and keeps the result (an
# lru_cache of 128) only for statements under 4 KB and 50 parameters. The search's statements are 6-12 KB, one per
# search shape, so every request converted its statement again: about a millisecond of Python. They are kept
# too. tests/finder/test_statement_reuse.py fails when a psycopg release renames these.
STATEMENT_CACHE_LIMIT = 64 * 1024
_psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = max(_psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, STATEMENT_CACHE_LIMIT)
_psycopg_queries.MAX_CACHED_STATEMENT_PARAMS = max(_psycopg_queries.MAX_CACHED_STATEMENT_PARAMS, 200)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RoutingSession(_FlaskSession):
    """Flask-SQLAlchemy's session, reading from the replica when this request may (spaces/replica.py)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and reading_from_replica():
            return self._db.engines[REPLICA]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})


def include_in_migrations(obj, name, obj_type, reflected, compare_to) -> bool:
    """Alembic filter: only our tables, not PostGIS's own (spatial_ref_sys, topology ...)."""
    from geoalchemy2 import alembic_helpers

    if obj_type == "table" and reflected and compare_to is None and name not in db.metadata.tables:
        return False
    return alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to)
