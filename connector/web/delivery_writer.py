"""Webhook deliveries written in batches (group commit).

During a flash sale deliveries arrive faster than one transaction each can be committed: a
commit each, every request waiting for a thread and a turn at the database, is most of what an
answer costs. So one writer thread takes whatever deliveries are waiting, stores them in one
transaction and settles every request of the batch at once; each is answered only after its
batch has committed, so a delivery answered 2xx is in the database. While a batch is written
the next one gathers. A writer that has nothing to do for a moment ends; the next delivery
starts another.

When another process stored one of the batch's deliveries meanwhile (the unique webhook id
refuses the insert), the batch is written again one delivery to a transaction, so each request
still learns whether its delivery was new. Any other error reaches every request of the batch,
as if each had written alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from tandem.connector.clock import utcnow
from tandem.connector.platforms import Delivery, store_deliveries
from tandem.connector.store import Database

MAX_BATCH = 500
IDLE_SECONDS = 1.0  # a writer with nothing to do for this long ends


@dataclass(frozen=True)
class _Waiting:
    delivery: Delivery
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[bool]


Outcome = bool | BaseException


class DeliveryWriter:
    """`await writer.store(delivery)`: True when it was new, False when it was stored before."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._waiting: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._writing = False

    async def store(self, delivery: Delivery) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        with self._lock:
            self._waiting.put(_Waiting(delivery, loop, answer))
            if not self._writing:
                self._writing = True
                threading.Thread(
                    target=self._write, name="tandem-webhook-writer", daemon=True
                ).start()
        return await answer

    def _write(self) -> None:
        while True:
            try:
                first = self._waiting.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._waiting.empty():
                        self._writing = False
                        return
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            _settle(batch, self._outcomes(batch))

    def _outcomes(self, batch: list[_Waiting]) -> list[Outcome]:
        deliveries = [waiting.delivery for waiting in batch]
        try:
            try:
                with self.db.write() as conn:
                    return list(store_deliveries(conn, deliveries, utcnow()))
            except IntegrityError:
                return [self._alone(delivery) for delivery in deliveries]
        except Exception as exc:  # each request answers it as if it had written alone
            return [exc] * len(batch)

    def _alone(self, delivery: Delivery) -> bool:
        try:
            with self.db.write() as conn:
                return store_deliveries(conn, [delivery], utcnow())[0]
        except IntegrityError:
            return False  # stored a moment ago by another process


def _settle(batch: list[_Waiting], outcomes: list[Outcome]) -> None:
    """Hand each request its outcome on its own loop, one wake-up per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], Outcome]]] = (
        defaultdict(list)
    )
    for waiting, outcome in zip(batch, outcomes, strict=True):
        by_loop[waiting.loop].append((waiting.answer, outcome))
    for loop, answers in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop has closed: no one waits
            loop.call_soon_threadsafe(_answer, answers)


def _answer(answers: list[tuple[asyncio.Future[bool], Outcome]]) -> None:
    for future, outcome in answers:
        if future.done():  # the request was cancelled (its client went away)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
