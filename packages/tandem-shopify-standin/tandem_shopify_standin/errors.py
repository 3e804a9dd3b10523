"""Shopify's (graphql-ruby's) error shapes for documents that fail before execution.

graphql-core finds the problems; this module rewrites them the way Shopify reports them
(messages, `extensions.code`, `path` from the operation down), as recorded in
`shared/shopify/recorded/2025-01__graphql-base-validation-unhappy-paths.json`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    print_ast,
    specified_rules,
    type_from_ast,
    validate,
    visit,
)
from graphql.language import ArgumentNode, Lexer, Source, TokenKind, VariableDefinitionNode
from graphql.utilities import validate_input_value

Error = dict[str, Any]


def _loc(error: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or []]


def _node_loc(node: Node | None) -> list[dict[str, int]]:
    if node is None or node.loc is None:
        return []
    loc = node.loc.source.get_location(node.loc.start)
    return [{"line": loc.line, "column": loc.column}]


# -- parse errors -----------------------------------------------------------------------------


def parse_error(error: GraphQLError, text: str) -> Error:
    detail = error.message.removeprefix("Syntax Error: ").rstrip(".")
    locations = _loc(error)
    if "<EOF>" in detail:
        # graphql-ruby points at the last token it read, not past the end of the input.
        last = _last_token(text)
        if last is not None:
            locations = [{"line": last[0], "column": last[1]}]
        where = locations[0] if locations else {"line": 1, "column": 1}
        message = f"syntax error, unexpected end of file at [{where['line']}, {where['column']}]"
    else:
        where = locations[0] if locations else {"line": 1, "column": 1}
        detail = detail[:1].lower() + detail[1:]
        message = f"syntax error, {detail} at [{where['line']}, {where['column']}]"
    return {"message": message, "locations": locations, "extensions": {"code": "PARSE_ERROR"}}


def _last_token(text: str) -> tuple[int, int] | None:
    lexer = Lexer(Source(text))
    last = None
    try:
        while True:
            token = lexer.advance()
            if token.kind == TokenKind.EOF:
                return last
            last = (token.line, token.column)
    except GraphQLError:
        return last


# -- static validation ------------------------------------------------------------------------


class _Paths(Visitor):
    """Records, for every node, Shopify's `path` and the argument it sits in."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.labels: list[str] = []
        self.paths: dict[int, list[str]] = {}
        self.argument_of: dict[int, tuple[ArgumentNode, Node | None, str]] = {}
        self.parent_type: dict[int, str] = {}
        self.var_def_of: dict[int, VariableDefinitionNode] = {}
        self._arguments: list[tuple[ArgumentNode, Node | None, str]] = []
        self._owners: list[Node] = []
        self._var_defs: list[VariableDefinitionNode] = []

    @staticmethod
    def _label(node: Node) -> str | None:
        if isinstance(node, OperationDefinitionNode):
            name = f" {node.name.value}" if node.name else ""
            return f"{node.operation.value}{name}"
        if isinstance(node, FragmentDefinitionNode):
            return f"fragment {node.name.value}"
        if isinstance(node, FieldNode):
            return (node.alias or node.name).value
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            return f"... on {condition.name.value}" if condition else "..."
        if isinstance(node, FragmentSpreadNode):
            return f"... {node.name.value}"
        if isinstance(node, ArgumentNode):
            return node.name.value
        return None

    def enter(self, node: Node, *_args: Any) -> None:
        label = self._label(node)
        if label is not None:
            self.labels.append(label)
        self.paths[id(node)] = list(self.labels)
        if isinstance(node, FieldNode | DirectiveNode):
            self._owners.append(node)
            parent = self.type_info.get_parent_type()
            if parent is not None:
                self.parent_type[id(node)] = parent.name
        if isinstance(node, ArgumentNode):
            argument = self.type_info.get_argument()
            type_text = str(argument.type) if argument is not None else "?"
            self._arguments.append((node, self._owners[-1] if self._owners else None, type_text))
        if self._arguments:
            self.argument_of[id(node)] = self._arguments[-1]
        if isinstance(node, VariableDefinitionNode):
            self._var_defs.append(node)
        if self._var_defs:
            self.var_def_of[id(node)] = self._var_defs[-1]

    def leave(self, node: Node, *_args: Any) -> None:
        if self._label(node) is not None:
            self.labels.pop()
        if isinstance(node, FieldNode | DirectiveNode):
            self._owners.pop()
        if isinstance(node, ArgumentNode):
            self._arguments.pop()
        if isinstance(node, VariableDefinitionNode):
            self._var_defs.pop()


def _strip(type_text: str) -> str:
    return type_text.replace("!", "").replace("[", "").replace("]", "")


def _quoted(message: str) -> list[str]:
    return re.findall(r"'([^']*)'", message)


def validation_errors(schema: GraphQLSchema, document: DocumentNode) -> list[Error]:
    """Shopify-shaped errors for an invalid document; [] when it validates."""
    if not validate(schema, document):
        return []
    type_info = TypeInfo(schema)
    paths = _Paths(type_info)
    visit(document, TypeInfoVisitor(type_info, paths))
    out: list[Error] = []
    missing: dict[int, tuple[Node, list[str], GraphQLError]] = {}
    for rule in specified_rules:
        for error in validate(schema, document, [rule]):
            name = rule.__name__
            node = error.nodes[0] if error.nodes else None
            if name == "ProvidedRequiredArgumentsRule" and node is not None:
                entry = missing.setdefault(id(node), (node, [], error))
                match = re.search(r"\((\w+):\)", error.message)
                entry[1].append(match.group(1) if match else "?")
                continue
            out.append(_convert(name, error, node, paths))
    for node, names, error in missing.values():
        is_directive = isinstance(node, DirectiveNode)
        node_name = node.name.value if isinstance(node, FieldNode | DirectiveNode) else "?"
        class_name = "Directive" if is_directive else "Field"
        out.append(
            {
                "message": f"{class_name} '{node_name}' is missing required arguments: "
                + ", ".join(names),
                "locations": _loc(error),
                "path": paths.paths.get(id(node), []),
                "extensions": {
                    "code": "missingRequiredArguments",
                    "className": class_name,
                    "name": node_name,
                    "arguments": ", ".join(names),
                },
            }
        )
    return out


def _convert(rule: str, error: GraphQLError, node: Node | None, paths: _Paths) -> Error:
    path = paths.paths.get(id(node), []) if node is not None else []
    quoted = _quoted(error.message)
    base: Error = {"message": error.message, "locations": _loc(error), "path": path}

    def shaped(message: str, **extensions: Any) -> Error:
        return {**base, "message": message, "extensions": extensions}

    if rule == "FieldsOnCorrectTypeRule" and isinstance(node, FieldNode):
        type_name = quoted[1] if len(quoted) > 1 else paths.parent_type.get(id(node), "?")
        field = node.name.value
        return shaped(
            f"Field '{field}' doesn't exist on type '{type_name}'",
            code="undefinedField",
            typeName=type_name,
            fieldName=field,
        )
    if rule == "ScalarLeafsRule" and quoted:
        field = quoted[0]
        if "must have a selection" in error.message:
            type_name = _strip(quoted[1]) if len(quoted) > 1 else "?"
            return shaped(
                f"Field must have selections (field '{field}' returns {type_name} but has no "
                f"selections. Did you mean '{field} {{ ... }}'?)",
                code="selectionMismatch",
                nodeName=f"field '{field}'",
                typeName=type_name,
            )
        type_name = _strip(quoted[1]) if len(quoted) > 1 else "?"
        selection_set = (
            node if isinstance(node, SelectionSetNode) else getattr(node, "selection_set", None)
        )
        selections = selection_set.selections if selection_set is not None else ()
        selected = [s.name.value for s in selections if isinstance(s, FieldNode)]
        return shaped(
            f"Selections can't be made on scalars (field '{field}' returns {type_name} but has "
            f"selections {json.dumps(selected)})",
            code="selectionMismatch",
            nodeName=f"field '{field}'",
            typeName=type_name,
        )
    if rule == "KnownArgumentNamesRule" and isinstance(node, ArgumentNode):
        owner = paths.argument_of.get(id(node), (None, None, ""))[1]
        owner_name = owner.name.value if isinstance(owner, FieldNode | DirectiveNode) else "?"
        class_name = "Directive" if isinstance(owner, DirectiveNode) else "Field"
        return shaped(
            f"{class_name} '{owner_name}' doesn't accept argument '{node.name.value}'",
            code="argumentNotAccepted",
            name=owner_name,
            typeName=class_name,
            argumentName=node.name.value,
        )
    if rule == "ValuesOfCorrectTypeRule" and node is not None and id(node) in paths.argument_of:
        argument, owner, type_text = paths.argument_of[id(node)]
        owner_name = owner.name.value if isinstance(owner, FieldNode | DirectiveNode) else "?"
        class_name = "Directive" if isinstance(owner, DirectiveNode) else "Field"
        return {
            **shaped(
                f"Argument '{argument.name.value}' on {class_name} '{owner_name}' has an invalid "
                f"value ({print_ast(argument.value)}). Expected type '{type_text}'.",
                code="argumentLiteralsIncompatible",
                typeName=class_name,
                argumentName=argument.name.value,
            ),
            "locations": _node_loc(owner) or base["locations"],
            "path": paths.paths.get(id(argument), path),
        }
    if rule == "VariablesInAllowedPositionRule" and error.nodes and len(error.nodes) > 1:
        var_type, expected = (quoted[1], quoted[2]) if len(quoted) > 2 else ("?", "?")
        usage = error.nodes[1]
        used_in = paths.argument_of.get(id(usage), (None, None, ""))[0]
        argument_name = used_in.name.value if used_in is not None else "?"
        kind = "Nullability" if _strip(var_type) == _strip(expected) else "Type"
        variable = quoted[0].lstrip("$") if quoted else "?"
        return shaped(
            f"{kind} mismatch on variable ${variable} and argument {argument_name} "
            f"({var_type} / {expected})",
            code="variableMismatch",
            variableName=variable,
            typeName=var_type,
            argumentName=argument_name,
            errorMessage=f"{kind} mismatch",
        )
    if rule == "NoUnusedVariablesRule" and quoted:
        variable = quoted[0].lstrip("$")
        operation = quoted[1] if len(quoted) > 1 else "anonymous query"
        return shaped(
            f"Variable ${variable} is declared by {operation} but not used",
            code="variableNotUsed",
            variableName=variable,
        )
    if rule == "NoUndefinedVariablesRule" and quoted:
        variable = quoted[0].lstrip("$")
        operation = quoted[1] if len(quoted) > 1 else "anonymous query"
        return shaped(
            f"Variable ${variable} is used by {operation} but not declared",
            code="variableNotDefined",
            variableName=variable,
        )
    if rule == "KnownDirectivesRule" and quoted:
        directive = quoted[0].lstrip("@")
        if error.message.startswith("Unknown directive"):
            return shaped(
                f"Directive @{directive} is not defined",
                code="undefinedDirective",
                directiveName=directive,
            )
        return shaped(
            f"'@{directive}' can't be applied here",
            code="directiveCannotBeApplied",
            directiveName=directive,
        )
    if rule in ("KnownTypeNamesRule", "VariablesAreInputTypesRule"):
        var_def = paths.var_def_of.get(id(node)) if node is not None else None
        type_name = quoted[0] if quoted else "?"
        if var_def is not None:
            variable = var_def.variable.name.value
            return shaped(
                f"{_strip(type_name)} isn't a defined input type (on ${variable})",
                code="variableRequiresValidType",
                typeName=_strip(type_name),
                variableName=variable,
            )
        return shaped(
            f"No such type {type_name}, so it can't be a fragment condition",
            code="undefinedType",
            typeName=type_name,
        )
    if rule == "KnownFragmentNamesRule" and quoted:
        return shaped(
            f"Fragment {quoted[0]} was used, but not defined",
            code="useAndDefineFragment",
            fragmentName=quoted[0],
        )
    if rule == "NoUnusedFragmentsRule" and quoted:
        return shaped(
            f"Fragment {quoted[0]} was defined, but not used",
            code="useAndDefineFragment",
            fragmentName=quoted[0],
        )
    if rule == "PossibleFragmentSpreadsRule" and len(quoted) >= 2:
        inside, on = quoted[-2], quoted[-1]
        name = f" {quoted[0]}" if len(quoted) > 2 else ""
        return shaped(
            f"Fragment{name} on {on} can't be spread inside {inside}",
            code="cannotSpreadFragment",
            typeName=on,
        )
    if rule == "OverlappingFieldsCanBeMergedRule":
        return shaped(error.message, code="fieldConflict")
    return shaped(error.message, code="GRAPHQL_VALIDATION_FAILED", rule=rule.removesuffix("Rule"))


# -- variables --------------------------------------------------------------------------------


def _explain(error: GraphQLError, path: list[str | int]) -> tuple[list[str | int], str]:
    message = error.message
    quoted = _quoted(message)
    if "to include required field" in message and len(quoted) > 1:
        return [*path, quoted[1]], "Expected value to not be null"
    if "not to include unknown field" in message and len(quoted) > 1:
        return [*path, quoted[1]], f"Field is not defined on {quoted[0]}"
    if "not to be None" in message or "not to be null" in message:
        return path, "Expected value to not be null"
    match = re.match(r"(\w+) cannot represent (?:a )?non[- ]?\w+ value: (.*)", message)
    if match:
        return path, f"Could not coerce value {match.group(2)} to {match.group(1)}"
    match = re.match(r"Value '(.*)' does not exist in '(\w+)' enum", message)
    if match:
        return path, f'Expected "{match.group(1)}" to be one of the {match.group(2)} values'
    return path, message


def variable_errors(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> list[Error]:
    """INVALID_VARIABLE errors, one per variable whose value does not fit its type."""
    out: list[Error] = []
    for var_def in operation.variable_definitions or ():
        name = var_def.variable.name.value
        var_type = type_from_ast(schema, var_def.type)
        if var_type is None:
            continue
        problems: list[dict[str, Any]] = []
        value = variables.get(name)
        if value is None:
            if var_def.type.kind == "non_null_type" and var_def.default_value is None:
                problems.append({"path": [], "explanation": "Expected value to not be null"})
        else:

            def on_error(error: GraphQLError, path: Any, problems: list[Any] = problems) -> None:
                where, explanation = _explain(error, list(path))
                problems.append({"path": [str(p) for p in where], "explanation": explanation})

            validate_input_value(value, var_type, on_error, True)  # type: ignore[arg-type]
        if not problems:
            continue
        message = f"Variable ${name} of type {var_type} was provided invalid value"
        detailed = [p for p in problems if p["path"]]
        if detailed:
            message += " for " + ", ".join(
                f"{'.'.join(p['path'])} ({p['explanation']})" for p in detailed
            )
        out.append(
            {
                "message": message,
                "locations": _node_loc(var_def),
                "extensions": {"code": "INVALID_VARIABLE", "value": value, "problems": problems},
            }
        )
    return out
