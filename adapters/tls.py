"""The system's trust store as one TLS context for every HTTPS client Tandem makes.

Loading the trust store takes some 20 ms of CPU, and a client made without a context loads it
again: the daemon's jobs make a client a run, so during a sale each run paid for it, and
every webhook answered meanwhile waited."""

from __future__ import annotations

import ssl
from functools import cache


@cache
def trust_store() -> ssl.SSLContext:
    """The system's default trust (verified certificates and host names), loaded once."""
    return ssl.create_default_context()
