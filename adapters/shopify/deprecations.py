"""Shopify's word that a call uses something deprecated: the `X-Shopify-API-Deprecated-Reason`
header on its answer.

What is deprecated still works until a later API version removes it, so the call succeeds; the
header is a notice that one of Tandem's documents (tandem.adapters.shopify.documents, named by its
operation) must change before then. Each such answer is counted in
`tandem_platform_deprecated_calls_total{platform="shopify", operation}`, and the log gets one
warning per operation and reason for the life of the process, not one per call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from tandem.connector.daemon import metrics

HEADER = "X-Shopify-API-Deprecated-Reason"
MAX_REASON = 300  # characters of the reason kept in the log

log = logging.getLogger("tandem.shopify")

_warned: set[tuple[str, str]] = set()
_lock = threading.Lock()


def notice(operation: str, headers: Mapping[str, str]) -> None:
    """Count and, the first time, log an answer to `operation` that carries the header."""
    reason = headers.get(HEADER)
    if reason is None:
        return
    # One line, bounded: the header is Shopify's text (a link to its deprecation notes).
    reason = " ".join(reason.split())[:MAX_REASON] or "no reason given"
    metrics.deprecated_calls.labels("shopify", operation).inc()
    with _lock:
        if (operation, reason) in _warned:
            return
        _warned.add((operation, reason))
    log.warning(
        "Shopify says %s uses something deprecated, which a later API version removes: %s",
        operation,
        reason,
    )
