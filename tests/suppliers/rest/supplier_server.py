"""A small supplier order API for tests, shaped like Printful's, served for real on loopback.

    with SupplierServer(token="secret") as server:      # uvicorn in a background thread
        server.url                                       # http://127.0.0.1:<port>
        server.created["PO-00001"]                       # orders created per external_id
        server.reset(failure_rate=0.3, seed=1)           # a fresh supplier on the same port

Routes (answers are `{"code": ..., "result": ...}` like Printful's):

- `POST /orders` creates an order from `{"external_id", "recipient", "items"}`. With an
  `Idempotency-Key` header the first answer is stored: the same key again gets the same
  answer (header `Idempotent-Replayed: true`) and never a second order; the same key with a
  different body gets 422.
- `GET /orders/@{external_id}` and `GET /orders/{id}`: the order, 404 when there is none.
- `DELETE /orders/@{external_id}` (or `/{id}`): status `canceled`.

Fault injection, checked before a request does anything:

- `failure_rate` (0..1) with `seed`: that share of requests fails with a seeded random choice
  among `faults` — "500", "429" (with `Retry-After: 0`) or "timeout" (the answer is held for
  `hang_seconds`, longer than the client's timeout, then a 503).
- `fail_next(*faults)`: the next requests fail in that order, whatever the rate.
- `crash_after_accept` (a count): the next creates store the order (and its idempotency
  record), then answer 500 — or hang, with `crash_mode = "timeout"` — as if the connection
  broke between the supplier accepting and Tandem recording it.

`ship(external_id, tracking, carrier)` marks an order fulfilled with one shipment;
`refuse(external_id, *items, reason=...)` lists items the supplier will not supply
(`rejected_items`); `cancel(external_id, reason)` is the supplier cancelling the order.
`requests` lists `(method, path, idempotency key)` of every request seen.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import time
from collections import Counter
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def _answer(code: int, result: Any, **headers: str) -> JSONResponse:
    return JSONResponse({"code": code, "result": result}, status_code=code, headers=headers)


def _error(code: int, message: str, **headers: str) -> JSONResponse:
    body = {"code": code, "result": message, "error": {"reason": str(code), "message": message}}
    return JSONResponse(body, status_code=code, headers=headers)


class SupplierServer:
    def __init__(
        self,
        *,
        token: str | None = None,
        failure_rate: float = 0.0,
        seed: int = 0,
        faults: tuple[str, ...] = ("500", "429", "timeout"),
        hang_seconds: float = 1.0,
    ) -> None:
        self.hang_seconds = hang_seconds
        self.reset(token=token, failure_rate=failure_rate, seed=seed, faults=faults)
        self.app = Starlette(
            routes=[
                Route("/orders", self._create, methods=["POST"]),
                Route("/orders/{ref}", self._get, methods=["GET"]),
                Route("/orders/{ref}", self._cancel, methods=["DELETE"]),
            ]
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- test controls --------------------------------------------------------------------

    def reset(
        self,
        *,
        token: str | None = None,
        failure_rate: float = 0.0,
        seed: int = 0,
        faults: tuple[str, ...] = ("500", "429", "timeout"),
    ) -> None:
        """Forget every order, key, counter and fault: a fresh supplier on the same port."""
        self.token = token
        self.failure_rate = failure_rate
        self.random = random.Random(seed)
        self.faults = faults
        self.crash_after_accept = 0
        self.crash_mode = "500"
        self.orders: dict[int, dict[str, Any]] = {}
        self.created: Counter[str] = Counter()
        self.requests: list[tuple[str, str, str | None]] = []
        self.injected: list[str] = []  # the faults actually served, in order
        self._scripted: list[str] = []
        self._keys: dict[str, tuple[str, int, Any]] = {}  # key -> (body, status, answer)
        self._next_id = 1000

    def fail_next(self, *faults: str) -> None:
        self._scripted.extend(faults)

    def ship(self, external_id: str, tracking: str, carrier: str = "UPS") -> None:
        order = self._find("@" + external_id)
        assert order is not None, f"no order {external_id}"
        order["status"] = "fulfilled"
        order["shipments"].append(
            {
                "carrier": carrier,
                "tracking_number": tracking,
                "tracking_url": f"https://track.example/{tracking}",
            }
        )

    def refuse(self, external_id: str, *items: str, reason: str) -> None:
        order = self._find("@" + external_id)
        assert order is not None, f"no order {external_id}"
        order["rejected_items"].extend(items)
        order["reason"] = reason

    def cancel(self, external_id: str, reason: str) -> None:
        order = self._find("@" + external_id)
        assert order is not None, f"no order {external_id}"
        order["status"] = "canceled"
        order["reason"] = reason

    def start(self) -> SupplierServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 5
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the supplier server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SupplierServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routes ---------------------------------------------------------------------------

    async def _gate(self, request: Request) -> Response | None:
        """Auth and injected faults: an answer that stops the request, or None to go on."""
        key = request.headers.get("idempotency-key")
        self.requests.append((request.method, request.url.path, key))
        if self.token is not None and request.headers.get("authorization") != (
            f"Bearer {self.token}"
        ):
            return _error(401, "Invalid API key")
        fault = self._scripted.pop(0) if self._scripted else None
        if fault is None and self.failure_rate and self.random.random() < self.failure_rate:
            fault = self.random.choice(self.faults)
        if fault is None:
            return None
        self.injected.append(fault)
        return await self._fault(fault)

    async def _fault(self, fault: str) -> Response:
        if fault == "429":
            return _error(429, "Too many requests", **{"Retry-After": "0"})
        if fault == "timeout":
            await asyncio.sleep(self.hang_seconds)
            return _error(503, "Service unavailable")
        return _error(500, "Internal error, please try again")

    async def _create(self, request: Request) -> Response:
        stopped = await self._gate(request)
        if stopped is not None:
            return stopped
        raw = (await request.body()).decode()
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return _error(400, "Body is not valid JSON")
        key = request.headers.get("idempotency-key")
        if key is not None and key in self._keys:
            seen_body, status, answer = self._keys[key]
            if seen_body != raw:
                return _error(422, "Idempotency-Key reused with a different request body")
            return _answer(status, answer, **{"Idempotent-Replayed": "true"})
        external_id = body.get("external_id") if isinstance(body, dict) else None
        if not external_id or not body.get("recipient") or not body.get("items"):
            return _error(400, "external_id, recipient and items are required")
        order = {
            "id": self._next_id,
            "external_id": str(external_id),
            "status": "pending",
            "recipient": body["recipient"],
            "items": body["items"],
            "shipments": [],
            "rejected_items": [],
            "reason": None,
        }
        self._next_id += 1
        self.orders[order["id"]] = order
        self.created[order["external_id"]] += 1
        if key is not None:
            self._keys[key] = (raw, 200, order)
        if self.crash_after_accept > 0:
            self.crash_after_accept -= 1
            self.injected.append(f"crash-after-accept:{self.crash_mode}")
            return await self._fault(self.crash_mode)
        return _answer(200, order)

    async def _get(self, request: Request) -> Response:
        stopped = await self._gate(request)
        if stopped is not None:
            return stopped
        order = self._find(request.path_params["ref"])
        return _error(404, "Not found") if order is None else _answer(200, order)

    async def _cancel(self, request: Request) -> Response:
        stopped = await self._gate(request)
        if stopped is not None:
            return stopped
        order = self._find(request.path_params["ref"])
        if order is None:
            return _error(404, "Not found")
        if order["status"] not in ("pending", "draft", "canceled"):
            return _error(400, f"Order with status {order['status']} cannot be canceled")
        order["status"] = "canceled"
        return _answer(200, order)

    def _find(self, ref: str) -> dict[str, Any] | None:
        if ref.startswith("@"):
            return next((o for o in self.orders.values() if o["external_id"] == ref[1:]), None)
        return self.orders.get(int(ref)) if ref.isdigit() else None
