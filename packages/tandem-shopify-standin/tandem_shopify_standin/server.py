"""The request pipeline (validate, cost, throttle, execute) and the HTTP server around it."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from graphql import GraphQLError, execute, get_operation_ast, parse, validate
from graphql.validation import NoDeprecatedCustomRule
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import tandem_shopify_standin.definitions
import tandem_shopify_standin.mutations
import tandem_shopify_standin.queries  # noqa: F401  (registers the read resolvers)
from tandem_shopify_standin.apps import Apps, app_routes
from tandem_shopify_standin.cost import MAX_QUERY_COST, Bucket, QueryCost
from tandem_shopify_standin.errors import parse_error, validation_errors, variable_errors
from tandem_shopify_standin.resolvers import Context, resolve_field, resolve_type
from tandem_shopify_standin.schema import API_VERSION, load_schema
from tandem_shopify_standin.schema import schema_path as select_schema
from tandem_shopify_standin.store import Store

RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
# What Shopify's X-Shopify-API-Deprecated-Reason header says of a request that uses a
# deprecated field.
DEPRECATION_DOCS = "https://shopify.dev/api/usage/versioning#deprecation-practices"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
MAX_INPUT_ARRAY = 250


@dataclass
class RequestRecord:
    """One request that reached the GraphQL endpoint."""

    query: str | None
    variables: dict[str, Any]
    operation_name: str | None
    api_version: str
    status: int = 200
    outcome: str = "ok"  # ok, invalid, throttled, max_cost, unauthorized, scripted, bad_request
    answer_lost: bool = False  # handled, but the client was sent a scripted failure instead
    requested_cost: int | None = None
    actual_cost: int | None = None
    deprecated: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    response: Any = None
    at: float = field(default_factory=time.time)

    @property
    def accepted(self) -> bool:
        return self.outcome == "ok"

    @property
    def used_deprecated(self) -> bool:
        return bool(self.deprecated)


@dataclass
class Scripted:
    """A canned answer returned before normal handling (after `delay` seconds)."""

    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    passthrough: bool = False  # only delay, then handle the request normally
    operation: str | None = None  # only for a request running this operation
    after_handling: bool = False  # handle the request, then answer this instead
    skip: int = 0  # let this many requests running `operation` through first


class Engine:
    """Everything between a decoded request body and the response body."""

    def __init__(
        self,
        store: Store,
        *,
        bucket_size: float = 2000,
        restore_rate: float = 100,
        max_query_cost: int = MAX_QUERY_COST,
        cost_model: str = "shopify",
        clock: Callable[[], float] = time.monotonic,
        throttle_status: int = 200,
        strict_deprecations: bool = False,
        allow_http_webhooks: bool = False,
        schema_path: Path | None = None,
    ) -> None:
        self.schema_path = schema_path or select_schema()
        self.schema = load_schema(self.schema_path)
        self.store = store
        self.bucket = Bucket(bucket_size, restore_rate, clock)
        self.max_query_cost = max_query_cost
        self.cost_model = cost_model
        self.throttle_status = throttle_status
        self.strict_deprecations = strict_deprecations
        self.allow_http_webhooks = allow_http_webhooks
        # Sent as X-Shopify-API-Deprecated-Reason with every answer when set (otherwise only
        # with answers to requests that use a deprecated field, as Shopify does).
        self.deprecated_reason: str | None = None
        self.requests: list[RequestRecord] = []
        self.apps = Apps()  # apps installed on the shop, and their tokens
        self.scripted: deque[Scripted] = deque()
        self.targeted: list[Scripted] = []  # scripted answers for one operation
        self.throttled = 0
        self.points_spent = 0
        self.points_requested = 0
        self._lock = threading.RLock()

    def configure(self, **settings: Any) -> None:
        """Change settings in place; a new bucket size, rate or clock starts a full bucket."""
        bucket = {
            k: settings.pop(k) for k in ("bucket_size", "restore_rate", "clock") if k in settings
        }
        for name, value in settings.items():
            if not hasattr(self, name):
                raise TypeError(f"unknown stand-in setting {name!r}")
            setattr(self, name, value)
        if bucket:
            self.bucket = Bucket(
                bucket.get("bucket_size", self.bucket.size),
                bucket.get("restore_rate", self.bucket.restore_rate),
                bucket.get("clock", self.bucket.clock),
            )

    def reset(self, store: Store) -> None:
        """Forget all traffic and scripted answers, refill the bucket, serve `store`."""
        with self._lock:
            self.store = store
            self.bucket = Bucket(self.bucket.size, self.bucket.restore_rate, self.bucket.clock)
            self.requests.clear()
            self.apps.clear()
            self.scripted.clear()
            self.targeted.clear()
            self.throttled = self.points_spent = self.points_requested = 0

    # -- bookkeeping --------------------------------------------------------------------------

    def record(self, record: RequestRecord) -> RequestRecord:
        with self._lock:
            self.requests.append(record)
            if record.outcome == "throttled":
                self.throttled += 1
        return record

    def next_scripted(self) -> Scripted | None:
        with self._lock:
            return self.scripted.popleft() if self.scripted else None

    def targeted_for(self, payload: Any) -> Scripted | None:
        """The first answer scripted for the operation this request runs (taken off the list)."""
        with self._lock:
            if not self.targeted:
                return None
            name = operation_name(payload)
            for index, scripted in enumerate(self.targeted):
                if scripted.operation == name:
                    if scripted.skip:
                        scripted.skip -= 1
                        return None
                    return self.targeted.pop(index)
        return None

    def _cost(self, requested: int | None, actual: int | None) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.bucket.status(),
        }

    # -- the pipeline -------------------------------------------------------------------------

    def handle(
        self, payload: Any, api_version: str = API_VERSION
    ) -> tuple[int, Any, RequestRecord]:
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            record = RequestRecord(None, {}, None, api_version, 400, "bad_request")
            body: dict[str, Any] = {"errors": {"query": "Required parameter missing or invalid"}}
            record.response = body
            return 400, body, self.record(record)
        variables = payload.get("variables") or {}
        if isinstance(variables, str):
            variables = json.loads(variables or "{}")
        record = RequestRecord(
            payload["query"], variables, payload.get("operationName"), api_version
        )
        with self.store.lock:
            body = self._run(record)
        record.response = body
        record.status = self.throttle_status if record.outcome == "throttled" else 200
        record.errors = list(body.get("errors") or [])
        return record.status, body, self.record(record)

    def _run(self, record: RequestRecord) -> dict[str, Any]:
        text = record.query or ""
        try:
            document = parse(text, no_location=False)
        except GraphQLError as exc:
            record.outcome = "invalid"
            return {"errors": [parse_error(exc, text)]}
        errors = validation_errors(self.schema, document)
        if errors:
            record.outcome = "invalid"
            return {"errors": errors}
        operation = get_operation_ast(document, record.operation_name)
        if operation is None:
            record.outcome = "invalid"
            message = (
                f'No operation named "{record.operation_name}"'
                if record.operation_name
                else "An operation name is required"
            )
            return {
                "errors": [{"message": message, "extensions": {"code": "OPERATION_NAME_REQUIRED"}}]
            }
        if record.operation_name is None and operation.name is not None:
            record.operation_name = operation.name.value
        errors = variable_errors(self.schema, operation, record.variables)
        if errors:
            record.outcome = "invalid"
            return {"errors": errors}
        record.deprecated = [
            e.message for e in validate(self.schema, document, [NoDeprecatedCustomRule])
        ]
        if record.deprecated and self.strict_deprecations:
            record.outcome = "invalid"
            return {
                "errors": [
                    {"message": m, "extensions": {"code": "DEPRECATED_FIELD"}}
                    for m in record.deprecated
                ]
            }

        cost = QueryCost(self.schema, document, record.variables, self.cost_model)
        requested = cost.requested(operation)
        record.requested_cost = requested
        if requested > self.max_query_cost:
            record.outcome = "max_cost"
            return {
                "errors": [
                    {
                        "message": max_cost_message(requested, self.max_query_cost),
                        "extensions": {
                            "code": "MAX_COST_EXCEEDED",
                            "cost": requested,
                            "maxCost": self.max_query_cost,
                            "documentation": RATE_LIMIT_DOCS,
                        },
                    }
                ],
                "extensions": {"cost": self._cost(requested, None)},
            }
        if not self.bucket.take(requested):
            record.outcome = "throttled"
            return throttled_body(self._cost(requested, None))

        context = Context(
            self.store,
            record.api_version,
            variables=record.variables,
            allow_http_webhooks=self.allow_http_webhooks,
        )
        result = execute(
            self.schema,
            document,
            root_value={},
            context_value=context,
            variable_values=record.variables,
            operation_name=record.operation_name,
            field_resolver=_guarded,
            type_resolver=resolve_type,
        )
        assert not asyncio.iscoroutine(result)
        actual = min(requested, cost.actual(operation, result.data))  # type: ignore[union-attr]
        self.bucket.refund(requested - actual)
        record.actual_cost = actual
        self.points_spent += actual
        self.points_requested += requested
        body: dict[str, Any] = {}
        if result.errors:  # type: ignore[union-attr]
            body["errors"] = [_format_error(e) for e in result.errors]  # type: ignore[union-attr]
        body["data"] = result.data  # type: ignore[union-attr]
        body["extensions"] = {"cost": self._cost(requested, actual)}
        if context.search_reports:
            body["extensions"]["search"] = context.search_reports
        return body


def operation_name(payload: Any) -> str | None:
    """The name of the operation a request body runs, when it parses and names one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return None
    try:
        operation = get_operation_ast(parse(payload["query"]), payload.get("operationName"))
    except GraphQLError:
        return None
    return operation.name.value if operation is not None and operation.name else None


def max_cost_message(cost: int, limit: int) -> str:
    return (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({limit}).\n\n"
        f"See {RATE_LIMIT_DOCS} for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used"
        " instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api"
        " for usage details.\n"
    )


def throttled_body(cost: dict[str, Any]) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS},
            }
        ],
        "extensions": {"cost": cost},
    }


def _longest_list(value: Any) -> int:
    if isinstance(value, list):
        return max([len(value), *(_longest_list(v) for v in value)])
    if isinstance(value, dict):
        return max([0, *(_longest_list(v) for v in value.values())])
    return 0


def _guarded(source: Any, info: Any, **args: Any) -> Any:
    """Root fields check Shopify's input-array limit before resolving."""
    if info.parent_type.name in ("QueryRoot", "Mutation"):
        longest = _longest_list(args)
        if longest > MAX_INPUT_ARRAY:
            raise GraphQLError(
                f"The input array size of {longest} is greater than the maximum allowed of "
                f"{MAX_INPUT_ARRAY}.",
                nodes=info.field_nodes,
                path=info.path.as_list(),
                extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
            )
    return resolve_field(source, info, **args)


def _format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.extensions:
        out["extensions"] = dict(error.extensions)
    elif error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        out["message"] = "Something went wrong"  # recorded; the detail is the stand-in's own
        out["extensions"] = {
            "code": "INTERNAL_SERVER_ERROR",
            "standinDetail": repr(error.original_error),
        }
    if error.path is not None:
        out["path"] = list(error.path)
    return out


# -- HTTP -------------------------------------------------------------------------------------


def build_app(engine: Engine, token: str, api_version: str) -> Starlette:
    async def graphql(request: Request) -> Response:
        version = request.path_params["version"]
        scripted = engine.next_scripted()
        if scripted is not None:
            if scripted.delay:
                await asyncio.sleep(scripted.delay)
            if not scripted.passthrough:
                engine.record(
                    RequestRecord(
                        None, {}, None, version, scripted.status, "scripted", response=scripted.body
                    )
                )
                if isinstance(scripted.body, dict) and _is_throttled(scripted.body):
                    with engine._lock:
                        engine.throttled += 1
                return _scripted_response(scripted)
        presented = request.headers.get("x-shopify-access-token")
        if presented != token and not engine.apps.valid(presented):
            engine.record(RequestRecord(None, {}, None, version, 401, "unauthorized"))
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401)
        raw = await request.body()
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = None
        targeted = engine.targeted_for(payload)
        if targeted is not None and not targeted.after_handling:
            engine.record(
                RequestRecord(
                    payload["query"],
                    payload.get("variables") or {},
                    targeted.operation,
                    version,
                    targeted.status,
                    "scripted",
                    response=targeted.body,
                )
            )
            return _scripted_response(targeted)
        status, body, record = engine.handle(payload, version)
        if targeted is not None:
            record.answer_lost = True
            return _scripted_response(targeted)
        headers = {"X-Shopify-API-Version": api_version, "X-Request-Id": str(uuid.uuid4())}
        deprecated = engine.deprecated_reason or (DEPRECATION_DOCS if record.deprecated else None)
        if deprecated:
            headers["X-Shopify-API-Deprecated-Reason"] = deprecated
        return JSONResponse(body, status_code=status, headers=headers)

    return Starlette(
        routes=[
            Route("/admin/api/{version}/graphql.json", graphql, methods=["POST"]),
            *app_routes(engine.apps),
        ]
    )


def _is_throttled(body: dict[str, Any]) -> bool:
    errors = body.get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


def _scripted_response(scripted: Scripted) -> Response:
    if isinstance(scripted.body, dict | list):
        return JSONResponse(scripted.body, status_code=scripted.status, headers=scripted.headers)
    content = scripted.body if scripted.body is not None else b""
    return Response(content, status_code=scripted.status, headers=scripted.headers)


class _QuickServer(uvicorn.Server):
    """Notices `should_exit` within 10 ms instead of uvicorn's 100 ms tick."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


class ServerThread:
    """uvicorn on a loopback port, in a daemon thread."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def start(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it uvicorn's two writes per response meet
        # the client's delayed ACK and every request takes 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = _QuickServer(config)
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="shopify-standin"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Shopify stand-in did not start")
            time.sleep(0.005)
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
