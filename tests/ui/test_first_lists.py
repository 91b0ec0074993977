"""The first lists wait for each other (tui/app.py `_hold_first_lists`): one paint of complete rows, the first
row the first of every kind; a watch that is down ends the wait at once, one still connecting does not."""

from __future__ import annotations

import pytest

from tests.support.fixtures import fixed_app
from tests.support.pilot import run
from tui.app import HOLD_FIRST_LISTS
from tui.core.flash import CONNECTING
from tui.core.items import Health, Relisted

pytestmark = pytest.mark.offline

FIRST = ("Deployment", "ReplicaSet", "Rollout")  # the workload kinds and what their revisions are


def listed(kind: str) -> Relisted:
    return Relisted(kind, ())


def test_held_until_every_workload_kind_and_its_revisions_listed():
    run(_held_until_every_kind_listed())


async def _held_until_every_kind_listed():
    app = fixed_app()
    async with app.run_test():
        connecting = [Health(kind, False, 0.0, CONNECTING) for kind in (*FIRST, "Pod", "Event")]
        assert app._hold_first_lists([*connecting, listed("Deployment")]) == []
        assert app._hold_first_lists([listed("Pod"), listed("ReplicaSet")]) == []
        released = app._hold_first_lists([listed("Rollout")])
        arrived = [*connecting, listed("Deployment"), listed("Pod"), listed("ReplicaSet"), listed("Rollout")]
        # Released workloads first, then ReplicaSets, then the rest, each kind's items in their order.
        rank = {"Deployment": 0, "Rollout": 0, "ReplicaSet": 1}
        assert released == sorted(arrived, key=lambda item: rank.get(item.kind, 2))
        assert [i.kind for i in released if isinstance(i, Relisted)] == ["Deployment", "Rollout", "ReplicaSet", "Pod"]
        # Held once: from then on every batch goes straight through.
        assert app._hold_first_lists([listed("Event")]) == [listed("Event")]


def test_a_watch_that_is_down_ends_the_hold_at_once():
    run(_down_ends_the_hold())


async def _down_ends_the_hold():
    app = fixed_app()
    async with app.run_test():
        assert app._hold_first_lists([listed("Deployment")]) == []
        down = Health("ReplicaSet", False, 0.0, "Forbidden: cannot list replicasets")
        assert app._hold_first_lists([down]) == [listed("Deployment"), down]


def test_the_hold_ends_after_its_time_even_if_a_list_never_comes():
    run(_hold_ends_in_time())


async def _hold_ends_in_time():
    app = fixed_app()
    async with app.run_test():
        assert app._hold_first_lists([listed("Deployment")]) == []
        app._held_since -= HOLD_FIRST_LISTS  # as if that long had passed with no other list
        assert app._hold_first_lists([]) == [listed("Deployment")]
