"""A small evaluator for the expr-lang subset Argo Rollouts' conditions use.

successCondition/failureCondition are expr-lang expressions over `result`
(utils/evaluate/evaluate.go), e.g. `result[0] >= 0.95`, `len(result) > 0 &&
all(result, {# < 0.5})`, `isNaN(result)`. This parses them into a tree and
walks it; there is no Python eval, so a condition can only compute.

Supported: numbers, strings, true/false/nil, `result` and other given names,
indexing `x[i]` (negative from the end) and `x.field`, unary `-` `!` `not`,
`* / %`, `+ -`, comparisons, `in`, `&&`/`and`, `||`/`or`, parentheses, and the
functions len, abs, isNaN, isInf, asInt, asFloat, default, all, any, none,
one, filter, map with `{...}` predicates over `#`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!()\[\]{},.\#])
""", re.VERBOSE)

_BINARY = {
    "or": 1, "||": 1,
    "and": 2, "&&": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3,
    "+": 4, "-": 4,
    "*": 5, "/": 5, "%": 5,
}


class ExprError(ValueError):
    """A condition that does not parse or cannot be evaluated on this result."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExprError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
    out.append(("end", ""))
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            raise ExprError(f"expected {value!r} but found {tok[1] or 'the end'!r}")
        self.i += 1
        return tok

    def parse(self):
        node = self.expr(0)
        if self.peek()[0] != "end":
            raise ExprError(f"unexpected {self.peek()[1]!r}")
        return node

    def expr(self, min_prec: int):
        left = self.unary()
        while True:
            kind, value = self.peek()
            op = value if kind in ("op", "name") else None
            prec = _BINARY.get(op or "")
            if prec is None or prec < min_prec:
                return left
            self.take()
            right = self.expr(prec + 1)
            left = ("bin", op, left, right)

    def unary(self):
        kind, value = self.peek()
        if value in ("-", "!", "not", "+") and kind in ("op", "name"):
            self.take()
            return ("un", value, self.unary())
        return self.postfix(self.primary())

    def postfix(self, node):
        while True:
            value = self.peek()[1]
            if value == "[":
                self.take()
                index = self.expr(0)
                self.take("]")
                node = ("index", node, index)
            elif value == "." and self.peek()[0] == "op":
                self.take()
                kind, name = self.take()
                if kind != "name":
                    raise ExprError(f"expected a field name after '.', found {name!r}")
                node = ("index", node, ("lit", name))
            else:
                return node

    def primary(self):
        kind, value = self.take()
        if kind == "number":
            return ("lit", float(value) if any(c in value for c in ".eE") else int(value))
        if kind == "string":
            return ("lit", bytes(value[1:-1], "utf-8").decode("unicode_escape"))
        if value == "(":
            node = self.expr(0)
            self.take(")")
            return node
        if value == "#":
            return ("var", "#")
        if value == "{":
            node = self.expr(0)
            self.take("}")
            return ("closure", node)
        if value == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr(0))
                if self.peek()[1] != "]":
                    self.take(",")
            self.take("]")
            return ("list", items)
        if kind == "name":
            if value in ("true", "false"):
                return ("lit", value == "true")
            if value in ("nil", "null"):
                return ("lit", None)
            if self.peek()[1] == "(":
                self.take()
                args = []
                while self.peek()[1] != ")":
                    args.append(self.expr(0))
                    if self.peek()[1] != ")":
                        self.take(",")
                self.take(")")
                return ("call", value, args)
            return ("var", value)
        raise ExprError(f"unexpected {value or 'end of expression'!r}")


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExprError(f"{what} needs a number, got {_describe(value)}")
    return value


def _describe(value) -> str:
    if value is None:
        return "nil"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return f"{type(value).__name__} {value!r}"


def _compare(op: str, a, b) -> bool:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if isinstance(a, str) and isinstance(b, str):
        pass
    else:
        a, b = _number(a, op), _number(b, op)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _arith(op: str, a, b):
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    a, b = _number(a, op), _number(b, op)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b if b else (math.nan if a == 0 else math.copysign(math.inf, a))
    if b == 0:
        raise ExprError("integer divide by zero")
    return math.fmod(a, b)


def _truthy(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise ExprError(f"{what} needs a bool, got {_describe(value)}")
    return value


class _Eval:
    def __init__(self, env: dict):
        self.env = env

    def run(self, node, item=None):
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "list":
            return [self.run(n, item) for n in node[1]]
        if kind == "var":
            if node[1] == "#":
                return item
            if node[1] not in self.env:
                raise ExprError(f"unknown name {node[1]!r}")
            return self.env[node[1]]
        if kind == "index":
            return self._index(self.run(node[1], item), self.run(node[2], item))
        if kind == "un":
            value = self.run(node[2], item)
            if node[1] in ("!", "not"):
                return not _truthy(value, node[1])
            return -_number(value, "-") if node[1] == "-" else _number(value, "+")
        if kind == "bin":
            return self._binary(node, item)
        if kind == "call":
            return self._call(node[1], node[2], item)
        if kind == "closure":
            raise ExprError("a {...} predicate is only allowed as a function argument")
        raise ExprError(f"cannot evaluate {kind}")

    def _binary(self, node, item):
        op = node[1]
        if op in ("&&", "and"):
            return _truthy(self.run(node[2], item), op) and _truthy(self.run(node[3], item), op)
        if op in ("||", "or"):
            return _truthy(self.run(node[2], item), op) or _truthy(self.run(node[3], item), op)
        a, b = self.run(node[2], item), self.run(node[3], item)
        if op == "in":
            if isinstance(b, list | str | dict):
                return a in b
            raise ExprError(f"'in' needs an array, got {_describe(b)}")
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return _compare(op, a, b)
        return _arith(op, a, b)

    @staticmethod
    def _index(container, key):
        if isinstance(container, list | str):
            if isinstance(key, bool) or not isinstance(key, int | float) or key != int(key):
                raise ExprError(f"an array index must be an integer, got {_describe(key)}")
            i = int(key)
            if not -len(container) <= i < len(container):
                raise ExprError(f"index out of range: {i} (array length is {len(container)})")
            return container[i]
        if isinstance(container, dict):
            return container.get(key)
        raise ExprError(f"cannot index {_describe(container)}")

    def _call(self, name: str, args: list, item):
        if name in ("all", "any", "none", "one", "filter", "map", "count"):
            if len(args) != 2 or args[1][0] != "closure":
                raise ExprError(f"{name}(array, {{predicate}}) takes an array and a {{...}} predicate")
            values = self.run(args[0], item)
            if not isinstance(values, list):
                raise ExprError(f"{name} needs an array, got {_describe(values)}")
            body = args[1][1]
            if name == "map":
                return [self.run(body, v) for v in values]
            hits = [v for v in values if _truthy(self.run(body, v), name)]
            return {"all": len(hits) == len(values), "any": bool(hits), "none": not hits,
                    "one": len(hits) == 1, "filter": hits, "count": len(hits)}[name]
        values = [self.run(a, item) for a in args]
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise ExprError(f"unknown function {name}()")
        try:
            return fn(*values)
        except TypeError:
            raise ExprError(f"{name}() was given {len(values)} argument(s) it cannot take") from None


def _len(value):
    if isinstance(value, list | str | dict):
        return len(value)
    raise ExprError(f"len() needs an array or a string, got {_describe(value)}")


def _as_float(value):
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ExprError(f"asFloat cannot convert {value!r}") from None
    return float(_number(value, "asFloat"))


_FUNCTIONS: dict[str, Callable] = {
    "len": _len,
    "abs": lambda v: abs(_number(v, "abs")),
    "isNaN": lambda v: math.isnan(_number(v, "isNaN")),
    "isInf": lambda v, sign=0: (math.isinf(_number(v, "isInf"))
                                and (sign == 0 or (sign > 0) == (v > 0))),
    "asInt": lambda v: int(_as_float(v)),
    "asFloat": _as_float,
    "default": lambda v, d: d if v is None or v == "" else v,
}


def compile_condition(text: str):
    """Parse once; raises ExprError with what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the condition is empty")
    return _Parser(text).parse()


def evaluate(text: str, result) -> bool:
    """The condition's value for `result`; it must be a bool."""
    value = _Eval({"result": result}).run(compile_condition(text))
    if not isinstance(value, bool):
        raise ExprError(f"expected bool, but got {_describe(value)}")
    return value
