"""Persistence: tables, the database handle and the queries the services use."""

from tandem.connector.store.db import Database, open_database

__all__ = ["Database", "open_database"]
