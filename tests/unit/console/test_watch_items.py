"""What a watcher hands on from the server's JSON (tui/kube/watch.py `_slim`): objects with a name, lighter."""

from __future__ import annotations

import pytest

from tui.kube.watch import _slim

pytestmark = pytest.mark.offline


def test_managed_fields_are_dropped():
    obj = {"metadata": {"name": "web", "managedFields": [{"manager": "kubectl"}]}, "spec": {}}
    assert _slim(obj) == {"metadata": {"name": "web"}, "spec": {}}


@pytest.mark.parametrize("obj", [None, [], "pod", {}, {"metadata": None}, {"metadata": []}, {"metadata": {}},
                                 {"metadata": {"name": ""}}, {"metadata": {"name": ["web"]}}, {"metadata": {"name": 7}}])
def test_what_is_not_an_object_with_a_name_is_left_out(obj):
    """The state keys every object by its name: anything else from a broken server or proxy is dropped."""
    assert _slim(obj) is None
