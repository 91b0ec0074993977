"""Label and field selectors as the apiserver parses and matches them.

Mirrors k8s.io/apimachinery pkg/labels (the `?labelSelector=` grammar and
metav1.LabelSelector conversion) and pkg/fields (`?fieldSelector=`), including
the error sentences the apiserver puts in its 400 BadRequest Status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class SelectorError(ValueError):
    """str(e) is the sentence the apiserver would return in a 400 BadRequest Status message."""


# ---- label selectors ------------------------------------------------------

# selection.Operator values; their spelling appears in error messages.
IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "in", "notin", "=", "==", "!="
EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN = "exists", "!", "gt", "lt"
_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_INFIX = {EQUALS: "=", DOUBLE_EQUALS: "==", NOT_EQUALS: "!=", IN: " in ", NOT_IN: " notin ",
          GREATER_THAN: ">", LESS_THAN: "<"}


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return present and value in self.values
        if self.operator in (NOT_IN, NOT_EQUALS):
            return not present or value not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        # gt / lt: both sides must be integers, otherwise the label does not match.
        have, want = _parse_int(value), _parse_int(self.values[0])
        if have is None or want is None:
            return False
        return have > want if self.operator == GREATER_THAN else have < want

    def __str__(self) -> str:
        if self.operator in (EXISTS, DOES_NOT_EXIST):
            return ("!" if self.operator == DOES_NOT_EXIST else "") + self.key
        values = ",".join(sorted(self.values))
        if self.operator in (IN, NOT_IN):
            values = f"({values})"
        return f"{self.key}{_INFIX[self.operator]}{values}"


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()
    # labels.Nothing(): what a nil metav1.LabelSelector converts to.
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.nothing and not self.requirements


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse the `?labelSelector=` syntax (labels.Parse); empty or None selects everything."""
    requirements = _LabelParser(text or "").parse()
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


_SPEC_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def selector_from_spec(spec: Mapping | None) -> LabelSelector:
    """Convert a metav1.LabelSelector dict like metav1.LabelSelectorAsSelector."""
    if spec is None:
        return LabelSelector(nothing=True)
    match_labels = spec.get("matchLabels") or {}
    expressions = spec.get("matchExpressions") or []
    requirements = [_new_requirement(k, EQUALS, [v]) for k, v in match_labels.items()]
    for expr in expressions:
        operator = _SPEC_OPERATORS.get(expr.get("operator"))
        if operator is None:
            raise SelectorError(f"{_go_quote(expr.get('operator') or '')} is not a valid label selector operator")
        values = expr.get("values")
        requirements.append(_new_requirement(expr.get("key", ""), operator, list(values) if values else None))
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


# Tokens of the label selector lexer.
_IDENTIFIER, _END, _OPEN, _CLOSE, _COMMA = "identifier", "end", "(", ")", ","
_SPECIAL = frozenset("=!(),<>")
_WHITESPACE = frozenset(" \t\r\n")
_SYMBOLS = {")": _CLOSE, ",": _COMMA, "!": DOES_NOT_EXIST, "==": DOUBLE_EQUALS, "=": EQUALS,
            ">": GREATER_THAN, "<": LESS_THAN, "!=": NOT_EQUALS, "(": _OPEN}
_KEYWORDS = {"in": IN, "notin": NOT_IN}


def _lex(text: str) -> list[tuple[str, str]]:
    """Split into (token, literal) pairs, ending with the end-of-string token."""
    items, pos = [], 0
    while True:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos == len(text):
            items.append((_END, ""))
            return items
        start = pos
        if text[pos] in _SPECIAL:
            # Longest run of special characters that still spells a symbol ("!=" not "!" "=").
            pos += 1
            while pos < len(text) and text[start:pos + 1] in _SYMBOLS:
                pos += 1
            literal = text[start:pos]
            items.append((_SYMBOLS[literal], literal))
        else:
            while pos < len(text) and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
                pos += 1
            literal = text[start:pos]
            items.append((_KEYWORDS.get(literal, _IDENTIFIER), literal))


class _LabelParser:
    """Recursive descent over the lexed tokens, with labels.Parse's error sentences."""

    def __init__(self, text: str):
        self._items = _lex(text)
        self._pos = 0

    def _peek(self, keywords_are_values: bool = True) -> tuple[str, str]:
        return self._token(self._items[self._pos], keywords_are_values)

    def _take(self, keywords_are_values: bool = True) -> tuple[str, str]:
        self._pos += 1
        return self._token(self._items[self._pos - 1], keywords_are_values)

    @staticmethod
    def _token(item: tuple[str, str], keywords_are_values: bool) -> tuple[str, str]:
        # Outside operator position `in`/`notin` are ordinary identifiers: `in in (in)` is legal.
        tok, lit = item
        return (_IDENTIFIER, lit) if keywords_are_values and tok in (IN, NOT_IN) else (tok, lit)

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self._peek()
            if tok == _END:
                return requirements
            if tok not in (_IDENTIFIER, DOES_NOT_EXIST):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self._requirement())
            except SelectorError as exc:
                raise SelectorError(f"unable to parse requirement: {exc}") from None
            tok, lit = self._take()
            if tok == _END:
                return requirements
            if tok != _COMMA:
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self._peek()
            if tok not in (_IDENTIFIER, DOES_NOT_EXIST):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        key, operator = self._key_and_inferred_operator()
        if operator in (EXISTS, DOES_NOT_EXIST):
            return _new_requirement(key, operator, [])
        operator = self._operator()
        values = self._value_set() if operator in (IN, NOT_IN) else self._exact_value()
        return _new_requirement(key, operator, sorted(values))

    def _key_and_inferred_operator(self) -> tuple[str, str | None]:
        operator = None
        tok, lit = self._take()
        if tok == DOES_NOT_EXIST:
            operator = DOES_NOT_EXIST
            tok, lit = self._take()
        if tok != _IDENTIFIER:
            raise SelectorError(f"found '{lit}', expected: identifier")
        if problems := _label_key_problems(lit):
            # The parser validates with a nil field path, hence upstream's "<nil>".
            raise SelectorError(_invalid("<nil>", lit, problems))
        if operator is None and self._peek()[0] in (_END, _COMMA):
            operator = EXISTS
        return lit, operator

    def _operator(self) -> str:
        tok, lit = self._take(keywords_are_values=False)
        if tok not in _BINARY_OPERATORS:
            raise SelectorError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return tok

    def _value_set(self) -> set[str]:
        tok, lit = self._take()
        if tok != _OPEN:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self._peek()
        if tok == _CLOSE:  # "()" is the set holding the empty value
            self._take()
            return {""}
        if tok not in (_IDENTIFIER, _COMMA):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values = self._identifiers()
        self._take()  # the closing parenthesis _identifiers stopped at
        return values

    def _identifiers(self) -> set[str]:
        # Empty entries ("(a,,b)", "(,a)", "(a,)") stand for the empty value.
        values: set[str] = set()
        while True:
            tok, lit = self._take()
            if tok == _IDENTIFIER:
                values.add(lit)
                next_tok, next_lit = self._peek()
                if next_tok == _CLOSE:
                    return values
                if next_tok != _COMMA:
                    raise SelectorError(f"found '{next_lit}', expected: ',' or ')'")
            elif tok == _COMMA:
                next_tok = self._peek()[0]
                if not values or next_tok in (_CLOSE, _COMMA):
                    values.add("")
                if next_tok == _CLOSE:
                    return values
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def _exact_value(self) -> set[str]:
        if self._peek()[0] in (_END, _COMMA):  # "k=" selects the empty value
            return {""}
        tok, lit = self._take()
        if tok != _IDENTIFIER:
            raise SelectorError(f"found '{lit}', expected: identifier")
        return {lit}


def _new_requirement(key: str, operator: str, values: list[str] | None) -> Requirement:
    """labels.NewRequirement: validate, collecting every problem like a field.ErrorList."""
    errors = []
    if problems := _label_key_problems(key):
        errors.append(_invalid("key", key, problems))
    count = len(values or ())
    if operator in (IN, NOT_IN) and count == 0:
        errors.append(_invalid("values", values, ["for 'in', 'notin' operators, values set can't be empty"]))
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS) and count != 1:
        errors.append(_invalid("values", values, ["exact-match compatibility requires one single value"]))
    elif operator in (EXISTS, DOES_NOT_EXIST) and count != 0:
        errors.append(_invalid("values", values, ["values set must be empty for exists and does not exist"]))
    elif operator in (GREATER_THAN, LESS_THAN):
        if count != 1:
            errors.append(_invalid("values", values, ["for 'Gt', 'Lt' operators, exactly one value is required"]))
        errors += [
            _invalid(f"values[{i}]", v, ["for 'Gt', 'Lt' operators, the value must be an integer"])
            for i, v in enumerate(values or ()) if _parse_int(v) is None
        ]
    errors += [
        _invalid(f"values[{i}][{key}]", v, problems)
        for i, v in enumerate(values or ()) if (problems := _label_value_problems(v))
    ]
    if errors:
        raise SelectorError(_aggregate(errors))
    return Requirement(key, operator, tuple(values or ()))


# ---- field selectors ------------------------------------------------------

@dataclass(frozen=True)
class FieldTerm:
    field: str
    negated: bool
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        return (fields.get(self.field, "") == self.value) != self.negated

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.negated else '='}{_escape_field_value(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[FieldTerm, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(t.matches(fields) for t in self.terms)

    def __str__(self) -> str:
        return ",".join(str(t) for t in self.terms)

    @property
    def keys(self) -> set[str]:
        return {t.field for t in self.terms}


_TERM_OPERATORS = ("!=", "==", "=")  # "==" before "=" so no "=" is left on the value


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse the `?fieldSelector=` syntax (fields.ParseSelector); empty or None selects everything."""
    text = text or ""
    terms = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        field, operator, raw_value = _split_term(part)
        if operator is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        value = _unescape_field_value(raw_value)
        if field or value:  # upstream drops a bare "=" term
            terms.append(FieldTerm(field, operator == "!=", value))
    return FieldSelector(tuple(terms))


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not backslash-escaped, keeping escapes for the value parser."""
    if not text:
        return []
    terms, start, escaped = [], 0, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str | None, str]:
    # The field name cannot be escaped: the first operator anywhere splits the term.
    for i in range(len(term)):
        for operator in _TERM_OPERATORS:
            if term.startswith(operator, i):
                return term[:i], operator, term[i + len(operator):]
    return term, None, ""


def _unescape_field_value(raw: str) -> str:
    out, escaped = [], False
    for ch in raw:
        if escaped:
            if ch not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            # Go formats the offending rune with %v, i.e. as its code point number.
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


# ---- validation (k8s.io/apimachinery/pkg/api/validate/content) -------------

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', "
                  "and must start and end with an alphanumeric character")
_LABEL_VALUE_FMT = f"({_LABEL_KEY_FMT})?"
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
_DNS_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN_FMT = _DNS_LABEL_FMT + "(\\." + _DNS_LABEL_FMT + ")*"
_DNS_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                      "and must start and end with an alphanumeric character")


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len_error(limit: int) -> str:
    return f"must be no more than {limit} bytes"


def _label_key_problems(key: str) -> list[str]:
    parts = key.split("/")
    if len(parts) > 2:
        return ["a valid label key " + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    problems = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems += ["prefix part " + p for p in _dns_subdomain_problems(prefix)]
    name = parts[-1]
    if not name:
        problems.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        problems.append("name part " + _max_len_error(63))
    if not re.fullmatch(_LABEL_KEY_FMT, name):
        problems.append("name part " + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc"))
    return problems


def _label_value_problems(value: str) -> list[str]:
    problems = []
    if len(value.encode()) > 63:
        problems.append(_max_len_error(63))
    if not re.fullmatch(_LABEL_VALUE_FMT, value):
        problems.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return problems


def _dns_subdomain_problems(value: str) -> list[str]:
    problems = []
    if len(value.encode()) > 253:
        problems.append(_max_len_error(253))
    if not re.fullmatch(_DNS_SUBDOMAIN_FMT, value):
        problems.append(_regex_error(_DNS_SUBDOMAIN_MSG, _DNS_SUBDOMAIN_FMT, "example.com"))
    return problems


def _invalid(path: str, value: object, problems: Iterable[str]) -> str:
    """A field.Invalid error's text: strings are %q-quoted, lists JSON-encoded (a nil list is null)."""
    shown = _go_quote(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return f"{path}: Invalid value: {shown}: {'; '.join(problems)}"


def _aggregate(errors: list[str]) -> str:
    """utilerrors.Aggregate's text: one error alone, several deduplicated inside brackets."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


_INT64 = re.compile(r"[+-]?[0-9]+")


def _parse_int(text: str | None) -> int | None:
    """strconv.ParseInt(text, 10, 64): no spaces or underscores, int64 range."""
    if text is None or not _INT64.fullmatch(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None
