"""Dashboard sessions ended by logging out.

A session cookie is signed, not stored; logging out records the digest of the session's id
(never the id itself) until the session would have expired, and a session whose id is
recorded is no session. Rows past their expiry are pruned at the next logout.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, delete, select

from tandem.connector.store import schema as t


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def end_session(conn: Connection, session_id: str, expires_at: datetime, now: datetime) -> None:
    table = t.dashboard_logouts
    conn.execute(delete(table).where(table.c.expires_at <= now))
    key = digest(session_id)
    if conn.execute(select(table.c.session_digest).where(table.c.session_digest == key)).first():
        return  # ended already (the same cookie logged out twice)
    conn.execute(table.insert().values(session_digest=key, expires_at=expires_at))


def is_ended(conn: Connection, session_id: str) -> bool:
    table = t.dashboard_logouts
    found = select(table.c.session_digest).where(table.c.session_digest == digest(session_id))
    return conn.execute(found).first() is not None
