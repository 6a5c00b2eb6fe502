"""Extension objects, created unbound and bound to the app in ``create_app``."""

import sqlite3

import sqlalchemy as sa
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
compress = Compress()
babel = Babel()


def register_sqlite_pragmas() -> None:
    """Apply :func:`_sqlite_pragmas` to every new connection and
    :func:`_sqlite_savepoint_in_transaction` to every savepoint (once, from the factory)."""
    if not sa.event.contains(Engine, "connect", _sqlite_pragmas):
        sa.event.listen(Engine, "connect", _sqlite_pragmas)
    if not sa.event.contains(Engine, "savepoint", _sqlite_savepoint_in_transaction):
        sa.event.listen(Engine, "savepoint", _sqlite_savepoint_in_transaction)


def _sqlite_pragmas(dbapi_connection, connection_record):
    """Per-connection SQLite settings: foreign keys, and WAL for a database file.

    SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
    In WAL mode readers never wait for a writer and a writer waits for no reader, so one
    long write no longer stalls every page; how long a writer waits for another writer is
    the driver's ``timeout`` (``SQLITE_BUSY_TIMEOUT``). An in-memory database has no WAL.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if _is_file_database(cursor):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def _sqlite_savepoint_in_transaction(conn, name):
    """Open the transaction before a savepoint when nothing has been written yet.

    The sqlite3 driver begins a transaction only before a write; a SAVEPOINT outside one
    starts a transaction of its own, which its RELEASE commits. A row written in a
    ``begin_nested()`` block as the first write of a unit of work would then be committed
    at once, and stay if the unit of work rolls back."""
    dbapi_connection = conn.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def _is_file_database(cursor) -> bool:
    """True when the main database is a file (not ``:memory:`` nor a temporary one)."""
    for _seq, name, path in cursor.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return bool(path)
    return False
