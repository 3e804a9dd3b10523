"""The packaged demo schema: a faithful subset of Shopify's, enough for every Tandem document.

The fidelity tests compare each definition in `demo_schema.graphql` with the real 2026-07
schema (they skip when this machine does not have it); the document tests always run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    parse,
    print_ast,
    specified_directives,
    specified_scalar_types,
    validate,
    validate_schema,
)
from graphql.pyutils import Undefined
from graphql.utilities import ast_from_value
from graphql.validation import NoDeprecatedCustomRule

from tandem.adapters.shopify import documents
from tandem_shopify_standin import ShopifyStandin
from tandem_shopify_standin import schema as selection
from tandem_shopify_standin.schema import DEMO_SCHEMA_PATH, load_schema, real_schema_path
from tests.conftest import SHOPIFY_SCHEMA

DEMO = build_schema(DEMO_SCHEMA_PATH.read_text(encoding="utf-8"))
BUILT_IN = {d.name for d in specified_directives}
DEMO_TYPES = sorted(
    name
    for name in DEMO.type_map
    if not name.startswith("__") and name not in specified_scalar_types
)


@pytest.fixture(scope="module")
def real() -> GraphQLSchema:
    path = real_schema_path()
    if path is None:
        pytest.skip(
            f"the real Shopify Admin schema is not here ({SHOPIFY_SCHEMA}"
            " or TANDEM_SHOPIFY_SCHEMA): the demo schema's fidelity cannot be checked"
        )
    return load_schema(path)  # built once per process


def default_of(value: Any) -> str | None:
    """An argument's or input field's default as GraphQL text (None: no default)."""
    default = getattr(value, "default", None)  # graphql-core 3.3
    if default is not None:
        if default.literal is not None:
            return print_ast(default.literal)
        if default.value is not Undefined:
            return print_ast(ast_from_value(default.value, value.type))  # type: ignore[arg-type]
        return None
    legacy = getattr(value, "default_value", Undefined)
    if legacy is Undefined:
        return None
    return print_ast(ast_from_value(legacy, value.type))  # type: ignore[arg-type]


def _required(value: Any) -> bool:
    return str(value.type).endswith("!") and default_of(value) is None


def _compare_inputs(
    where: str, demo: dict[str, Any], real: dict[str, Any], problems: list[str]
) -> None:
    """Arguments or input fields: same types and defaults; nothing deprecated; every real one
    that is required or has a default is here too (so coercion gives the same values)."""
    for name, value in demo.items():
        theirs = real.get(name)
        if theirs is None:
            problems.append(f"{where}: {name} is not in Shopify's schema")
            continue
        if str(value.type) != str(theirs.type):
            problems.append(f"{where}: {name} is {value.type}, Shopify's is {theirs.type}")
        if default_of(value) != default_of(theirs):
            problems.append(
                f"{where}: {name} defaults to {default_of(value)}, Shopify's to"
                f" {default_of(theirs)}"
            )
        if theirs.deprecation_reason:
            problems.append(f"{where}: {name} is deprecated in Shopify's schema")
    for name, theirs in real.items():
        # A deprecated one stays out (it may not be here either way); Tandem never sends it.
        if theirs.deprecation_reason:
            continue
        if name not in demo and (_required(theirs) or default_of(theirs) is not None):
            problems.append(f"{where}: {name} ({theirs.type}) is missing; Shopify's has it")


def differences(demo: GraphQLNamedType, real: GraphQLNamedType | None) -> list[str]:
    name = demo.name
    if real is None:
        return [f"{name} is not a type in Shopify's schema"]
    if type(demo) is not type(real):
        return [f"{name} is a {type(demo).__name__} here, a {type(real).__name__} in Shopify's"]
    problems: list[str] = []
    if isinstance(demo, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(real, GraphQLObjectType | GraphQLInterfaceType)
        theirs = {i.name for i in real.interfaces}
        problems += [
            f"{name} implements {i.name} here, not in Shopify's schema"
            for i in demo.interfaces
            if i.name not in theirs
        ]
        for field_name, field in demo.fields.items():
            other = real.fields.get(field_name)
            if other is None:
                problems.append(f"{name}.{field_name} is not in Shopify's schema")
                continue
            if str(field.type) != str(other.type):
                problems.append(f"{name}.{field_name} is {field.type}, Shopify's is {other.type}")
            if other.deprecation_reason:
                problems.append(f"{name}.{field_name} is deprecated in Shopify's schema")
            _compare_inputs(f"{name}.{field_name}", field.args, other.args, problems)
    elif isinstance(demo, GraphQLInputObjectType):
        assert isinstance(real, GraphQLInputObjectType)
        _compare_inputs(name, demo.fields, real.fields, problems)
    elif isinstance(demo, GraphQLEnumType):
        assert isinstance(real, GraphQLEnumType)
        for value_name in demo.values:
            other = real.values.get(value_name)
            if other is None:
                problems.append(f"{name}.{value_name} is not a value of Shopify's enum")
            elif other.deprecation_reason:
                problems.append(f"{name}.{value_name} is deprecated in Shopify's schema")
    return problems


# -- fidelity (needs the real schema) ------------------------------------------------------


@pytest.mark.parametrize("type_name", DEMO_TYPES)
def test_every_definition_matches_shopify(real: GraphQLSchema, type_name: str) -> None:
    problems = differences(DEMO.type_map[type_name], real.get_type(type_name))
    assert not problems, "\n".join(problems)


def test_directives_and_roots_match_shopify(real: GraphQLSchema) -> None:
    for directive in DEMO.directives:
        if directive.name in BUILT_IN:
            continue
        theirs = real.get_directive(directive.name)
        assert theirs is not None, f"@{directive.name} is not in Shopify's schema"
        assert set(directive.locations) <= set(theirs.locations)
        problems: list[str] = []
        _compare_inputs(f"@{directive.name}", directive.args, theirs.args, problems)
        assert not problems, "\n".join(problems)
    assert DEMO.query_type is not None and real.query_type is not None
    assert DEMO.mutation_type is not None and real.mutation_type is not None
    assert DEMO.query_type.name == real.query_type.name
    assert DEMO.mutation_type.name == real.mutation_type.name
    assert DEMO.subscription_type is None


def test_the_fidelity_check_catches_drift(real: GraphQLSchema) -> None:
    drifted = build_schema(
        """
        type QueryRoot { order(id: ID): Order, orders(first: Int, sortKey: OrderSortKeys): Int }
        type Order { id: ID!, name: String, nonsense: Int }
        enum OrderSortKeys { UPDATED_AT, SHOE_SIZE }
        """
    )
    found = [
        problem
        for name in ("QueryRoot", "Order", "OrderSortKeys")
        for problem in differences(drifted.type_map[name], real.get_type(name))
    ]
    assert any("QueryRoot.order: id is ID" in p for p in found), found
    assert any("QueryRoot.orders is Int" in p for p in found), found
    assert any("QueryRoot.orders: sortKey defaults to None" in p for p in found), found
    assert any("Order.name is String" in p for p in found), found
    assert any("Order.nonsense is not in" in p for p in found), found
    assert any("OrderSortKeys.SHOE_SIZE" in p for p in found), found


# -- always ------------------------------------------------------------------------------------


def test_the_demo_schema_is_a_valid_schema() -> None:
    assert validate_schema(DEMO) == []
    assert DEMO.get_directive("idempotent") is not None


@pytest.mark.parametrize("op", documents.ALL, ids=lambda op: op.name)
def test_every_tandem_document_validates_against_the_demo_schema(
    op: documents.Operation,
) -> None:
    document = parse(op.text)
    errors = validate(DEMO, document)
    assert not errors, [e.message for e in errors]
    assert not validate(DEMO, document, [NoDeprecatedCustomRule])


def test_the_stand_in_helpers_queries_validate_against_the_demo_schema() -> None:
    """What tests/integration/test_shopify_sync.py asks besides Tandem's own documents."""
    document = parse("{ locations(first: 5) { nodes { id name } } }")
    assert not validate(DEMO, document)


# -- which schema the stand-in serves -------------------------------------------------------


def test_the_environment_variable_names_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "schema.graphql"
    copy.write_text(DEMO_SCHEMA_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(selection.ENV_VAR, str(copy))
    assert selection.schema_path() == copy.resolve()
    assert selection.schema_source() == "real"  # whatever it holds, it is not the packaged one

    monkeypatch.setenv(selection.ENV_VAR, str(DEMO_SCHEMA_PATH))
    assert selection.schema_path() == DEMO_SCHEMA_PATH
    assert selection.schema_source() == "demo"

    monkeypatch.setenv(selection.ENV_VAR, str(tmp_path / "missing.graphql"))
    with pytest.raises(FileNotFoundError, match=selection.ENV_VAR):
        selection.schema_path()


def test_without_shared_the_packaged_demo_schema_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(selection.ENV_VAR, raising=False)
    assert selection.real_schema_path() is None
    assert selection.schema_path() == DEMO_SCHEMA_PATH
    assert selection.schema_source() == "demo"
    shop = ShopifyStandin()  # not started: only the engine is built
    assert shop.schema_source == "demo"
    assert shop.engine.schema is load_schema(DEMO_SCHEMA_PATH)


def test_the_tests_serve_the_shared_copy_beside_their_checkout() -> None:
    if not SHOPIFY_SCHEMA.is_file():
        pytest.skip(f"no real schema at {SHOPIFY_SCHEMA}")
    assert selection.schema_path() == SHOPIFY_SCHEMA.resolve()
    assert selection.schema_source() == "real"


def test_a_stand_in_can_be_given_its_schema() -> None:
    shop = ShopifyStandin(schema_path=DEMO_SCHEMA_PATH)
    assert shop.schema_path == DEMO_SCHEMA_PATH
    assert shop.schema_source == "demo"
