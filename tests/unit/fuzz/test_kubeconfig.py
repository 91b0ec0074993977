"""Kubeconfigs as people paste them: binary, huge, deeply nested, alias bombs, wrong types."""

from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.fuzz.conftest import assert_console_error
from tui.core.errors import ConsoleError
from tui.kube.config import locate

pytestmark = pytest.mark.offline

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                      max_leaves=20)
KEYS = st.sampled_from(["contexts", "clusters", "users", "current-context", "apiVersion", "kind"])


def _check(path, **options) -> None:
    try:
        target = locate(path, **options)
    except ConsoleError as exc:
        assert_console_error(exc)
    else:
        assert isinstance(target.server, str) and target.server
        assert isinstance(target.namespace, str)


@settings(derandomize=True, deadline=None, max_examples=600)
@given(data=st.binary(max_size=400))
def test_any_bytes_give_a_target_or_one_sentence(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("kc") / "config"
    path.write_bytes(data)
    _check(path)


@settings(derandomize=True, deadline=None, max_examples=600)
@given(document=st.dictionaries(KEYS, VALUES, max_size=6), context=st.one_of(st.none(), st.text(max_size=8)),
       namespace=st.one_of(st.none(), st.text(min_size=1, max_size=8)))
def test_wrong_types_give_a_target_or_one_sentence(tmp_path_factory, document, context, namespace):
    path = tmp_path_factory.mktemp("kc") / "config"
    path.write_text(yaml.safe_dump(document))
    _check(path, context=context or None, namespace=namespace)


def _shaped(name, cluster, namespace, server):
    return {"current-context": name, "contexts": [{"name": name, "context": {"cluster": cluster,
                                                                           "namespace": namespace}}],
            "clusters": [{"name": cluster, "cluster": {"server": server}}]}


@settings(derandomize=True, deadline=None, max_examples=600)
@given(name=VALUES, cluster=VALUES, namespace=VALUES, server=VALUES)
def test_wrong_types_inside_a_kubeconfig_shape(tmp_path_factory, name, cluster, namespace, server):
    path = tmp_path_factory.mktemp("kc") / "config"
    path.write_text(yaml.safe_dump(_shaped(name, cluster, namespace, server)))
    _check(path)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(depth=st.integers(min_value=1, max_value=5_000), bracket=st.sampled_from(["[", "{a: ", "- "]))
def test_deep_nesting_is_one_sentence(tmp_path_factory, depth, bracket):
    path = tmp_path_factory.mktemp("kc") / "config"
    if bracket == "- ":
        text = "".join("  " * i + "-\n" for i in range(min(depth, 3000)))
    else:
        text = bracket * depth
    path.write_text(text)
    _check(path)


@settings(derandomize=True, deadline=None, max_examples=60)
@given(levels=st.integers(min_value=2, max_value=40), width=st.integers(min_value=2, max_value=10))
def test_alias_bombs_are_refused_quickly(tmp_path_factory, levels, width):
    """A "billion laughs": each level refers to the one before `width` times; expanded it would not fit."""
    lines = ['a0: "lol"']
    for n in range(1, levels):
        lines[-1] = lines[-1].replace(f"a{n - 1}:", f"a{n - 1}: &a{n - 1}") if n == 1 else lines[-1]
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]")
    lines[0] = 'a0: &a0 "lol"'
    lines.append(f"contexts: *a{levels - 1}")
    lines.append(f"clusters: *a{levels - 1}")
    lines.append(f"current-context: *a{levels - 1}")
    path = tmp_path_factory.mktemp("kc") / "config"
    path.write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    with pytest.raises(ConsoleError) as caught:
        locate(path)
    assert_console_error(caught.value)
    assert time.monotonic() - start < 2.0


def test_binary_kubeconfig_says_so(tmp_path):
    path = tmp_path / "config"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary")
    with pytest.raises(ConsoleError, match="not text"):
        locate(path)


def test_huge_kubeconfig_is_one_sentence(tmp_path):
    path = tmp_path / "config"
    path.write_text("clusters:\n" + "".join(f"- name: c{n}\n  cluster: {{server: https://h{n}}}\n"
                                            for n in range(5_000)))
    with pytest.raises(ConsoleError) as caught:
        locate(path)
    assert_console_error(caught.value)
