"""Request paths and JSON bodies rendered from a supplier profile's Jinja2 templates.

Every template sees the same context: `po` (the PurchaseOrderDocument), `lines`, `changes`,
`ship_to`, `buyer`, `supplier` (the SupplierConfig), `idempotency_key` and, once the supplier
has given the order an id, `supplier_order_id`. Undefined names are errors (StrictUndefined),
so a typo in a profile fails the first send loudly instead of sending an empty field.

A body comes from a template file that renders JSON, or from a mapping whose strings are
templates: a string that is exactly one `{{ expression }}` keeps the expression's own type
(a number stays a number, a list a list); any other string with `{{`/`{%` renders to text; a
string without either is sent as written.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from tandem.adapters.suppliers.money import money
from tandem.connector.channels import PermanentError, PurchaseOrderDocument
from tandem.connector.configuration.model import SupplierConfig

_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact: suppliers parse "12.50" but a float would lose cents
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def to_json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, indent=indent)


def default_body(document: PurchaseOrderDocument) -> dict[str, Any]:
    """The document as plain JSON, for an endpoint that names neither template nor body."""
    return {
        "number": document.number,
        "revision": document.revision,
        "kind": document.kind,
        "currency": document.currency,
        "mode": document.mode,
        "ship_to": dataclasses.asdict(document.ship_to),
        "buyer": dataclasses.asdict(document.buyer),
        "lines": [
            {
                "supplier_sku": line.supplier_sku,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_cost": money(line.unit_cost),
            }
            for line in document.lines
        ],
        "changes": [dataclasses.asdict(change) for change in document.changes],
        "order_names": list(document.order_names),
        "notes": document.notes,
    }


@contextmanager
def _template_errors(where: str) -> Iterator[None]:
    """Jinja2's errors as PermanentError naming the template: a profile mistake that no retry
    can fix."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise PermanentError(
            f"{where}: Jinja2 syntax error at line {exc.lineno}: {exc.message}"
        ) from None
    except jinja2.UndefinedError as exc:
        raise PermanentError(f"{where}: {exc.message}") from None
    except (jinja2.TemplateError, TypeError, ArithmeticError) as exc:
        raise PermanentError(f"{where}: {exc}") from None


class Renderer:
    """Renders one supplier's paths and bodies; compiled templates are kept per channel."""

    def __init__(self, supplier: SupplierConfig) -> None:
        self.supplier = supplier
        self.env = SandboxedEnvironment(
            undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self.env.filters["money"] = money
        self.env.filters["tojson"] = to_json
        self._files: dict[Path, jinja2.Template] = {}
        self._strings: dict[str, jinja2.Template] = {}
        self._expressions: dict[str, Any] = {}

    def context(self, document: PurchaseOrderDocument) -> dict[str, Any]:
        context: dict[str, Any] = {
            "po": document,
            "lines": document.lines,
            "changes": document.changes,
            "ship_to": document.ship_to,
            "buyer": document.buyer,
            "supplier": self.supplier,
            "idempotency_key": document.idempotency_key,
        }
        # Left out rather than None, so a path that needs it fails instead of reading "None".
        if document.supplier_reference is not None:
            context["supplier_order_id"] = document.supplier_reference
        return context

    def text(self, source: str, context: Mapping[str, Any], where: str) -> str:
        with _template_errors(where):
            template = self._strings.get(source)
            if template is None:
                template = self._strings[source] = self.env.from_string(source)
            return template.render(context)

    def file_body(self, path: Path, context: Mapping[str, Any]) -> Any:
        where = f"template {path}"
        with _template_errors(where):
            template = self._files.get(path)
            if template is None:
                try:
                    source = path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise PermanentError(f"cannot read {where}: {exc.strerror}") from None
                template = self._files[path] = self.env.from_string(source)
            rendered = template.render(context)
        try:
            return json.loads(rendered)
        except json.JSONDecodeError as exc:
            raise PermanentError(
                f"{where} did not render valid JSON: {exc.msg} at line {exc.lineno} "
                f"column {exc.colno}"
            ) from None

    def mapping_body(self, body: Any, context: Mapping[str, Any], where: str) -> Any:
        if isinstance(body, Mapping):
            return {str(k): self.mapping_body(v, context, f"{where}.{k}") for k, v in body.items()}
        if isinstance(body, list):
            return [self.mapping_body(v, context, f"{where}[{i}]") for i, v in enumerate(body)]
        if not isinstance(body, str) or ("{{" not in body and "{%" not in body):
            return body
        match = _SINGLE_EXPRESSION.match(body)
        expression = match.group("expr") if match else None
        if expression is None or "{{" in expression or "}}" in expression:
            return self.text(body, context, where)
        with _template_errors(where):
            compiled = self._expressions.get(expression)
            if compiled is None:
                compiled = self.env.compile_expression(expression, undefined_to_none=False)
                self._expressions[expression] = compiled
            value = compiled(context)
            if isinstance(value, jinja2.Undefined):
                str(value)  # StrictUndefined raises here, naming what is missing
            return json.loads(to_json(value))
