"""The compatibility verdict and the downgrade's target, from plain data (tui/core/database.py)."""

import pytest

from tui.core.database import (
    BASE,
    BEHIND,
    COMPATIBLE,
    DOWNGRADE,
    UNKNOWN,
    Expected,
    Migration,
    Schema,
    downgrade_target,
    expected_head,
    mask_url,
    verdict,
)

# The demo's migrations (examples/eli-maor-migrations), newest first.
HISTORY = (
    Migration("be50", ("ad4f",), "index orders.created_at", True),
    Migration("ad4f", ("9c3e",), "rename accounts.name", False),
    Migration("9c3e", ("8b2d",), "add orders.currency", True),
    Migration("8b2d", ("7a1c",), "create orders", True),
    Migration("7a1c", (), "create accounts", True),
)


def schema(*current: str) -> Schema:
    return Schema(tuple(current), ("be50",), HISTORY)


def at(rev: str) -> Expected:
    return Expected(rev, "annotation")


def test_at_the_expected_head_is_compatible():
    v = verdict(schema("ad4f"), at("ad4f"), "backend revision 4")
    assert v.outcome == COMPATIBLE and "is at ad4f, the head backend revision 4 expects" in v.reason


def test_only_backward_compatible_migrations_above_is_compatible():
    v = verdict(schema("be50"), at("ad4f"), "backend revision 4")
    assert v.outcome == COMPATIBLE
    assert "be50 (index orders.created_at)" in v.reason


def test_an_incompatible_migration_above_needs_the_least_downgrade():
    v = verdict(schema("be50"), at("8b2d"), "backend revision 1")
    assert v.outcome == DOWNGRADE
    assert v.downgrade_to == "9c3e"  # the currency column may stay: only the rename must be undone
    assert [m.revision for m in v.undone] == ["be50", "ad4f"]
    assert "ad4f (rename accounts.name) is not backward compatible: downgrade to 9c3e" in v.reason
    assert "9c3e (add orders.currency) can stay" in v.reason


def test_after_the_downgrade_it_is_compatible():
    assert verdict(schema("9c3e"), at("8b2d"), "backend revision 1").outcome == COMPATIBLE


def test_a_database_older_than_the_target_needs_an_upgrade_not_a_rollback():
    v = verdict(schema("ad4f"), at("be50"), "backend revision 3")
    assert v.outcome == BEHIND and "alembic upgrade be50" in v.reason
    assert verdict(schema(), at("7a1c"), "r").outcome == BEHIND


@pytest.mark.parametrize("current, expected, said", [
    (("ad4f",), None, "does not say which Alembic head"),
    (("ad4f",), at("ffff"), "does not hold"),
    (("ad4f", "be50"), at("ad4f"), "several heads"),
    (("zzzz",), at("ad4f"), "database is at zzzz"),
])
def test_what_cannot_be_judged_says_why(current, expected, said):
    v = verdict(schema(*current), expected, "backend revision 2")
    assert v.outcome == UNKNOWN and said in v.reason


def test_a_base_migration_that_is_not_compatible_downgrades_to_base():
    history = (Migration("b", ("a",), "two", True), Migration("a", (), "one", False))
    v = verdict(Schema(("b",), ("b",), history), Expected("a", "x"), "r")
    assert v.outcome == COMPATIBLE
    history = (Migration("b", ("a",), "two", False), Migration("a", (), "one", True))
    v = verdict(Schema(("b",), ("b",), history), Expected("a", "x"), "r")
    assert v.outcome == DOWNGRADE and v.downgrade_to == "a"


def test_expected_head_reads_the_annotation_then_the_image_tag():
    template = {"metadata": {"annotations": {"rollback-console/alembic-head": "ad4f"}},
                "spec": {"containers": [{"image": "ghcr.io/eli-maor/backend:v1.9.0"}]}}
    assert expected_head(template, versions={"v1.9.0": "8b2d"}) == Expected("ad4f", "annotation rollback-console/alembic-head")
    del template["metadata"]["annotations"]
    assert expected_head(template, versions={"v1.9.0": "8b2d"}) == Expected("8b2d", "image tag v1.9.0")
    assert expected_head(template, annotation="other", versions={}) is None
    assert expected_head(None) is None


@pytest.mark.parametrize("step, to", [("-1", "ad4f"), ("-2", "9c3e"), ("-5", BASE), ("base", BASE), ("8b2d", "8b2d")])
def test_downgrade_target(step, to):
    assert downgrade_target(schema("be50"), step) == to


@pytest.mark.parametrize("current, step, said", [
    (("be50",), "-6", "goes past base: the database at be50 is only 5 migrations above it"),
    ((), "-1", "at base"),
    (("be50", "ad4f"), "-1", "several heads"),
    (("9c3e",), "be50", "not below"),
    (("9c3e",), "9c3e", "already at"),
    (("9c3e",), "nope", "No revision nope"),
])
def test_downgrade_refusals(current, step, said):
    with pytest.raises(ValueError, match=said):
        downgrade_target(schema(*current), step)


def test_mask_url():
    assert mask_url("postgresql+psycopg://app:s3cret@db:5432/eli") == "postgresql+psycopg://app:***@db:5432/eli"
    assert mask_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert mask_url("postgresql://app@db/eli") == "postgresql://app@db/eli"
