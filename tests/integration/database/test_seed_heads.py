"""Each seed revision's pod template says which Alembic head its code expects, and the console's verdict for
each on the demo's database (at v2.0.0's head), read from a live sandbox with real kubectl."""

from __future__ import annotations

import pytest

from tests.support.database import CURRENCY, INDEX, ORDERS, RENAME
from tests.support.sandbox import Kubectl, start_sandbox
from tests.support.tools import DEFAULT_KUBECTL
from tui.core import database as db
from tui.database.migrations import read_schema
from tui.demo import database as demo

pytestmark = pytest.mark.timeout(180)


def test_seed_revisions_expect_their_heads_and_get_their_verdicts(tmp_path):
    sandbox = start_sandbox(tmp_path)
    try:
        kubectl = Kubectl(DEFAULT_KUBECTL, sandbox)
        sets = kubectl.json("get", "rs", "-n", "production", "-l", "app=eli-maor,component=backend")["items"]
    finally:
        assert sandbox.stop() == 0
    schema = read_schema(demo.INI, demo.create(tmp_path / "demo"))
    assert schema.current == (RENAME,)
    judged = {}
    for rs in sets:
        template = rs["spec"]["template"]
        revision = int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        expected = db.expected_head(template)
        assert expected is not None and expected.source == f"annotation {db.ANNOTATION}", rs["metadata"]["name"]
        tag = db.image_tag(template["spec"]["containers"][0]["image"])
        judged[revision] = (tag, expected.revision, db.verdict(schema, expected, f"backend revision {revision}"))
    # Revisions 1 (v1.9.0), 2 and 5 (v2.0.0), 3 and 4 (v2.0.1, crash-looping).
    assert {r: (tag, head) for r, (tag, head, _) in judged.items()} == {
        1: ("v1.9.0", ORDERS), 2: ("v2.0.0", RENAME), 3: ("v2.0.1-crashloop", INDEX),
        4: ("v2.0.1-crashloop", INDEX), 5: ("v2.0.0", RENAME)}
    assert (judged[1][2].outcome, judged[1][2].downgrade_to) == (db.DOWNGRADE, CURRENCY)
    assert judged[2][2].outcome == judged[5][2].outcome == db.COMPATIBLE
    assert judged[3][2].outcome == judged[4][2].outcome == db.BEHIND
