"""Label and field selectors: parsing, matching and the apiserver's error sentences."""

import pytest

from kube_sandbox.selectors import (
    SelectorError,
    parse_field_selector,
    parse_label_selector,
    selector_from_spec,
)

WEB = {"app": "web", "tier": "frontend", "pod-template-hash": "5d8f9", "replicas": "3"}
DB = {"app": "db", "tier": "backend"}
UNLABELLED: dict = {}


# ---- label selector strings ---------------------------------------------------

@pytest.mark.parametrize(
    "text, labels, expected",
    [
        ("app=web", WEB, True),
        ("app=web", DB, False),
        ("app==web", WEB, True),
        ("app!=web", DB, True),
        ("app!=web", WEB, False),
        ("app!=web", UNLABELLED, True),  # != also selects objects without the label
        ("app in (web,db)", DB, True),
        ("app in (web,cache)", DB, False),
        ("app notin (web)", DB, True),
        ("app notin (web)", UNLABELLED, True),
        ("app notin (web,db)", DB, False),
        ("tier", WEB, True),  # exists
        ("tier", UNLABELLED, False),
        ("!tier", UNLABELLED, True),  # does not exist
        ("!tier", DB, False),
        ("app=web,tier=frontend", WEB, True),  # comma is AND
        ("app=web,tier=backend", WEB, False),
        ("app=web, !canary", WEB, True),
        ("app=", {"app": ""}, True),  # empty value
        ("app=", WEB, False),
        ("app in ()", {"app": ""}, True),  # "()" holds the empty value
        ("app in (web,)", {"app": ""}, True),
        ("replicas>2", WEB, True),
        ("replicas<3", WEB, False),
        ("app>2", WEB, False),  # a non-integer label never compares
        ("in in (in)", {"in": "in"}, True),  # keywords are identifiers outside operator position
        ("", WEB, True),
        (None, UNLABELLED, True),
    ],
)
def test_label_selector_matches(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


def test_label_selector_treats_missing_labels_as_none():
    assert parse_label_selector("!app").matches(None)
    assert not parse_label_selector("app").matches(None)


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("tier=frontend,app=web", "app=web,tier=frontend"),  # sorted by key
        ("app==web", "app==web"),
        ("  app  !=  web ", "app!=web"),
        ("app in (web, db, db)", "app in (db,web)"),  # values deduplicated and sorted
        ("app notin (x)", "app notin (x)"),
        ("!canary,app", "app,!canary"),
        ("replicas > 2", "replicas>2"),
        ("", ""),
    ],
)
def test_label_selector_canonical_string(text, canonical):
    assert str(parse_label_selector(text)) == canonical


@pytest.mark.parametrize("text, empty", [("", True), (None, True), ("  ", True), ("app", False)])
def test_label_selector_empty(text, empty):
    assert parse_label_selector(text).empty is empty


_KEY_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize(
    "text, message",
    [
        ("app web", "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"),
        ("app=web,", "found '', expected: identifier after ','"),
        ("=web", "found '=', expected: !, identifier, or 'end of string'"),
        ("app=web)", "found ')', expected: ',' or 'end of string'"),
        ("app in web", "unable to parse requirement: found 'web' expected: '('"),
        ("app in (web", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("app in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("!app=web", "found '=', expected: ',' or 'end of string'"),
        ("app=(", "unable to parse requirement: found '(', expected: identifier"),
        ("-app=web", f'unable to parse requirement: <nil>: Invalid value: "-app": {_KEY_RULE}'),
        ("a/b/c", 'unable to parse requirement: <nil>: Invalid value: "a/b/c": a valid label key '
                  + _KEY_RULE.removeprefix("name part ") + " with an optional DNS subdomain prefix and '/' "
                  "(e.g. 'example.com/MyName')"),
        ("/app", 'unable to parse requirement: <nil>: Invalid value: "/app": prefix part must be non-empty'),
        ("k" * 64, f'unable to parse requirement: <nil>: Invalid value: "{"k" * 64}": name part must be no more '
                   "than 63 bytes"),
        ("app=we/b", f'unable to parse requirement: values[0][app]: Invalid value: "we/b": {_VALUE_RULE}'),
        ("app in (-a,b-)", "unable to parse requirement: ["
                           f'values[0][app]: Invalid value: "-a": {_VALUE_RULE}, '
                           f'values[1][app]: Invalid value: "b-": {_VALUE_RULE}]'),
        ("replicas>two", 'unable to parse requirement: values[0]: Invalid value: "two": '
                         "for 'Gt', 'Lt' operators, the value must be an integer"),
    ],
)
def test_label_selector_errors_use_apiserver_wording(text, message):
    with pytest.raises(SelectorError) as caught:
        parse_label_selector(text)
    assert str(caught.value) == message


def test_selector_error_is_a_value_error():
    assert issubclass(SelectorError, ValueError)


# ---- metav1.LabelSelector -------------------------------------------------------

def test_nil_spec_selects_nothing():
    selector = selector_from_spec(None)
    assert not selector.matches(WEB)
    assert not selector.matches(UNLABELLED)
    assert not selector.empty
    assert str(selector) == ""


def test_empty_spec_selects_everything():
    selector = selector_from_spec({})
    assert selector.matches(WEB) and selector.matches(UNLABELLED)
    assert selector.empty


@pytest.mark.parametrize(
    "spec, labels, expected",
    [
        ({"matchLabels": {"app": "web"}}, WEB, True),
        ({"matchLabels": {"app": "web"}}, DB, False),
        ({"matchLabels": {"app": "web", "tier": "frontend"}}, WEB, True),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["db", "cache"]}]}, DB, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["db"]}]}, DB, False),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, UNLABELLED, False),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, UNLABELLED, True),
        ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
         WEB, False),
        ({"matchLabels": None, "matchExpressions": None}, WEB, True),
    ],
)
def test_spec_selector_matches(spec, labels, expected):
    assert selector_from_spec(spec).matches(labels) is expected


def test_spec_selector_string_is_sorted():
    spec = {"matchLabels": {"tier": "frontend"},
            "matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]}
    assert str(selector_from_spec(spec)) == "app in (db,web),tier=frontend"


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["x"]}]},
         '"Equals" is not a valid label selector operator'),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]},
         "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
        ({"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]},
         'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'),
        ({"matchLabels": {"-app": "web"}}, f'key: Invalid value: "-app": {_KEY_RULE}'),
    ],
)
def test_spec_selector_errors(spec, message):
    with pytest.raises(SelectorError) as caught:
        selector_from_spec(spec)
    assert str(caught.value) == message


# ---- field selectors -------------------------------------------------------------

RUNNING_ON_NODE = {"metadata.name": "web-1", "spec.nodeName": "node-a", "status.phase": "Running"}
PENDING = {"metadata.name": "web-2", "status.phase": "Pending"}  # unscheduled: no spec.nodeName


@pytest.mark.parametrize(
    "text, fields, expected",
    [
        ("status.phase=Running", RUNNING_ON_NODE, True),
        ("status.phase==Running", PENDING, False),
        ("status.phase!=Running", PENDING, True),
        ("spec.nodeName=", PENDING, True),  # a missing field compares as ""
        ("spec.nodeName=", RUNNING_ON_NODE, False),
        ("spec.nodeName!=", RUNNING_ON_NODE, True),
        ("spec.nodeName!=", PENDING, False),
        ("spec.nodeName=node-a,status.phase=Running", RUNNING_ON_NODE, True),
        ("spec.nodeName=node-a,status.phase=Pending", RUNNING_ON_NODE, False),
        ("metadata.name=a\\,b", {"metadata.name": "a,b"}, True),  # escaped separator
        ("metadata.name=a\\=b", {"metadata.name": "a=b"}, True),
        ("metadata.name=a\\\\b", {"metadata.name": "a\\b"}, True),
        ("metadata.name=web-1,,", RUNNING_ON_NODE, True),  # empty terms are ignored
        ("", PENDING, True),
        (None, PENDING, True),
    ],
)
def test_field_selector_matches(text, fields, expected):
    assert parse_field_selector(text).matches(fields) is expected


def test_field_selector_keys():
    assert parse_field_selector("spec.nodeName=a,status.phase!=Failed,spec.nodeName!=b").keys == {
        "spec.nodeName", "status.phase"}
    assert parse_field_selector("").keys == set()


def test_field_selector_canonical_string():
    assert str(parse_field_selector("status.phase==Running,metadata.name=a\\,b")) == (
        "metadata.name=a\\,b,status.phase=Running")


@pytest.mark.parametrize(
    "text, message",
    [
        ("status.phase", "invalid selector: 'status.phase'; can't understand 'status.phase'"),
        ("a=b,status.phase", "invalid selector: 'a=b,status.phase'; can't understand 'status.phase'"),
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
        ("metadata.name=a\\!b", "invalid field selector: invalid escape sequence: \\!"),
        ("metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_field_selector_errors_use_apiserver_wording(text, message):
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(text)
    assert str(caught.value) == message
