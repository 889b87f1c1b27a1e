"""The SQLAlchemy handle shared by models, queries and the app."""

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
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
