"""The console's --config file: any bytes, wrong types, deep nesting, alias bombs."""

from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.fuzz.conftest import assert_console_error
from tui.appconfig import AppConfig, load
from tui.core.errors import ConsoleError

pytestmark = pytest.mark.offline

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=12)
KEYS = st.sampled_from(["application", "namespace", "selector", "production_pattern", "components", "notify",
                        "pod_health_window", "log_error_patterns", "release", "helm", "order", "stall_after",
                        "prometheus"])
PROMETHEUS = st.dictionaries(st.sampled_from(["url", "service", "error_ratio_max", "p95_max", "rate_window",
                                              "window"]), VALUES, max_size=4)
COMPONENT = st.dictionaries(st.sampled_from(["kind", "name", "smoke_test", "health_check"]), VALUES, max_size=4)


def _check(path) -> None:
    try:
        config = load(path)
    except ConsoleError as exc:
        assert_console_error(exc)
    else:
        assert isinstance(config, AppConfig)
        assert isinstance(config.application, str)
        assert all(isinstance(c.name, str) for c in config.components)


@settings(derandomize=True, deadline=None, max_examples=600)
@given(data=st.binary(max_size=300))
def test_any_bytes_give_a_config_or_one_sentence(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "console.yaml"
    path.write_bytes(data)
    _check(path)


@settings(derandomize=True, deadline=None, max_examples=1500)
@given(document=st.dictionaries(KEYS, VALUES, max_size=6), components=st.lists(COMPONENT, max_size=3),
       prometheus=st.one_of(st.none(), PROMETHEUS, VALUES))
def test_wrong_types_give_a_config_or_one_sentence(tmp_path_factory, document, components, prometheus):
    document = {**document, "components": components, "prometheus": prometheus}
    path = tmp_path_factory.mktemp("cfg") / "console.yaml"
    path.write_text(yaml.safe_dump(document))
    _check(path)


@settings(derandomize=True, deadline=None, max_examples=30)
@given(depth=st.integers(min_value=1, max_value=5_000), bracket=st.sampled_from(["[", "{a: "]))
def test_deep_nesting_is_one_sentence(tmp_path_factory, depth, bracket):
    path = tmp_path_factory.mktemp("cfg") / "console.yaml"
    path.write_text(bracket * depth)
    _check(path)


BOMB = "".join(f"{x}: &{x} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
               for p, x in zip(["", *"abcdefg"], "abcdefgh"))


@pytest.mark.parametrize("key", ["application", "components", "production_pattern", "pod_health_window", "notify",
                                 "release", "helm", "order", "stall_after", "prometheus", "database",
                                 "log_error_patterns", "namespace", "selector"])
def test_an_alias_bomb_at_any_key_is_one_sentence_at_once(tmp_path, key):
    """9^8 strings if expanded: every key answers without printing (or walking) what it was given."""
    path = tmp_path / "console.yaml"
    path.write_text(BOMB + f"{key}: *h\n")
    started = time.monotonic()
    with pytest.raises(ConsoleError) as caught:
        load(path)
    assert time.monotonic() - started < 2.0
    assert "\n" not in caught.value.message and len(caught.value.message) < 300
