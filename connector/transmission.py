"""The transmitting mark: the moment a channel starts to hand a document to the supplier.

Dispatch claims an item, builds the document and calls the channel. Until the channel starts
transmitting, nothing can have reached the supplier, so a worker that dies before then leaves
an item that is simply handed back; only an item marked transmitting can have arrived and
comes back in doubt (see `connector.outbox`).

A channel calls `await transmitting()` as late as it can: after rendering its PDF or CSV and
after connecting and logging in, right before the bytes that deliver the document go out
(SMTP `MAIL FROM`, the HTTP request, the SFTP upload). Dispatch installs what the call does
(`marking`): it commits the mark in a transaction of its own, provided the worker still holds
the item, and raises `LeaseLost` when it does not — the channel lets that propagate and sends
nothing, since another worker owns the item now. Outside dispatch (previews, `tandem
supplier test`) the call does nothing.

A channel that calls it says so with `marks_transmission = True`; for any other, dispatch
marks the item itself right before `send`, which is safe but earlier than it could be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Mark = Callable[[], Awaitable[None]]

_mark: ContextVar[Mark | None] = ContextVar("tandem_transmitting", default=None)


class LeaseLost(Exception):
    """The worker no longer holds the item it was about to transmit: send nothing."""


async def transmitting() -> None:
    """Record that the document starts to go out now (a no-op outside dispatch)."""
    mark = _mark.get()
    if mark is not None:
        await mark()


@contextmanager
def marking(mark: Mark) -> Iterator[None]:
    """While in the block, `transmitting()` calls `mark`."""
    token = _mark.set(mark)
    try:
        yield
    finally:
        _mark.reset(token)
