"""Every GraphQL document Tandem sends validates against the pinned Admin API schema."""

from __future__ import annotations

from functools import cache

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate
from graphql.validation import NoDeprecatedCustomRule

from tandem.adapters.shopify import documents
from tests.conftest import SHARED

SCHEMA = SHARED / "shopify" / "admin-2026-07.graphql"


@cache
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text(encoding="utf-8"), assume_valid=True)


@pytest.fixture(scope="module")
def admin_schema() -> GraphQLSchema:
    if not SCHEMA.exists():
        pytest.skip(f"the Shopify schema is not at {SCHEMA} (it lives in ../shared, not here)")
    return schema()


@pytest.mark.parametrize("op", documents.ALL, ids=lambda op: op.name)
def test_document_is_valid_and_uses_nothing_deprecated(
    admin_schema: GraphQLSchema, op: documents.Operation
) -> None:
    document = parse(op.text)
    errors = validate(admin_schema, document)
    assert not errors, [e.message for e in errors]
    deprecated = validate(admin_schema, document, [NoDeprecatedCustomRule])
    assert not deprecated, [e.message for e in deprecated]
    operation = document.definitions[0]
    assert operation.operation.value == ("mutation" if op.mutation else "query")
    assert operation.name.value == op.name


def test_every_document_is_listed() -> None:
    defined = {
        value.name for value in vars(documents).values() if isinstance(value, documents.Operation)
    }
    assert defined == {op.name for op in documents.ALL}
