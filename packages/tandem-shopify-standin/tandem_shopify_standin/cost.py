"""Shopify's calculated query cost and its leaky bucket.

Rules (shopify.dev "GraphQL Admin API rate limits", checked against the `extensions.cost` of
every recording in `shared/shopify/recorded/`):

- a scalar or enum field costs 0; an object field 1 plus its selection; a list of objects that
  is not a connection costs like one object; `MoneyV2`, `MoneyBag`, `Weight` and `PageInfo`
  cost nothing themselves;
- an interface or union costs the most expensive of its possible selections;
- a connection costs 2 + m(first or last) * (1 + the node's selection); `pageInfo` is free;
- `nodes(ids:)` costs m(len(ids)) * (1 + the selection);
- a mutation field costs 10 plus its payload's selection, where the payload's direct children
  are free themselves (only what they select is charged).

m(n) is the page multiplier. With `model="shopify"` (the default) it is max(1, ⌊2·ln n⌋): the
recorded requested costs (first: 1→1, 5→3, 10→4, 20→5, 50→7, 250→11) fit it exactly and do not
fit the linear rule that older documentation describes. `model="linear"` gives m(n) = n.

The actual cost uses the same rules over what the response holds (connections count the nodes
returned) and never exceeds the requested cost.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)

FREE_TYPES = frozenset({"MoneyV2", "MoneyBag", "Weight", "PageInfo"})
MUTATION_COST = 10
MAX_QUERY_COST = 1000


def page_multiplier(n: int, model: str = "shopify") -> int:
    if n <= 0:
        return 0
    if model == "linear":
        return n
    return max(1, math.floor(2 * math.log(n)))


def _is_connection(named: Any) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and "pageInfo" in named.fields
    )


class QueryCost:
    """Requested and actual cost of one operation of a validated document."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any],
        model: str = "shopify",
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.model = model
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    # -- shared helpers -----------------------------------------------------------------------

    def _applies(self, condition: str | None, runtime: GraphQLCompositeType) -> bool:
        if condition is None or condition == runtime.name:
            return True
        cond_type = self.schema.get_type(condition)
        if isinstance(runtime, GraphQLObjectType) and is_abstract_type(cond_type):
            return self.schema.is_sub_type(cond_type, runtime)
        return False

    def _fields(
        self, runtime: GraphQLCompositeType, selection_set: SelectionSetNode | None
    ) -> Iterable[FieldNode]:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if self._applies(condition.name.value if condition else None, runtime):
                    yield from self._fields(runtime, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment and self._applies(fragment.type_condition.name.value, runtime):
                    yield from self._fields(runtime, fragment.selection_set)

    def _candidates(
        self, parent: GraphQLCompositeType, selection_set: SelectionSetNode | None
    ) -> list[GraphQLCompositeType]:
        if not is_abstract_type(parent):
            return [parent]
        names: set[str] = set()
        self._conditions(selection_set, names, set())
        out: list[GraphQLCompositeType] = [parent]
        for name in sorted(names):
            named = self.schema.get_type(name)
            if isinstance(named, GraphQLObjectType) and self.schema.is_sub_type(
                parent,
                named,
            ):
                out.append(named)
        return out

    def _conditions(
        self, selection_set: SelectionSetNode | None, out: set[str], seen: set[str]
    ) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, InlineFragmentNode):
                if selection.type_condition:
                    out.add(selection.type_condition.name.value)
                self._conditions(selection.selection_set, out, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = self.fragments.get(selection.name.value)
                if fragment:
                    out.add(fragment.type_condition.name.value)
                    self._conditions(fragment.selection_set, out, seen)

    def _int_argument(self, node: FieldNode, *names: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value not in names:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                raw = self.variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                raw = int(value.value)
            else:
                raw = None
            if isinstance(raw, int):
                return raw
        return None

    def _list_argument_length(self, node: FieldNode, name: str) -> int:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                raw = self.variables.get(value.name.value)
                return len(raw) if isinstance(raw, list) else 1
            if isinstance(value, ListValueNode):
                return len(value.values)
            return 1
        return 0

    @staticmethod
    def _field_type(parent: GraphQLCompositeType, node: FieldNode) -> Any:
        if isinstance(parent, GraphQLUnionType):
            return None
        field = parent.fields.get(node.name.value)
        return field.type if field is not None else None

    # -- requested ----------------------------------------------------------------------------

    def requested(self, operation: OperationDefinitionNode) -> int:
        if operation.operation == OperationType.MUTATION:
            root = self.schema.mutation_type
            assert root is not None
            return sum(
                self._mutation_field(root, f) for f in self._fields(root, operation.selection_set)
            )
        root = self.schema.query_type
        assert root is not None
        return self._selection(root, operation.selection_set)

    def _mutation_field(self, root: GraphQLObjectType, node: FieldNode) -> int:
        if node.name.value == "__typename":
            return 0
        payload = get_named_type(self._field_type(root, node))
        if not isinstance(payload, GraphQLObjectType | GraphQLInterfaceType):
            return MUTATION_COST
        total = MUTATION_COST
        for child in self._fields(payload, node.selection_set):
            child_named = get_named_type(self._field_type(payload, child))
            if child_named is None or is_leaf_type(child_named):
                continue
            if _is_connection(child_named):
                total += self._field(payload, child)
            else:
                total += self._selection(child_named, child.selection_set)
        return total

    def _selection(
        self, parent: GraphQLCompositeType, selection_set: SelectionSetNode | None
    ) -> int:
        best = 0
        for runtime in self._candidates(parent, selection_set):
            best = max(
                best, sum(self._field(runtime, f) for f in self._fields(runtime, selection_set))
            )
        return best

    def _field(self, parent: GraphQLCompositeType, node: FieldNode) -> int:
        if node.name.value.startswith("__"):
            return 0
        named = get_named_type(self._field_type(parent, node))
        if named is None or is_leaf_type(named):
            return 0
        if _is_connection(named):
            size = self._int_argument(node, "first", "last") or 0
            per_node, extra = self._connection_parts(named, node)
            return 2 + page_multiplier(size, self.model) * per_node + extra
        if named.name in FREE_TYPES:
            return self._selection(named, node.selection_set)
        if node.name.value == "nodes" and parent is self.schema.query_type:
            count = self._list_argument_length(node, "ids")
            return page_multiplier(count, self.model) * (
                1 + self._selection(named, node.selection_set)
            )
        return 1 + self._selection(named, node.selection_set)

    def _connection_parts(self, connection: GraphQLObjectType, node: FieldNode) -> tuple[int, int]:
        node_type = (
            get_named_type(connection.fields["nodes"].type)
            if "nodes" in connection.fields
            else None
        )
        per_node = 0
        extra = 0
        for child in self._fields(connection, node.selection_set):
            name = child.name.value
            if name == "nodes" and node_type is not None:
                per_node = max(per_node, 1 + self._selection(node_type, child.selection_set))
            elif name == "edges":
                edge_type = get_named_type(connection.fields["edges"].type)
                for grandchild in self._fields(edge_type, child.selection_set):
                    if grandchild.name.value == "node" and node_type is not None:
                        cost = 1 + self._selection(node_type, grandchild.selection_set)
                        per_node = max(per_node, cost)
            elif name != "pageInfo":
                extra += self._field(connection, child)
        return per_node, extra

    # -- actual -------------------------------------------------------------------------------

    def actual(self, operation: OperationDefinitionNode, data: dict[str, Any] | None) -> int:
        if operation.operation == OperationType.MUTATION:
            root = self.schema.mutation_type
            assert root is not None
            total = 0
            for node in self._fields(root, operation.selection_set):
                if node.name.value == "__typename":
                    continue
                total += MUTATION_COST
                value = (data or {}).get((node.alias or node.name).value)
                payload = get_named_type(self._field_type(root, node))
                if isinstance(value, dict) and isinstance(payload, GraphQLObjectType):
                    for child in self._fields(payload, node.selection_set):
                        child_value = value.get((child.alias or child.name).value)
                        child_named = get_named_type(self._field_type(payload, child))
                        if child_named is None or is_leaf_type(child_named) or child_value is None:
                            continue
                        if _is_connection(child_named):
                            total += self._actual_field(payload, child, child_value)
                        else:
                            total += self._actual_items(child_named, child, child_value)
            return total
        root = self.schema.query_type
        assert root is not None
        return self._actual_selection(root, operation.selection_set, data or {})

    def _actual_items(self, named: Any, node: FieldNode, value: Any) -> int:
        items = value if isinstance(value, list) else [value]
        return sum(
            self._actual_selection(named, node.selection_set, v)
            for v in items
            if isinstance(v, dict)
        )

    def _actual_selection(
        self,
        parent: GraphQLCompositeType,
        selection_set: SelectionSetNode | None,
        value: dict[str, Any],
    ) -> int:
        best = 0
        for runtime in self._candidates(parent, selection_set):
            total = 0
            for node in self._fields(runtime, selection_set):
                key = (node.alias or node.name).value
                if key in value:
                    total += self._actual_field(runtime, node, value[key])
            best = max(best, total)
        return best

    def _actual_field(self, parent: GraphQLCompositeType, node: FieldNode, value: Any) -> int:
        if value is None or node.name.value.startswith("__"):
            return 0
        named = get_named_type(self._field_type(parent, node))
        if named is None or is_leaf_type(named):
            return 0
        if _is_connection(named) and isinstance(value, dict):
            node_type = get_named_type(named.fields["nodes"].type)
            total = 2
            by_nodes = self._per_node(named, node_type, node, "nodes", value.get("nodes"))
            edges = value.get("edges")
            nodes_from_edges = (
                [e.get("node") for e in edges if isinstance(e, dict)]
                if isinstance(edges, list)
                else None
            )
            by_edges = self._per_node(named, node_type, node, "edges", nodes_from_edges)
            return total + max(by_nodes, by_edges)
        if named.name in FREE_TYPES:
            return self._actual_items(named, node, value)
        if isinstance(value, list):
            return (
                (
                    1
                    + max(
                        (
                            self._actual_selection(named, node.selection_set, v)
                            for v in value
                            if isinstance(v, dict)
                        ),
                        default=0,
                    )
                )
                if value
                else 0
            )
        return 1 + self._actual_selection(named, node.selection_set, value)

    def _per_node(
        self, connection: GraphQLObjectType, node_type: Any, node: FieldNode, key: str, items: Any
    ) -> int:
        if not isinstance(items, list):
            return 0
        selection: SelectionSetNode | None = None
        for child in self._fields(connection, node.selection_set):
            if child.name.value != key:
                continue
            if key == "nodes":
                selection = child.selection_set
            else:
                edge_type = get_named_type(connection.fields["edges"].type)
                for grandchild in self._fields(edge_type, child.selection_set):
                    if grandchild.name.value == "node":
                        selection = grandchild.selection_set
        if selection is None:
            return 0
        return sum(
            1 + self._actual_selection(node_type, selection, v)
            for v in items
            if isinstance(v, dict)
        )


class Bucket:
    """Shopify's leaky bucket: `size` points, refilled at `restore_rate` points a second."""

    def __init__(
        self, size: float, restore_rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.size = size
        self.restore_rate = restore_rate
        self.clock = clock
        self._available = float(size)
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self._available = min(self.size, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    @property
    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._available

    def take(self, cost: float) -> bool:
        """Take `cost` points if the bucket holds them."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.size, self._available + points)

    def drain(self, points: float | None = None) -> None:
        """Empty the bucket (or take `points` from it), e.g. to test throttling."""
        with self._lock:
            self._refill()
            self._available = 0.0 if points is None else max(0.0, self._available - points)

    def status(self) -> dict[str, Any]:
        level = self.available
        return {
            "maximumAvailable": _number(self.size),
            "currentlyAvailable": math.floor(level),
            "restoreRate": _number(self.restore_rate),
        }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
